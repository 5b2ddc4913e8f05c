/**
 * The names and shapes every saga shares with its callers: one status query, one review Update,
 * one first-answer Update, one view shape. Imported by the sagas (through the kernel), the
 * client, the CLI and the gateway, so each name is written once.
 *
 * Only `define*` calls and types here: this module is loaded both inside the workflow sandbox
 * and in ordinary Node processes.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** The state every saga's view carries at the top; a status is always one of its saga's list. */
export interface TimelineEntry<S extends string = string> {
  at: string;
  status: S;
  note: string;
}

/** Why a payment waits for a person, and what that person may do about it. */
export interface ReviewInfo<A extends string = string> {
  reason: string;
  /** The actions the review Update accepts now. */
  actions: A[];
  /** When the payment was parked (ISO time, workflow clock). */
  since: string;
  /** The activity whose failure parked it, when an activity did. */
  activity?: string;
  /** The provider's code and message, when a provider answer parked it. */
  code?: string;
  providerMessage?: string;
}

/** What an operator sends to resolve a review; the same for every saga. */
export interface ResolveReviewInput<A extends string = string> {
  action: A;
  operator: string;
  /** What the operator checked and why this is right. Kept in the timeline. */
  note: string;
  /** PPOB mark-succeeded: the serial number the provider confirmed. */
  sn?: string;
}

export interface ResolutionRecord<A extends string = string> {
  action: A;
  operator: string;
  note: string;
  at: string;
}

/** The part of every saga's view the kernel owns. Each saga adds its own fields. */
export interface PaymentView<S extends string = string, A extends string = string> {
  workflowId: string;
  provider: string;
  status: S;
  review?: ReviewInfo<A>;
  /** The last operator resolution applied. */
  resolution?: ResolutionRecord<A>;
  timeline: TimelineEntry<S>[];
}

/** The status every saga parks in; an operator finds it with PaysagaNeedsReview=true. */
export const NEEDS_REVIEW = 'NEEDS_REVIEW';

/**
 * What a provider's answer means for the money, in the engine's words. Each provider maps its
 * own status words to these in `providers/` (and only there); a word it does not know is
 * `unknown`, which parks the payment: never read as failure, never as "not yet".
 */
export const PROVIDER_STATES = ['paid', 'failed', 'pending', 'unknown'] as const;
export type ProviderState = (typeof PROVIDER_STATES)[number];

/** Every saga answers this query with its view. */
export const statusQuery = defineQuery<PaymentView>('status');

/** Every saga's one review Update. Its validator runs before acceptance (see saga-kernel.ts). */
export const resolveReviewUpdate = defineUpdate<PaymentView, [ResolveReviewInput]>('resolveReview');

/**
 * Sent with the start (update-with-start) by a caller that needs the saga's first answer: the
 * transfer's payment instructions, the postpaid bill. Completes once the saga has that answer,
 * or has parked or ended without it.
 */
export const firstAnswerUpdate = defineUpdate<PaymentView, []>('firstAnswer');

/**
 * Review Update names of the sagas released before the kernel. Histories of payments started
 * then carry them, so each saga still answers its old name (same validator, same handling).
 */
export const LEGACY_REVIEW_UPDATES = {
  transfer: 'resolveTransferReview',
  payout: 'resolvePayoutReview',
  ppob: 'resolvePpobReview',
  klinkRefund: 'resolveRefundReview',
  unmatched: 'resolveUnmatched',
} as const;

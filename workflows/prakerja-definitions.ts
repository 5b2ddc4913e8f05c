/**
 * Everything the Prakerja saga shares with its callers: the workflow id rule, the states, and the
 * update / signal / query definitions. Imported by the workflow, the client and the CLI, so a
 * name is written once.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TimelineEntry } from './saga-status';

export const PRAKERJA_WORKFLOW_TYPE = 'prakerjaPaymentWorkflow';

/** One workflow per invoice: a repeated start for the same invoice finds the same payment. */
export function prakerjaWorkflowId(invoiceCode: string): string {
  return `prakerja-${invoiceCode}`;
}

export const PRAKERJA_STATUSES = [
  'AWAITING_OTP',
  'AUTHORIZING',
  'FULFILLING',
  'VOIDING',
  'NEEDS_REVIEW',
  'COMPLETED',
  'VOIDED',
  'FAILED',
  'EXPIRED',
  'CANCELLED',
] as const;
export type PrakerjaStatus = (typeof PRAKERJA_STATUSES)[number];

export const PRAKERJA_FINAL_STATUSES: readonly PrakerjaStatus[] = [
  'COMPLETED',
  'VOIDED',
  'FAILED',
  'EXPIRED',
  'CANCELLED',
];

export interface PrakerjaPaymentInput {
  invoiceCode: string;
  invoiceUrl: string;
  /** From Prakerja's send-OTP step. Secret: travels only inside encrypted payloads. */
  paymentToken: string;
  /** Integer rupiah. */
  amount: number;
  orderId: string;
  /** How long the user has to enter a right OTP. Default 300. */
  otpTimeoutSeconds?: number;
  /** Wrong OTPs allowed before the payment fails. Default 3. */
  maxOtpAttempts?: number;
  fulfilment?: {
    /** Per attempt. Default 30. */
    timeoutSeconds?: number;
    /** Attempts before fulfilment counts as failed for good (and the purchase is voided). Default 5. */
    maxAttempts?: number;
  };
}

export interface ReviewInfo {
  reason: string;
  code?: string;
  providerMessage?: string;
  /** What the operator can do now. */
  actions: ReviewAction[];
}

/** The saga's state as callers and operators see it. No OTP, no payment token. */
export interface PrakerjaPaymentView {
  workflowId: string;
  provider: 'prakerja';
  status: PrakerjaStatus;
  invoiceCode: string;
  orderId: string;
  amount: number;
  otpAttemptsLeft: number;
  otpDeadline: string;
  transactionCode?: string;
  fulfilmentReference?: string;
  review?: ReviewInfo;
  resolution?: { action: ReviewAction; note: string; operator: string; at: string };
  timeline: TimelineEntry<PrakerjaStatus>[];
}

export interface SubmitOtpInput {
  otp: string;
}

export interface SubmitOtpResult {
  accepted: boolean;
  status: PrakerjaStatus;
  /** Why it was not accepted: a wrong OTP can be retried while attemptsLeft > 0. */
  reason?: 'wrong-otp' | 'provider-unavailable' | 'token-rejected' | 'ambiguous' | 'refused';
  attemptsLeft: number;
  transactionCode?: string;
}

export const REVIEW_ACTIONS = ['retry-void', 'mark-completed', 'mark-voided', 'mark-failed'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];

export interface ResolveReviewInput {
  action: ReviewAction;
  /** Required: what the operator checked and why this is right. Kept in the timeline. */
  note: string;
  operator: string;
}

export const submitOtpUpdate = defineUpdate<SubmitOtpResult, [SubmitOtpInput]>('submitOtp');
export const resolveReviewUpdate = defineUpdate<PrakerjaPaymentView, [ResolveReviewInput]>('resolveReview');
export const cancelSignal = defineSignal<[{ reason: string }]>('cancel');
export const statusQuery = defineQuery<PrakerjaPaymentView>('status');

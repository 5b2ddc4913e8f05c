/**
 * The PPOB purchase saga's shared definitions: workflow id rule, states, signals, updates,
 * query. Imported by the workflow, the client, the gateway and the CLI.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TimelineEntry } from './saga-status';

export const PPOB_WORKFLOW_TYPE = 'ppobPurchaseWorkflow';

/** One purchase per order: a repeated start for the same order finds the same purchase. */
export function ppobWorkflowId(orderId: string): string {
  return `ppob-${orderId}`;
}

export const PPOB_STATUSES = [
  'FUNDING',
  'INQUIRING',
  'AWAITING_CONFIRMATION',
  'SUBMITTING',
  'WAITING_FINAL',
  'REFUNDING',
  'NEEDS_REVIEW',
  'SUCCEEDED',
  'FAILED',
  'REFUNDED',
  'CANCELLED',
] as const;
export type PpobStatus = (typeof PPOB_STATUSES)[number];

export interface PpobPurchaseInput {
  orderId: string;
  kind: 'prepaid' | 'postpaid';
  /** Product code: e.g. S10, PLN20 (prepaid) or INQPLN (postpaid inquiry). */
  productCode: string;
  /** Phone number, meter number or customer number. */
  destination: string;
  /**
   * The provider's refids, derived once from the order by the client (providers/ppob/refid.ts)
   * and kept: every re-send uses the same one, so the provider never buys twice.
   */
  refid: number;
  inquiryRefid?: number;
  /** Take the money from a K-Wallet member first (and give it back if the purchase fails). */
  funding?: { idMember: string; amount: number };
  /** Postpaid: how long the caller has to confirm the bill. Default 900. */
  confirmTimeoutSeconds?: number;
  /** How long to wait for a final status before asking a person. Default 1800. */
  finalDeadlineSeconds?: number;
  /** First poll interval in seconds (doubles up to 60). Default 5. */
  pollSeconds?: number;
}

export interface PpobBill {
  inqId: string;
  amount: number;
  customerName?: string;
}

export const PPOB_REVIEW_ACTIONS = ['recheck', 'mark-failed', 'mark-succeeded', 'mark-resolved'] as const;
export type PpobReviewAction = (typeof PPOB_REVIEW_ACTIONS)[number];

export interface PpobPurchaseView {
  workflowId: string;
  provider: 'ppob';
  status: PpobStatus;
  orderId: string;
  kind: 'prepaid' | 'postpaid';
  productCode: string;
  destination: string;
  refid: number;
  bill?: PpobBill;
  /** The provider's last answer for our refid. */
  providerStatus?: string;
  trxId?: string;
  /** Serial number / token: the proof of delivery. */
  sn?: string;
  funded?: { idMember: string; amount: number; fundingOrderId: string };
  refundWorkflowId?: string;
  callbacksSeen: number;
  review?: { reason: string; actions: PpobReviewAction[] };
  timeline: TimelineEntry<PpobStatus>[];
}

/** What the gateway heard from the provider's (unsigned) callback: a hint, confirmed before use. */
export interface PpobCallbackSignal {
  status: string;
  sn?: string;
  receivedAt: string;
}

export interface ResolvePpobReviewInput {
  action: PpobReviewAction;
  operator: string;
  note: string;
  /** For mark-succeeded: the serial number the operator confirmed with the provider. */
  sn?: string;
}

export const ppobCallbackSignal = defineSignal<[PpobCallbackSignal]>('ppobCallback');
export const confirmBillUpdate = defineUpdate<PpobPurchaseView, [{ accept: boolean; operator?: string }]>(
  'confirmBill',
);
export const resolvePpobReviewUpdate = defineUpdate<PpobPurchaseView, [ResolvePpobReviewInput]>(
  'resolvePpobReview',
);
export const ppobStatusQuery = defineQuery<PpobPurchaseView>('status');

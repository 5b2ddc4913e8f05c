/** The AliKassa payout saga's shared definitions. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TimelineEntry } from './saga-status';

export const PAYOUT_WORKFLOW_TYPE = 'alikassaPayoutWorkflow';

/** One payout per order id: AliKassa keeps order_id unique, and so does the engine. */
export function payoutWorkflowId(orderId: string): string {
  return `payout-${orderId}`;
}

export const PAYOUT_STATUSES = [
  'CREATING',
  'CONFIRMING',
  'PROCESSING',
  'NEEDS_REVIEW',
  'PAID_OUT',
  'FAILED',
] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export interface PayoutWorkflowInput {
  orderId: string;
  /** Integer rupiah. */
  amount: number;
  /** payment_card_idr bank code (AliKassa's table). */
  bankCode: string;
  accountNumber: string;
  firstName: string;
  lastName: string;
  /** Where AliKassa should notify; set by the worker's configuration when absent. */
  notificationUrl?: string;
  /** How long to wait for a final status before asking a person. Default 86400. */
  finalDeadlineSeconds?: number;
  /** First status poll in seconds (doubles to 5 minutes). Default 10. */
  pollSeconds?: number;
}

export const PAYOUT_REVIEW_ACTIONS = ['recheck', 'mark-paid-out', 'mark-failed'] as const;
export type PayoutReviewAction = (typeof PAYOUT_REVIEW_ACTIONS)[number];

export interface PayoutView {
  workflowId: string;
  provider: 'alikassa';
  status: PayoutStatus;
  orderId: string;
  amount: number;
  bankCode: string;
  /** Only the last 4 digits: an account number is personal data. */
  accountLast4: string;
  providerId?: string;
  providerStatus?: string;
  review?: { reason: string; actions: PayoutReviewAction[] };
  timeline: TimelineEntry<PayoutStatus>[];
}

export interface PayoutNotification {
  reference: string;
  status: string;
  receivedAt: string;
}

export const payoutNotificationSignal = defineSignal<[PayoutNotification]>('payoutNotification');
export const resolvePayoutReviewUpdate = defineUpdate<
  PayoutView,
  [{ action: PayoutReviewAction; operator: string; note: string }]
>('resolvePayoutReview');
export const payoutStatusQuery = defineQuery<PayoutView>('status');

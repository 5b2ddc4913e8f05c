/** The AliKassa payout saga's shared definitions. */
import { defineSignal } from '@temporalio/workflow';
import type { AliKassaActivities } from '../activities/alikassa';
import type { PaymentView } from './saga-definitions';
import type { ActivityTable } from './saga-kernel';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

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

export const PAYOUT_FINAL_STATUSES: readonly PayoutStatus[] = ['PAID_OUT', 'FAILED'];

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

export interface PayoutView extends PaymentView<PayoutStatus, PayoutReviewAction> {
  provider: 'alikassa';
  orderId: string;
  amount: number;
  bankCode: string;
  /** Only the last 4 digits: an account number is personal data. */
  accountLast4: string;
  providerId?: string;
  /** AliKassa's own word for the payout, for people. */
  providerStatus?: string;
}

/**
 * Every activity the saga calls, with its options (the kernel proxies exactly these).
 * The create is retried only for failures that certainly never reached AliKassa (the activity
 * returns every other outcome as a value, see activities/alikassa.ts). Status reads move nothing:
 * retried patiently.
 */
export const PAYOUT_ACTIVITIES = {
  alikassaCreatePayout: {
    startToCloseTimeout: '60 seconds',
    retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
  },
  alikassaPayoutStatus: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
} as const satisfies ActivityTable<AliKassaActivities>;

export interface PayoutNotification {
  reference: string;
  status: string;
  receivedAt: string;
}

export const payoutNotificationSignal = defineSignal<[PayoutNotification]>('payoutNotification');

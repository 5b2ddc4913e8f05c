/**
 * The PPOB purchase saga's shared definitions: workflow id rule, states, review actions,
 * activity table, the callback signal and the bill confirmation Update. Imported by the
 * workflow, the client, the gateway and the CLI. Status and review are the kernel's
 * (saga-definitions.ts).
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { KLinkActivities } from '../activities/klink';
import type { PpobActivities } from '../activities/ppob';
import type { PaymentView } from './saga-definitions';
import type { ActivityTable } from './saga-kernel';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

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

export const PPOB_FINAL_STATUSES: readonly PpobStatus[] = ['SUCCEEDED', 'FAILED', 'REFUNDED', 'CANCELLED'];

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
  /**
   * Take the money from a K-Wallet member first (and give it back if the purchase fails).
   * Prepaid: `amount` (the edge requires it). Postpaid: the bill; `amount` is absent or unused.
   */
  funding?: { idMember: string; amount?: number };
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

/**
 * Every activity the saga calls, with its options (the kernel proxies exactly these). Re-sending
 * a refid is safe by the provider's own rule, so an unclear submit is retried as it was; K-Wallet
 * pay carries an id_order K-Link keeps unique, and an unclear pay is settled by reconcile.
 */
export const PPOB_ACTIVITIES = {
  ppobSubmit: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
  ppobInquiry: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
  klinkPay: { startToCloseTimeout: '60 seconds', retry: SAFE_TO_REPEAT_RETRY },
  klinkReconcilePay: { startToCloseTimeout: '60 seconds', retry: SAFE_TO_REPEAT_RETRY },
} as const satisfies ActivityTable<PpobActivities & KLinkActivities>;

export interface PpobPurchaseView extends PaymentView<PpobStatus, PpobReviewAction> {
  provider: 'ppob';
  orderId: string;
  kind: 'prepaid' | 'postpaid';
  productCode: string;
  destination: string;
  refid: number;
  bill?: PpobBill;
  /** The provider's last word for our refid (the saga decides on its state, not on the word). */
  providerStatus?: string;
  trxId?: string;
  /** Serial number / token: the proof of delivery. */
  sn?: string;
  funded?: { idMember: string; amount: number; fundingOrderId: string };
  refundWorkflowId?: string;
  callbacksSeen: number;
}

/** What the gateway heard from the provider's (unsigned) callback: a hint, confirmed before use. */
export interface PpobCallbackSignal {
  status: string;
  sn?: string;
  receivedAt: string;
}

export const ppobCallbackSignal = defineSignal<[PpobCallbackSignal]>('ppobCallback');
export const confirmBillUpdate = defineUpdate<PpobPurchaseView, [{ accept: boolean; operator?: string }]>(
  'confirmBill',
);

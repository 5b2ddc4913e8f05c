/**
 * The pay-by-transfer saga's shared definitions: the customer pays outside our reach (VA,
 * manual transfer, card page, GoPay, AliKassa page) and the only news is a verified webhook.
 */
import { defineSignal } from '@temporalio/workflow';
import type { AliKassaActivities } from '../activities/alikassa';
import type { TransferActivities } from '../activities/transfer';
import type { PaymentView, ProviderState } from './saga-definitions';
import type { ActivityTable } from './saga-kernel';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

export const TRANSFER_WORKFLOW_TYPE = 'payByTransferWorkflow';

/** One payment per order, whatever the method: a repeated start finds the same payment. */
export function transferWorkflowId(orderId: string): string {
  return `transfer-${orderId}`;
}

export const TRANSFER_METHODS = [
  'klink-va',
  'klink-manual',
  'klink-card',
  'klink-gopay',
  'alikassa',
] as const;
export type TransferMethod = (typeof TRANSFER_METHODS)[number];

export const TRANSFER_STATUSES = [
  'CREATING',
  'AWAITING_PAYMENT',
  'NEEDS_REVIEW',
  'PAID',
  'EXPIRED',
  'FAILED',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export const TRANSFER_FINAL_STATUSES: readonly TransferStatus[] = ['PAID', 'EXPIRED', 'FAILED'];

export interface TransferInput {
  orderId: string;
  method: TransferMethod;
  /** Integer rupiah: the price; shipping apart. */
  amount: number;
  payShip?: number;
  customer: { fullname: string; phone: string; email: string; ip?: string };
  /** K-Link: bankCode / productCode from list_bank (or list_bank_midtrans for GoPay). */
  bankCode?: string;
  productCode?: string;
  /** AliKassa: service and customer_code from its tables. */
  service?: string;
  customerCode?: string;
  /** How long the customer has to pay. Default 3600. */
  expirySeconds?: number;
}

/** What the backend shows the payer. */
export interface TransferInstructions {
  /** Exactly what must arrive (for a manual transfer: the price + shipping + kode_unik). */
  amountToPay: number;
  vaNumber?: string;
  norek?: string;
  kdPay?: string;
  kodeUnik?: number;
  /** Card page, AliKassa page. */
  redirectUrl?: string;
  qrUrl?: string;
  deeplinkUrl?: string;
  providerReference?: string;
  expiresAt: string;
}

/** A webhook the gateway verified (signature on the raw bytes) before signalling. */
export interface TransferWebhook {
  provider: 'klink' | 'alikassa';
  orderId: string;
  /** The provider's id for this notification: repeats carry the same one. */
  reference: string;
  status: string;
  /** Kept for signals sent before `state`: true when the word was the provider's paid word. */
  success: boolean;
  /**
   * What the provider's word means, read in providers/ (undefined in signals sent before it
   * existed). `unknown` parks the payment: a word nobody knows may mean paid.
   */
  state?: ProviderState;
  /** Integer rupiah the provider says arrived, when it says. */
  amount?: number;
  receivedAt: string;
}

export const TRANSFER_REVIEW_ACTIONS = ['mark-paid', 'mark-not-paid'] as const;
export type TransferReviewAction = (typeof TRANSFER_REVIEW_ACTIONS)[number];

export interface TransferView extends PaymentView<TransferStatus, TransferReviewAction> {
  provider: 'klink' | 'alikassa';
  method: TransferMethod;
  orderId: string;
  amount: number;
  instructions?: TransferInstructions;
  paidAmount?: number;
  paidReference?: string;
  webhooks: TransferWebhook[];
}

/**
 * Every activity the saga calls, with its options (the kernel proxies exactly these).
 * A create is safe to retry (the order id is unique at the provider, see activities/transfer.ts);
 * status reads and the GoPay cancel move nothing more when repeated: retried patiently.
 */
export const TRANSFER_ACTIVITIES = {
  transferCreate: {
    startToCloseTimeout: '60 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 8,
    },
  },
  alikassaPaymentStatus: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
  gopayStatus: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
  gopayCancel: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
} as const satisfies ActivityTable<TransferActivities & AliKassaActivities>;

export const transferWebhookSignal = defineSignal<[TransferWebhook]>('transferWebhook');

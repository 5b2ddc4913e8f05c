/** The K-Wallet transfer saga's shared definitions (transfer_to_account, K-Link document 1.e). */
import type { KLinkActivities, Movement } from '../activities/klink';
import type { PaymentView } from './saga-definitions';
import type { ActivityTable } from './saga-kernel';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

export const KWALLET_TRANSFER_WORKFLOW_TYPE = 'kwalletTransferWorkflow';

/** One transfer per caller's transfer id: a repeated start finds the same transfer, never a second one. */
export function kwalletTransferWorkflowId(transferId: string): string {
  return `kwallet-transfer-${transferId}`;
}

/**
 * What the saga writes into the description it sends, so the member's history can show the
 * transfer as ours (a history row has no other field to carry it).
 */
export function kwalletTransferReference(transferId: string): string {
  return `paysaga:${transferId}`;
}

export const KWALLET_TRANSFER_STATUSES = [
  'SENDING',
  'CONFIRMING',
  'NEEDS_REVIEW',
  'TRANSFERRED',
  'FAILED',
] as const;
export type KWalletTransferStatus = (typeof KWALLET_TRANSFER_STATUSES)[number];

export const KWALLET_TRANSFER_FINAL_STATUSES: readonly KWalletTransferStatus[] = ['TRANSFERRED', 'FAILED'];

export const KWALLET_TRANSFER_REVIEW_ACTIONS = ['recheck', 'mark-transferred', 'mark-failed'] as const;
export type KWalletTransferReviewAction = (typeof KWALLET_TRANSFER_REVIEW_ACTIONS)[number];

export interface KWalletTransferInput {
  /** The caller's id for this transfer; the workflow id and the history reference derive from it. */
  transferId: string;
  idMemberSend: string;
  idMemberReceipt: string;
  /** Integer rupiah. */
  amount: number;
  description: string;
  /**
   * Seconds to wait before each history look after an unclear answer (K-Link may write its
   * history late). Default [2, 10, 30].
   */
  confirmDelaysSeconds?: number[];
}

export interface KWalletTransferView extends PaymentView<KWalletTransferStatus, KWalletTransferReviewAction> {
  provider: 'klink';
  transferId: string;
  idMemberSend: string;
  idMemberReceipt: string;
  amount: number;
  /** The text sent as the transfer's description (the caller's, with the reference). */
  description: string;
  reference: string;
  /** How TRANSFERRED or FAILED was known. */
  settledBy?: 'answer' | 'history' | 'operator';
  /** The sender's history row that confirmed it. */
  movement?: Movement;
  /** History rows that could be the transfer, for the person deciding. */
  candidates?: Movement[];
}

/**
 * Every activity the saga calls. The transfer has no idempotency key, so Temporal never retries
 * it (maximumAttempts 1): a send that times out or dies with its worker may have moved money, and
 * the kernel parks it for a recheck by history. The saga itself sends again only after the
 * activity said `not-sent` (the request certainly never reached K-Link). History reads move
 * nothing: retried patiently.
 */
export const KWALLET_TRANSFER_ACTIVITIES = {
  klinkTransfer: { startToCloseTimeout: '60 seconds', retry: { maximumAttempts: 1 } },
  klinkFindTransfer: { startToCloseTimeout: '60 seconds', retry: SAFE_TO_REPEAT_RETRY },
} as const satisfies ActivityTable<KLinkActivities>;

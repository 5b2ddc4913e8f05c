/**
 * The K-Link escrow refund saga's shared definitions: workflow id rule, states, review actions,
 * activity table, and its own confirm / reject Updates. Imported by the workflow, the client and
 * the CLI. Status and review are the kernel's (saga-definitions.ts).
 */
import { defineUpdate } from '@temporalio/workflow';
import type { KLinkActivities } from '../activities/klink';
import type { PaymentView } from './saga-definitions';
import type { ActivityTable } from './saga-kernel';

export const KLINK_REFUND_WORKFLOW_TYPE = 'klinkEscrowRefundWorkflow';

/** One refund per order: asking twice for the same order finds the same refund. */
export function klinkRefundWorkflowId(idOrder: string): string {
  return `klink-refund-${idOrder}`;
}

export const KLINK_REFUND_STATUSES = [
  'REQUESTING',
  'AWAITING_CONFIRMATION',
  'ACCEPTING',
  'NEEDS_REVIEW',
  'REFUNDED',
  'NOT_REFUNDED',
] as const;
export type KLinkRefundStatus = (typeof KLINK_REFUND_STATUSES)[number];

export const KLINK_REFUND_FINAL_STATUSES: readonly KLinkRefundStatus[] = ['REFUNDED', 'NOT_REFUNDED'];

export interface KLinkRefundInput {
  idOrder: string;
  idMember: string;
  /** Integer rupiah the caller expects back: the provider's data must show exactly this. */
  expectedAmount: number;
  /** Why the money goes back; sent to K-Link as the refund-accept note. */
  note: string;
  /** How long an operator has to confirm data that did not match. Default 86400 (a day). */
  confirmTimeoutSeconds?: number;
}

/** One transaction K-Link proposes to refund (its refund call's `data`). */
export interface RefundCandidate {
  idTrans: number;
  idOrder: string;
  idMember: string;
  amount: number;
  description: string;
  datetime: string;
}

export const KLINK_REFUND_REVIEW_ACTIONS = ['retry', 'mark-refunded', 'mark-not-refunded'] as const;
export type KLinkRefundReviewAction = (typeof KLINK_REFUND_REVIEW_ACTIONS)[number];

/**
 * Every activity the saga calls, with its options (the kernel proxies exactly these). Both calls
 * are safe to repeat: asking moves no money, and a repeated accept answers "refund existing".
 * So every uncertain outcome is retried, for about a quarter of an hour, before a person is asked.
 */
const REFUND_CALL = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
} as const;
export const KLINK_REFUND_ACTIVITIES = {
  klinkEscrowRefundRequest: REFUND_CALL,
  klinkRefundAccept: REFUND_CALL,
} as const satisfies ActivityTable<KLinkActivities>;

export interface KLinkRefundView extends PaymentView<KLinkRefundStatus, KLinkRefundReviewAction> {
  provider: 'klink';
  idOrder: string;
  idMember: string;
  expectedAmount: number;
  /** What K-Link proposed to refund: shown to the operator deciding. */
  candidates: RefundCandidate[];
  /** Why the data did not match, when it did not. */
  mismatch?: string;
  confirmDeadline?: string;
  acceptedIdTrans?: number;
  /** The last confirm, reject or review resolution: who decided, and why. */
  decision?: { by: string; note: string; at: string; decision: string };
}

export interface ConfirmRefundInput {
  /** The K-Link transaction the operator agrees to refund. */
  idTrans: number;
  operator: string;
  note: string;
}

export interface RejectRefundInput {
  operator: string;
  note: string;
}

export const confirmRefundUpdate = defineUpdate<KLinkRefundView, [ConfirmRefundInput]>('confirmRefund');
export const rejectRefundUpdate = defineUpdate<KLinkRefundView, [RejectRefundInput]>('rejectRefund');

/**
 * The K-Link escrow refund saga's shared definitions: workflow id rule, states, updates,
 * query. Imported by the workflow, the client and the CLI.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { TimelineEntry } from './saga-status';

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

export const REFUND_REVIEW_ACTIONS = ['retry', 'mark-refunded', 'mark-not-refunded'] as const;
export type RefundReviewAction = (typeof REFUND_REVIEW_ACTIONS)[number];

export interface KLinkRefundView {
  workflowId: string;
  provider: 'klink';
  status: KLinkRefundStatus;
  idOrder: string;
  idMember: string;
  expectedAmount: number;
  /** What K-Link proposed to refund: shown to the operator deciding. */
  candidates: RefundCandidate[];
  /** Why the data did not match, when it did not. */
  mismatch?: string;
  confirmDeadline?: string;
  acceptedIdTrans?: number;
  review?: { reason: string; actions: RefundReviewAction[] };
  decision?: { by: string; note: string; at: string; decision: string };
  timeline: TimelineEntry<KLinkRefundStatus>[];
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

export interface ResolveRefundReviewInput {
  action: RefundReviewAction;
  operator: string;
  note: string;
}

export const confirmRefundUpdate = defineUpdate<KLinkRefundView, [ConfirmRefundInput]>('confirmRefund');
export const rejectRefundUpdate = defineUpdate<KLinkRefundView, [RejectRefundInput]>('rejectRefund');
export const resolveRefundReviewUpdate = defineUpdate<KLinkRefundView, [ResolveRefundReviewInput]>(
  'resolveRefundReview',
);
// The same query name as every saga's, so `paysaga status` reads any payment.
export const refundStatusQuery = defineQuery<KLinkRefundView>('status');

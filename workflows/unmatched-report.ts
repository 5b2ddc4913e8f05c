/**
 * A provider report the engine could not hand to a running saga: a PPOB callback for an unknown
 * refid, a transfer webhook for an order the engine never created, or a late report for a payment
 * that already ended (a Success after the saga gave up, a transfer after expiry). It is never
 * dropped: this workflow keeps every such report for its key in NEEDS_REVIEW, with the money it
 * speaks of, until an operator records what was done about it.
 */
import { defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import { LEGACY_REVIEW_UPDATES, type PaymentView, type ResolveReviewInput } from './saga-definitions';
import { startSaga } from './saga-kernel';

export const UNMATCHED_REPORT_WORKFLOW_TYPE = 'unmatchedReportWorkflow';

/** One workflow per provider and key (refid, order id): repeats of a report land together. */
export function unmatchedReportWorkflowId(provider: string, key: string): string {
  return provider === 'ppob' ? `ppob-callback-${key}` : `unmatched-${provider}-${key}`;
}

export interface UnmatchedReport {
  provider: string;
  /** The provider's key for the payment: PPOB refid, transfer order id. */
  key: string;
  status: string;
  /** Integer rupiah the report says moved, when it says. */
  amount?: number;
  sn?: string;
  /** The provider's id of this report (dedupe): rq_uuid, id_trans, AliKassa id. */
  reference?: string;
  code?: string;
  destination?: string;
  receivedAt: string;
  /** The saga this key belongs to, when the engine knows it (it had already ended). */
  relatedWorkflowId?: string;
}

export const UNMATCHED_STATUSES = ['NEEDS_REVIEW', 'RESOLVED'] as const;
export type UnmatchedStatus = (typeof UNMATCHED_STATUSES)[number];
export const UNMATCHED_FINAL_STATUSES: readonly UnmatchedStatus[] = ['RESOLVED'];
/** The operator records what was done about the money (refunded, credited, ...) in the note. */
export const UNMATCHED_REVIEW_ACTIONS = ['mark-resolved'] as const;
export type UnmatchedReviewAction = (typeof UNMATCHED_REVIEW_ACTIONS)[number];

export interface UnmatchedReportView extends PaymentView<UnmatchedStatus, UnmatchedReviewAction> {
  key: string;
  relatedWorkflowId?: string;
  reports: UnmatchedReport[];
}

export const unmatchedReportSignal = defineSignal<[UnmatchedReport]>('unmatchedReport');

/** Started by the gateway with signal-with-start: `meta` names the key, each signal carries a report. */
export async function unmatchedReportWorkflow(meta: {
  provider: string;
  key: string;
  relatedWorkflowId?: string;
}): Promise<UnmatchedReportView> {
  const view: UnmatchedReportView = {
    workflowId: workflowInfo().workflowId,
    provider: meta.provider,
    status: 'NEEDS_REVIEW',
    key: meta.key,
    relatedWorkflowId: meta.relatedWorkflowId,
    reports: [],
    timeline: [],
  };
  const saga = startSaga<UnmatchedStatus, UnmatchedReviewAction, UnmatchedReportView>({
    view,
    finalStatuses: UNMATCHED_FINAL_STATUSES,
    unplannedActions: () => ['mark-resolved'],
    applyResolution: async ({ operator, note }) => {
      saga.setStatus('RESOLVED', `resolved by ${operator}: ${note}`);
    },
    // Before the kernel, the Update was resolveUnmatched({operator, note}): it meant mark-resolved.
    legacyReviewUpdate: {
      name: LEGACY_REVIEW_UPDATES.unmatched,
      toInput: (arg) =>
        ({ ...(arg as object), action: 'mark-resolved' }) as ResolveReviewInput<'mark-resolved'>,
    },
  });
  setHandler(unmatchedReportSignal, (r) => {
    // The same report delivered twice is kept once.
    if (r.reference && view.reports.some((seen) => seen.reference === r.reference)) return;
    view.reports.push(r);
    view.relatedWorkflowId ??= r.relatedWorkflowId;
    saga.note(
      `report ${r.status}${r.amount !== undefined ? ` amount ${r.amount}` : ''}${r.sn ? ` sn ${r.sn}` : ''}`,
    );
  });
  saga.tag(meta.provider, meta.key, 0);
  saga.park(
    meta.relatedWorkflowId
      ? `report for ${meta.relatedWorkflowId}, which had already ended: check what the provider did with the money`
      : `report for ${meta.key}, which no payment of this engine carries`,
    ['mark-resolved'],
  );
  return saga.run(async () => {});
}

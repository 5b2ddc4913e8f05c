/**
 * A provider report the engine could not hand to a running saga: a PPOB callback for an unknown
 * refid, a transfer webhook for an order the engine never created, or a late report for a payment
 * that already ended (a Success after the saga gave up, a transfer after expiry). It is never
 * dropped: this workflow keeps every such report for its key in NEEDS_REVIEW, with the money it
 * speaks of, until an operator records what was done about it.
 */
import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { recordStatus, tagPayment, type TimelineEntry } from './saga-status';

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

export interface UnmatchedReportView {
  workflowId: string;
  provider: string;
  status: 'NEEDS_REVIEW' | 'RESOLVED';
  key: string;
  relatedWorkflowId?: string;
  reports: UnmatchedReport[];
  resolution?: { operator: string; note: string; at: string };
  timeline: TimelineEntry<'NEEDS_REVIEW' | 'RESOLVED'>[];
}

export const unmatchedReportSignal = defineSignal<[UnmatchedReport]>('unmatchedReport');
export const resolveUnmatchedUpdate = defineUpdate<UnmatchedReportView, [{ operator: string; note: string }]>(
  'resolveUnmatched',
);
export const unmatchedStatusQuery = defineQuery<UnmatchedReportView>('status');

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
  let resolution: { operator: string; note: string } | undefined;
  setHandler(unmatchedStatusQuery, () => view);
  setHandler(unmatchedReportSignal, (r) => {
    // The same report delivered twice is kept once.
    if (r.reference && view.reports.some((seen) => seen.reference === r.reference)) return;
    view.reports.push(r);
    view.relatedWorkflowId ??= r.relatedWorkflowId;
    view.timeline.push({
      at: r.receivedAt,
      status: view.status,
      note: `report ${r.status}${r.amount !== undefined ? ` amount ${r.amount}` : ''}${r.sn ? ` sn ${r.sn}` : ''}`,
    });
  });
  setHandler(
    resolveUnmatchedUpdate,
    async (r) => {
      resolution = r;
      await condition(() => view.status === 'RESOLVED');
      return view;
    },
    {
      validator: (arg) => {
        if (typeof arg?.operator !== 'string' || !arg.operator.trim())
          throw new Error('operator is required');
        if (typeof arg.note !== 'string' || arg.note.trim().length < 5)
          throw new Error('a note (what was done) is required');
      },
    },
  );
  tagPayment(meta.provider, meta.key, 0);
  recordStatus(
    view,
    'NEEDS_REVIEW',
    meta.relatedWorkflowId
      ? `report for ${meta.relatedWorkflowId}, which had already ended: check what the provider did with the money`
      : `report for ${meta.key}, which no payment of this engine carries`,
    true,
  );
  await condition(() => resolution !== undefined);
  view.resolution = { ...resolution!, at: new Date(Date.now()).toISOString() };
  recordStatus(view, 'RESOLVED', `resolved by ${resolution!.operator}: ${resolution!.note}`, false);
  return view;
}

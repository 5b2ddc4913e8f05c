/**
 * A PPOB callback the engine could not hand to a running purchase: an unknown refid, or a late
 * report for a purchase that already ended (a Success after the saga gave up, say). It is never
 * dropped: this workflow keeps every such callback for its refid, in NEEDS_REVIEW, until an
 * operator records what was done about it.
 */
import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { recordStatus, tagPayment } from './saga-status';
import type { TimelineEntry } from './saga-status';

export interface OrphanCallback {
  refid: string;
  status: string;
  sn?: string;
  code?: string;
  destination?: string;
  receivedAt: string;
  /** The purchase this refid belongs to, when the engine knows it (it had already ended). */
  purchaseWorkflowId?: string;
}

export interface OrphanCallbackView {
  workflowId: string;
  provider: 'ppob';
  status: 'NEEDS_REVIEW' | 'RESOLVED';
  refid: string;
  purchaseWorkflowId?: string;
  callbacks: OrphanCallback[];
  resolution?: { operator: string; note: string; at: string };
  timeline: TimelineEntry<'NEEDS_REVIEW' | 'RESOLVED'>[];
}

export const orphanCallbackSignal = defineSignal<[OrphanCallback]>('orphanCallback');
export const resolveOrphanUpdate = defineUpdate<OrphanCallbackView, [{ operator: string; note: string }]>(
  'resolveOrphan',
);
export const orphanStatusQuery = defineQuery<OrphanCallbackView>('status');

/** Started by the gateway with signal-with-start: `meta` names the refid, the signal carries each callback. */
export async function ppobOrphanCallbackWorkflow(meta: {
  refid: string;
  purchaseWorkflowId?: string;
}): Promise<OrphanCallbackView> {
  const view: OrphanCallbackView = {
    workflowId: workflowInfo().workflowId,
    provider: 'ppob',
    status: 'NEEDS_REVIEW',
    refid: meta.refid,
    purchaseWorkflowId: meta.purchaseWorkflowId,
    callbacks: [],
    timeline: [],
  };
  let resolution: { operator: string; note: string } | undefined;
  setHandler(orphanStatusQuery, () => view);
  setHandler(orphanCallbackSignal, (cb) => {
    view.callbacks.push(cb);
    view.purchaseWorkflowId ??= cb.purchaseWorkflowId;
    view.timeline.push({
      at: cb.receivedAt,
      status: view.status,
      note: `callback ${cb.status}${cb.sn ? ` sn ${cb.sn}` : ''}`,
    });
  });
  setHandler(
    resolveOrphanUpdate,
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
  tagPayment('ppob', view.purchaseWorkflowId ?? `unknown-refid-${view.refid}`, 0);
  recordStatus(
    view,
    'NEEDS_REVIEW',
    view.purchaseWorkflowId
      ? `callback for ${view.purchaseWorkflowId}, which had already ended: check whether the provider delivered`
      : `callback for refid ${view.refid}, which no purchase of this engine carries`,
    true,
  );
  await condition(() => resolution !== undefined);
  view.resolution = { ...resolution!, at: new Date(Date.now()).toISOString() };
  recordStatus(view, 'RESOLVED', `resolved by ${resolution!.operator}: ${resolution!.note}`, false);
  return view;
}

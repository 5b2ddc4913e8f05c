/**
 * What every saga does at each state change: remember it in its timeline (for the status query)
 * and in the search attributes (for the Web UI and `paysaga list`), before it waits again.
 * Workflow code: deterministic, Temporal APIs only.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { SA_AMOUNT, SA_NEEDS_REVIEW, SA_ORDER_ID, SA_PROVIDER, SA_STATUS } from './search-attributes';

export interface TimelineEntry<S extends string = string> {
  at: string;
  status: S;
  note: string;
}

export interface SagaView<S extends string> {
  status: S;
  timeline: TimelineEntry<S>[];
}

/** Sets the search attributes that never change during a payment. */
export function tagPayment(provider: string, orderId: string, amount: number): void {
  upsertSearchAttributes([
    { key: SA_PROVIDER, value: provider },
    { key: SA_ORDER_ID, value: orderId },
    { key: SA_AMOUNT, value: amount },
  ]);
}

/** Moves the saga to `status`: timeline entry, then PaysagaStatus and PaysagaNeedsReview. */
export function recordStatus<S extends string>(
  view: SagaView<S>,
  status: S,
  note: string,
  needsReview: boolean,
): void {
  view.status = status;
  view.timeline.push({ at: new Date(Date.now()).toISOString(), status, note });
  upsertSearchAttributes([
    { key: SA_STATUS, value: status },
    { key: SA_NEEDS_REVIEW, value: needsReview },
  ]);
}

/**
 * The validator every saga's "resolve review" Update shares: the saga must be in NEEDS_REVIEW,
 * the action one it offers, and the operator must say who they are and what they checked.
 * Runs before the Update is accepted, so a refused resolution never reaches history.
 */
export function validateReviewResolution(
  what: string,
  view: { workflowId: string; status: string; review?: { actions: readonly string[] } },
  arg: { action?: unknown; operator?: unknown; note?: unknown } | undefined,
): void {
  if (view.status !== 'NEEDS_REVIEW')
    throw new Error(`${what} ${view.workflowId} is ${view.status}, not in review`);
  if (!view.review?.actions.includes(String(arg?.action)))
    throw new Error(`action must be one of: ${view.review?.actions.join(', ')}`);
  if (typeof arg?.operator !== 'string' || !arg.operator.trim()) throw new Error('operator is required');
  if (typeof arg.note !== 'string' || arg.note.trim().length < 5)
    throw new Error('a note (what was checked) is required');
}

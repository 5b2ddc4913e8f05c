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

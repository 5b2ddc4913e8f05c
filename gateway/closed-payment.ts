/**
 * What the gateway can learn about a payment before it files a report for an operator: absent,
 * still running, or closed, and then the saga's final view.
 *
 * Why the final view comes from the run's close event (see docs/architecture.md, "Replays after
 * a payment closed"): every saga returns its view, and Temporal keeps that result in the run's
 * close event. Reading it is one history call filtered to that event: the same cost however long
 * the history, no worker involved (a query on a closed run would replay the whole history on a
 * worker, and fail while the workers are down), strongly consistent (history, not visibility),
 * and no workflow change. The gateway decodes it with the same data converter it signals with.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { PaysagaClient } from '../client/paysaga-client';
import type { PaymentView } from '../workflows/saga-definitions';

export type PaymentLook<V extends PaymentView> =
  | { state: 'absent' }
  | { state: 'running' }
  /** `finalView` is absent for a run that did not complete (terminated, failed, timed out). */
  | { state: 'closed'; finalView?: V };

/**
 * Final views of completed payments, kept a while. A provider retrying or replaying a webhook for
 * a payment that ended asks about the same run again and again (the bench measured two Temporal
 * calls per replay, most of its cost), and a completed run's result never changes. Kept for
 * minutes, not for ever: once Temporal's retention has deleted the run, its id could name a new
 * one. Bounded: the oldest entry leaves first.
 */
export class ClosedViewCache {
  private readonly entries = new Map<string, { at: number; view: PaymentView }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get<V extends PaymentView>(workflowId: string): V | undefined {
    const entry = this.entries.get(workflowId);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(workflowId);
      return undefined;
    }
    return entry.view as V;
  }

  set(workflowId: string, view: PaymentView): void {
    this.entries.delete(workflowId);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(workflowId, { at: this.now(), view });
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Throws only when Temporal cannot be asked (the caller answers 503 and the provider retries).
 * With a cache, a completed payment's final view is read from Temporal once per cache lifetime.
 */
export async function lookUpPayment<V extends PaymentView>(
  client: PaysagaClient,
  workflowId: string,
  cache?: ClosedViewCache,
): Promise<PaymentLook<V>> {
  const cached = cache?.get<V>(workflowId);
  if (cached) return { state: 'closed', finalView: cached };
  let described;
  try {
    described = await client.temporal.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'absent' };
    throw err;
  }
  if (described.status.name === 'RUNNING') return { state: 'running' };
  // A terminated or failed run has no final view: its reports go to an operator, as before.
  if (described.status.name !== 'COMPLETED') return { state: 'closed' };
  // The run is closed, so result() reads its close event at once and never waits. A result that
  // cannot be read (a codec key retired since) counts as no view: the report is kept, not lost.
  const finalView = await client.temporal.workflow
    .getHandle(workflowId, described.runId)
    .result()
    .then((v) => v as V)
    .catch(() => undefined);
  if (finalView) cache?.set(workflowId, finalView);
  return { state: 'closed', finalView };
}

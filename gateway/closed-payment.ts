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

/** Throws only when Temporal cannot be asked (the caller answers 503 and the provider retries). */
export async function lookUpPayment<V extends PaymentView>(
  client: PaysagaClient,
  workflowId: string,
): Promise<PaymentLook<V>> {
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
  return { state: 'closed', finalView };
}

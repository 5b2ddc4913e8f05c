/**
 * Driving bare workflows from the bench process, and the small timing helpers both the engine
 * and the bare runs use (so both are measured the same way).
 */
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import type { BareSagaPlan } from './plans';
import type { BareWorker } from './start';
import { bareFirstAnswerUpdate, bareInputUpdate, bareSignal, type BarePlan } from './workflows';

/** Runs `total` jobs, `concurrency` at a time; answers the wall time in ms and each job's result. */
export async function runPool<T>(
  total: number,
  concurrency: number,
  job: (i: number) => Promise<T>,
): Promise<{ ms: number; results: T[] }> {
  const results: T[] = new Array<T>(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++;
        results[i] = await job(i);
      }
    }),
  );
  return { ms: performance.now() - started, results };
}

/** A history event's time (a protobuf Timestamp) in ms since the epoch; NaN when absent. */
export function eventMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return NaN;
  return Number(String(t.seconds ?? 0)) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** The p-th percentile of samples (nearest rank on the sorted copy). */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Starts a bare saga as the plan says (plain start or update-with-start); answers its handle. */
export async function startBare(worker: BareWorker, plan: BareSagaPlan | BarePlan, workflowId: string) {
  const options = {
    workflowId,
    taskQueue: worker.taskQueue,
    args: [{ steps: plan.steps }],
  };
  if ('start' in plan && plan.start === 'with-first-answer') {
    const startWorkflowOperation = new WithStartWorkflowOperation('bareSaga', {
      ...options,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    await worker.client.workflow.executeUpdateWithStart(bareFirstAnswerUpdate, { startWorkflowOperation });
    return worker.client.workflow.getHandle(workflowId);
  }
  return worker.client.workflow.start('bareSaga', options);
}

/**
 * One bare saga from start to result, driven as the engine's saga is (the Update the caller
 * sends, the signal the customer's payment causes); answers start-to-result in ms.
 */
export async function runBareOnce(
  worker: BareWorker,
  plan: BareSagaPlan,
  workflowId: string,
): Promise<number> {
  const t0 = performance.now();
  const handle = await startBare(worker, plan, workflowId);
  if (plan.inputUpdate) await handle.executeUpdate(bareInputUpdate, { args: ['123456'] });
  if (plan.clientSignal) await handle.signal(bareSignal, 'paid');
  await handle.result();
  return performance.now() - t0;
}

/**
 * Worker cold start with the prebuilt bundle: from the moment a worker process is spawned to the
 * moment it has handled its first workflow task, beside the bare worker process started the same
 * way on the same server.
 *
 * Engine: workers/main.ts compiled ahead (scripts/compiled-entry.ts), as the stack runs it, with
 * the stack's worker environment on a task queue of its own (see workerEnv below: startStack does not expose the
 * worker's environment, so it is rebuilt the way startStack builds it), with the workflow bundle
 * current in dist/ (built first if it is not), so the worker loads it instead of bundling.
 * Bare: bench/bare/worker.ts compiled the same way, with its prebuilt bundle (bareBundlePath()).
 *
 * The probe: before each spawn a workflow is started on that empty queue, so its first task is
 * waiting when the worker polls: the engine's otpBudgetWorkflow with an empty budget (no search
 * attributes, no activity: its first task only starts a timer; started with the stack's codec,
 * as the engine starts it) and a bareSaga with no steps. The figure is the server's own record in
 * the probe's history: the WorkflowTaskCompleted event's time minus the spawn time (the task
 * actually handled: polled, the workflow code run in the worker's sandbox, the commands sent
 * back). The same machine keeps both clocks. The detail also gives spawn to WorkflowTaskStarted
 * (the task polled) and spawn to the worker's own ready line ('worker running').
 *
 * Row: median over S samples (engine and bare alternating), ratio engine/bare (lower is
 * better), goal under 1 s for the engine.
 */
import { Client, Connection } from '@temporalio/client';
import { compiledEntry } from '../../scripts/compiled-entry';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/runtime-settings';
import { ManagedProcess } from '../../scripts/managed-process';
import { sandboxSettings } from '../../scripts/sandbox-settings';
import type { Stack } from '../../scripts/stack';
import { buildWorkflowBundle, currentBundlePath } from '../../workers/workflow-bundle';
import { eventMs, percentile } from '../bare/drive';
import { bareBundlePath } from '../bare/start';
import type { BenchContext, BenchRow, BenchSection } from '../types';
import { engineDriver } from './throughput';

/**
 * The worker's environment as startStack gives it (scripts/stack.ts): this process's environment,
 * the data dir (the codec key file), the Temporal settings, every sandboxed provider's worker
 * settings and the sandbox merchant's fulfilment URL; the task queue is the probe's own. The
 * provider credentials are fresh ones (the stack keeps its own to itself): a worker logs in to a
 * provider only at its first call, and the probe makes none, so start-up does the same work.
 */
export function workerEnv(stack: Stack, taskQueue: string): NodeJS.ProcessEnv {
  const onSandbox = new Set(stack.providers.filter((p) => p.sandbox).map((p) => p.key));
  const providers: NodeJS.ProcessEnv = {};
  if (stack.sandboxUrl) {
    const settings = sandboxSettings(stack.sandboxUrl, stack.gatewayUrl, onSandbox);
    for (const k of onSandbox) Object.assign(providers, settings.providers[k].worker);
  }
  return {
    ...WORKER_ENV,
    ...process.env,
    PAYSAGA_DATA_DIR: stack.dataDir,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: stack.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...providers,
    ...(onSandbox.has('prakerja') && stack.sandboxUrl
      ? { FULFILMENT_URL: `${stack.sandboxUrl}/merchant/fulfil` }
      : {}),
  };
}

interface ColdStart {
  /** Spawn to the WorkflowTaskCompleted of the probe (server time). */
  handledMs: number;
  /** Spawn to the WorkflowTaskStarted of the probe: the task handed to the worker's poll. */
  polledMs: number;
  /** Spawn to the worker's own ready line. */
  readyLineMs: number;
}

/** Spawns the worker, waits until the probe's first task is handled, stops the worker. */
async function coldStart(
  client: Client,
  workflowId: string,
  spec: { args: string[]; env: NodeJS.ProcessEnv; readyPattern: RegExp },
  log: (line: string) => void,
): Promise<ColdStart> {
  const proc = new ManagedProcess(
    { name: 'cold-worker', command: process.execPath, ...spec },
    (_name, line) => {
      if (/error|fail/i.test(line)) log(line.slice(0, 300));
    },
  );
  const spawnedAt = Date.now();
  try {
    await proc.start();
    const readyLineMs = Date.now() - spawnedAt;
    const handle = client.workflow.getHandle(workflowId);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const started = events.find((e) => e.workflowTaskStartedEventAttributes);
      const completed = events.find((e) => e.workflowTaskCompletedEventAttributes);
      if (started && completed)
        return {
          handledMs: eventMs(completed.eventTime) - spawnedAt,
          polledMs: eventMs(started.eventTime) - spawnedAt,
          readyLineMs,
        };
      if (Date.now() > deadline) throw new Error(`${workflowId}: no workflow task handled within 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await proc.stop();
  }
}

export const coldStartSection: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const { stack, quick } = ctx;
  const samples = quick ? 3 : 5;
  if (!currentBundlePath()) await buildWorkflowBundle();
  const bundle = currentBundlePath();
  const bareBundle = await bareBundlePath();
  const d = await engineDriver(stack);
  const plainConnection = await Connection.connect({ address: stack.temporalAddress });
  const plain = new Client({ connection: plainConnection, namespace: stack.namespace });
  const runId = Date.now().toString(36);
  // Both compiled ahead, as the stack starts its processes (scripts/compiled-entry.ts).
  const engineEntry = await compiledEntry('workers/main.ts', WORKER_NODE_FLAGS);
  const bareEntry = await compiledEntry('bench/bare/worker.ts', WORKER_NODE_FLAGS);
  const engine: ColdStart[] = [];
  const bare: ColdStart[] = [];
  const probes: Array<{ client: Client; workflowId: string }> = [];
  try {
    for (let i = 0; i < samples; i++) {
      // Engine: the stack's worker entry, the stack's environment, a queue of its own.
      const engineQueue = `bench-cold-${runId}-${i}`;
      const engineProbe = `bench-cold-probe-${runId}-${i}`;
      await d.client.workflow.start('otpBudgetWorkflow', {
        workflowId: engineProbe,
        taskQueue: engineQueue,
        args: [{ reservations: [] }],
      });
      probes.push({ client: d.client, workflowId: engineProbe });
      engine.push(
        await coldStart(
          d.client,
          engineProbe,
          {
            args: engineEntry.args,
            env: workerEnv(stack, engineQueue),
            readyPattern: /worker running/,
          },
          ctx.log,
        ),
      );
      // Bare: the bare worker process, started the same way.
      const bareQueue = `bench-cold-bare-${runId}-${i}`;
      const bareProbe = `bench-cold-bare-probe-${runId}-${i}`;
      await plain.workflow.start('bareSaga', {
        workflowId: bareProbe,
        taskQueue: bareQueue,
        args: [{ steps: [] }],
      });
      probes.push({ client: plain, workflowId: bareProbe });
      bare.push(
        await coldStart(
          plain,
          bareProbe,
          {
            args: bareEntry.args,
            env: {
              ...WORKER_ENV,
              ...process.env,
              TEMPORAL_ADDRESS: stack.temporalAddress,
              TEMPORAL_NAMESPACE: stack.namespace,
              TASK_QUEUE: bareQueue,
              BARE_BUNDLE_PATH: bareBundle,
            },
            readyPattern: /bare worker running/,
          },
          ctx.log,
        ),
      );
      ctx.log(
        `sample ${i + 1}: engine handled ${Math.round(engine[i]!.handledMs)} ms (polled ${Math.round(engine[i]!.polledMs)}, ready line ${engine[i]!.readyLineMs}), ` +
          `bare handled ${Math.round(bare[i]!.handledMs)} ms (polled ${Math.round(bare[i]!.polledMs)}, ready line ${bare[i]!.readyLineMs})`,
      );
    }
    const median = (xs: ColdStart[], k: keyof ColdStart) =>
      Math.round(
        percentile(
          xs.map((x) => x[k]),
          50,
        ),
      );
    const e = median(engine, 'handledMs');
    const b = median(bare, 'handledMs');
    const ratio = e / b;
    return [
      {
        section: 'cold-start',
        name: 'worker spawn to first workflow task handled (median)',
        engine: { value: e, unit: 'ms' },
        baseline: {
          value: b,
          unit: 'ms',
          what: 'bare worker process (bench/bare/worker.ts), prebuilt bundle',
        },
        ratio: Math.round(ratio * 100) / 100,
        better: 'lower',
        goal: { text: 'under 1 s', met: e < 1000 },
        detail: {
          n: samples,
          clock: 'spawn (Date.now) to the probe WorkflowTaskCompleted event time (same host)',
          engineProbe: 'otpBudgetWorkflow (empty budget: first task starts a timer)',
          bareProbe: 'bareSaga with no steps',
          bundle: bundle ? 'dist/workflow-bundle.js (current)' : 'none: bundled from source',
          enginePolledMs: median(engine, 'polledMs'),
          barePolledMs: median(bare, 'polledMs'),
          engineReadyLineMs: median(engine, 'readyLineMs'),
          bareReadyLineMs: median(bare, 'readyLineMs'),
          engineSamplesMs: engine.map((x) => Math.round(x.handledMs)).join(' '),
          bareSamplesMs: bare.map((x) => Math.round(x.handledMs)).join(' '),
        },
      },
    ];
  } finally {
    for (const p of probes)
      await p.client.workflow
        .getHandle(p.workflowId)
        .terminate('bench probe')
        .catch(() => undefined);
    await plainConnection.close();
    await d.close();
  }
};

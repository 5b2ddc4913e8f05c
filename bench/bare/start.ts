/**
 * Spawns the bare worker (bench/bare/worker.ts) as a process of its own against the stack's
 * Temporal server and waits until it polls; answers a plain client (no codec) for the bench to
 * start bare workflows with. The workflow bundle is built once per bench process and shared by
 * every bare worker it starts.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledEntry } from '../../scripts/compiled-entry';
import { ManagedProcess } from '../../scripts/managed-process';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/runtime-settings';

export interface BareWorker {
  taskQueue: string;
  /** A plain client (default data converter) on the same server and namespace. */
  client: Client;
  pid: number | undefined;
  stop(): Promise<void>;
}

let bundle: Promise<string> | undefined;

/** The bare workflows' bundle, built once per process into a temporary file. */
export function bareBundlePath(): Promise<string> {
  bundle ??= (async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(__dirname, 'workflows.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
    });
    const path = join(mkdtempSync(join(tmpdir(), 'paysaga-bare-')), 'bundle.js');
    writeFileSync(path, code);
    return path;
  })();
  return bundle;
}

export async function startBareWorker(opts: {
  temporalAddress: string;
  namespace: string;
  /** Default: a fresh queue per start, so no earlier run's tasks reach it. */
  taskQueue?: string;
  log?: (line: string) => void;
  /** Extra node flags, as the stack's processes run with (Stack.profilingNodeFlags). */
  nodeFlags?: readonly string[];
}): Promise<BareWorker> {
  const taskQueue = opts.taskQueue ?? `bench-bare-${Date.now().toString(36)}`;
  const codePath = await bareBundlePath();
  const proc = new ManagedProcess(
    {
      name: 'bare-worker',
      // Compiled ahead, and with the node flags, as the stack's worker is.
      ...(await compiledEntry('bench/bare/worker.ts', [...WORKER_NODE_FLAGS, ...(opts.nodeFlags ?? [])])),
      env: {
        ...WORKER_ENV,
        ...process.env,
        TEMPORAL_ADDRESS: opts.temporalAddress,
        TEMPORAL_NAMESPACE: opts.namespace,
        TASK_QUEUE: taskQueue,
        BARE_BUNDLE_PATH: codePath,
      },
      readyPattern: /bare worker running/,
    },
    (_name, line) => opts.log?.(`[bare-worker] ${line}`),
  );
  await proc.start();
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection, namespace: opts.namespace });
  return {
    taskQueue,
    client,
    pid: proc.pid,
    async stop() {
      await connection.close();
      await proc.stop();
    },
  };
}

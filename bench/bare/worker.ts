/**
 * The bare worker process: bench/bare/workflows.ts with no-op activities, on its own task queue,
 * a process of its own as the engine's worker is. Started by bench/bare/start.ts:
 *
 *   TEMPORAL_ADDRESS=... TEMPORAL_NAMESPACE=... TASK_QUEUE=... [BARE_BUNDLE_PATH=...] \
 *     node --import tsx bench/bare/worker.ts
 *
 * Prints "bare worker running" once it polls. Same cache size as the engine's worker (500).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../workers/runtime-settings';
import { createBareActivities } from './activities';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const taskQueue = process.env.TASK_QUEUE ?? 'bench-bare';
  const bundlePath = process.env.BARE_BUNDLE_PATH;
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection, namespace });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: join(__dirname, 'workflows.ts') }),
    activities: createBareActivities(client),
    // The engine's own cache size: a ratio measures the engine's code, not a setting.
    maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
  });
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const running = worker.run();
  console.log(`bare worker running on ${taskQueue}`);
  await running;
  await connection.close();
  await clientConnection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

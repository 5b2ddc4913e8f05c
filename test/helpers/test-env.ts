/**
 * A real Temporal dev server for workflow tests, started from the project's own binary with the
 * paysaga namespace and search attributes, plus a worker factory using the prebuilt bundle and
 * the encrypting data converter, exactly as production does, and `useSagaTestEnv`, which sets up
 * both (and a PaysagaClient) for a workflow test file.
 */
import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { PaysagaClient } from '../../client/paysaga-client';
import type { CodecKeys } from '../../workers/codec';
import { paysagaDataConverter } from '../../workers/data-converter';
import { currentBundlePath, WORKFLOWS_ENTRY } from '../../workers/workflow-bundle';
import { PAYSAGA_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { temporalCliPath } from '../../scripts/temporal-cli';

export const TEST_NAMESPACE = 'paysaga';

export function testCodecKeys(): CodecKeys {
  return { currentKeyId: 'test', keys: new Map([['test', randomBytes(32)]]) };
}

export async function startTestEnv(codecKeys: CodecKeys): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      namespace: TEST_NAMESPACE,
      searchAttributes: [...PAYSAGA_SEARCH_ATTRIBUTES],
      extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'],
    },
    client: { dataConverter: paysagaDataConverter(codecKeys) },
  });
}

export async function createTestWorker(
  env: TestWorkflowEnvironment,
  codecKeys: CodecKeys,
  taskQueue: string,
  activities: object,
): Promise<Worker> {
  const bundlePath = currentBundlePath();
  return Worker.create({
    connection: env.nativeConnection,
    namespace: TEST_NAMESPACE,
    taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_ENTRY }),
    activities,
    dataConverter: paysagaDataConverter(codecKeys),
  });
}

/** What {@link useSagaTestEnv} sets up; read it inside tests and hooks, once its `before` has run. */
export interface SagaTestEnv {
  readonly env: TestWorkflowEnvironment;
  readonly worker: Worker;
  readonly paysaga: PaysagaClient;
  readonly codecKeys: CodecKeys;
}

/**
 * Registers before/after hooks in the calling `describe`: a dev server, one running worker on
 * `taskQueue` (default 'paysaga') with `activities`, and a PaysagaClient on that queue. The
 * after hook shuts the worker down, waits for it and tears the server down. `activities` may be
 * a function of the environment, for activities that need its client. Hooks a file registers
 * after calling this run after these ones.
 */
export function useSagaTestEnv(
  activities: object | ((env: TestWorkflowEnvironment) => object),
  opts: { taskQueue?: string; codecKeys?: CodecKeys } = {},
): SagaTestEnv {
  const taskQueue = opts.taskQueue ?? 'paysaga';
  const codecKeys = opts.codecKeys ?? testCodecKeys();
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let paysaga: PaysagaClient | undefined;

  before(async () => {
    env = await startTestEnv(codecKeys);
    const workerActivities = typeof activities === 'function' ? activities(env) : activities;
    worker = await createTestWorker(env, codecKeys, taskQueue, workerActivities);
    running = worker.run();
    paysaga = new PaysagaClient(env.client, taskQueue);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`useSagaTestEnv: ${name} is read before its before hook ran`);
    return value;
  };
  return {
    get env() {
      return ready(env, 'env');
    },
    get worker() {
      return ready(worker, 'worker');
    },
    get paysaga() {
      return ready(paysaga, 'paysaga');
    },
    codecKeys,
  };
}

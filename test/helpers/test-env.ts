/**
 * A real Temporal dev server for workflow tests, started from the project's own binary with the
 * paysaga namespace and search attributes, plus a worker factory using the prebuilt bundle and
 * the encrypting data converter, exactly as production does.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
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

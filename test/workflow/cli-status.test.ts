/**
 * `paysaga status` (the real bin/paysaga.js, a separate process) against a real Temporal dev
 * server: it says what Temporal says about the run beside the saga's view. A completed or
 * running payment prints its view with `execution`; a terminated one prints TERMINATED with the
 * reason, and its stale view only under `lastView`, never as the payment's status.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PpobAnswer, PpobSubmitInput } from '../../activities/ppob';
import { ppobState } from '../../providers/ppob/states';
import type { CodecKeys } from '../../workers/codec';
import { TEST_NAMESPACE, useSagaTestEnv } from '../helpers/test-env';

const TASK_QUEUE = 'paysaga-cli-status';
const BIN = resolve(__dirname, '../../bin/paysaga.js');
const key = randomBytes(32);
const codecKeys: CodecKeys = { currentKeyId: 'k1', keys: new Map([['k1', key]]) };

/** Destinations starting 0899 stay Pending for ever; others succeed. */
const activities = {
  async ppobSubmit(input: PpobSubmitInput): Promise<PpobAnswer> {
    const status = input.dest.startsWith('0899') ? 'Pending' : 'Success';
    return {
      status,
      state: ppobState(status),
      trxId: 'T1',
      sn: status === 'Success' ? 'SN1' : undefined,
      message: 'ok',
      repeated: false,
    };
  },
  async ppobInquiry(): Promise<never> {
    throw new Error('not used');
  },
};

describe('paysaga status: the run as Temporal sees it, beside the view (real CLI, real dev server)', () => {
  const harness = useSagaTestEnv(activities, { taskQueue: TASK_QUEUE, codecKeys });
  const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-cli-status-'));

  function status(id: string): Promise<{ code: number; out: any; stderr: string }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [BIN, 'status', id],
        {
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: harness.env.address,
            TEMPORAL_NAMESPACE: TEST_NAMESPACE,
            TEMPORAL_TASK_QUEUE: TASK_QUEUE,
            PAYSAGA_CODEC_KEY: key.toString('base64'),
            PAYSAGA_CODEC_KEY_ID: 'k1',
            PAYSAGA_DATA_DIR: dataDir,
          },
          timeout: 60_000,
          encoding: 'utf8',
        },
        (err, stdout, stderr) => {
          let out: unknown;
          try {
            out = JSON.parse(stdout);
          } catch {
            out = stdout;
          }
          done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, stderr });
        },
      );
    });
  }
  const start = (orderId: string, destination: string) =>
    harness.paysaga.startPpobPurchase({
      orderId,
      kind: 'prepaid',
      productCode: 'S10',
      destination,
      pollSeconds: 30,
    });

  it('completed: the view at the top, execution COMPLETED beside it', async () => {
    const { workflowId } = await start(`cli-ok-${process.pid}`, '081200000001');
    await harness.paysaga.result(workflowId);
    const r = await status(workflowId);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out.status, 'SUCCEEDED');
    assert.equal(r.out.execution.status, 'COMPLETED');
    assert.ok(r.out.execution.closeTime);
  });

  it('running, then terminated: TERMINATED with the reason, the stale view only under lastView', async () => {
    const { workflowId } = await start(`cli-stuck-${process.pid}`, '089900000002');
    const live = await status(workflowId);
    assert.equal(live.code, 0, live.stderr);
    assert.equal(live.out.execution.status, 'RUNNING');
    assert.equal(live.out.status, 'WAITING_FINAL');

    await harness.env.client.workflow.getHandle(workflowId).terminate('operator stopped it by hand');
    const r = await status(workflowId);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out.execution.status, 'TERMINATED');
    assert.match(r.out.execution.failure, /operator stopped it by hand/);
    assert.equal(r.out.status, undefined, 'no saga status that reads as the outcome');
    assert.equal(r.out.lastView.status, 'WAITING_FINAL', 'the last view, said to be the last');
  });

  it('an unknown payment is a clear refusal (exit 2)', async () => {
    const r = await status('ppob-no-such-order');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /payment ppob-no-such-order not found/);
  });
});

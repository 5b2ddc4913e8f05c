/**
 * Every recorded history of every released saga version must replay against today's workflow
 * code without a non-determinism error. A change that breaks one needs `patched()` or a
 * new workflow type; see README "Changing a released saga".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { paysagaDataConverter } from '../../workers/data-converter';
import { buildWorkflowBundle, currentBundlePath } from '../../workers/workflow-bundle';
import { REPLAY_FIXTURE_KEYS } from './fixture-codec-key';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

const REQUIRED_ENDINGS: Record<string, string[]> = {
  prakerja: [
    'completed',
    'voided',
    'review-resolved',
    'ambiguous-failed',
    'cancelled',
    'expired',
    'otp-budget-spent',
  ],
  'klink-refund': [
    'auto-refunded',
    'confirmed-refunded',
    'rejected',
    'review-retried',
    'deadline-not-refunded',
  ],
  ppob: ['succeeded', 'refunded', 'review-marked-failed', 'postpaid-paid', 'bill-declined'],
  transfer: [
    'paid',
    'wrong-amount-marked-paid',
    'expired',
    'refused',
    'gopay-paid-by-status',
    'gopay-expired-cancelled',
  ],
  payout: ['paid-out', 'unclear-confirmed', 'refused'],
  unmatched: ['resolved'],
  'kwallet-transfer': [
    'transferred',
    'refused',
    'confirmed-by-history',
    'review-rechecked',
    'review-marked-failed',
  ],
};

describe('replay of recorded saga histories', () => {
  for (const [saga, endings] of Object.entries(REQUIRED_ENDINGS)) {
    it(`has recorded ${saga} histories for every ending`, () => {
      for (const ending of endings) {
        assert.ok(
          files.some((f) => f.startsWith(`${saga}-v`) && f.endsWith(`-${ending}.json`)),
          `a recorded ${saga} history ending ${ending}`,
        );
      }
    });
  }

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      await Worker.runReplayHistory(
        {
          workflowBundle: { codePath: currentBundlePath() ?? (await buildWorkflowBundle()) },
          dataConverter: paysagaDataConverter(REPLAY_FIXTURE_KEYS),
        },
        history,
        file,
      );
    });
  }
});

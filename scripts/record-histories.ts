/**
 * Records the histories the replay test replays: one per ending of the Prakerja saga, run on a
 * real dev server with scripted provider outcomes. Run it when a released workflow version is
 * frozen (`npx tsx scripts/record-histories.ts <version>`); never re-record an existing version's
 * files, since they are the proof that old executions still replay.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthorizeActivityInput, AuthorizeOutcome, VoidOutcome } from '../activities/prakerja';
import { PaysagaClient } from '../client/paysaga-client';
import { createTestWorker, startTestEnv, TEST_NAMESPACE } from '../test/helpers/test-env';
import { temporalCliPath } from './temporal-cli';
import { REPLAY_FIXTURE_KEYS } from '../test/replay/fixture-codec-key';
import { PRAKERJA_WORKFLOW_TYPE } from '../workflows/prakerja-definitions';

const version = process.argv[2];
if (!version) {
  console.error('usage: record-histories.ts <version, e.g. v1>');
  process.exit(2);
}

const behaviour = new Map<string, { fulfilFails?: boolean; voidRefused?: boolean; ambiguous?: boolean }>();

const activities = {
  async prakerjaAuthorize(input: AuthorizeActivityInput): Promise<AuthorizeOutcome> {
    if (behaviour.get(input.invoiceCode)?.ambiguous) return { outcome: 'ambiguous', detail: 'timeout' };
    return input.otp === '123456'
      ? {
          outcome: 'authorized',
          transactionCode: 'TRX0000000000001',
          amount: 20000,
          providerStatus: 'SUCCESS',
        }
      : { outcome: 'otp-rejected', code: 'ERRPLT40034', message: 'Token Payment tidak valid.' };
  },
  async prakerjaVoid(input: { invoiceCode: string }): Promise<VoidOutcome> {
    return behaviour.get(input.invoiceCode)?.voidRefused
      ? { outcome: 'refused', code: 'ERRVOD40004', message: 'Gagal dibatalkan.', documented: true }
      : { outcome: 'voided', message: 'Transaksi berhasil dibatalkan.' };
  },
  async fulfilPurchase(req: { invoiceCode: string }): Promise<{ reference: string }> {
    if (behaviour.get(req.invoiceCode)?.fulfilFails)
      throw ApplicationFailure.nonRetryable('refused', 'FulfilmentRejected');
    return { reference: `ref-${req.invoiceCode}` };
  },
};

async function main(): Promise<void> {
  const env = await startTestEnv(REPLAY_FIXTURE_KEYS);
  const worker = await createTestWorker(env, REPLAY_FIXTURE_KEYS, 'paysaga', activities);
  const client = new PaysagaClient(env.client, 'paysaga');
  const base = {
    invoiceUrl: 'https://lp.example/inv',
    paymentToken: 'ptk_fixture_token',
    amount: 20000,
    fulfilment: { timeoutSeconds: 5, maxAttempts: 1 },
  };
  const scenarios: Record<string, (invoiceCode: string) => Promise<void>> = {
    completed: async (inv) => {
      await client.submitOtp(`prakerja-${inv}`, { otp: '000000' });
      await client.submitOtp(`prakerja-${inv}`, { otp: '123456' });
    },
    voided: async (inv) => {
      behaviour.set(inv, { fulfilFails: true });
      await client.submitOtp(`prakerja-${inv}`, { otp: '123456' });
    },
    'review-resolved': async (inv) => {
      behaviour.set(inv, { fulfilFails: true, voidRefused: true });
      await client.submitOtp(`prakerja-${inv}`, { otp: '123456' });
      await waitFor(async () => (await client.status(`prakerja-${inv}`)).status === 'NEEDS_REVIEW');
      await client.resolveReview(`prakerja-${inv}`, {
        action: 'mark-voided',
        note: 'voided by Prakerja ops',
        operator: 'fixture',
      });
    },
    'ambiguous-failed': async (inv) => {
      behaviour.set(inv, { ambiguous: true });
      await client.submitOtp(`prakerja-${inv}`, { otp: '123456' });
      await client.resolveReview(`prakerja-${inv}`, {
        action: 'mark-failed',
        note: 'no transaction at Prakerja',
        operator: 'fixture',
      });
    },
    cancelled: async (inv) => client.cancel(`prakerja-${inv}`, { reason: 'fixture cancel' }),
    expired: async () => undefined,
  };
  await worker.runUntil(async () => {
    for (const [name, drive] of Object.entries(scenarios)) {
      const invoiceCode = `REPLAY-${version}-${name}`;
      if (name === 'expired') {
        await env.client.workflow.start(PRAKERJA_WORKFLOW_TYPE, {
          workflowId: `prakerja-${invoiceCode}`,
          taskQueue: 'paysaga',
          args: [{ ...base, invoiceCode, orderId: `ORD-${invoiceCode}`, otpTimeoutSeconds: 1 }],
        });
      } else {
        await client.startPrakerjaPayment({ ...base, invoiceCode, orderId: `ORD-${invoiceCode}` });
      }
      await drive(invoiceCode);
      const handle = env.client.workflow.getHandle(`prakerja-${invoiceCode}`);
      await handle.result();
      const file = join(__dirname, '../test/replay/histories', `prakerja-${version}-${name}.json`);
      // The CLI's JSON export is the format the replayer and `temporal workflow show` share.
      const json = execFileSync(
        temporalCliPath(),
        [
          'workflow',
          'show',
          '--address',
          env.address,
          '--namespace',
          TEST_NAMESPACE,
          '-w',
          handle.workflowId,
          '-o',
          'json',
        ],
        { encoding: 'utf8' },
      );
      writeFileSync(file, json);
      console.log(`recorded ${file}`);
    }
  });
  await env.teardown();
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

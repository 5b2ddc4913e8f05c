/**
 * The Prakerja saga against a real Temporal dev server (the project's own binary), with
 * scripted activities so each branch of the saga can be driven exactly. The end-to-end tests
 * run the same saga against the HTTP sandbox.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { PaysagaInputError } from '../../client/inputs';
import type { AuthorizeActivityInput, AuthorizeOutcome, VoidOutcome } from '../../activities/prakerja';
import type { FulfilmentRequest } from '../../activities/fulfilment';
import type { OtpBudgetOutcome } from '../../workflows/otp-budget-definitions';
import { ApplicationFailure } from '@temporalio/activity';
import { historyText } from '../helpers/history-text';
import { PaysagaClient } from '../../client/paysaga-client';
import { createTestWorker, TEST_NAMESPACE, useSagaTestEnv } from '../helpers/test-env';
import {
  PRAKERJA_WORKFLOW_TYPE,
  prakerjaWorkflowId,
  type PrakerjaPaymentView,
} from '../../workflows/prakerja-definitions';

const RIGHT_OTP = '123456';
const TOKEN = 'ptk_secret_token_do_not_leak';

/** Per-invoice script of what Prakerja and the merchant do, and a record of every call. */
interface Script {
  authorize?: (input: AuthorizeActivityInput) => Promise<AuthorizeOutcome>;
  void?: () => Promise<VoidOutcome>;
  fulfil?: () => Promise<{ reference: string }>;
}

const scripts = new Map<string, Script>();
const calls = { authorize: [] as string[], void: [] as string[], fulfil: [] as string[] };

const activities = {
  async prakerjaAuthorize(input: AuthorizeActivityInput): Promise<AuthorizeOutcome> {
    calls.authorize.push(input.invoiceCode);
    const script = scripts.get(input.invoiceCode)?.authorize;
    if (script) return script(input);
    return input.otp === RIGHT_OTP
      ? {
          outcome: 'authorized',
          transactionCode: `TRX${input.invoiceCode}`,
          amount: 20000,
          providerStatus: 'SUCCESS',
        }
      : { outcome: 'otp-rejected', code: 'ERRPLT40034', message: 'Token Payment tidak valid.' };
  },
  async prakerjaVoid(input: { invoiceCode: string }): Promise<VoidOutcome> {
    calls.void.push(input.invoiceCode);
    return (
      scripts.get(input.invoiceCode)?.void?.() ?? {
        outcome: 'voided',
        message: 'Transaksi berhasil dibatalkan.',
      }
    );
  },
  async fulfilPurchase(req: FulfilmentRequest): Promise<{ reference: string }> {
    calls.fulfil.push(req.invoiceCode);
    return scripts.get(req.invoiceCode)?.fulfil?.() ?? { reference: `ref-${req.invoiceCode}` };
  },
  // Every payment here shares one token: the budget always grants (test/workflow/otp-budget.test.ts
  // drives the real one).
  async otpBudgetReserve(): Promise<OtpBudgetOutcome> {
    return { outcome: 'reserved' };
  },
  async otpBudgetRelease(): Promise<void> {},
};

function newPayment(overrides: Record<string, unknown> = {}) {
  const invoiceCode = `inv-${randomUUID().slice(0, 8)}`;
  return {
    invoiceCode,
    invoiceUrl: `https://merchant.example/invoices/${invoiceCode}`,
    paymentToken: TOKEN,
    amount: 20000,
    orderId: `order-${invoiceCode}`,
    fulfilment: { timeoutSeconds: 5, maxAttempts: 2 },
    ...overrides,
  };
}

describe('prakerja saga (real Temporal dev server)', () => {
  const taskQueue = 'paysaga';
  const harness = useSagaTestEnv(activities, { taskQueue });

  it('wrong OTP, then the right one: authorized, fulfilled, COMPLETED, search attributes kept', async () => {
    const p = newPayment();
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    assert.equal(workflowId, prakerjaWorkflowId(p.invoiceCode));

    const wrong = await harness.paysaga.submitOtp(workflowId, { otp: '000000' });
    assert.deepEqual(
      [wrong.accepted, wrong.reason, wrong.attemptsLeft, wrong.status],
      [false, 'wrong-otp', 2, 'AWAITING_OTP'],
    );

    const right = await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    assert.equal(right.accepted, true);
    assert.equal(right.transactionCode, `TRX${p.invoiceCode}`);

    const final = await harness.paysaga.result<PrakerjaPaymentView>(workflowId);
    assert.equal(final.status, 'COMPLETED');
    assert.equal(final.fulfilmentReference, `ref-${p.invoiceCode}`);
    assert.deepEqual(
      final.timeline.map((t) => t.status),
      ['AWAITING_OTP', 'AUTHORIZING', 'AWAITING_OTP', 'AUTHORIZING', 'FULFILLING', 'COMPLETED'],
    );

    const desc = await harness.env.client.workflow.getHandle(workflowId).describe();
    const sa = desc.searchAttributes;
    assert.deepEqual(sa.PaysagaStatus, ['COMPLETED']);
    assert.deepEqual(sa.PaysagaProvider, ['prakerja']);
    assert.deepEqual(sa.PaysagaOrderId, [p.orderId]);
    assert.deepEqual(sa.PaysagaAmount, [20000]);
    assert.deepEqual(sa.PaysagaNeedsReview, [false]);
  });

  it('a repeated start returns the same payment, and never starts a closed one again', async () => {
    const p = newPayment();
    const first = await harness.paysaga.startPrakerjaPayment(p);
    const again = await harness.paysaga.startPrakerjaPayment(p);
    assert.equal(again.workflowId, first.workflowId);
    const handle = harness.env.client.workflow.getHandle(first.workflowId);
    const runId = (await handle.describe()).runId;
    assert.equal((await harness.env.client.workflow.getHandle(first.workflowId).describe()).runId, runId);

    await harness.paysaga.submitOtp(first.workflowId, { otp: RIGHT_OTP });
    await harness.paysaga.result(first.workflowId);
    await harness.paysaga.startPrakerjaPayment(p);
    assert.equal((await handle.describe()).runId, runId, 'no new run after the payment closed');
    assert.equal(calls.authorize.filter((i) => i === p.invoiceCode).length, 1);
  });

  it('refuses a malformed OTP with a clear error; the saga keeps waiting with its attempts intact', async () => {
    const p = newPayment();
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await assert.rejects(harness.paysaga.submitOtp(workflowId, { otp: '12ab' }), (err: Error) => {
      assert.ok(err instanceof PaysagaInputError);
      assert.match(err.message, /otp must be 4 to 8 digits/);
      return true;
    });
    // Past the client's own check, the workflow's validator refuses too (a caller on another SDK).
    await assert.rejects(
      harness.env.client.workflow
        .getHandle(workflowId)
        .executeUpdate('submitOtp', { args: [{ otp: 'abc' }] }),
      (err: Error) => {
        assert.match(
          String((err.cause as Error | undefined)?.message),
          /invalid OTP: expected 4 to 8 digits/,
        );
        return true;
      },
    );
    const view = await harness.paysaga.status<PrakerjaPaymentView>(workflowId);
    assert.equal(view.status, 'AWAITING_OTP');
    assert.equal(view.otpAttemptsLeft, 3);
    assert.equal(calls.authorize.filter((i) => i === p.invoiceCode).length, 0);
    const ok = await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    assert.equal(ok.accepted, true);
  });

  it('fails after the last wrong OTP without charging', async () => {
    const p = newPayment({ maxOtpAttempts: 2 });
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await harness.paysaga.submitOtp(workflowId, { otp: '111111' });
    const last = await harness.paysaga.submitOtp(workflowId, { otp: '222222' });
    assert.deepEqual([last.accepted, last.status, last.attemptsLeft], [false, 'FAILED', 0]);
    assert.equal((await harness.paysaga.result(workflowId)).status, 'FAILED');
    await assert.rejects(harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP }));
  });

  it('expires at the OTP deadline', async () => {
    const p = newPayment();
    const handle = await harness.env.client.workflow.start(PRAKERJA_WORKFLOW_TYPE, {
      workflowId: prakerjaWorkflowId(p.invoiceCode),
      taskQueue,
      args: [{ ...p, otpTimeoutSeconds: 1 }],
    });
    const final = await harness.paysaga.result(handle.workflowId);
    assert.equal(final.status, 'EXPIRED');
    assert.equal(calls.authorize.filter((i) => i === p.invoiceCode).length, 0);
  });

  it('fulfilment failing for good voids the authorized purchase', async () => {
    const p = newPayment();
    scripts.set(p.invoiceCode, {
      fulfil: async () => {
        throw ApplicationFailure.nonRetryable('merchant refused', 'FulfilmentRejected');
      },
    });
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    const final = await harness.paysaga.result<PrakerjaPaymentView>(workflowId);
    assert.equal(final.status, 'VOIDED');
    assert.deepEqual(
      calls.void.filter((i) => i === p.invoiceCode),
      [p.invoiceCode],
    );
  });

  it('"already voided" counts as voided', async () => {
    const p = newPayment();
    scripts.set(p.invoiceCode, {
      fulfil: async () => {
        throw ApplicationFailure.nonRetryable('merchant refused', 'FulfilmentRejected');
      },
      void: async () => ({ outcome: 'already-voided', message: 'Transaksi sudah dibatalkan sebelumnya' }),
    });
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    assert.equal((await harness.paysaga.result(workflowId)).status, 'VOIDED');
  });

  it('a cancel while authorizing voids once the authorization lands', async () => {
    const p = newPayment();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    scripts.set(p.invoiceCode, {
      authorize: async () => {
        await released;
        return { outcome: 'authorized', transactionCode: 'TRXC', amount: 20000, providerStatus: 'SUCCESS' };
      },
    });
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    const otp = harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    await waitFor(async () => (await harness.paysaga.status(workflowId)).status === 'AUTHORIZING');
    await harness.paysaga.cancel(workflowId, { reason: 'customer changed their mind' });
    release();
    await otp;
    const final = await harness.paysaga.result<PrakerjaPaymentView>(workflowId);
    assert.equal(final.status, 'VOIDED');
    assert.equal(calls.fulfil.filter((i) => i === p.invoiceCode).length, 0, 'nothing delivered');
    assert.equal(calls.void.filter((i) => i === p.invoiceCode).length, 1);
  });

  it('a cancel and an OTP taken in one workflow task: the cancel wins, nothing is charged (found by the fault campaign)', async () => {
    // A queue no worker polls yet: the cancel signal and the OTP Update both wait for the first
    // workflow task, which then carries the two together.
    const queue = 'prakerja-cancel-race';
    const idle = new PaysagaClient(harness.env.client, queue);
    const p = newPayment();
    const { workflowId } = await idle.startPrakerjaPayment(p);
    await idle.cancel(workflowId, { reason: 'customer changed their mind' });
    const otp = idle.submitOtp(workflowId, { otp: RIGHT_OTP }).then(
      () => 'the OTP was taken',
      (err: unknown) => String(err),
    );
    await new Promise((r) => setTimeout(r, 500));
    const worker = await createTestWorker(harness.env, harness.codecKeys, queue, activities);
    const final = await worker.runUntil(idle.result<PrakerjaPaymentView>(workflowId));
    assert.match(await otp, /being cancelled/);
    assert.equal(final.status, 'CANCELLED');
    assert.equal(calls.authorize.filter((i) => i === p.invoiceCode).length, 0, 'never sent to Prakerja');
  });

  it('a cancel before the OTP ends the payment without any provider call', async () => {
    const p = newPayment();
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await harness.paysaga.cancel(workflowId, { reason: 'cart abandoned' });
    assert.equal((await harness.paysaga.result(workflowId)).status, 'CANCELLED');
    assert.equal(calls.authorize.filter((i) => i === p.invoiceCode).length, 0);
  });

  it('a refused void parks the payment in NEEDS_REVIEW until an operator resolves it', async () => {
    const p = newPayment();
    scripts.set(p.invoiceCode, {
      fulfil: async () => {
        throw ApplicationFailure.nonRetryable('merchant refused', 'FulfilmentRejected');
      },
      void: async () => ({
        outcome: 'refused',
        code: 'ERRVOD40004',
        message: 'Gagal dibatalkan. Peserta sudah melakukan redeem',
        documented: true,
      }),
    });
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    await waitFor(async () => (await harness.paysaga.status(workflowId)).status === 'NEEDS_REVIEW');
    const view = await harness.paysaga.status<PrakerjaPaymentView>(workflowId);
    assert.equal(view.review?.code, 'ERRVOD40004');
    assert.deepEqual(view.review?.actions, ['retry-void', 'mark-voided', 'mark-completed']);

    await waitFor(async () =>
      (await harness.paysaga.list({ needsReview: true })).some((s) => s.workflowId === workflowId),
    );

    await assert.rejects(
      harness.paysaga.review(workflowId, {
        action: 'mark-failed',
        note: 'checked with ops',
        operator: 'ana',
      }),
      /action must be one of/,
    );
    const resolved = await harness.paysaga.review(workflowId, {
      action: 'mark-voided',
      note: 'Prakerja ops voided it, ticket 42',
      operator: 'ana',
    });
    assert.equal(resolved.status, 'VOIDED');
    const final = await harness.paysaga.result<PrakerjaPaymentView>(workflowId);
    assert.equal(final.resolution?.operator, 'ana');
    const desc = await harness.env.client.workflow.getHandle(workflowId).describe();
    assert.deepEqual(desc.searchAttributes.PaysagaNeedsReview, [false]);
  });

  it('an ambiguous authorize is never read as failure: NEEDS_REVIEW, no second authorize', async () => {
    const p = newPayment();
    scripts.set(p.invoiceCode, {
      authorize: async () => ({ outcome: 'ambiguous', detail: 'timeout after 15000 ms' }),
    });
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    const res = await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    assert.deepEqual([res.accepted, res.reason, res.status], [false, 'ambiguous', 'NEEDS_REVIEW']);
    await assert.rejects(harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP }), /not waiting for an OTP/);
    assert.equal(calls.authorize.filter((i) => i === p.invoiceCode).length, 1);
    await harness.paysaga.review(workflowId, {
      action: 'mark-failed',
      note: 'Prakerja ops: no transaction',
      operator: 'budi',
    });
    assert.equal((await harness.paysaga.result(workflowId)).status, 'FAILED');
  });

  it('keeps the OTP and payment token out of the raw history', async () => {
    const p = newPayment();
    const { workflowId } = await harness.paysaga.startPrakerjaPayment(p);
    await harness.paysaga.submitOtp(workflowId, { otp: '987654' });
    await harness.paysaga.submitOtp(workflowId, { otp: RIGHT_OTP });
    await harness.paysaga.result<PrakerjaPaymentView>(workflowId);
    // A client without the codec sees what Temporal stores.
    const raw = new Client({ connection: harness.env.client.connection, namespace: TEST_NAMESPACE });
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const text = historyText(history);
    assert.ok(text.includes(p.orderId), 'the scan sees plaintext fields (search attributes)');
    for (const secret of [TOKEN, RIGHT_OTP, '987654'])
      assert.ok(!text.includes(secret), `${secret} found in raw history`);
    assert.ok(text.includes('binary/encrypted'), 'payloads are encrypted');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

/**
 * The OTP guessing budget on a real Temporal dev server: the Prakerja saga with the real budget
 * activities and budget workflows, Prakerja's authorize scripted (one right OTP). The budget is
 * shared across payments of one token and caps one invoice's attempts, refuses even a right OTP
 * once spent (nothing sent to Prakerja), is taken atomically by concurrent payments, frees with
 * its window, and never names the token in a workflow id or a raw history.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { PaysagaConflictError } from '../../client/inputs';
import type { AuthorizeActivityInput, AuthorizeOutcome } from '../../activities/prakerja';
import { createOtpBudgetActivities, tokenDigest, type OtpBudgetSettings } from '../../activities/otp-budget';
import {
  OTP_BUDGET_EXHAUSTED,
  otpBudgetQuery,
  otpBudgetWorkflowId,
} from '../../workflows/otp-budget-definitions';
import type { PrakerjaPaymentView } from '../../workflows/prakerja-definitions';
import { historyText } from '../helpers/history-text';
import { TEST_NAMESPACE, useSagaTestEnv } from '../helpers/test-env';

const RIGHT_OTP = '123456';
const WRONG_OTP = '000000';
/** An OTP whose authorize never reaches "Prakerja" (a transport failure before sending). */
const UNSENT_OTP = '999999';
const TASK_QUEUE = 'budget';
const SETTINGS: OtpBudgetSettings = {
  perToken: 4,
  perInvoice: 3,
  windowSeconds: 3600,
  key: randomBytes(32),
};

/** Every authorize that reached "Prakerja", by invoice. */
const authorizeCalls: string[] = [];
const prakerja = {
  async prakerjaAuthorize(input: AuthorizeActivityInput): Promise<AuthorizeOutcome> {
    authorizeCalls.push(input.invoiceCode);
    if (input.otp === UNSENT_OTP)
      throw ApplicationFailure.nonRetryable('connection refused', 'ProviderTransportError');
    return input.otp === RIGHT_OTP
      ? {
          outcome: 'authorized',
          transactionCode: `TRX-${input.invoiceCode}`,
          amount: 20000,
          providerStatus: 'SUCCESS',
        }
      : { outcome: 'otp-rejected', code: 'ERRPLT40034', message: 'Token Payment tidak valid.' };
  },
  async prakerjaVoid() {
    return { outcome: 'voided', message: 'voided' };
  },
  async fulfilPurchase() {
    return { reference: 'F-1' };
  },
};

const newToken = () => `ptk_budget_${randomUUID()}`;
const calledFor = (invoice: string) => authorizeCalls.filter((i) => i === invoice).length;

describe('OTP guessing budget (real Temporal dev server)', () => {
  const harness = useSagaTestEnv(
    (env) => ({ ...prakerja, ...createOtpBudgetActivities(env.client, TASK_QUEUE, SETTINGS) }),
    { taskQueue: TASK_QUEUE },
  );

  async function pay(paymentToken: string, extra: Record<string, unknown> = {}) {
    const invoiceCode = `budget-${randomUUID().slice(0, 8)}`;
    const { workflowId } = await harness.paysaga.startPrakerjaPayment({
      invoiceCode,
      invoiceUrl: `https://merchant.example/invoices/${invoiceCode}`,
      paymentToken,
      amount: 20000,
      orderId: `order-${invoiceCode}`,
      ...extra,
    });
    return { invoiceCode, workflowId };
  }

  const budgetUsed = async (kind: 'token' | 'invoice', name: string) =>
    (await harness.env.client.workflow.getHandle(otpBudgetWorkflowId(kind, name)).query(otpBudgetQuery)).used;

  it('one token across payments: once its wrong OTPs spend the budget, even the right OTP is refused and never sent', async () => {
    const token = newToken();
    const a = await pay(token, { maxOtpAttempts: 3 });
    for (let i = 0; i < 3; i++) await harness.paysaga.submitOtp(a.workflowId, { otp: WRONG_OTP });
    assert.equal((await harness.paysaga.result<PrakerjaPaymentView>(a.workflowId)).status, 'FAILED');

    const b = await pay(token);
    const wrong = await harness.paysaga.submitOtp(b.workflowId, { otp: WRONG_OTP });
    assert.deepEqual(
      [wrong.reason, wrong.status],
      ['wrong-otp', 'AWAITING_OTP'],
      'the 4th guess still reaches Prakerja',
    );
    await assert.rejects(harness.paysaga.submitOtp(b.workflowId, { otp: RIGHT_OTP }), (err: Error) => {
      assert.ok(err instanceof PaysagaConflictError, `a conflict (409 at REST), got ${err.name}`);
      assert.match(
        err.message,
        new RegExp(`^${OTP_BUDGET_EXHAUSTED}: this payment token has used its 4 OTP attempts`),
      );
      return true;
    });
    const ended = await harness.paysaga.result<PrakerjaPaymentView>(b.workflowId);
    assert.equal(ended.status, 'FAILED');
    assert.match(ended.timeline.at(-1)!.note, /nothing was sent to Prakerja/);
    assert.equal(calledFor(b.invoiceCode), 1, 'the refused right OTP never reached Prakerja');

    const c = await pay(token);
    await assert.rejects(
      harness.paysaga.submitOtp(c.workflowId, { otp: RIGHT_OTP }),
      new RegExp(OTP_BUDGET_EXHAUSTED),
    );
    assert.equal(calledFor(c.invoiceCode), 0);
    assert.equal((await harness.paysaga.result<PrakerjaPaymentView>(c.workflowId)).status, 'FAILED');
  });

  it('one invoice: the budget caps its attempts below the maxOtpAttempts its caller asked for', async () => {
    const token = newToken();
    const p = await pay(token, { maxOtpAttempts: 10 });
    for (let i = 0; i < SETTINGS.perInvoice; i++) {
      const r = await harness.paysaga.submitOtp(p.workflowId, { otp: WRONG_OTP });
      assert.equal(r.reason, 'wrong-otp');
    }
    await assert.rejects(
      harness.paysaga.submitOtp(p.workflowId, { otp: RIGHT_OTP }),
      /otp-budget-exhausted: this invoice has used its 3 OTP attempts/,
    );
    assert.equal(calledFor(p.invoiceCode), SETTINGS.perInvoice);
    // The payment counts its invoice's units itself: the refusal names it, and no invoice budget
    // workflow was started.
    const ended = await harness.paysaga.result<PrakerjaPaymentView>(p.workflowId);
    assert.match(ended.timeline.at(-1)!.note, new RegExp(`\\(budget ${p.workflowId}\\)$`));
    await assert.rejects(budgetUsed('invoice', p.invoiceCode), WorkflowNotFoundError);
    // Refused by the invoice's count, the OTP took nothing from the token's budget.
    assert.equal(await budgetUsed('token', tokenDigest(SETTINGS.key, token)), SETTINGS.perInvoice);
  });

  it("an OTP that never reached Prakerja gives its unit back to the invoice's count", async () => {
    const token = newToken();
    const p = await pay(token, { maxOtpAttempts: 10 });
    const send = (otp: string) => harness.paysaga.submitOtp(p.workflowId, { otp });
    for (let i = 0; i < SETTINGS.perInvoice - 1; i++)
      assert.equal((await send(WRONG_OTP)).reason, 'wrong-otp');
    // Each takes the last unit and gives it back: without the give-back the second is refused.
    for (let i = 0; i < 2; i++) assert.equal((await send(UNSENT_OTP)).reason, 'provider-unavailable');
    assert.equal((await send(WRONG_OTP)).reason, 'wrong-otp', 'the last unit is still there');
    await assert.rejects(send(RIGHT_OTP), /otp-budget-exhausted: this invoice has used its 3 OTP attempts/);
    assert.equal(calledFor(p.invoiceCode), SETTINGS.perInvoice + 2);
  });

  it('a reserve scheduled before the saga counted its invoice (no count in its input) still uses the invoice budget workflow', async () => {
    const budget = createOtpBudgetActivities(harness.env.client, TASK_QUEUE, { ...SETTINGS, perInvoice: 1 });
    const invoiceCode = `old-${randomUUID()}`;
    const input = (n: number) => ({ paymentToken: newToken(), invoiceCode, reservationId: `r-${n}` });
    assert.equal((await budget.otpBudgetReserve(input(1))).outcome, 'reserved');
    assert.equal(await budgetUsed('invoice', invoiceCode), 1);
    const spent = await budget.otpBudgetReserve(input(2));
    assert.deepEqual([spent.outcome, spent.outcome === 'exhausted' && spent.kind], ['exhausted', 'invoice']);
    // With the count, the same invoice's budget workflow is not asked.
    assert.equal((await budget.otpBudgetReserve({ ...input(3), invoiceUnitsHeld: 0 })).outcome, 'reserved');
    assert.equal(await budgetUsed('invoice', invoiceCode), 1);
  });

  it('a right OTP gives its unit back; a wrong one keeps it', async () => {
    const token = newToken();
    const p = await pay(token);
    await harness.paysaga.submitOtp(p.workflowId, { otp: WRONG_OTP });
    assert.equal((await harness.paysaga.submitOtp(p.workflowId, { otp: RIGHT_OTP })).accepted, true);
    assert.equal((await harness.paysaga.result<PrakerjaPaymentView>(p.workflowId)).status, 'COMPLETED');
    assert.equal(await budgetUsed('token', tokenDigest(SETTINGS.key, token)), 1);
  });

  it('concurrent payments of one token: exactly the budget reaches Prakerja, the rest are refused', async () => {
    const token = newToken();
    const payments = await Promise.all(Array.from({ length: 7 }, () => pay(token)));
    const answers = await Promise.allSettled(
      payments.map((p) => harness.paysaga.submitOtp(p.workflowId, { otp: WRONG_OTP })),
    );
    const refused = answers.filter((a) => a.status === 'rejected');
    assert.equal(answers.length - refused.length, SETTINGS.perToken, 'one unit each, no more');
    for (const r of refused)
      assert.match(String((r as PromiseRejectedResult).reason), /otp-budget-exhausted/);
    const reached = payments.filter((p) => calledFor(p.invoiceCode) > 0).length;
    assert.equal(reached, SETTINGS.perToken);
    // Each payment counts its own invoice: no invoice budget workflow was started for any.
    for (const p of payments)
      await assert.rejects(budgetUsed('invoice', p.invoiceCode), WorkflowNotFoundError);
  });

  it('a unit frees when its window ends, and an empty budget workflow ends', async () => {
    // Same task queue and workflows, a 2-second window: the window travels with each request.
    const short = createOtpBudgetActivities(harness.env.client, TASK_QUEUE, {
      ...SETTINGS,
      perToken: 1,
      windowSeconds: 2,
    });
    const token = newToken();
    const input = (n: number) => ({
      paymentToken: token,
      invoiceCode: `w-${randomUUID()}`,
      reservationId: `r-${n}`,
    });
    assert.equal((await short.otpBudgetReserve(input(1))).outcome, 'reserved');
    assert.equal(
      (await short.otpBudgetReserve(input(1))).outcome,
      'reserved',
      'a retried reserve is the same unit',
    );
    const spent = await short.otpBudgetReserve(input(2));
    assert.equal(spent.outcome, 'exhausted');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await short.otpBudgetReserve(input(3))).outcome, 'reserved', 'free again after the window');

    const handle = harness.env.client.workflow.getHandle(
      otpBudgetWorkflowId('token', tokenDigest(SETTINGS.key, token)),
    );
    const deadline = Date.now() + 30_000;
    while ((await handle.describe()).status.name === 'RUNNING') {
      assert.ok(Date.now() < deadline, 'the budget workflow ends once it holds nothing');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
  });

  it('the token is never in a budget id or a raw history', async () => {
    const token = newToken();
    const p = await pay(token);
    await harness.paysaga.submitOtp(p.workflowId, { otp: WRONG_OTP });
    const budgetId = otpBudgetWorkflowId('token', tokenDigest(SETTINGS.key, token));
    assert.ok(!budgetId.includes(token));
    const raw = new Client({ connection: harness.env.client.connection, namespace: TEST_NAMESPACE });
    for (const id of [budgetId, p.workflowId]) {
      const text = historyText(await raw.workflow.getHandle(id).fetchHistory());
      assert.ok(text.length > 0);
      assert.ok(!text.includes(token), `the token is in ${id}'s raw history`);
    }
    await harness.paysaga.cancel(p.workflowId, { reason: 'test over' });
  });
});

/**
 * Failure always parks: for every activity of every saga (the list comes from each saga's
 * activity table in workflows/sagas.ts, not from this file), the test makes that one activity
 * fail for good with an error nobody planned for, and checks that the payment waits in
 * NEEDS_REVIEW (PaysagaNeedsReview=true, the activity named in the reason) and that no workflow
 * execution fails. An activity added to a saga without a row here fails the first test.
 *
 * Then an operator resolves it with a mark-* action, and the workflow must complete.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { SAGAS, SAGA_NAMES, type SagaName } from '../../workflows/sagas';
import {
  NEEDS_REVIEW,
  resolveReviewUpdate,
  statusQuery,
  type PaymentView,
} from '../../workflows/saga-definitions';
import { submitOtpUpdate } from '../../workflows/prakerja-definitions';
import { SA_NEEDS_REVIEW } from '../../workflows/search-attributes';
import { createTestWorker, startTestEnv, testCodecKeys } from '../helpers/test-env';

type Fn = (...args: any[]) => Promise<unknown>;

/** Per workflow id: the activity that fails for good, and other activities' scripted answers. */
const scripts = new Map<string, { fail: string; answers?: Record<string, Fn> }>();

const rejected = (type: string) => async () => {
  throw ApplicationFailure.nonRetryable(`scripted ${type}`, type);
};

/** Every activity answering as on a good day, so the saga reaches the one that fails. */
const HAPPY: Record<string, Fn> = {
  otpBudgetReserve: async () => ({ outcome: 'reserved' }),
  otpBudgetRelease: async () => undefined,
  prakerjaAuthorize: async () => ({
    outcome: 'authorized',
    transactionCode: 'TRX-1',
    amount: 20_000,
    providerStatus: 'success',
  }),
  fulfilPurchase: async () => ({ reference: 'F-1' }),
  prakerjaVoid: async () => ({ outcome: 'voided', message: 'voided' }),
  transferCreate: async (input: { amount: number; method: string }) => ({
    outcome: 'created',
    instructions: { amountToPay: input.amount, vaNumber: '8620910000000058' },
    ...(input.method === 'klink-gopay'
      ? { actions: { statusUrl: 'http://midtrans.test/status', cancelUrl: 'http://midtrans.test/cancel' } }
      : {}),
  }),
  alikassaPaymentStatus: async () => ({ found: true, state: 'pending', status: 'wait', id: 'AK-1' }),
  gopayStatus: async () => ({ state: 'pending', transactionStatus: 'pending' }),
  gopayCancel: async () => 'cancelled',
  alikassaCreatePayout: async () => ({ outcome: 'created', id: 'AKP-1' }),
  alikassaPayoutStatus: async () => ({ found: true, state: 'pending', status: 'wait', id: 'AKP-1' }),
  ppobInquiry: async () => ({ outcome: 'bill', inqId: 'INQ-1', amount: 52_500, customerName: 'BUDI' }),
  ppobSubmit: async () => ({
    status: 'Pending',
    state: 'pending',
    trxId: 'T-1',
    message: 'pending',
    repeated: false,
  }),
  klinkPay: async () => ({ outcome: 'paid', settledBy: 'pay' }),
  klinkReconcilePay: async () => ({ outcome: 'paid', settledBy: 'reconcile' }),
  klinkEscrowRefundRequest: async (input: { idOrder: string; idMember: string }) => ({
    outcome: 'candidates',
    candidates: [
      {
        idTrans: 7,
        idOrder: input.idOrder,
        idMember: input.idMember,
        amount: 90_000,
        description: 'escrow',
        datetime: '2026-11-30 10:00:00',
      },
    ],
  }),
  klinkRefundAccept: async () => ({ outcome: 'refunded' }),
  klinkTransfer: async () => ({ outcome: 'moved', message: 'Payment transfer M-1 to account M-2!' }),
  klinkFindTransfer: async () => ({ outcome: 'not-found', detail: 'history shows nothing' }),
};

const activities = Object.fromEntries(
  Object.entries(HAPPY).map(([name, happy]) => [
    name,
    async (...args: unknown[]) => {
      const script = scripts.get(Context.current().info.workflowExecution!.workflowId);
      if (script?.fail === name)
        throw ApplicationFailure.nonRetryable(
          `injected: ${name} failed in a way nobody planned for`,
          'Unplanned',
        );
      return (script?.answers?.[name] ?? happy)(...args);
    },
  ]),
);

interface Row {
  /** How the saga is started and driven until it reaches the failing activity. */
  start: (id: string) => { workflowType: string; input: unknown };
  drive?: (handle: WorkflowHandle) => Promise<void>;
  answers?: Record<string, Fn>;
  /**
   * Set only where the saga plans for this failure (a compensation), with the reason: the
   * status it then reaches instead of NEEDS_REVIEW.
   */
  planned?: { status: string; why: string };
}

const prakerja = (id: string, extra: object = {}) => ({
  workflowType: SAGAS.prakerja.workflowType,
  input: {
    invoiceCode: id,
    invoiceUrl: 'https://merchant.test/invoice',
    paymentToken: 'token-for-tests-0001',
    amount: 20_000,
    orderId: id,
    fulfilment: { maxAttempts: 1 },
    ...extra,
  },
});
const submitOtp = async (h: WorkflowHandle) => {
  await h.executeUpdate(submitOtpUpdate, { args: [{ otp: '123456' }] });
};
const transfer =
  (method: string, extra: object = {}) =>
  (id: string) => ({
    workflowType: SAGAS.transfer.workflowType,
    input: {
      orderId: id,
      method,
      amount: 150_000,
      customer: { fullname: 'Budi Santoso', phone: '081234567', email: 'b@example.test' },
      bankCode: '014',
      productCode: 'BCAATM',
      service: 'virtual_account_idr_hpp',
      customerCode: 'BCAVA',
      ...extra,
    },
  });
const payout = (id: string) => ({
  workflowType: SAGAS.payout.workflowType,
  input: {
    orderId: id,
    amount: 100_000,
    bankCode: 'PMTB',
    accountNumber: '1234567890',
    firstName: 'Budi',
    lastName: 'Santoso',
    pollSeconds: 1,
  },
});
const ppob = (kind: 'prepaid' | 'postpaid', funded: boolean) => (id: string) => ({
  workflowType: SAGAS.ppob.workflowType,
  input: {
    orderId: id,
    kind,
    productCode: kind === 'postpaid' ? 'INQPLN' : 'S10',
    destination: '081234567890',
    refid: 1000 + Math.floor(Math.random() * 1_000_000),
    ...(funded ? { funding: { idMember: 'M-1', amount: 10_500 } } : {}),
    pollSeconds: 1,
  },
});
const refund = (id: string) => ({
  workflowType: SAGAS.klinkRefund.workflowType,
  input: { idOrder: id, idMember: 'M-1', expectedAmount: 90_000, note: 'order cancelled by buyer' },
});

const kwalletTransfer = (id: string) => ({
  workflowType: SAGAS.kwalletTransfer.workflowType,
  input: {
    transferId: id,
    idMemberSend: 'M-1',
    idMemberReceipt: 'M-2',
    amount: 50_000,
    description: 'uang makan',
    confirmDelaysSeconds: [0],
  },
});

const ROWS: Record<SagaName, Record<string, Row>> = {
  prakerja: {
    otpBudgetReserve: {
      // A short OTP deadline: the refused OTP leaves the payment waiting for another one.
      start: (id) => prakerja(id, { otpTimeoutSeconds: 3 }),
      drive: submitOtp,
      planned: {
        status: 'EXPIRED',
        why: 'a budget that cannot be asked refuses the OTP and nothing is sent to Prakerja (authorize never ran, or it would complete); the payment waits for another OTP until its deadline',
      },
    },
    otpBudgetRelease: {
      start: prakerja,
      drive: submitOtp,
      planned: {
        status: 'COMPLETED',
        why: 'a budget unit that cannot be given back stays counted (the safe side); the authorized payment goes on',
      },
    },
    prakerjaAuthorize: { start: prakerja, drive: submitOtp },
    fulfilPurchase: {
      start: prakerja,
      drive: submitOtp,
      planned: { status: 'VOIDED', why: 'fulfilment failing for good is the compensation case: void' },
    },
    prakerjaVoid: {
      start: prakerja,
      drive: submitOtp,
      answers: { fulfilPurchase: rejected('FulfilmentRejected') },
    },
  },
  transfer: {
    transferCreate: { start: transfer('klink-va') },
    alikassaPaymentStatus: { start: transfer('alikassa') },
    gopayStatus: { start: transfer('klink-gopay') },
    gopayCancel: { start: transfer('klink-gopay', { expirySeconds: 2 }) },
  },
  payout: {
    alikassaCreatePayout: { start: payout },
    alikassaPayoutStatus: { start: payout },
  },
  ppob: {
    ppobInquiry: { start: ppob('postpaid', false) },
    ppobSubmit: { start: ppob('prepaid', false) },
    klinkPay: { start: ppob('prepaid', true) },
    klinkReconcilePay: {
      start: ppob('prepaid', true),
      answers: { klinkPay: async () => ({ outcome: 'unknown', detail: 'timeout after sending' }) },
    },
  },
  klinkRefund: {
    klinkEscrowRefundRequest: { start: refund },
    klinkRefundAccept: { start: refund },
  },
  kwalletTransfer: {
    klinkTransfer: { start: kwalletTransfer },
    klinkFindTransfer: {
      start: kwalletTransfer,
      answers: { klinkTransfer: async () => ({ outcome: 'unclear', detail: 'timeout after sending' }) },
    },
  },
  unmatched: {},
};

describe('every activity of every saga: failing for good parks the payment', () => {
  const codecKeys = testCodecKeys();
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    env = await startTestEnv(codecKeys);
    worker = await createTestWorker(env, codecKeys, 'failures', activities);
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('has a row for every activity in every saga’s table, and no row for one that is not', () => {
    for (const saga of SAGA_NAMES) {
      const listed = Object.keys(SAGAS[saga].activities).sort();
      assert.deepEqual(Object.keys(ROWS[saga]).sort(), listed, `${saga}: one row per activity of its table`);
      for (const name of listed) assert.ok(HAPPY[name], `${name} has a good-day answer`);
    }
  });

  const cases = SAGA_NAMES.flatMap((saga) =>
    Object.entries(ROWS[saga]).map(([activity, row]) => ({ saga, activity, row })),
  );
  for (const { saga, activity, row } of cases) {
    it(`${saga}: ${activity} fails for good -> ${row.planned?.status ?? NEEDS_REVIEW}, never a failed execution`, async () => {
      const workflowId = `fail-${activity}-${randomUUID().slice(0, 8)}`;
      scripts.set(workflowId, { fail: activity, answers: row.answers });
      const { workflowType, input } = row.start(workflowId);
      const handle = await env.client.workflow.start(workflowType, {
        workflowId,
        taskQueue: 'failures',
        args: [input],
      });
      await row.drive?.(handle);

      if (row.planned) {
        const view = (await handle.result()) as PaymentView;
        assert.equal(view.status, row.planned.status, row.planned.why);
        return;
      }
      const parked = await waitForReview(handle);
      assert.match(parked.review!.reason, new RegExp(activity), 'the reason names the activity');
      assert.equal(parked.review!.activity, activity);
      const described = await handle.describe();
      assert.equal(described.status.name, 'RUNNING', 'parked, not failed');
      assert.equal(described.typedSearchAttributes.get(SA_NEEDS_REVIEW), true, 'PaysagaNeedsReview=true');

      // An operator settles it; the workflow then completes.
      const action = parked.review!.actions.find((a) => a.startsWith('mark-') && a !== 'mark-succeeded');
      assert.ok(action, `a mark-* action is offered: ${parked.review!.actions.join(', ')}`);
      await handle.executeUpdate(resolveReviewUpdate, {
        args: [{ action, operator: 'ana', note: 'checked with the provider by phone' }],
      });
      const done = (await handle.result()) as PaymentView;
      assert.ok(
        (SAGAS[saga].finalStatuses as readonly string[]).includes(done.status),
        `${done.status} is final`,
      );
      assert.equal((await handle.describe()).status.name, 'COMPLETED');
    });
  }
});

async function waitForReview(handle: WorkflowHandle, timeoutMs = 60_000): Promise<PaymentView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await handle.describe();
    assert.notEqual(description.status.name, 'FAILED', 'the workflow execution must never fail');
    const view = await handle.query(statusQuery);
    if (view.status === NEEDS_REVIEW) return view;
    if (Date.now() > deadline) assert.fail(`still ${view.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

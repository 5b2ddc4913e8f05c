/**
 * Records the histories the replay test replays: one per ending of a saga, run on a real dev
 * server with scripted provider outcomes. Run it when a saga version is released:
 *
 *   npx tsx scripts/record-histories.ts <saga: prakerja | klink-refund | ppob | transfer | payout | kwallet-transfer | unmatched> <version, e.g. v1>
 *
 * Never re-record an existing version's files: they are the proof that executions started by
 * that version still replay on today's code.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { WorkflowClient } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  FindMovementOutcome,
  FindTransferInput,
  KWalletPayOutcome,
  KWalletSendOutcome,
  KWalletTransferInput,
  RefundAcceptOutcome,
  RefundRequestOutcome,
} from '../activities/klink';
import type { PpobPurchaseView } from '../workflows/ppob-definitions';
import type { AliKassaStatus, PayoutCreateOutcome } from '../activities/alikassa';
import type { TransferCreateOutcome } from '../activities/transfer';
import {
  TRANSFER_WORKFLOW_TYPE,
  transferWebhookSignal,
  type TransferView,
} from '../workflows/transfer-definitions';
import type { AuthorizeActivityInput, AuthorizeOutcome, VoidOutcome } from '../activities/prakerja';
import { createOtpBudgetActivities } from '../activities/otp-budget';
import { PaysagaClient } from '../client/paysaga-client';
import { createTestWorker, startTestEnv, TEST_NAMESPACE } from '../test/helpers/test-env';
import { REPLAY_FIXTURE_KEYS } from '../test/replay/fixture-codec-key';
import { KLINK_REFUND_WORKFLOW_TYPE, type KLinkRefundView } from '../workflows/klink-refund-definitions';
import { PRAKERJA_WORKFLOW_TYPE } from '../workflows/prakerja-definitions';
import { OTP_BUDGET_EXHAUSTED } from '../workflows/otp-budget-definitions';
import { temporalCliPath } from './temporal-cli';
import { deliverUnmatched } from '../gateway/unmatched';
import type { UnmatchedReportView } from '../workflows/unmatched-report';

/** What the scripted providers do for one business key. */
interface Behaviour {
  fulfilFails?: boolean;
  voidRefused?: boolean;
  ambiguous?: boolean;
  refundMismatch?: boolean;
  acceptRefusedOnce?: boolean;
  /** PPOB: the provider's answers to successive submits (the last repeats). */
  ppobAnswers?: Array<'Waiting' | 'Pending' | 'Success' | 'Failed'>;
}
const submitCalls = new Map<string, number>();
const payoutStatusCalls = new Map<string, number>();
const behaviour = new Map<string, Behaviour>();
const acceptCalls = new Map<string, number>();
const findTransferCalls = new Map<string, number>();

const activities = {
  // K-Wallet transfer: the transfer id (the scenario's key, in the description and the reference) says what happens.
  async klinkTransfer(input: KWalletTransferInput): Promise<KWalletSendOutcome> {
    if (input.description.includes('-refused'))
      return { outcome: 'refused', code: 'INSUFFICIENT_BALANCE', message: 'Saldo tidak mencukupi' };
    if (/-confirmed|-review/.test(input.description)) return { outcome: 'unclear', detail: 'timeout' };
    return { outcome: 'moved', message: 'Payment transfer M-1 to account M-2!' };
  },
  async klinkFindTransfer(input: FindTransferInput): Promise<FindMovementOutcome> {
    const n = (findTransferCalls.get(input.reference) ?? 0) + 1;
    findTransferCalls.set(input.reference, n);
    const movement = {
      datetime: '2026-11-30 10:00:00',
      at: '2026-11-30T03:00:00.000Z',
      description: `uang makan [${input.reference}]`,
      direction: 'out' as const,
      amount: input.amount,
      balance: 25000,
    };
    const found =
      input.reference.includes('-confirmed') || (input.reference.includes('-review-rechecked') && n > 1);
    return found
      ? { outcome: 'found', movement, detail: 'history shows it at 2026-11-30 10:00:00' }
      : { outcome: 'not-found', detail: 'history shows no movement' };
  },
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
  async ppobSubmit(input: { dest: string }) {
    const n = (submitCalls.get(input.dest) ?? 0) + 1;
    submitCalls.set(input.dest, n);
    const answers = behaviour.get(input.dest)?.ppobAnswers ?? ['Success'];
    const status = answers[Math.min(n, answers.length) - 1]!;
    return {
      status,
      trxId: 'T1',
      sn: status === 'Success' ? 'SN-1' : undefined,
      message: 'ok',
      repeated: n > 1,
    };
  },
  async ppobInquiry() {
    return { outcome: 'bill' as const, inqId: 'INQ-1', amount: 155000, customerName: 'BUDI SANTOSO' };
  },
  async klinkPay(): Promise<KWalletPayOutcome> {
    return { outcome: 'paid', settledBy: 'pay' };
  },
  async klinkReconcilePay(): Promise<KWalletPayOutcome> {
    return { outcome: 'paid', settledBy: 'reconcile' };
  },
  async transferCreate(input: { orderId: string; amount: number }): Promise<TransferCreateOutcome> {
    if (input.orderId.endsWith('-refused'))
      return { outcome: 'refused', code: 'BANK_CODE_INVALID', message: 'bank_code tidak sesuai' };
    if (input.orderId.includes('gopay')) {
      return {
        outcome: 'created',
        instructions: { amountToPay: input.amount, qrUrl: 'http://sandbox/qr', deeplinkUrl: 'gojek://x' },
        actions: {
          statusUrl: `http://sandbox/midtrans/v2/${input.orderId}/status`,
          cancelUrl: `http://sandbox/midtrans/v2/${input.orderId}/cancel`,
        },
      };
    }
    return { outcome: 'created', instructions: { amountToPay: input.amount, vaNumber: '8620910000000058' } };
  },
  async gopayStatus(input: { statusUrl: string }) {
    return input.statusUrl.includes('paid-by-status')
      ? { state: 'paid' as const, transactionStatus: 'settlement', grossAmount: 150000 }
      : { state: 'pending' as const };
  },
  async gopayCancel(): Promise<'cancelled'> {
    return 'cancelled';
  },
  async alikassaPaymentStatus(): Promise<AliKassaStatus> {
    return { found: true, state: 'pending', status: 'wait', amount: 150000, id: '1' };
  },
  async alikassaCreatePayout(input: { orderId: string }): Promise<PayoutCreateOutcome> {
    if (input.orderId.endsWith('-refused'))
      return { outcome: 'refused', code: 'INVALID_INPUT', message: 'BSI is under maintenance' };
    if (input.orderId.endsWith('-unclear')) return { outcome: 'unclear', detail: 'timeout' };
    return { outcome: 'created', id: '77' };
  },
  async alikassaPayoutStatus(input: { orderId: string }): Promise<AliKassaStatus> {
    const n = (payoutStatusCalls.get(input.orderId) ?? 0) + 1;
    payoutStatusCalls.set(input.orderId, n);
    return n === 1
      ? { found: true, state: 'pending', status: 'wait', amount: 250000, id: '77' }
      : { found: true, state: 'paid', status: 'paid', amount: 250000, id: '77' };
  },
  async klinkEscrowRefundRequest(input: {
    idOrder: string;
    idMember: string;
  }): Promise<RefundRequestOutcome> {
    const amount = behaviour.get(input.idOrder)?.refundMismatch
      ? 95000
      : input.idOrder.startsWith('ppob-')
        ? 10500
        : 90000;
    return {
      outcome: 'candidates',
      candidates: [
        {
          idTrans: 137,
          idOrder: input.idOrder,
          idMember: input.idMember,
          amount,
          description: 'fixture',
          datetime: '2026-11-23 10:00:00',
        },
      ],
    };
  },
  async klinkRefundAccept(input: { idOrder: string }): Promise<RefundAcceptOutcome> {
    const n = (acceptCalls.get(input.idOrder) ?? 0) + 1;
    acceptCalls.set(input.idOrder, n);
    if (behaviour.get(input.idOrder)?.acceptRefusedOnce && n === 1)
      return { outcome: 'refused', code: 'NOT_FOUND', message: 'data not found' };
    return { outcome: 'refunded' };
  },
};

interface Scenario {
  /** Starts the saga for `key` and drives it to its end. Returns the workflow id. */
  run(key: string): Promise<string>;
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
}

/** The invoice budget while recording: no other Prakerja scenario holds more than one unit. */
const RECORDED_PER_INVOICE = 2;

function prakerjaScenarios(client: PaysagaClient, workflows: WorkflowClient): Record<string, Scenario> {
  const base = {
    invoiceUrl: 'https://lp.example/inv',
    paymentToken: 'ptk_fixture_token',
    amount: 20000,
    fulfilment: { timeoutSeconds: 5, maxAttempts: 1 },
  };
  const started = async (key: string, drive: (id: string) => Promise<unknown>, b: Behaviour = {}) => {
    behaviour.set(key, b);
    const { workflowId } = await client.startPrakerjaPayment({
      ...base,
      invoiceCode: key,
      orderId: `ORD-${key}`,
    });
    await drive(workflowId);
    return workflowId;
  };
  return {
    completed: {
      run: (k) =>
        started(
          k,
          async (id) => (
            await client.submitOtp(id, { otp: '000000' }),
            client.submitOtp(id, { otp: '123456' })
          ),
        ),
    },
    voided: {
      run: (k) => started(k, (id) => client.submitOtp(id, { otp: '123456' }), { fulfilFails: true }),
    },
    'review-resolved': {
      run: (k) =>
        started(
          k,
          async (id) => {
            await client.submitOtp(id, { otp: '123456' });
            await waitFor(async () => (await client.status(id)).status === 'NEEDS_REVIEW');
            await client.review(id, {
              action: 'mark-voided',
              note: 'voided by Prakerja ops',
              operator: 'fixture',
            });
          },
          { fulfilFails: true, voidRefused: true },
        ),
    },
    'ambiguous-failed': {
      run: (k) =>
        started(
          k,
          async (id) => {
            await client.submitOtp(id, { otp: '123456' });
            await client.review(id, {
              action: 'mark-failed',
              note: 'no transaction at Prakerja',
              operator: 'fixture',
            });
          },
          { ambiguous: true },
        ),
    },
    cancelled: { run: (k) => started(k, (id) => client.cancel(id, { reason: 'fixture cancel' })) },
    // Two wrong OTPs spend the invoice's budget (RECORDED_PER_INVOICE): the third is refused
    // unsent and the payment fails.
    'otp-budget-spent': {
      run: (k) =>
        started(k, async (id) => {
          for (let i = 0; i < RECORDED_PER_INVOICE; i++) await client.submitOtp(id, { otp: '000000' });
          const refused = await client.submitOtp(id, { otp: '123456' }).then(
            () => undefined,
            (err: Error) => err,
          );
          if (!refused?.message.includes(OTP_BUDGET_EXHAUSTED))
            throw new Error(
              `expected the budget to refuse the third OTP, got ${refused?.message ?? 'accepted'}`,
            );
        }),
    },
    expired: {
      run: async (k) => {
        const handle = await workflows.start(PRAKERJA_WORKFLOW_TYPE, {
          workflowId: `prakerja-${k}`,
          taskQueue: 'paysaga',
          args: [{ ...base, invoiceCode: k, orderId: `ORD-${k}`, otpTimeoutSeconds: 1 }],
        });
        return handle.workflowId;
      },
    },
  };
}

function klinkRefundScenarios(client: PaysagaClient, workflows: WorkflowClient): Record<string, Scenario> {
  const base = { idMember: 'idspaa001', expectedAmount: 90000, note: 'fixture refund' };
  const started = async (key: string, drive: (id: string) => Promise<unknown>, b: Behaviour = {}) => {
    behaviour.set(key, b);
    const { workflowId } = await client.startKLinkRefund({ ...base, idOrder: key });
    await drive(workflowId);
    return workflowId;
  };
  const awaiting = (id: string) =>
    waitFor(async () => (await client.status<KLinkRefundView>(id)).status === 'AWAITING_CONFIRMATION');
  return {
    'auto-refunded': { run: (k) => started(k, async () => undefined) },
    'confirmed-refunded': {
      run: (k) =>
        started(
          k,
          async (id) => (
            await awaiting(id),
            client.confirmRefund(id, { idTrans: 137, operator: 'fixture', note: 'shipping included' })
          ),
          {
            refundMismatch: true,
          },
        ),
    },
    rejected: {
      run: (k) =>
        started(
          k,
          async (id) => (
            await awaiting(id),
            client.rejectRefund(id, { operator: 'fixture', note: 'not ours to refund' })
          ),
          { refundMismatch: true },
        ),
    },
    'review-retried': {
      run: (k) =>
        started(
          k,
          async (id) => {
            await waitFor(async () => (await client.status(id)).status === 'NEEDS_REVIEW');
            await client.review(id, {
              action: 'retry',
              operator: 'fixture',
              note: 'K-Link fixed the row',
            });
          },
          { acceptRefusedOnce: true },
        ),
    },
    'deadline-not-refunded': {
      run: async (k) => {
        behaviour.set(k, { refundMismatch: true });
        const handle = await workflows.start(KLINK_REFUND_WORKFLOW_TYPE, {
          workflowId: `klink-refund-${k}`,
          taskQueue: 'paysaga',
          args: [{ ...base, idOrder: k, confirmTimeoutSeconds: 1 }],
        });
        return handle.workflowId;
      },
    },
  };
}

function ppobScenarios(client: PaysagaClient): Record<string, Scenario> {
  const started = async (
    key: string,
    b: Behaviour,
    extra: Record<string, unknown>,
    drive: (id: string) => Promise<unknown> = async () => undefined,
  ) => {
    const dest = `08${key.replace(/\D/g, '').padEnd(8, '0')}${Object.keys(extra).length}`;
    behaviour.set(dest, b);
    const { workflowId } = await client.startPpobPurchase({
      orderId: key,
      kind: 'prepaid',
      productCode: 'S10',
      destination: dest,
      pollSeconds: 1,
      ...extra,
    });
    await drive(workflowId);
    return workflowId;
  };
  const funded = { funding: { idMember: 'm1', amount: 10500 } };
  const until = (id: string, status: string) =>
    waitFor(async () => (await client.status<PpobPurchaseView>(id)).status === status);
  return {
    succeeded: { run: (k) => started(k, { ppobAnswers: ['Waiting', 'Success'] }, {}) },
    refunded: { run: (k) => started(k, { ppobAnswers: ['Pending', 'Failed'] }, funded) },
    'review-marked-failed': {
      run: (k) =>
        started(k, { ppobAnswers: ['Pending'] }, { ...funded, finalDeadlineSeconds: 5 }, async (id) => {
          await until(id, 'NEEDS_REVIEW');
          await client.review(id, {
            action: 'mark-failed',
            operator: 'fixture',
            note: 'provider confirmed Failed',
          });
        }),
    },
    'postpaid-paid': {
      run: (k) =>
        started(
          k,
          { ppobAnswers: ['Success'] },
          { kind: 'postpaid', productCode: 'INQPLN', ...funded },
          async (id) => {
            await until(id, 'AWAITING_CONFIRMATION');
            await client.confirmBill(id, { accept: true });
          },
        ),
    },
    'bill-declined': {
      run: (k) =>
        started(k, {}, { kind: 'postpaid', productCode: 'INQPLN' }, async (id) => {
          await until(id, 'AWAITING_CONFIRMATION');
          await client.confirmBill(id, { accept: false });
        }),
    },
  };
}

function transferScenarios(client: PaysagaClient, workflows: WorkflowClient): Record<string, Scenario> {
  const base = {
    method: 'klink-va',
    amount: 150000,
    customer: { fullname: 'Budi', phone: '081234567', email: 'b@example.test' },
    bankCode: '014',
    productCode: 'BCAATM',
  };
  const webhook = (id: string, orderId: string, amount: number) =>
    workflows.getHandle(id).signal(transferWebhookSignal, {
      provider: 'klink',
      orderId,
      reference: `rq-${orderId}`,
      status: 'success',
      success: true,
      amount,
      receivedAt: '2026-11-23T10:00:00.000Z',
    });
  const until = (id: string, status: string) =>
    waitFor(async () => (await client.status<TransferView>(id)).status === status);
  return {
    paid: {
      run: async (k) => {
        const { workflowId } = await client.startTransfer({ ...base, orderId: k });
        await until(workflowId, 'AWAITING_PAYMENT');
        await webhook(workflowId, k, 150000);
        await webhook(workflowId, k, 150000);
        return workflowId;
      },
    },
    'wrong-amount-marked-paid': {
      run: async (k) => {
        const { workflowId } = await client.startTransfer({ ...base, orderId: k });
        await until(workflowId, 'AWAITING_PAYMENT');
        await webhook(workflowId, k, 149000);
        await until(workflowId, 'NEEDS_REVIEW');
        await client.review(workflowId, {
          action: 'mark-paid',
          operator: 'fixture',
          note: 'customer topped up the difference',
        });
        return workflowId;
      },
    },
    expired: {
      run: async (k) => {
        const handle = await workflows.start(TRANSFER_WORKFLOW_TYPE, {
          workflowId: `transfer-${k}`,
          taskQueue: 'paysaga',
          args: [{ ...base, orderId: k, expirySeconds: 1 }],
        });
        return handle.workflowId;
      },
    },
    refused: {
      run: async (k) => (await client.startTransfer({ ...base, orderId: `${k}-refused` })).workflowId,
    },
    // v2 (patch gopay-midtrans-actions): GoPay polled through Midtrans and cancelled at expiry.
    'gopay-paid-by-status': {
      run: async (k) =>
        (
          await client.startTransfer({
            ...base,
            method: 'klink-gopay',
            bankCode: 'gopay',
            productCode: 'e_money',
            orderId: `${k}-gopay`,
          })
        ).workflowId,
    },
    'gopay-expired-cancelled': {
      run: async (k) => {
        const handle = await workflows.start(TRANSFER_WORKFLOW_TYPE, {
          workflowId: `transfer-${k}-gopay`,
          taskQueue: 'paysaga',
          args: [
            {
              ...base,
              method: 'klink-gopay',
              bankCode: 'gopay',
              productCode: 'e_money',
              orderId: `${k}-gopay`,
              expirySeconds: 2,
            },
          ],
        });
        return handle.workflowId;
      },
    },
  };
}

function payoutScenarios(client: PaysagaClient): Record<string, Scenario> {
  const base = {
    amount: 250000,
    bankCode: 'PMTB',
    accountNumber: '1234567890',
    firstName: 'Siti',
    lastName: 'Aminah',
    pollSeconds: 1,
  };
  return {
    'paid-out': { run: async (k) => (await client.startPayout({ ...base, orderId: k })).workflowId },
    'unclear-confirmed': {
      run: async (k) => (await client.startPayout({ ...base, orderId: `${k}-unclear` })).workflowId,
    },
    refused: {
      run: async (k) => (await client.startPayout({ ...base, orderId: `${k}-refused` })).workflowId,
    },
  };
}

function kwalletTransferScenarios(client: PaysagaClient): Record<string, Scenario> {
  const started = async (k: string, drive?: (id: string) => Promise<void>) => {
    const { workflowId } = await client.startKWalletTransfer({
      transferId: k,
      idMemberSend: 'M-1',
      idMemberReceipt: 'M-2',
      amount: 50000,
      description: 'uang makan',
      confirmDelaysSeconds: [1],
    });
    await drive?.(workflowId);
    return workflowId;
  };
  const parkedThen = (action: string, note: string) => async (id: string) => {
    await waitFor(async () => (await client.status(id)).status === 'NEEDS_REVIEW');
    await client.review(id, { action, operator: 'fixture', note });
  };
  return {
    transferred: { run: (k) => started(k) },
    refused: { run: (k) => started(k) },
    'confirmed-by-history': { run: (k) => started(k) },
    'review-rechecked': { run: (k) => started(k, parkedThen('recheck', 'K-Link says it went through')) },
    'review-marked-failed': {
      run: (k) => started(k, parkedThen('mark-failed', 'K-Link confirms nothing moved')),
    },
  };
}

/** An unmatched report: two reports for one key land together, then an operator resolves it. */
function unmatchedScenarios(client: PaysagaClient): Record<string, Scenario> {
  return {
    resolved: {
      run: async (k) => {
        const report = {
          provider: 'klink',
          key: k,
          status: 'success',
          amount: 175000,
          reference: `rq-${k}`,
          receivedAt: '2026-12-01T10:00:00.000Z',
        };
        const id = await deliverUnmatched(client, report);
        await deliverUnmatched(client, { ...report, reference: `rq-${k}-again` });
        await waitFor(async () => (await client.status<UnmatchedReportView>(id)).reports.length === 2);
        await client.review(id, {
          action: 'mark-resolved',
          operator: 'fixture',
          note: 'refunded to the payer by hand',
        });
        return id;
      },
    },
  };
}

async function main(): Promise<void> {
  const [saga, version] = process.argv.slice(2);
  const sagas = {
    prakerja: prakerjaScenarios,
    'klink-refund': klinkRefundScenarios,
    ppob: ppobScenarios,
    transfer: transferScenarios,
    payout: payoutScenarios,
    'kwallet-transfer': kwalletTransferScenarios,
    unmatched: unmatchedScenarios,
  };
  if (!saga || !version || !(saga in sagas)) {
    console.error(`usage: record-histories.ts <${Object.keys(sagas).join(' | ')}> <version, e.g. v1>`);
    process.exit(2);
  }
  const env = await startTestEnv(REPLAY_FIXTURE_KEYS);
  // The real OTP budget (its workflows run on the same worker): a token's is generous, so only
  // the scenario that means to spend an invoice's is refused.
  const otpBudget = createOtpBudgetActivities(env.client, 'paysaga', {
    perToken: 100,
    perInvoice: RECORDED_PER_INVOICE,
    windowSeconds: 3600,
    key: Buffer.alloc(32, 7),
  });
  const worker = await createTestWorker(env, REPLAY_FIXTURE_KEYS, 'paysaga', { ...activities, ...otpBudget });
  const client = new PaysagaClient(env.client, 'paysaga');
  const scenarios = sagas[saga as keyof typeof sagas](client, env.client.workflow);
  await worker.runUntil(async () => {
    for (const [name, scenario] of Object.entries(scenarios)) {
      const workflowId = await scenario.run(`REPLAY-${version}-${name}`);
      await env.client.workflow.getHandle(workflowId).result();
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
          workflowId,
          '-o',
          'json',
        ],
        { encoding: 'utf8' },
      );
      const file = join(__dirname, '../test/replay/histories', `${saga}-${version}-${name}.json`);
      writeFileSync(file, json);
      console.log(`recorded ${file}`);
    }
  });
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

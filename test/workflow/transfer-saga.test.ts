/**
 * The pay-by-transfer saga on a real Temporal dev server, with the webhooks arriving through the
 * real gateway over HTTP (signed as K-Link signs them), a scripted create and scripted AliKassa
 * and Midtrans status answers (their words read by the real states modules of providers/).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { AliKassaStatus } from '../../activities/alikassa';
import type { GopayStatus, TransferCreateOutcome } from '../../activities/transfer';
import { createLogger } from '../../common/logger';
import { buildGateway } from '../../gateway/server';
import { aliKassaProviderState } from '../../providers/alikassa/states';
import { midtransState } from '../../providers/klink/states';
import { AesGcmPayloadCodec } from '../../workers/codec';
import { LEGACY_REVIEW_UPDATES, resolveReviewUpdate, statusQuery } from '../../workflows/saga-definitions';
import { SA_NEEDS_REVIEW } from '../../workflows/search-attributes';
import {
  TRANSFER_WORKFLOW_TYPE,
  transferWebhookSignal,
  transferWorkflowId,
  type TransferInput,
  type TransferView,
} from '../../workflows/transfer-definitions';
import type { UnmatchedReportView } from '../../workflows/unmatched-report';
import { http } from '../helpers/http';
import { createTestWorker, useSagaTestEnv } from '../helpers/test-env';

const PID_KEY = 'pid-key-for-tests-0001';
const creates = new Map<string, TransferCreateOutcome>();
/** Per order: AliKassa's payment_status words, one per status call (the last repeats), and a delay. */
const aliKassaWords = new Map<string, { words: string[]; delayMs?: number }>();
const aliKassaCalls = new Map<string, number>();
/** Per order: Midtrans' transaction_status word for the GoPay charge. */
const midtransWords = new Map<string, string>();
const activities = {
  async transferCreate(input: TransferInput): Promise<TransferCreateOutcome> {
    return (
      creates.get(input.orderId) ?? {
        outcome: 'created',
        instructions: { amountToPay: input.amount, vaNumber: '8620910000000058' },
      }
    );
  },
  /** As the activity answers: the word kept, its state read by providers/alikassa/states.ts. */
  async alikassaPaymentStatus(input: { orderId: string }): Promise<AliKassaStatus> {
    const script = aliKassaWords.get(input.orderId) ?? { words: ['wait'] };
    const n = (aliKassaCalls.get(input.orderId) ?? 0) + 1;
    aliKassaCalls.set(input.orderId, n);
    if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
    const word = script.words[Math.min(n, script.words.length) - 1]!;
    return { found: true, state: aliKassaProviderState(word), status: word, amount: 150_000, id: 'AK-1' };
  },
  async gopayStatus(input: { statusUrl: string }): Promise<GopayStatus> {
    const word = midtransWords.get(new URL(input.statusUrl).pathname.split('/')[2]!) ?? 'pending';
    return { state: midtransState(word), transactionStatus: word, grossAmount: 150_000 };
  },
  async gopayCancel(): Promise<'cancelled'> {
    return 'cancelled';
  },
};

function sign(raw: string, key = PID_KEY): string {
  // K-Link's formula (document section 2d): uppercase hex HMAC-SHA256 of the raw body with the PID key.
  return createHmac('sha256', key).update(raw).digest('hex').toUpperCase();
}

describe('pay-by-transfer saga with webhooks through the gateway', () => {
  const harness = useSagaTestEnv(activities);
  let gateway: FastifyInstance;
  let base: string;

  before(async () => {
    gateway = await buildGateway({
      client: harness.paysaga,
      codec: new AesGcmPayloadCodec(harness.codecKeys),
      uiOrigin: 'http://localhost:8233',
      logger: createLogger('gateway-test', 'silent'),
      klinkWebhookKey: PID_KEY,
    });
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    const address = gateway.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await gateway?.close();
  });

  const start = async (extra: Partial<TransferInput> = {}) => {
    const orderId = `T-${randomUUID().slice(0, 8)}`;
    const body = {
      orderId,
      method: 'klink-va',
      amount: 150_000,
      customer: { fullname: 'Budi', phone: '081234567', email: 'b@example.test' },
      bankCode: '014',
      productCode: 'BCAATM',
      ...extra,
    };
    const res = await http('POST', `${base}/v1/transfers`, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { orderId, workflowId: res.body.workflowId as string, answer: res.body };
  };
  const settlement = (orderId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      status: 'success',
      message: 'transaction success!',
      rq_uuid: `rq-${orderId}`,
      rq_datetime: '2026-11-23 10:00:00',
      order_id: orderId,
      kd_pay: '-',
      tot_bayar: '-',
      norek: '-',
      transaction: 'va',
      ...extra,
    });
  const post = (path: string, raw: string, headers: Record<string, string>) =>
    http('POST', `${base}/webhooks${path}`, raw, { 'Content-Type': 'application/json', ...headers });
  const view = (id: string) => harness.paysaga.status<TransferView>(id);
  const until = async (id: string, status: string) => {
    for (let i = 0; i < 100 && (await view(id)).status !== status; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await view(id)).status, status);
  };

  it('shows the instructions, then a verified settlement pays it; the same webhook twice counts once', async () => {
    const t = await start();
    // The first answer: the start itself answers with the instructions (update-with-start).
    assert.equal(t.answer.status, 'AWAITING_PAYMENT');
    assert.equal(t.answer.instructions?.vaNumber, '8620910000000058');
    assert.equal((await view(t.workflowId)).instructions?.vaNumber, '8620910000000058');
    const raw = settlement(t.orderId);
    const first = await post('/klink/settlement', raw, { 'x-servicepayment': sign(raw) });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await post('/klink/settlement', raw, { 'x-servicepayment': sign(raw) });
    assert.equal(again.status, 200);
    const final = await harness.paysaga.result<TransferView>(t.workflowId);
    assert.equal(final.status, 'PAID');
    assert.equal(final.webhooks.length, 1, 'a replay is harmless');
  });

  it('refuses forged webhooks before parsing: bad signature, changed byte, other key, no header, re-serialized, too large', async () => {
    const t = await start();
    await until(t.workflowId, 'AWAITING_PAYMENT');
    const raw = settlement(t.orderId);
    const before = (await http('GET', `${base}/metrics/webhooks`)).body.refused;
    const changed = raw.replace('success!', 'success?');
    const reserialized = JSON.stringify(JSON.parse(raw), null, 1);
    const answers = await Promise.all([
      post('/klink/settlement', raw, { 'x-servicepayment': 'AB'.repeat(32) }),
      post('/klink/settlement', changed, { 'x-servicepayment': sign(raw) }),
      post('/klink/settlement', raw, { 'x-servicepayment': sign(raw, 'another-pid-key-999') }),
      post('/klink/settlement', raw, {}),
      post('/klink/settlement', reserialized, { 'x-servicepayment': sign(raw) }),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [401, 401, 401, 401, 401],
    );
    const big = 'x'.repeat(70 * 1024);
    assert.equal((await post('/klink/settlement', big, { 'x-servicepayment': sign(big) })).status, 413);
    const notJson = '{"order_id":';
    assert.equal(
      (await post('/klink/settlement', notJson, { 'x-servicepayment': sign(notJson) })).status,
      400,
    );
    assert.equal((await post('/nosuch/provider', raw, {})).status, 404);
    const after = (await http('GET', `${base}/metrics/webhooks`)).body.refused;
    assert.equal(after.badSignature - before.badSignature, 4);
    assert.equal(after.missingSignature - before.missingSignature, 1);
    assert.equal(after.tooLarge - before.tooLarge, 1);
    assert.equal(after.malformed - before.malformed, 1);
    assert.equal(after.unknownRoute - before.unknownRoute, 1);
    assert.equal((await view(t.workflowId)).status, 'AWAITING_PAYMENT', 'nothing forged changed the payment');
  });

  it('a manual transfer without its kode_unik is NEEDS_REVIEW, never a silent success', async () => {
    creates.set('M-1', {
      outcome: 'created',
      instructions: { amountToPay: 151_234, kodeUnik: 1234, norek: '1190000879898' },
    });
    const t = await start({
      orderId: 'M-1',
      method: 'klink-manual',
      productCode: 'MANDIRIMANUAL',
      bankCode: '008',
    } as Partial<TransferInput>);
    await until(t.workflowId, 'AWAITING_PAYMENT');
    const raw = settlement('M-1', {
      tot_bayar: '150000',
      transaction: 'mandiri_manual',
      norek: '1190000879898',
    });
    assert.equal((await post('/klink/settlement', raw, { 'x-servicepayment': sign(raw) })).status, 200);
    await until(t.workflowId, 'NEEDS_REVIEW');
    assert.match((await view(t.workflowId)).review!.reason, /paid 150000 .* expected exactly 151234/);
  });

  it('a K-Link webhook word the engine does not know parks the payment; a failed word is not a payment; never EXPIRED', async () => {
    const t = await start({ expirySeconds: 10 });
    const failed = settlement(t.orderId, { status: 'failed', rq_uuid: `rq-failed-${t.orderId}` });
    assert.equal((await post('/klink/settlement', failed, { 'x-servicepayment': sign(failed) })).status, 200);
    const unknown = settlement(t.orderId, { status: 'settled' });
    assert.equal(
      (await post('/klink/settlement', unknown, { 'x-servicepayment': sign(unknown) })).status,
      200,
    );
    await until(t.workflowId, 'NEEDS_REVIEW');
    const parked = await view(t.workflowId);
    assert.match(parked.review!.reason, /says settled, a word the engine does not know/);
    assert.ok(parked.timeline.some((e) => /says failed: not a payment/.test(e.note)));
    // Past its expiry it is still waiting for a person, never EXPIRED.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal((await view(t.workflowId)).status, 'NEEDS_REVIEW');
    await harness.paysaga.review(t.workflowId, {
      action: 'mark-paid',
      operator: 'ana',
      note: 'K-Link shows it settled',
    });
    assert.equal((await harness.paysaga.result<TransferView>(t.workflowId)).status, 'PAID');
  });

  it('unpaid at expiry: EXPIRED; the late payment is kept for an operator with its amount', async () => {
    const t = await start({ expirySeconds: 10 });
    const final = await harness.paysaga.result<TransferView>(t.workflowId);
    assert.equal(final.status, 'EXPIRED');
    const raw = settlement(t.orderId, { tot_bayar: '150000' });
    const late = await post('/klink/settlement', raw, { 'x-servicepayment': sign(raw) });
    assert.equal(late.status, 200);
    assert.equal(late.body.unmatched, true);
    const kept = await harness.paysaga.status<UnmatchedReportView>(late.body.workflowId);
    assert.equal(kept.status, 'NEEDS_REVIEW');
    assert.equal(kept.relatedWorkflowId, t.workflowId);
    assert.equal(kept.reports[0]?.amount, 150_000);
  });

  it('a webhook for an order the engine never created is kept, not dropped', async () => {
    const raw = settlement('NEVER-CREATED-1');
    const res = await post('/klink/settlement', raw, { 'x-servicepayment': sign(raw) });
    assert.equal(res.status, 200);
    const kept = await harness.paysaga.status<UnmatchedReportView>(res.body.workflowId);
    assert.deepEqual(
      [kept.status, kept.key, kept.relatedWorkflowId],
      ['NEEDS_REVIEW', 'NEVER-CREATED-1', undefined],
    );
  });

  it('a refused create fails cleanly; a lost create waits for a person and still hears the payment', async () => {
    creates.set('R-1', { outcome: 'refused', code: 'BANK_CODE_INVALID', message: 'bank_code tidak sesuai' });
    const refused = await start({ orderId: 'R-1' } as Partial<TransferInput>);
    assert.equal((await harness.paysaga.result<TransferView>(refused.workflowId)).status, 'FAILED');

    creates.set('L-1', { outcome: 'exists', message: 'order_id L-1 already exists' });
    const lost = await start({ orderId: 'L-1' } as Partial<TransferInput>);
    await until(lost.workflowId, 'NEEDS_REVIEW');
    const raw = settlement('L-1');
    await post('/klink/settlement', raw, { 'x-servicepayment': sign(raw) });
    assert.equal((await harness.paysaga.result<TransferView>(lost.workflowId)).status, 'PAID');
  });

  // ---- unknown provider words park; a webhook-triggered check and a resolve do not hang ----

  const handleOf = (id: string): WorkflowHandle => harness.env.client.workflow.getHandle(id);
  const needsReviewAttribute = async (id: string) =>
    (await handleOf(id).describe()).typedSearchAttributes.get(SA_NEEDS_REVIEW);
  const resolve = (id: string, action: string, note = 'checked the payment with the provider') =>
    handleOf(id).executeUpdate(resolveReviewUpdate, { args: [{ action, operator: 'ana', note }] });
  const aliKassa = (orderId: string, extra: Partial<TransferInput> = {}): TransferInput => ({
    orderId,
    method: 'alikassa',
    amount: 150_000,
    customer: { fullname: 'Budi Santoso', phone: '081234567', email: 'b@example.test' },
    service: 'virtual_account_idr_hpp',
    customerCode: 'BCAVA',
    ...extra,
  });
  const aliKassaCreated = (orderId: string) =>
    creates.set(orderId, {
      outcome: 'created',
      instructions: {
        amountToPay: 150_000,
        redirectUrl: 'https://pay.alikassa.test/p/1',
        providerReference: '1',
      },
    });

  it('AliKassa polled: a status word the engine does not know parks it (NEEDS_REVIEW), never EXPIRED', async () => {
    const orderId = `AK-UNK-${randomUUID().slice(0, 8)}`;
    aliKassaCreated(orderId);
    aliKassaWords.set(orderId, { words: ['partially_paid'] });
    const answer = await harness.paysaga.startTransfer(aliKassa(orderId, { expirySeconds: 10 }));
    assert.equal(answer.status, 'AWAITING_PAYMENT', 'the first answer carries the payment page');
    assert.equal(answer.instructions?.redirectUrl, 'https://pay.alikassa.test/p/1');
    await until(answer.workflowId, 'NEEDS_REVIEW');
    const parked = await view(answer.workflowId);
    assert.match(parked.review!.reason, /partially_paid.*does not know/);
    assert.deepEqual(parked.review!.actions, ['mark-paid', 'mark-not-paid']);
    assert.equal(await needsReviewAttribute(answer.workflowId), true, 'PaysagaNeedsReview=true');
    // Past the order's expiry it still waits for a person: it may be paid.
    await new Promise((r) => setTimeout(r, 6_000));
    const later = await view(answer.workflowId);
    assert.equal(later.status, 'NEEDS_REVIEW');
    assert.ok(!later.timeline.some((e) => e.status === 'EXPIRED'), 'never EXPIRED');
    await resolve(answer.workflowId, 'mark-paid');
    assert.equal((await handleOf(answer.workflowId).result()).status, 'PAID');
  });

  it('AliKassa: asked once more at expiry, so a payment whose notification was lost is PAID, not EXPIRED', async () => {
    const orderId = `AK-LATE-${randomUUID().slice(0, 8)}`;
    aliKassaCreated(orderId);
    aliKassaWords.set(orderId, { words: ['paid'] });
    // 3 s: shorter than the first poll (5 s), so only the look at expiry can see the payment.
    const handle = await harness.env.client.workflow.start(TRANSFER_WORKFLOW_TYPE, {
      workflowId: transferWorkflowId(orderId),
      taskQueue: 'paysaga',
      args: [aliKassa(orderId, { expirySeconds: 3 })],
    });
    const final = (await handle.result()) as TransferView;
    assert.equal(final.status, 'PAID');
    assert.equal(final.paidAmount, 150_000);
  });

  it('a second VA settlement that arrives as the first one pays it is not closed over: the payment parks', async () => {
    const orderId = `T-TWICE-${randomUUID().slice(0, 8)}`;
    // No worker polls this queue yet: both settlements are waiting when the saga first runs, so
    // the second one is still unread in the task where the first pays the order.
    const handle = await harness.env.client.workflow.start(TRANSFER_WORKFLOW_TYPE, {
      workflowId: transferWorkflowId(orderId),
      taskQueue: 'late-news',
      args: [
        {
          orderId,
          method: 'klink-va',
          amount: 150_000,
          customer: { fullname: 'Budi', phone: '081234567', email: 'b@example.test' },
          bankCode: '014',
          productCode: 'BCAATM',
        },
      ],
    });
    for (const reference of ['rq-first', 'rq-second'])
      await handle.signal(transferWebhookSignal, {
        provider: 'klink',
        orderId,
        reference,
        status: 'success',
        success: true,
        state: 'paid',
        amount: 150_000,
        receivedAt: new Date().toISOString(),
      });
    const lateWorker = await createTestWorker(harness.env, harness.codecKeys, 'late-news', activities);
    await lateWorker.runUntil(async () => {
      for (let i = 0; i < 100 && (await handle.query(statusQuery)).status !== 'NEEDS_REVIEW'; i++)
        await new Promise((r) => setTimeout(r, 100));
      const parked = await handle.query(statusQuery);
      assert.equal(parked.status, 'NEEDS_REVIEW', JSON.stringify(parked.timeline));
      assert.match(parked.review!.reason, /rq-second .* check whether the customer paid twice/);
      await handle.executeUpdate(resolveReviewUpdate, {
        args: [{ action: 'mark-paid', operator: 'ana', note: 'refunded the second transfer at the bank' }],
      });
      assert.equal(((await handle.result()) as TransferView).status, 'PAID');
    });
  });

  it('GoPay polled: a Midtrans transaction_status the engine does not know parks it', async () => {
    const orderId = `GP-UNK-${randomUUID().slice(0, 8)}`;
    creates.set(orderId, {
      outcome: 'created',
      instructions: { amountToPay: 150_000, qrUrl: 'https://midtrans.test/qr', deeplinkUrl: 'gojek://pay' },
      actions: {
        statusUrl: `https://midtrans.test/v2/${orderId}/status`,
        cancelUrl: `https://midtrans.test/v2/${orderId}/cancel`,
      },
    });
    midtransWords.set(orderId, 'authorize');
    const answer = await harness.paysaga.startTransfer({
      orderId,
      method: 'klink-gopay',
      amount: 150_000,
      customer: { fullname: 'Budi', phone: '081234567', email: 'b@example.test' },
      bankCode: 'gopay',
      productCode: 'e_money',
      expirySeconds: 60,
    });
    assert.equal(answer.instructions?.qrUrl, 'https://midtrans.test/qr');
    await until(answer.workflowId, 'NEEDS_REVIEW');
    assert.match((await view(answer.workflowId)).review!.reason, /authorize.*does not know/);
    assert.equal(await needsReviewAttribute(answer.workflowId), true, 'PaysagaNeedsReview=true');
    // Resolved through the Update name released before the kernel: running payments keep it.
    await handleOf(answer.workflowId).executeUpdate(LEGACY_REVIEW_UPDATES.transfer, {
      args: [{ action: 'mark-not-paid', operator: 'ana', note: 'Midtrans support: never captured' }],
    });
    const final = (await handleOf(answer.workflowId).result()) as TransferView;
    assert.equal(final.status, 'FAILED');
    assert.equal(final.resolution?.operator, 'ana');
  });

  it('a resolve while a webhook-triggered AliKassa check runs is refused, never hangs; the workflow completes', async () => {
    const orderId = `AK-LOST-${randomUUID().slice(0, 8)}`;
    creates.set(orderId, { outcome: 'exists', message: `AliKassa has order ${orderId} (wait)` });
    // The confirmation of the notification is slow and says "not yet".
    aliKassaWords.set(orderId, { words: ['wait'], delayMs: 3_000 });
    const handle = await harness.env.client.workflow.start(TRANSFER_WORKFLOW_TYPE, {
      workflowId: transferWorkflowId(orderId),
      taskQueue: 'paysaga',
      args: [aliKassa(orderId)],
    });
    await until(handle.workflowId, 'NEEDS_REVIEW');
    await handle.signal(transferWebhookSignal, {
      provider: 'alikassa',
      orderId,
      reference: 'AK-N-1',
      status: 'success',
      success: true,
      amount: 150_000,
      receivedAt: new Date().toISOString(),
    });
    for (let i = 0; i < 50 && !aliKassaCalls.get(orderId); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(aliKassaCalls.get(orderId), 1, 'the check is running');

    const during = await resolve(handle.workflowId, 'mark-paid').then(
      () => 'applied',
      (err: unknown) => err,
    );
    assert.ok(during instanceof WorkflowUpdateFailedError, `refused, not ${String(during)}`);
    assert.match(during.cause?.message ?? '', /provider check is in flight/);

    // The check ends (AliKassa says wait: not believed); still parked, and a resolve now applies.
    for (let i = 0; i < 100; i++) {
      const v = await handle.query(statusQuery);
      if (v.timeline.some((e) => /AK-N-1 .* not believed/.test(e.note))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await view(handle.workflowId)).status, 'NEEDS_REVIEW');
    const applied = await resolve(handle.workflowId, 'mark-not-paid', 'AliKassa says wait; payer cancelled');
    assert.equal(applied.status, 'FAILED');
    const final = (await handle.result()) as TransferView;
    assert.equal(final.status, 'FAILED');
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
  });
});

/**
 * Pay by transfer and payouts on the whole stack: the K-Link and AliKassa simulators send their
 * signed webhooks to the gateway over HTTP, as the providers would.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { http, waitUntil } from '../helpers/http';

type Method = 'klink-va' | 'klink-manual' | 'klink-card' | 'klink-gopay' | 'alikassa';
const METHOD_FIELDS: Record<Method, Record<string, string>> = {
  'klink-va': { bankCode: '014', productCode: 'BCAATM' },
  'klink-manual': { bankCode: '008', productCode: 'MANDIRIMANUAL' },
  'klink-card': { bankCode: '008', productCode: 'MANDIRICC' },
  'klink-gopay': { bankCode: 'gopay', productCode: 'e_money' },
  alikassa: { service: 'virtual_account_idr_hpp', customerCode: 'BCAVA' },
};

describe('pay by transfer and payouts end to end (whole stack over HTTP)', () => {
  let stack: Stack;
  let seq = 0;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-transfer-')),
      log: () => undefined,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const control = (path: string, body?: unknown) =>
    http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
  const view = async (id: string) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${id}`)).body;
  const waitForStatus = (id: string, status: string, timeoutMs = 60_000) =>
    waitUntil(async () => (await view(id)).status === status, timeoutMs, `${id} to reach ${status}`);

  async function start(method: Method, extra: Record<string, unknown> = {}) {
    const orderId = `TR-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/transfers`, {
      orderId,
      method,
      amount: 150_000,
      customer: {
        fullname: 'Budi Santoso',
        phone: '081234567890',
        email: 'budi@example.test',
        ip: '10.1.2.3',
      },
      ...METHOD_FIELDS[method],
      ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitForStatus(res.body.workflowId, 'AWAITING_PAYMENT', 30_000);
    return { orderId, workflowId: res.body.workflowId as string };
  }
  /** The customer pays at the provider; the simulator then sends its signed webhook. `late`: after the charge was cancelled. */
  const customerPays = (method: Method, orderId: string, amount?: number, late = false) =>
    method === 'alikassa'
      ? control('alikassa/pay', { order_id: orderId, late, ...(amount === undefined ? {} : { amount }) })
      : control('klink/customer-pays', {
          order_id: orderId,
          late,
          ...(amount === undefined ? {} : { amount }),
        });

  for (const method of Object.keys(METHOD_FIELDS) as Method[]) {
    it(`${method}: instructions shown, paid by webhook`, async () => {
      const t = await start(method);
      const waiting = await view(t.workflowId);
      assert.ok(waiting.instructions.amountToPay >= 150_000);
      if (method === 'klink-va') assert.match(waiting.instructions.vaNumber, /^\d+$/);
      if (method === 'klink-manual')
        assert.ok(waiting.instructions.kodeUnik >= 1 && waiting.instructions.norek);
      if (method === 'klink-card' || method === 'alikassa')
        assert.match(waiting.instructions.redirectUrl, /^https?:/);
      if (method === 'klink-gopay') assert.ok(waiting.instructions.qrUrl || waiting.instructions.deeplinkUrl);
      const paid = await customerPays(method, t.orderId);
      assert.ok(paid.status < 300, JSON.stringify(paid.body));
      await waitForStatus(t.workflowId, 'PAID');
    });

    it(`${method}: expired, then paid late: kept for an operator with the money recorded`, async () => {
      const t = await start(method, { expirySeconds: 10 });
      await waitForStatus(t.workflowId, 'EXPIRED', 30_000);
      if (method === 'klink-gopay')
        assert.match((await view(t.workflowId)).timeline.at(-1).note, /cancelled at Midtrans/);
      const late = await customerPays(method, t.orderId, undefined, true);
      assert.ok(late.status < 300, JSON.stringify(late.body));
      const key = method === 'alikassa' ? `unmatched-alikassa-${t.orderId}` : `unmatched-klink-${t.orderId}`;
      await waitUntil(
        async () => (await view(key)).status === 'NEEDS_REVIEW',
        30_000,
        'the late payment kept',
      );
      const kept = await view(key);
      assert.equal(kept.relatedWorkflowId, t.workflowId);
    });
  }

  // GoPay's notification carries no amount (the QR fixes it), so it is not in this list.
  for (const method of ['klink-va', 'klink-manual', 'klink-card', 'alikassa'] as const) {
    it(`${method}: paid a different amount: NEEDS_REVIEW, never a silent success`, async () => {
      const t = await start(method);
      await customerPays(method, t.orderId, 150_000 - 1);
      await waitForStatus(t.workflowId, 'NEEDS_REVIEW');
      assert.match((await view(t.workflowId)).review.reason, /expected exactly/);
    });
  }

  it('klink-gopay: the webhook lost, the payment is found through Midtrans get-status', async () => {
    const t = await start('klink-gopay');
    await control('webhooks', { simulator: 'klink', mode: 'drop', orderId: t.orderId });
    await customerPays('klink-gopay', t.orderId);
    await waitForStatus(t.workflowId, 'PAID', 60_000);
    assert.match((await view(t.workflowId)).paidReference, /^midtrans-status-/);
  });

  it('a webhook storm: every webhook 3 times and reordered, plus forged ones; each payment completes once', async () => {
    const before = (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body;
    await control('webhooks', { simulator: 'klink', mode: 'duplicate' });
    try {
      const payments = [await start('klink-va'), await start('klink-manual'), await start('klink-gopay')];
      for (const [i, p] of payments.entries())
        await customerPays((['klink-va', 'klink-manual', 'klink-gopay'] as const)[i]!, p.orderId);
      const forged = await Promise.all(
        (['bad', 'other-key', 'none'] as const).map((sign) =>
          control('webhooks/send-raw', {
            simulator: 'klink',
            path: '/webhooks/klink/settlement',
            body: JSON.stringify({
              status: 'success',
              message: 'x',
              rq_uuid: `forged-${sign}`,
              rq_datetime: '2026-11-23 10:00:00',
              order_id: payments[0]!.orderId,
              kd_pay: '-',
              tot_bayar: '-',
              norek: '-',
            }),
            sign,
          }),
        ),
      );
      assert.ok(forged.every((f) => f.status < 500));
      for (const p of payments) await waitForStatus(p.workflowId, 'PAID');
      for (const p of payments) {
        const v = await view(p.workflowId);
        assert.equal(v.webhooks.length, 1, `${p.workflowId} credited once`);
        assert.ok(!String(v.paidReference).startsWith('forged'));
      }
      const afterCounts = (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body;
      assert.ok(
        afterCounts.refused.badSignature - before.refused.badSignature >= 2,
        JSON.stringify(afterCounts),
      );
      assert.ok(afterCounts.refused.missingSignature - before.refused.missingSignature >= 1);
    } finally {
      await control('webhooks', { simulator: 'klink', mode: 'normal' });
    }
  });

  it('reordered webhooks: each is held until the next one, sent in reverse; every payment completes once', async () => {
    await control('webhooks', { simulator: 'klink', mode: 'reorder' });
    const payments = [await start('klink-va'), await start('klink-card')];
    try {
      await customerPays('klink-va', payments[0]!.orderId);
      await customerPays('klink-card', payments[1]!.orderId);
      await waitForStatus(payments[0]!.workflowId, 'PAID');
    } finally {
      // Leaving reorder mode releases the last held webhook.
      await control('webhooks', { simulator: 'klink', mode: 'normal' });
    }
    await waitForStatus(payments[1]!.workflowId, 'PAID');
    for (const p of payments) assert.equal((await view(p.workflowId)).webhooks.length, 1);
  });

  it('Temporal stopped while a webhook arrives: 503, the simulator retries, the payment completes after', async () => {
    const t = await start('klink-va');
    await stack.stopTemporal();
    try {
      await customerPays('klink-va', t.orderId);
      // Longer than the gateway's 3 s webhook deadline (GATEWAY_WEBHOOK_TIMEOUT_MS): the first deliveries get 503.
      await waitUntil(
        async () => (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body.temporalUnavailable >= 1,
        30_000,
        'a 503 while Temporal is down',
      );
    } finally {
      await stack.startTemporal();
    }
    await waitForStatus(t.workflowId, 'PAID', 90_000);
    const counts = (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body;
    assert.ok(counts.temporalUnavailable >= 1, 'the gateway refused while Temporal was down');
  });

  it('a payout end to end, and a payout whose create times out after the simulator recorded it: one payout', async () => {
    const orderId = `PO-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/alikassa/payouts`, {
      orderId,
      amount: 250_000,
      bankCode: 'PMTB',
      accountNumber: '1234567890',
      firstName: 'Siti',
      lastName: 'Aminah',
      pollSeconds: 2,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitForStatus(res.body.workflowId, 'PAID_OUT');

    const lost = `PO-${process.pid}-${++seq}`;
    await control('faults', {
      route: 'alikassa.payout',
      mode: 'timeout-after-commit',
      ms: 20_000,
      match: { order_id: lost },
    });
    const res2 = await http('POST', `${stack.gatewayUrl}/v1/alikassa/payouts`, {
      orderId: lost,
      amount: 100_000,
      bankCode: 'BCAD',
      accountNumber: '9876543210',
      firstName: 'Rudi',
      lastName: 'Hartono',
      pollSeconds: 2,
    });
    await waitForStatus(res2.body.workflowId, 'PAID_OUT', 90_000);
    const stats = (await control('alikassa/stats')).body;
    assert.equal(stats.payouts.byOrder[lost].creates, 1, 'exactly one payout at the simulator');
    const badBank = await http('POST', `${stack.gatewayUrl}/v1/alikassa/payouts`, {
      orderId: `PO-${process.pid}-${++seq}`,
      amount: 100_000,
      bankCode: 'BSI',
      accountNumber: '9876543210',
      firstName: 'Rudi',
      lastName: 'Hartono',
    });
    await waitForStatus(badBank.body.workflowId, 'FAILED', 30_000);
  });
});

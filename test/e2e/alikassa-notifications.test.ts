/**
 * AliKassa notifications on the whole stack, as AliKassa's page "Verifying the signature of a
 * notification" describes them: the sandbox sends a GET with query parameters whose `sign` is
 * RSA over PHP json_encode of the documented fields (its description holds `/` and non-ASCII),
 * signed with its notification key; the gateway verifies it and hands it to the saga, which
 * confirms it with AliKassa's status call.
 *
 * Each payment is settled by the notification, not by a poll: the transfer saga's first poll is
 * 5 s away when the customer acts, the payout polls every 300 s, and the reference of a
 * notification (`<id>-<word>`) differs from a poll's (`status-<id>`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { http, waitUntil } from '../helpers/http';

describe('AliKassa notifications end to end (signed GETs through the gateway)', () => {
  let stack: Stack;
  let seq = 0;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-alikassa-')),
      log: () => undefined,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const control = (path: string, body?: unknown) =>
    http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
  const view = async (id: string) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${id}`)).body;
  const waitForStatus = (id: string, status: string, timeoutMs = 20_000) =>
    waitUntil(async () => (await view(id)).status === status, timeoutMs, `${id} to reach ${status}`);
  const metrics = async () => (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body;

  async function startPayment() {
    const orderId = `AKN-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/transfers`, {
      orderId,
      method: 'alikassa',
      amount: 150_000,
      expirySeconds: 600,
      customer: {
        fullname: 'Budi Santoso',
        phone: '081234567890',
        email: 'budi@example.test',
        ip: '10.1.2.3',
      },
      service: 'virtual_account_idr_hpp',
      customerCode: 'BCAVA',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, 'AWAITING_PAYMENT');
    return { orderId, workflowId: res.body.workflowId as string };
  }

  /** The sandbox's record of the notifications it sent for this order: all GETs answered 2xx. */
  async function sentFor(orderId: string) {
    const all = (await control('webhooks')).body.webhooks as Array<{
      orderId: string;
      url: string;
      body: string;
      delivered: boolean;
    }>;
    return all.filter((w) => w.orderId === orderId);
  }

  it('paid: PAID by the notification (a GET whose desc holds / and non-ASCII), confirmed by status', async () => {
    const before = await metrics();
    const t = await startPayment();
    assert.equal((await control('alikassa/pay', { order_id: t.orderId })).status, 200);
    await waitForStatus(t.workflowId, 'PAID');
    const v = await view(t.workflowId);
    assert.match(v.paidReference, /^\d+-paid$/, 'settled by the notification, not a poll');
    assert.equal(v.paidAmount, 150_000);
    const [sent] = await sentFor(t.orderId);
    assert.ok(sent?.delivered);
    assert.match(sent.body, /sign=/);
    assert.match(sent.body, /desc=[^&]*%E2%80%94[^&]*%2Fsandbox/, 'the signed desc holds — and /');
    const afterCount = await metrics();
    assert.equal(afterCount.accepted - before.accepted, 1);
  });

  it('cancel and fail: EXPIRED at once, by the notification and AliKassa’s status', async () => {
    const cancelled = await startPayment();
    const failed = await startPayment();
    assert.equal((await control('alikassa/expire', { order_id: cancelled.orderId })).status, 200);
    assert.equal((await control('alikassa/fail', { order_id: failed.orderId })).status, 200);
    for (const [t, word] of [
      [cancelled, 'cancel'],
      [failed, 'fail'],
    ] as const) {
      await waitForStatus(t.workflowId, 'EXPIRED');
      const last = (await view(t.workflowId)).timeline.at(-1);
      assert.match(
        last.note,
        new RegExp(`status is ${word} \\(notification \\d+-${word}\\); nothing was paid`),
      );
    }
  });

  it('partial: NEEDS_REVIEW with both amounts, never PAID', async () => {
    const t = await startPayment();
    assert.equal((await control('alikassa/pay', { order_id: t.orderId, amount: 100_000 })).status, 200);
    await waitForStatus(t.workflowId, 'NEEDS_REVIEW');
    const v = await view(t.workflowId);
    assert.match(
      v.review.reason,
      /partial payment \(\d+-paid\).* received 100000 of 150000; expected exactly 150000/,
    );
    assert.equal(v.paidAmount, 100_000);
    assert.ok(!v.timeline.some((e: { status: string }) => e.status === 'PAID'));
  });

  it('a payout notification paid: PAID_OUT long before its first poll', async () => {
    const orderId = `AKN-PO-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/alikassa/payouts`, {
      orderId,
      amount: 250_000,
      bankCode: 'PMTB',
      accountNumber: '1234567890',
      firstName: 'Siti',
      lastName: 'Aminah',
      pollSeconds: 300,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitForStatus(res.body.workflowId, 'PAID_OUT');
    const v = await view(res.body.workflowId);
    assert.ok(v.timeline.some((e: { note: string }) => /notification \d+-paid says paid/.test(e.note)));
    assert.equal((await sentFor(orderId))[0]?.url.endsWith('/webhooks/alikassa/payout'), true);
  });

  it('nothing unsigned or forged is taken: 401 for a missing, another key’s or a tampered sign; 405 for a POST', async () => {
    const t = await startPayment();
    const before = await metrics();
    const query = `type=payment&id=1&order_id=${encodeURIComponent(t.orderId)}&payment_status=paid&amount=150000.00&payment_amount=150000.00&commission_amount=0.00&is_partial_payment=0&account=x&service=virtual_account_idr_hpp&desc=forged`;
    for (const sign of ['none', 'other-key', 'bad'] as const)
      assert.equal(
        (
          await control('webhooks/send-raw', {
            simulator: 'alikassa',
            path: '/webhooks/alikassa/payment',
            body: query,
            sign,
          })
        ).status,
        202,
      );
    // A genuine notification with one field changed on the way: the sandbox's corrupt mode.
    await control('webhooks', { simulator: 'alikassa', mode: 'corrupt', orderId: t.orderId });
    await control('alikassa/pay', { order_id: t.orderId });
    await waitUntil(
      async () => {
        const m = await metrics();
        return (
          m.refused.missingSignature - before.refused.missingSignature >= 1 &&
          m.refused.badSignature - before.refused.badSignature >= 3
        );
      },
      20_000,
      'the gateway to refuse the forged notifications',
    );
    const direct = await http('GET', `${stack.gatewayUrl}/webhooks/alikassa/payment?${query}`);
    assert.equal(direct.status, 401);
    const posted = await http('POST', `${stack.gatewayUrl}/webhooks/alikassa/payment`, { type: 'payment' });
    assert.equal(posted.status, 405);
    // The corrupted notification was refused; the saga learns of the payment by its own poll.
    await waitForStatus(t.workflowId, 'PAID');
    assert.match((await view(t.workflowId)).paidReference, /^status-\d+$/);
    await control('webhooks', { simulator: 'alikassa', mode: 'normal', orderId: t.orderId });
  });
});

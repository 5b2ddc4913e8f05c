/**
 * The AliKassa simulator over real HTTP: signed requests (merchant key made here), validation,
 * create / status (by order_id or id) / pay (in full or partly) / expire / fail / payout, and
 * notifications sent as AliKassa's page describes them (a GET with query parameters and `sign`),
 * verified here by the engine's own verifier (providers/alikassa/notification.ts, code the
 * simulator does not share) with the notification public key; and timeout-after-commit on payout.
 */
import assert from 'node:assert/strict';
import { constants, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSandboxServer } from '../../sandbox/server';
import { checkAliKassaNotification, type AliKassaNotification } from '../../providers/alikassa/notification';

process.env.LOG_LEVEL ??= 'silent';

const ACCOUNT = '6f1c2b9e-1d1a-4c55-9a0e-0c4b8f1e2a77';
const pem = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const merchant = pem();
const provider = pem();

interface Received {
  method: string;
  path: string;
  query: string;
}

describe('alikassa simulator', () => {
  const got: Received[] = [];
  let receiver: Server;
  let app: FastifyInstance;
  let base = '';

  async function ak(path: string, body: unknown, opts: { account?: string; sign?: string } = {}) {
    const raw = JSON.stringify(body);
    const signature =
      opts.sign ??
      sign('sha256', Buffer.from(raw), {
        key: merchant.privateKey,
        padding: constants.RSA_PKCS1_PADDING,
      }).toString('base64');
    const res = await fetch(`${base}/alikassa${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', account: opts.account ?? ACCOUNT, sign: signature },
      body: raw,
    });
    return { status: res.status, json: (await res.json()) as any };
  }

  async function control(method: string, path: string, body?: unknown) {
    const res = await fetch(`${base}/_control${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  }

  const payment = (orderId: string, extra: object = {}) => ({
    amount: '150000.00',
    order_id: orderId,
    service: 'virtual_account_idr_hpp',
    customer_ip: '203.0.113.7',
    customer_code: 'BCAVA',
    customer_first_name: 'Budi',
    customer_last_name: 'Santoso',
    ...extra,
  });
  const payout = (orderId: string, extra: object = {}) => ({
    amount: '50000',
    order_id: orderId,
    service: 'payment_card_idr',
    number: '1234567890',
    customer_code: 'BTN',
    customer_first_name: 'Siti',
    customer_last_name: 'Rahma',
    ...extra,
  });

  /** The notification, verified with the notification public key (throws when it is not). */
  function notified(r: Received): AliKassaNotification {
    assert.equal(r.method, 'GET');
    return checkAliKassaNotification(r.query, createPublicKey(provider.publicKey), 'sha256');
  }

  async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [path = '', query = ''] = (req.url ?? '').split('?');
        got.push({ method: req.method ?? '', path, query });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const ra = receiver.address();
    assert.ok(ra && typeof ra === 'object');
    app = await buildSandboxServer({
      prakerja: { clientCode: 'DP-TEST', signKey: 'unused' },
      webhookBaseUrl: `http://127.0.0.1:${ra.port}`,
      alikassa: {
        account: ACCOUNT,
        merchantPublicKey: merchant.publicKey,
        providerPrivateKey: provider.privateKey,
        timings: { payoutMs: 100 },
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    // The aborted client of the timeout-after-commit case leaves a connection that has sent no
    // request yet; close() would wait for Node's headersTimeout (about 70 s) to drop it.
    const closing = app.close();
    app.server.closeAllConnections();
    await closing;
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
  beforeEach(async () => {
    await control('POST', '/reset');
    got.length = 0;
  });

  it('creates a payment, reports its status by order_id or id, and notifies a signed GET when paid', async () => {
    const created = await ak('/v1/payment', payment('P/1'));
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.equal(created.json.payment_status, 'wait');
    assert.equal(typeof created.json.id, 'number');
    assert.match(created.json.uuid, /^[0-9a-f-]{36}$/);
    assert.equal(created.json.url, `${base}/alikassa/pay/${created.json.uuid}`);
    assert.equal(created.json.success_redirect_url, null);

    const status = await ak('/v1/payment/status', { order_id: 'P/1' });
    assert.deepEqual(status.json, {
      order_id: 'P/1',
      id: created.json.id,
      url: created.json.url,
      payment_status: 'wait',
      amount: '150000.00',
      payment_amount: '0.00',
      is_partial_payment: false,
      commission_amount: '0.00',
      service_code: 'virtual_account_idr_hpp',
    });
    assert.deepEqual((await ak('/v1/payment/status', { id: created.json.id })).json, status.json);

    const paid = await control('POST', '/alikassa/pay', { order_id: 'P/1' });
    assert.equal(paid.status, 200, JSON.stringify(paid.json));
    await waitFor(() => got.length === 1);
    assert.equal(got[0]!.path, '/webhooks/alikassa/payment');
    const n = notified(got[0]!);
    assert.deepEqual(n, {
      type: 'payment',
      id: String(created.json.id),
      orderId: 'P/1',
      status: 'paid',
      state: 'paid',
      amount: 150000,
      paymentAmount: 150000,
      partial: false,
      account: ACCOUNT,
      service: 'virtual_account_idr_hpp',
      desc: 'Pembayaran pesanan P/1 — AliKassa/sandbox',
    });
    const after = (await ak('/v1/payment/status', { order_id: 'P/1' })).json;
    assert.equal(after.payment_status, 'paid');
    assert.equal(after.payment_amount, '150000.00');
    assert.equal((await control('POST', '/alikassa/pay', { order_id: 'P/1' })).status, 409);
    assert.equal((await ak('/v1/payment/status', { order_id: 'NOPE' })).status, 404);
    assert.equal((await ak('/v1/payment/status', { id: 1 })).status, 404);
    assert.equal((await ak('/v1/payment/status', {})).status, 400);
    const stats = (await control('GET', '/alikassa/stats')).json;
    assert.deepEqual(stats.payments.byOrder['P/1'], { creates: 1, status: 'paid' });
  });

  it('a payment paid with less is paid and partial, in its status and its notification', async () => {
    await ak('/v1/payment', payment('P-PART'));
    assert.equal(
      (await control('POST', '/alikassa/pay', { order_id: 'P-PART', amount: 100000 })).status,
      200,
    );
    const s = (await ak('/v1/payment/status', { order_id: 'P-PART' })).json;
    assert.equal(s.payment_status, 'paid');
    assert.equal(s.amount, '150000.00');
    assert.equal(s.payment_amount, '100000.00');
    assert.equal(s.is_partial_payment, true);
    await waitFor(() => got.length === 1);
    const n = notified(got[0]!);
    assert.equal(n.partial, true);
    assert.equal(n.paymentAmount, 100000);
    assert.match(got[0]!.query, /is_partial_payment=1/);
  });

  it('expire cancels and fail fails, each notified; a late payment after that is accepted only with late', async () => {
    await ak('/v1/payment', payment('P-2'));
    await ak('/v1/payment', payment('P-3'));
    assert.equal((await control('POST', '/alikassa/expire', { order_id: 'P-2' })).status, 200);
    assert.equal((await control('POST', '/alikassa/fail', { order_id: 'P-3' })).status, 200);
    assert.equal((await control('POST', '/alikassa/fail', { order_id: 'P-3' })).status, 409);
    await waitFor(() => got.length === 2);
    const words = Object.fromEntries(got.map((r) => notified(r)).map((n) => [n.orderId, n.status]));
    assert.deepEqual(words, { 'P-2': 'cancel', 'P-3': 'fail' });
    assert.equal((await control('POST', '/alikassa/pay', { order_id: 'P-2' })).status, 409);
    assert.equal((await control('POST', '/alikassa/pay', { order_id: 'P-2', late: true })).status, 200);
    await waitFor(() => got.length === 3);
    assert.equal(notified(got[2]!).status, 'paid');
  });

  it('corrupt mode changes a signed value after signing: the engine refuses it', async () => {
    await control('POST', '/webhooks', { simulator: 'alikassa', mode: 'corrupt' });
    await ak('/v1/payment', payment('P-C'));
    await control('POST', '/alikassa/expire', { order_id: 'P-C' });
    await waitFor(() => got.length === 1);
    assert.throws(() => notified(got[0]!), /not verified/);
  });

  it('send-raw signs a hand-made query as AliKassa does, or not', async () => {
    const query = 'type=payment&id=5&order_id=HAND%2F1&payment_status=paid&amount=1.00&desc=caf%C3%A9';
    for (const s of ['valid', 'bad', 'other-key', 'none'])
      assert.equal(
        (
          await control('POST', '/webhooks/send-raw', {
            simulator: 'alikassa',
            path: '/webhooks/alikassa/payment',
            body: query,
            sign: s,
          })
        ).status,
        202,
      );
    await waitFor(() => got.length === 4);
    const outcomes = got.map((r) => {
      try {
        return notified(r).orderId;
      } catch (err) {
        return (err as Error).message;
      }
    });
    assert.deepEqual(outcomes.sort(), ['HAND/1', 'missing sign', 'not verified', 'not verified']);
  });

  it('refuses a bad Account or Sign (401), invalid data and a repeated order_id (400)', async () => {
    assert.equal((await ak('/v1/payment', payment('A-1'), { account: 'other' })).status, 401);
    const badSign = await ak('/v1/payment', payment('A-1'), { sign: Buffer.from('nope').toString('base64') });
    assert.equal(badSign.status, 401);
    assert.equal(typeof badSign.json.message, 'string');

    const invalid = await ak(
      '/v1/payment',
      payment('A-1', {
        amount: '10.123',
        service: 'qr_code_idr_hpp',
        customer_code: 'BCAVA',
        customer_ip: 'x',
      }),
    );
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.message, 'The given data was invalid.');
    assert.deepEqual(Object.keys(invalid.json.errors).sort(), ['amount', 'customer_code', 'customer_ip']);
    const long = await ak('/v1/payment', payment('x'.repeat(129)));
    assert.ok(long.json.errors.order_id);

    assert.equal((await ak('/v1/payment', payment('A-1'))).status, 200);
    const again = await ak('/v1/payment', payment('A-1'));
    assert.equal(again.status, 400);
    assert.deepEqual(again.json, {
      message: 'The given data was invalid.',
      errors: { order_id: ['The order id has already been taken.'] },
    });
    // Per kind: a payout may use the same order_id.
    assert.equal((await ak('/v1/payout', payout('A-1'))).status, 200);
    assert.equal((await ak('/v1/payout', payout('A-1'))).status, 400);
    assert.equal((await ak('/v1/payout', payout('A-2', { service: 'virtual_account_idr_hpp' }))).status, 400);
  });

  it('payout turns paid by itself, or fail / cancel when armed, each notified and signed', async () => {
    const created = await ak('/v1/payout', payout('PO-1'));
    assert.deepEqual(Object.keys(created.json).sort(), ['id', 'payment_status']);
    assert.equal(created.json.payment_status, 'wait');
    await control('POST', '/alikassa/payout-outcome', { order_id: 'PO-2', outcome: 'fail' });
    await control('POST', '/alikassa/payout-outcome', { order_id: 'PO-3', outcome: 'cancel' });
    assert.equal((await control('POST', '/alikassa/payout-outcome', { outcome: 'success' })).status, 400);
    await ak('/v1/payout', payout('PO-2'));
    await ak('/v1/payout', payout('PO-3'));
    await waitFor(() => got.length === 3);
    for (const r of got) assert.equal(r.path, '/webhooks/alikassa/payout');
    const byOrder = Object.fromEntries(got.map((r) => notified(r)).map((n) => [n.orderId, n]));
    assert.deepEqual(byOrder['PO-1'], {
      type: 'payout',
      id: String(created.json.id),
      orderId: 'PO-1',
      status: 'paid',
      state: 'paid',
      amount: 50000,
      paymentAmount: 50000,
      partial: false,
      account: ACCOUNT,
      service: 'payment_card_idr',
      desc: 'Payout PO-1 to BTN',
    });
    assert.equal(byOrder['PO-2']!.status, 'fail');
    assert.equal(byOrder['PO-3']!.status, 'cancel');
    const status = await ak('/v1/payout/status', { order_id: 'PO-2' });
    assert.equal(status.json.payment_status, 'fail');
    assert.equal(status.json.is_partial_payment, false);
    assert.equal((await ak('/v1/payout/status', { order_id: 'PO-1' })).json.payment_status, 'paid');
  });

  it('timeout-after-commit on payout records exactly one payout', async () => {
    await control('POST', '/faults', { route: 'alikassa.payout', mode: 'timeout-after-commit', ms: 5000 });
    await assert.rejects(
      fetch(`${base}/alikassa/v1/payout`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          account: ACCOUNT,
          sign: sign('sha256', Buffer.from(JSON.stringify(payout('T-1'))), {
            key: merchant.privateKey,
            padding: constants.RSA_PKCS1_PADDING,
          }).toString('base64'),
        },
        body: JSON.stringify(payout('T-1')),
        signal: AbortSignal.timeout(300),
      }),
    );
    // The retry of the unsure client is refused as a duplicate: one payout only.
    const retry = await ak('/v1/payout', payout('T-1'));
    assert.equal(retry.status, 400);
    assert.deepEqual(retry.json.errors.order_id, ['The order id has already been taken.']);
    const stats = (await control('GET', '/alikassa/stats')).json;
    assert.equal(stats.payouts.byOrder['T-1'].creates, 2);
    assert.ok(['wait', 'paid'].includes(stats.payouts.byOrder['T-1'].status));
    assert.equal(Object.keys(stats.payouts.byOrder).length, 1);
    await waitFor(() => got.length === 1);
    assert.equal(notified(got[0]!).orderId, 'T-1');
  });
});

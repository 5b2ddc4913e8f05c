/**
 * The AliKassa simulator over real HTTP: signed requests (merchant key made here), validation,
 * create / status / pay / expire / payout, notifications whose Sign is verified here with the
 * provider public key over the raw bytes received, and timeout-after-commit on payout.
 */
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSandboxServer } from '../../sandbox/server';

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
  path: string;
  sign: string | undefined;
  raw: Buffer;
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

  function verified(r: Received): boolean {
    return verify(
      'sha256',
      r.raw,
      { key: provider.publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(r.sign ?? '', 'base64'),
    );
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
        const s = req.headers.sign;
        got.push({
          path: req.url ?? '',
          sign: typeof s === 'string' ? s : undefined,
          raw: Buffer.concat(chunks),
        });
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

  it('creates a payment, reports its status, and notifies a signed success when paid', async () => {
    const created = await ak('/v1/payment', payment('P-1'));
    assert.equal(created.status, 200, JSON.stringify(created.json));
    assert.equal(created.json.payment_status, 'wait');
    assert.equal(typeof created.json.id, 'number');
    assert.match(created.json.uuid, /^[0-9a-f-]{36}$/);
    assert.equal(created.json.url, `${base}/alikassa/pay/${created.json.uuid}`);
    assert.equal(created.json.success_redirect_url, null);

    const status = await ak('/v1/payment/status', { order_id: 'P-1' });
    assert.deepEqual(status.json, {
      id: created.json.id,
      uuid: created.json.uuid,
      order_id: 'P-1',
      payment_status: 'wait',
      amount: '150000.00',
    });

    const paid = await control('POST', '/alikassa/pay', { order_id: 'P-1', amount: 149000 });
    assert.equal(paid.status, 200, JSON.stringify(paid.json));
    await waitFor(() => got.length === 1);
    assert.equal(got[0]!.path, '/webhooks/alikassa/payment');
    assert.ok(verified(got[0]!), 'Sign verifies with the provider public key');
    assert.deepEqual(JSON.parse(got[0]!.raw.toString('utf8')), {
      id: created.json.id,
      uuid: created.json.uuid,
      order_id: 'P-1',
      payment_status: 'success',
      amount: '149000.00',
      type: 'payment',
    });
    assert.equal((await ak('/v1/payment/status', { order_id: 'P-1' })).json.payment_status, 'success');
    assert.equal((await control('POST', '/alikassa/pay', { order_id: 'P-1' })).status, 409);
    assert.equal((await ak('/v1/payment/status', { order_id: 'NOPE' })).status, 404);
    const stats = (await control('GET', '/alikassa/stats')).json;
    assert.deepEqual(stats.payments.byOrder['P-1'], { creates: 1, status: 'success' });
  });

  it('expire cancels and notifies; a late payment after that is accepted only with late', async () => {
    await ak('/v1/payment', payment('P-2'));
    assert.equal((await control('POST', '/alikassa/expire', { order_id: 'P-2' })).status, 200);
    await waitFor(() => got.length === 1);
    assert.ok(verified(got[0]!));
    assert.equal(JSON.parse(got[0]!.raw.toString('utf8')).payment_status, 'cancel');
    assert.equal((await control('POST', '/alikassa/pay', { order_id: 'P-2' })).status, 409);
    assert.equal((await control('POST', '/alikassa/pay', { order_id: 'P-2', late: true })).status, 200);
    await waitFor(() => got.length === 2);
    assert.equal(JSON.parse(got[1]!.raw.toString('utf8')).payment_status, 'success');
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

  it('payout turns success by itself, or fail when armed, each notified and signed', async () => {
    const created = await ak('/v1/payout', payout('PO-1'));
    assert.deepEqual(Object.keys(created.json).sort(), ['id', 'payment_status']);
    assert.equal(created.json.payment_status, 'wait');
    await control('POST', '/alikassa/payout-outcome', { order_id: 'PO-2', outcome: 'fail' });
    await ak('/v1/payout', payout('PO-2'));
    await waitFor(() => got.length === 2);
    for (const r of got) {
      assert.equal(r.path, '/webhooks/alikassa/payout');
      assert.ok(verified(r));
    }
    const bodies = Object.fromEntries(
      got.map((r) => JSON.parse(r.raw.toString('utf8'))).map((b) => [b.order_id, b]),
    );
    assert.deepEqual(bodies['PO-1'], {
      id: created.json.id,
      order_id: 'PO-1',
      payment_status: 'success',
      amount: '50000.00',
      type: 'payout',
    });
    assert.equal(bodies['PO-2'].payment_status, 'fail');
    const status = await ak('/v1/payout/status', { order_id: 'PO-2' });
    assert.equal(status.json.payment_status, 'fail');
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
    assert.ok(['wait', 'success'].includes(stats.payouts.byOrder['T-1'].status));
    assert.equal(Object.keys(stats.payouts.byOrder).length, 1);
    await waitFor(() => got.length === 1);
    assert.equal(JSON.parse(got[0]!.raw.toString('utf8')).order_id, 'T-1');
  });
});

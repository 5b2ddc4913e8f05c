/**
 * The shared webhook sender and K-Link's webhooks over real HTTP: a sandbox on port 0 sends to a
 * tiny node:http receiver in the test, which keeps the raw bytes; signatures are checked here with
 * an HMAC computed in the test over exactly those bytes, not with the sandbox's code.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSandboxServer } from '../../sandbox/server';
import { WebhookSender } from '../../sandbox/webhooks';

process.env.LOG_LEVEL ??= 'silent';

const PID = 'pid-key-for-webhook-tests';
const EMAIL = 'wh@k-link.test';
const PASSWORD = 'klink-wh-password';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
}

class Receiver {
  readonly got: Received[] = [];
  /** Requests answered 503 before the receiver is "up". */
  failNext = 0;
  hits = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.hits += 1;
        if (this.failNext > 0) {
          this.failNext -= 1;
          res.writeHead(503).end('down');
          return;
        }
        this.got.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    assert.ok(address && typeof address === 'object');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  clear(): void {
    this.got.length = 0;
    this.failNext = 0;
    this.hits = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hmac(raw: Buffer, key = PID): string {
  return createHmac('sha256', key).update(raw).digest('hex').toUpperCase();
}

describe('WebhookSender', () => {
  const rx = new Receiver();
  before(() => rx.start());
  after(() => rx.close());
  beforeEach(() => rx.clear());

  it('retries until the receiver answers 2xx and records every attempt', async () => {
    const sender = new WebhookSender({ initialBackoffMs: 10, maxBackoffMs: 40 });
    rx.failNext = 3;
    const body = Buffer.from('{"a":1}');
    sender.send({
      name: 'klink.settlement',
      orderId: 'O-1',
      url: `${rx.url}/x`,
      body,
      headers: { 'x-t': '1' },
    });
    await waitFor(() => rx.got.length === 1);
    await waitFor(() => sender.stats().delivered === 1);
    const stats = sender.stats();
    assert.equal(stats.attempts, 4);
    assert.equal(stats.failedAttempts, 3);
    const [w] = stats.webhooks;
    assert.equal(w?.name, 'klink.settlement');
    assert.equal(w?.orderId, 'O-1');
    assert.equal(w?.attempts, 4);
    assert.equal(w?.delivered, true);
    assert.equal(w?.lastStatus, 200);
    assert.deepEqual(
      w?.history.map((a) => a.status),
      [503, 503, 503, 200],
    );
    assert.deepEqual(rx.got[0]?.raw, body);
    assert.equal(rx.got[0]?.headers['x-t'], '1');
    sender.stop();
  });

  it('gives up after the configured attempts; an unreachable receiver counts as failed attempts', async () => {
    const sender = new WebhookSender({ attempts: 3, initialBackoffMs: 5, maxBackoffMs: 10 });
    sender.send({
      name: 'alikassa.payout',
      url: 'http://127.0.0.1:1/none',
      body: Buffer.from('{}'),
      headers: {},
    });
    await waitFor(() => sender.stats().webhooks[0]?.state === 'failed');
    const stats = sender.stats();
    assert.equal(stats.attempts, 3);
    assert.equal(stats.failedAttempts, 3);
    assert.equal(stats.webhooks[0]?.lastStatus, null);
    assert.ok(stats.webhooks[0]?.lastError);
    sender.stop();
  });

  it('sends nothing after stop(), and stop() cancels pending retries', async () => {
    const sender = new WebhookSender({ initialBackoffMs: 200 });
    rx.failNext = 1;
    sender.send({ name: 'klink.gopay', url: `${rx.url}/x`, body: Buffer.from('{}'), headers: {} });
    await waitFor(() => rx.hits === 1);
    sender.stop();
    sender.send({ name: 'klink.gopay', url: `${rx.url}/x`, body: Buffer.from('{}'), headers: {} });
    await sleep(350);
    assert.equal(rx.hits, 1);
    assert.equal(rx.got.length, 0);
  });

  it('defaults span about a minute of downtime', () => {
    let total = 0;
    for (let attempt = 1; attempt < 15; attempt += 1) total += Math.min(200 * 2 ** (attempt - 1), 5000);
    assert.ok(total >= 50_000 && total <= 70_000, String(total));
  });
});

describe('webhook modes and K-Link webhooks through the sandbox', () => {
  const rx = new Receiver();
  let app: FastifyInstance;
  let base = '';
  let token = '';

  async function control(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any }> {
    const res = await fetch(`${base}/_control${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  async function klink(path: string, body: unknown): Promise<any> {
    const res = await fetch(`${base}/klink${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  function order(orderId: string, bank: string, product: string, nominal = '150000', payShip = '10000') {
    return {
      rq_uuid: `rq-${orderId}`,
      rq_datetime: '2024-05-01 10:00:00',
      order_id: orderId,
      no_hp: '081234567890',
      fullname: 'Budi Santoso',
      email: 'budi@example.test',
      bank_code: bank,
      product_code: product,
      nominal,
      pay_ship: payShip,
    };
  }

  async function va(orderId: string): Promise<void> {
    const res = await klink('/api/pay_service', order(orderId, '014', 'BCAATM'));
    assert.equal(res.status, 'success', JSON.stringify(res));
  }

  before(async () => {
    await rx.start();
    app = await buildSandboxServer({
      prakerja: { clientCode: 'DP-TEST', signKey: 'unused' },
      klink: { email: EMAIL, password: PASSWORD, pidKey: PID },
      webhookBaseUrl: rx.url,
      webhookTimings: { initialBackoffMs: 10, maxBackoffMs: 40 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await app.close();
    await rx.close();
  });
  beforeEach(async () => {
    await control('POST', '/reset');
    rx.clear();
    const res = await fetch(`${base}/klink/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    token = ((await res.json()) as { Authorization: string }).Authorization;
  });

  it('customer-pays a VA order: settlement signed over the raw bytes, order settled, books balanced', async () => {
    await va('VA-1');
    const paid = await control('POST', '/klink/customer-pays', { order_id: 'VA-1' });
    assert.equal(paid.status, 201, JSON.stringify(paid.json));
    await waitFor(() => rx.got.length === 1);
    const got = rx.got[0]!;
    assert.equal(got.path, '/webhooks/klink/settlement');
    assert.equal(got.headers['x-servicepayment'], hmac(got.raw));
    assert.notEqual(got.headers['x-servicepayment'], hmac(got.raw, 'another-key'));
    const body = JSON.parse(got.raw.toString('utf8'));
    assert.deepEqual(Object.keys(body), [
      'status',
      'message',
      'rq_uuid',
      'rq_datetime',
      'order_id',
      'kd_pay',
      'tot_bayar',
      'norek',
      'transaction',
    ]);
    assert.equal(got.raw.toString('utf8'), JSON.stringify(body), 'compact JSON');
    assert.equal(body.status, 'success');
    assert.equal(body.message, 'transaction success!');
    assert.equal(body.rq_uuid, 'rq-VA-1');
    assert.equal(body.rq_datetime, '2024-05-01 10:00:00');
    assert.equal(body.order_id, 'VA-1');
    assert.match(body.kd_pay, /^\d+$/);
    assert.equal(body.tot_bayar, '160000');
    assert.equal(body.norek, '-');
    assert.equal(body.transaction, 'va');

    const orders = await control('GET', '/klink/orders?order_id=VA-1');
    assert.equal(orders.json[0].status, 'settled');
    assert.equal(orders.json[0].paid.amount, 160000);
    const ledger = await control('GET', '/klink/ledger');
    assert.equal(ledger.json.balanced, true, JSON.stringify(ledger.json.problems));
    assert.equal(ledger.json.balances.MERCHANT, 160000);
    assert.equal(ledger.json.balances.BANK, -160000);

    // A customer pays once; an unknown order is 404.
    assert.equal((await control('POST', '/klink/customer-pays', { order_id: 'VA-1' })).status, 409);
    assert.equal((await control('POST', '/klink/customer-pays', { order_id: 'NOPE' })).status, 404);
  });

  it('manual transfer: tot_bayar is what was paid (kode_unik included by default), norek sent', async () => {
    const res = await klink('/api/pay_service', order('MAN-1', '008', 'MANDIRIMANUAL'));
    assert.equal(res.status, 'success', JSON.stringify(res));
    const [o] = (await control('GET', '/klink/orders?order_id=MAN-1')).json;
    await control('POST', '/klink/customer-pays', { order_id: 'MAN-1' });
    await waitFor(() => rx.got.length === 1);
    const body = JSON.parse(rx.got[0]!.raw.toString('utf8'));
    assert.equal(body.tot_bayar, String(o.total_bayar));
    assert.ok(o.total_bayar > 160000);
    assert.equal(body.norek, '1190000879898');
    assert.equal(body.transaction, 'mandiri_manual');

    // Underpaid card order: tot_bayar says what actually came in.
    await klink('/api/pay_service', order('CC-1', '008', 'MANDIRICC'));
    await control('POST', '/klink/customer-pays', { order_id: 'CC-1', amount: 1000, late: true });
    await waitFor(() => rx.got.length === 2);
    const cc = JSON.parse(rx.got[1]!.raw.toString('utf8'));
    assert.equal(cc.tot_bayar, '1000');
    assert.equal(cc.transaction, 'multipayment');
    assert.equal(rx.got[1]!.headers['x-servicepayment'], hmac(rx.got[1]!.raw));
    assert.equal((await control('GET', '/klink/ledger')).json.balanced, true);
  });

  it('GoPay notification (3d): signed, MIDTRANS -> MERCHANT in the books', async () => {
    const res = await klink('/api/pay_service_midtrans', order('G-1', 'gopay', 'e_money', '48000', '0'));
    assert.ok(res.data, JSON.stringify(res));
    await control('POST', '/klink/customer-pays', { order_id: 'G-1' });
    await waitFor(() => rx.got.length === 1);
    const got = rx.got[0]!;
    assert.equal(got.path, '/webhooks/klink/gopay');
    assert.equal(got.headers['x-servicepayment'], hmac(got.raw));
    const body = JSON.parse(got.raw.toString('utf8'));
    assert.deepEqual(Object.keys(body), [
      'status',
      'message',
      'id_trans',
      'rq_datetime',
      'order_id',
      'transaction',
    ]);
    assert.equal(body.status, 'success');
    assert.equal(body.order_id, 'G-1');
    assert.equal(body.transaction, 'gopay');
    assert.match(body.id_trans, /^\d+$/);
    const ledger = await control('GET', '/klink/ledger');
    assert.equal(ledger.json.balanced, true);
    assert.equal(ledger.json.balances.MIDTRANS, -48000);
    assert.equal(ledger.json.balances.MERCHANT, 48000);
  });

  it('retries a receiver that is down, then delivers; stats show the attempts', async () => {
    rx.failNext = 3;
    await va('R-1');
    await control('POST', '/klink/customer-pays', { order_id: 'R-1' });
    await waitFor(() => rx.got.length === 1);
    const stats = (await control('GET', '/webhooks')).json;
    assert.equal(stats.delivered, 1);
    assert.equal(stats.attempts, 4);
    assert.equal(stats.failedAttempts, 3);
    assert.equal(stats.webhooks[0].orderId, 'R-1');
    assert.equal(stats.webhooks[0].lastStatus, 200);
  });

  it('drop sends nothing; a per-order mode beats the simulator mode', async () => {
    await control('POST', '/webhooks', { simulator: 'klink', mode: 'drop' });
    await control('POST', '/webhooks', { simulator: 'klink', mode: 'normal', orderId: 'D-2' });
    // Per-order normal removes the override: set a real one to check precedence.
    await control('POST', '/webhooks', { simulator: 'klink', mode: 'duplicate', orderId: 'D-2' });
    await va('D-1');
    await va('D-2');
    await control('POST', '/klink/customer-pays', { order_id: 'D-1' });
    await control('POST', '/klink/customer-pays', { order_id: 'D-2' });
    await waitFor(() => rx.got.length === 3);
    await sleep(100);
    assert.equal(rx.got.length, 3);
    assert.ok(rx.got.every((g) => JSON.parse(g.raw.toString('utf8')).order_id === 'D-2'));
    assert.ok(rx.got.every((g) => g.raw.equals(rx.got[0]!.raw)));
    const stats = (await control('GET', '/webhooks')).json;
    assert.equal(stats.webhooks.find((w: any) => w.orderId === 'D-1').state, 'dropped');
  });

  it('delay holds the webhook for delayMs', async () => {
    await control('POST', '/webhooks', { simulator: 'klink', mode: 'delay', delayMs: 300 });
    await va('DL-1');
    const t0 = Date.now();
    await control('POST', '/klink/customer-pays', { order_id: 'DL-1' });
    await sleep(150);
    assert.equal(rx.got.length, 0);
    await waitFor(() => rx.got.length === 1);
    assert.ok(Date.now() - t0 >= 290);
  });

  it('reorder sends the later webhook first', async () => {
    await control('POST', '/webhooks', { simulator: 'klink', mode: 'reorder' });
    await va('RO-1');
    await va('RO-2');
    await control('POST', '/klink/customer-pays', { order_id: 'RO-1' });
    await sleep(100);
    assert.equal(rx.got.length, 0, 'held until the next one');
    await control('POST', '/klink/customer-pays', { order_id: 'RO-2' });
    await waitFor(() => rx.got.length === 2);
    const ids = rx.got.map((g) => JSON.parse(g.raw.toString('utf8')).order_id);
    assert.deepEqual(ids, ['RO-2', 'RO-1']);
  });

  it('corrupt changes one byte after signing: still JSON, signature no longer matches', async () => {
    await control('POST', '/webhooks', { simulator: 'klink', mode: 'corrupt' });
    await va('C-1');
    const paid = await control('POST', '/klink/customer-pays', { order_id: 'C-1' });
    await waitFor(() => rx.got.length === 1);
    const got = rx.got[0]!;
    const original = Buffer.from(JSON.stringify(paid.json.body));
    assert.equal(got.raw.length, original.length);
    let diff = 0;
    for (let i = 0; i < original.length; i += 1) if (original[i] !== got.raw[i]) diff += 1;
    assert.equal(diff, 1);
    assert.doesNotThrow(() => JSON.parse(got.raw.toString('utf8')));
    assert.equal(got.headers['x-servicepayment'], hmac(original));
    assert.notEqual(got.headers['x-servicepayment'], hmac(got.raw));
  });

  it('send-raw: valid, bad, other-key and none signatures through the same sender', async () => {
    const body = '{"status": "success", "order_id": "HAND-1"}';
    for (const sign of ['valid', 'bad', 'other-key', 'none']) {
      const res = await control('POST', '/webhooks/send-raw', {
        simulator: 'klink',
        path: '/webhooks/klink/settlement',
        body,
        sign,
      });
      assert.equal(res.status, 202, JSON.stringify(res.json));
    }
    await waitFor(() => rx.got.length === 4);
    const bySig = rx.got.map((g) => g.headers['x-servicepayment']);
    assert.ok(
      rx.got.every((g) => g.raw.toString('utf8') === body && g.path === '/webhooks/klink/settlement'),
    );
    const raw = Buffer.from(body);
    assert.equal(bySig.filter((s) => s === hmac(raw)).length, 1);
    assert.equal(bySig.filter((s) => s === undefined).length, 1);
    assert.equal(bySig.filter((s) => typeof s === 'string' && /^[0-9A-F]{64}$/.test(s)).length, 3);
    assert.equal((await control('POST', '/webhooks', { simulator: 'klink', mode: 'sometimes' })).status, 400);
  });
});

/**
 * The provider sandbox over real HTTP: Prakerja authorize/void as documented, its refusals,
 * the merchant fulfilment endpoint, fault injection and persistence across a restart.
 *
 * Requests are signed by `signPerDocument` below, written here from the Prakerja document and
 * independent of both the sandbox's verifier and providers/prakerja, so none of them can agree
 * with itself.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSandboxServer, type SandboxOptions } from '../../sandbox/server';

// Request logs would bury the test output; createLogger reads this when the server is built.
process.env.LOG_LEVEL ??= 'silent';

const CLIENT_CODE = 'DP-SANDBOX-TEST';
const SIGN_KEY = 'sandbox-test-sign-key-7f3a';
const AUTHORIZE = '/api/v1/integration/payment/authorize';
const VOID = '/api/v1/integration/payment/void';
const DAY_MS = 24 * 60 * 60 * 1000;

/** The document's formula: client_code + timestamp + method + endpoint [+ 'Payment ' + token] + body, HMAC-SHA1, hex. */
function signPerDocument(args: {
  key: string;
  clientCode: string;
  timestamp: string;
  endpoint: string;
  body: string;
  paymentToken?: string;
}): string {
  const input =
    args.clientCode +
    args.timestamp +
    'POST' +
    args.endpoint +
    (args.paymentToken === undefined ? '' : 'Payment ' + args.paymentToken) +
    args.body;
  return createHmac('sha1', args.key).update(input, 'utf8').digest('hex');
}

interface Sandbox {
  app: FastifyInstance;
  base: string;
}

async function startSandbox(extra: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  const app = await buildSandboxServer({
    prakerja: { clientCode: CLIENT_CODE, signKey: SIGN_KEY },
    now: () => clock,
    ...extra,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { app, base: `http://127.0.0.1:${address.port}` };
}

/** The sandbox clock; tests move it to exercise the 2-day rule and timestamp tolerance. */
let clock = Date.now();
const nowSeconds = () => String(Math.floor(clock / 1000));

interface CallOptions {
  /** Sent as JSON.stringify(body) unless `raw` is given. */
  body?: unknown;
  raw?: string;
  paymentToken?: string;
  clientCode?: string | null;
  key?: string;
  timestamp?: string | null;
  /** Sign these bytes instead of the ones sent. */
  signedBody?: string;
  /** Sign with this token instead of the one in the header. */
  signedToken?: string;
  signature?: string | null;
  signal?: AbortSignal;
}

interface JsonResponse {
  status: number;
  json: Record<string, unknown>;
}

async function callPrakerja(sb: Sandbox, endpoint: string, opts: CallOptions = {}): Promise<JsonResponse> {
  const raw = opts.raw ?? JSON.stringify(opts.body ?? {});
  const timestamp = opts.timestamp === undefined ? nowSeconds() : opts.timestamp;
  const clientCode = opts.clientCode === undefined ? CLIENT_CODE : opts.clientCode;
  const signature =
    opts.signature !== undefined
      ? opts.signature
      : signPerDocument({
          key: opts.key ?? SIGN_KEY,
          clientCode: clientCode ?? '',
          timestamp: timestamp ?? '',
          endpoint,
          body: opts.signedBody ?? raw,
          paymentToken: opts.signedToken ?? opts.paymentToken,
        });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (clientCode !== null) headers.client_code = clientCode;
  if (timestamp !== null) headers.timestamp = timestamp;
  if (signature !== null) headers.signature = signature;
  if (opts.paymentToken !== undefined) headers.authorization = `Payment ${opts.paymentToken}`;
  const res = await fetch(`${sb.base}/prakerja${endpoint}`, {
    method: 'POST',
    headers,
    body: raw,
    signal: opts.signal,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function control(sb: Sandbox, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  const res = await fetch(`${sb.base}/_control${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface Token {
  payment_token: string;
  otp: string;
  amount: number;
}

async function newToken(sb: Sandbox, amount = 20000, extra: Record<string, unknown> = {}): Promise<Token> {
  const res = await control(sb, 'POST', '/prakerja/tokens', { amount, ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.json as unknown as Token;
}

function authorizeBody(invoiceCode: string | number, otp: string) {
  return { otp, invoice_url: `https://dp.example/invoice/${invoiceCode}`, invoice_code: invoiceCode };
}

async function authorize(
  sb: Sandbox,
  token: Token,
  invoiceCode: string,
  otp = token.otp,
): Promise<JsonResponse> {
  return callPrakerja(sb, AUTHORIZE, {
    body: authorizeBody(invoiceCode, otp),
    paymentToken: token.payment_token,
  });
}

/** A fresh token authorized for `invoiceCode`; returns the transaction code. */
async function purchase(sb: Sandbox, invoiceCode: string): Promise<string> {
  const res = await authorize(sb, await newToken(sb), invoiceCode);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return (res.json.data as { transaction_code: string }).transaction_code;
}

async function voidTx(sb: Sandbox, invoiceCode: string, transactionCode: string): Promise<JsonResponse> {
  return callPrakerja(sb, VOID, { body: { invoice_code: invoiceCode, transaction_code: transactionCode } });
}

async function stats(sb: Sandbox): Promise<Record<string, unknown> & { byInvoice: Record<string, unknown> }> {
  const res = await control(sb, 'GET', '/prakerja/stats');
  assert.equal(res.status, 200);
  return res.json as Record<string, unknown> & { byInvoice: Record<string, unknown> };
}

async function transactions(sb: Sandbox, invoiceCode: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(
    `${sb.base}/_control/prakerja/transactions?invoice_code=${encodeURIComponent(invoiceCode)}`,
  );
  assert.equal(res.status, 200);
  return (await res.json()) as Array<Record<string, unknown>>;
}

function assertRefused(res: JsonResponse, status: number, code: string, message?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.success, false);
  assert.equal(res.json.code, code);
  if (message !== undefined) assert.equal(res.json.message, message);
  assert.deepEqual(Object.keys(res.json).sort(), ['code', 'message', 'success']);
}

describe('sandbox', () => {
  let sb: Sandbox;

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.app.close();
  });
  beforeEach(async () => {
    clock = Date.now();
    assert.equal((await control(sb, 'POST', '/reset', {})).status, 200);
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${sb.base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  describe('prakerja authorize', () => {
    it('succeeds with the documented body shape and records the transaction', async () => {
      const token = await newToken(sb, 20000, { prakerja_name: 'user skema normal 1' });
      assert.match(token.otp, /^\d{6}$/);
      const res = await authorize(sb, token, 'invoice-testing-ops-111');
      assert.equal(res.status, 200);
      const data = res.json.data as Record<string, unknown>;
      assert.match(String(data.transaction_code), /^[A-Z0-9]{16}$/);
      assert.deepEqual(res.json, {
        success: true,
        message: 'Pelatihan berhasil dibeli.',
        data: {
          invoice_code: 'invoice-testing-ops-111',
          transaction_code: data.transaction_code,
          amount: 20000,
          status: 'SUCCESS',
          prakerja_name: 'user skema normal 1',
        },
      });

      const txs = await transactions(sb, 'invoice-testing-ops-111');
      assert.equal(txs.length, 1);
      assert.equal(txs[0]!.transaction_code, data.transaction_code);
      assert.equal(txs[0]!.voided, false);
      const listed = JSON.stringify(txs);
      assert.ok(
        !listed.includes(token.payment_token) && !listed.includes(token.otp),
        'no token or OTP in listings',
      );

      const s = await stats(sb);
      assert.equal(s.authorizeRequests, 1);
      assert.equal(s.authorizeSuccesses, 1);
      assert.deepEqual(s.byInvoice['invoice-testing-ops-111'], {
        authorizeRequests: 1,
        authorizeSuccesses: 1,
        voidRequests: 0,
        voidSuccesses: 0,
        wrongOtp: 0,
      });
    });

    it('accepts a numeric invoice_code (the table says integer) and returns it as a string', async () => {
      const token = await newToken(sb);
      const res = await callPrakerja(sb, AUTHORIZE, {
        body: authorizeBody(987654, token.otp),
        paymentToken: token.payment_token,
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal((res.json.data as Record<string, unknown>).invoice_code, '987654');
    });

    it('refuses a wrong OTP with ERRPLT40034 and keeps the token usable with the right one', async () => {
      const token = await newToken(sb, 20000, { otp: '123456' });
      assertRefused(
        await authorize(sb, token, 'INV-OTP', '654321'),
        400,
        'ERRPLT40034',
        'Token Payment tidak valid.',
      );
      assertRefused(await authorize(sb, token, 'INV-OTP', '12345'), 400, 'ERRPLT40034');
      const s = await stats(sb);
      assert.equal(s.wrongOtp, 2);
      assert.equal(s.authorizeSuccesses, 0);
      assert.equal((await authorize(sb, token, 'INV-OTP', '123456')).status, 200);
    });

    it('refuses an unknown token with ERRPLT40034', async () => {
      const res = await authorize(
        sb,
        { payment_token: 'ptk_doesnotexist', otp: '123456', amount: 1 },
        'INV-X',
      );
      assertRefused(res, 400, 'ERRPLT40034', 'Token Payment tidak valid.');
    });

    it('refuses a second authorize with a claimed token with ERRTRX40032 and records nothing more', async () => {
      const token = await newToken(sb);
      assert.equal((await authorize(sb, token, 'INV-CLAIM')).status, 200);
      assertRefused(
        await authorize(sb, token, 'INV-CLAIM'),
        400,
        'ERRTRX40032',
        'Token Payment tidak valid.',
      );
      assertRefused(await authorize(sb, token, 'INV-OTHER'), 400, 'ERRTRX40032');
      const s = await stats(sb);
      assert.equal(s.authorizeSuccesses, 1);
      assert.equal(s.authorizeRequests, 3);
      assert.equal((await transactions(sb, 'INV-CLAIM')).length, 1);
      assert.equal((await transactions(sb, 'INV-OTHER')).length, 0);
    });
  });

  describe('prakerja authentication', () => {
    let token: Token;
    const send = (opts: CallOptions) =>
      callPrakerja(sb, AUTHORIZE, {
        body: authorizeBody('INV-AUTH', token.otp),
        paymentToken: token.payment_token,
        ...opts,
      });

    beforeEach(async () => {
      token = await newToken(sb);
    });

    it('refuses a signature made with the wrong key', async () => {
      assertRefused(await send({ key: 'not-the-sign-key' }), 401, 'ERRPLT40102', 'Signature tidak valid.');
    });

    it('refuses a missing or truncated signature', async () => {
      assertRefused(await send({ signature: null }), 401, 'ERRPLT40102');
      const good = signPerDocument({
        key: SIGN_KEY,
        clientCode: CLIENT_CODE,
        timestamp: nowSeconds(),
        endpoint: AUTHORIZE,
        body: JSON.stringify(authorizeBody('INV-AUTH', token.otp)),
        paymentToken: token.payment_token,
      });
      assertRefused(await send({ signature: good.slice(0, 39) }), 401, 'ERRPLT40102');
      assertRefused(await send({ signature: good.toUpperCase() }), 401, 'ERRPLT40102');
    });

    it('refuses a signature over different body spacing than the bytes sent', async () => {
      const body = authorizeBody('INV-AUTH', token.otp);
      const res = await send({ raw: JSON.stringify(body, null, 2), signedBody: JSON.stringify(body) });
      assertRefused(res, 401, 'ERRPLT40102');
      // The same spaced bytes, signed as sent, pass: the sandbox signs raw bytes, not a re-serialisation.
      assert.equal((await send({ raw: JSON.stringify(body, null, 2) })).status, 200);
    });

    it('refuses a signature that does not cover the payment token in the Authorization header', async () => {
      assertRefused(await send({ signedToken: 'ptk_someothertoken' }), 401, 'ERRPLT40102');
    });

    it('refuses a stale, future, missing or non-numeric timestamp', async () => {
      const tenMinutesAgo = String(Math.floor(clock / 1000) - 600);
      assertRefused(await send({ timestamp: tenMinutesAgo }), 401, 'ERRPLT40103', 'Timestamp tidak valid.');
      assertRefused(await send({ timestamp: String(Math.floor(clock / 1000) + 600) }), 401, 'ERRPLT40103');
      assertRefused(await send({ timestamp: null }), 401, 'ERRPLT40103');
      assertRefused(await send({ timestamp: 'abc' }), 401, 'ERRPLT40103');
      assertRefused(await send({ timestamp: `${nowSeconds()}.5` }), 401, 'ERRPLT40103');
      // Within tolerance is fine.
      assert.equal((await send({ timestamp: String(Math.floor(clock / 1000) - 200) })).status, 200);
    });

    it('refuses an unknown or missing client_code', async () => {
      assertRefused(
        await send({ clientCode: 'SOMEONE-ELSE' }),
        401,
        'ERRPLT40101',
        'Client code tidak valid.',
      );
      assertRefused(await send({ clientCode: null }), 401, 'ERRPLT40101');
    });

    it('counts no authorize request and claims no token while refusing', async () => {
      await send({ key: 'wrong' });
      await send({ timestamp: 'abc' });
      await send({ clientCode: 'nope' });
      assert.equal((await stats(sb)).authorizeRequests, 0);
      assert.equal((await send({})).status, 200);
    });

    it('refuses malformed JSON (correctly signed) with ERRPLT40001', async () => {
      const res = await send({ raw: '{"otp": "123456", "invoice_url": ' });
      assertRefused(res, 400, 'ERRPLT40001');
      assert.match(String(res.json.message), /^Request tidak valid: /);
    });

    it('refuses a body failing the schema with ERRPLT40001 naming the field', async () => {
      const body = authorizeBody('INV-AUTH', token.otp) as Record<string, unknown>;
      const missingOtp = await send({ body: { ...body, otp: undefined } });
      assertRefused(missingOtp, 400, 'ERRPLT40001', 'Request tidak valid: otp');
      assertRefused(
        await send({ body: { ...body, otp: '' } }),
        400,
        'ERRPLT40001',
        'Request tidak valid: otp',
      );
      assertRefused(
        await send({ body: { ...body, invoice_url: 42 } }),
        400,
        'ERRPLT40001',
        'Request tidak valid: invoice_url',
      );
      assertRefused(
        await send({ body: { ...body, invoice_code: true } }),
        400,
        'ERRPLT40001',
        'Request tidak valid: invoice_code',
      );
      assertRefused(await send({ raw: '[]' }), 400, 'ERRPLT40001');
      assert.equal((await stats(sb)).authorizeSuccesses, 0);
    });

    it('refuses authorize without an Authorization header with ERRPLT40034', async () => {
      const res = await callPrakerja(sb, AUTHORIZE, { body: authorizeBody('INV-AUTH', token.otp) });
      assertRefused(res, 400, 'ERRPLT40034');
    });

    it('refuses a void signed with a payment-token part (void has none)', async () => {
      const txCode = await purchase(sb, 'INV-VSIG');
      const res = await callPrakerja(sb, VOID, {
        body: { invoice_code: 'INV-VSIG', transaction_code: txCode },
        signedToken: 'null',
      });
      assertRefused(res, 401, 'ERRPLT40102');
    });
  });

  describe('prakerja void', () => {
    it('voids once, then answers ERRPLT40028', async () => {
      const txCode = await purchase(sb, 'INV-VOID');
      const first = await voidTx(sb, 'INV-VOID', txCode);
      assert.equal(first.status, 200);
      assert.deepEqual(first.json, { success: true, message: 'Transaksi berhasil dibatalkan.' });
      assertRefused(
        await voidTx(sb, 'INV-VOID', txCode),
        400,
        'ERRPLT40028',
        'Transaksi sudah dibatalkan sebelumnya, silahkan hubungi tim ops prakerja.',
      );
      const s = await stats(sb);
      assert.equal(s.voidRequests, 2);
      assert.equal(s.voidSuccesses, 1);
      assert.equal((await transactions(sb, 'INV-VOID'))[0]!.voided, true);
    });

    const refusals = [
      ['redeemed', 'ERRVOD40004', 'Gagal dibatalkan. Peserta sudah melakukan redeem untuk pelatihan ini.'],
      [
        'paidOut',
        'ERRVOD40009',
        'Gagal dibatalkan. Sudah dibayarkan ke digital platform untuk transaksi ini.',
      ],
      [
        'completionValidated',
        'ERRVOD40008',
        'Gagal dibatalkan. Laporan penyelesaian pelatihan untuk transaksi ini sudah validasi sebelumnya.',
      ],
      ['pastWindow', 'ERRVOD40003', 'Gagal dibatalkan. Sudah melewati batas waktu maksimal pembatalan.'],
      [
        'reconciliationOver4Days',
        'ERRVOD40005',
        'Gagal dibatalkan. Tanggal permintaan lebih besar dari 4 hari.',
      ],
    ] as const;
    for (const [refusal, code, message] of refusals) {
      it(`refuses a void flagged '${refusal}' with ${code}`, async () => {
        const invoice = `INV-${refusal}`;
        const txCode = await purchase(sb, invoice);
        const arranged = await control(sb, 'POST', '/prakerja/refuse-void', {
          invoice_code: invoice,
          refusal,
        });
        assert.equal(arranged.status, 200);
        assertRefused(await voidTx(sb, invoice, txCode), 400, code, message);
        assert.equal((await transactions(sb, invoice))[0]!.voided, false);
        assert.equal((await stats(sb)).voidSuccesses, 0);
      });
    }

    it('applies a refusal arranged before the transaction exists', async () => {
      const arranged = await control(sb, 'POST', '/prakerja/refuse-void', {
        invoice_code: 'INV-EARLY',
        refusal: 'redeemed',
      });
      assert.equal(arranged.json.pending, true);
      const txCode = await purchase(sb, 'INV-EARLY');
      assertRefused(await voidTx(sb, 'INV-EARLY', txCode), 400, 'ERRVOD40004');
    });

    it('refuses a transaction backdated 3 days with ERRVOD40010, but voids one backdated 1 day', async () => {
      const old = await purchase(sb, 'INV-OLD');
      assert.equal(
        (await control(sb, 'POST', '/prakerja/backdate', { invoice_code: 'INV-OLD', days: 3 })).status,
        200,
      );
      assertRefused(
        await voidTx(sb, 'INV-OLD', old),
        400,
        'ERRVOD40010',
        'Transaksi sudah lebih dari 2 hari, silahkan hubungi tim ops prakerja.',
      );
      const recent = await purchase(sb, 'INV-RECENT');
      await control(sb, 'POST', '/prakerja/backdate', { invoice_code: 'INV-RECENT', days: 1 });
      assert.equal((await voidTx(sb, 'INV-RECENT', recent)).status, 200);
    });

    it('applies the 2-day rule on the injected clock', async () => {
      const txCode = await purchase(sb, 'INV-CLOCK');
      clock += 2 * DAY_MS + 60_000;
      assertRefused(await voidTx(sb, 'INV-CLOCK', txCode), 400, 'ERRVOD40010');
    });

    it('answers 404 from backdate for an unknown invoice', async () => {
      assert.equal(
        (await control(sb, 'POST', '/prakerja/backdate', { invoice_code: 'NOPE', days: 3 })).status,
        404,
      );
    });

    it('refuses a void whose invoice_code does not match with ERRPLT40401', async () => {
      const txCode = await purchase(sb, 'INV-MATCH');
      assertRefused(await voidTx(sb, 'INV-WRONG', txCode), 400, 'ERRPLT40401', 'Transaksi tidak ditemukan.');
      assert.equal((await voidTx(sb, 'INV-MATCH', txCode)).status, 200);
    });

    it('refuses an unknown transaction_code with ERRVOD40001', async () => {
      await purchase(sb, 'INV-UNK');
      assertRefused(
        await voidTx(sb, 'INV-UNK', 'ZZZZZZZZZZZZZZZZ'),
        400,
        'ERRVOD40001',
        'Kode transaksi tidak ditemukan.',
      );
    });

    it('refuses a void body without transaction_code with ERRPLT40001', async () => {
      const res = await callPrakerja(sb, VOID, { body: { invoice_code: 'INV-1' } });
      assertRefused(res, 400, 'ERRPLT40001', 'Request tidak valid: transaction_code');
    });
  });

  describe('merchant fulfil', () => {
    const order = {
      invoice_code: 'INV-M',
      transaction_code: 'QHBST9GB5OSS888I',
      amount: 20000,
      order_id: 'ord-1',
    };
    const fulfil = async (key: string | null, body: unknown = order) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key !== null) headers['idempotency-key'] = key;
      const res = await fetch(`${sb.base}/merchant/fulfil`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    it('fulfils once per Idempotency-Key', async () => {
      const first = await fulfil('key-1');
      assert.equal(first.status, 200);
      assert.equal(first.json.fulfilled, true);
      assert.match(String(first.json.reference), /^ful_/);
      const again = await fulfil('key-1');
      assert.deepEqual(again.json, first.json);
      const other = await fulfil('key-2');
      assert.notEqual(other.json.reference, first.json.reference);
      const s = (await control(sb, 'GET', '/merchant/stats')).json;
      assert.deepEqual(s, {
        fulfilRequests: 3,
        fulfilments: 2,
        byInvoice: { 'INV-M': { requests: 3, fulfilments: 2 } },
      });
    });

    it('refuses a request without Idempotency-Key', async () => {
      assert.equal((await fulfil(null)).status, 400);
      assert.equal((await control(sb, 'GET', '/merchant/stats')).json.fulfilments, 0);
    });

    it('refuses reusing a key for a different order', async () => {
      assert.equal((await fulfil('key-r')).status, 200);
      assert.equal((await fulfil('key-r', { ...order, order_id: 'ord-2' })).status, 422);
    });

    it('fails a given number of times on request, then fulfils', async () => {
      const armed = await control(sb, 'POST', '/merchant/fail', {
        invoice_code: 'INV-M',
        status: 503,
        times: 2,
      });
      assert.equal(armed.status, 200);
      const a = await fulfil('key-f');
      assert.equal(a.status, 503);
      assert.deepEqual(a.json, { error: 'fulfilment refused' });
      assert.equal((await fulfil('key-f')).status, 503);
      assert.equal((await fulfil('key-f')).status, 200);
      assert.equal((await control(sb, 'GET', '/merchant/stats')).json.fulfilments, 1);
    });

    it('fails for good without `times`, and only for that invoice', async () => {
      await control(sb, 'POST', '/merchant/fail', { invoice_code: 'INV-M', status: 422 });
      for (let i = 0; i < 3; i += 1) assert.equal((await fulfil(`key-${i}`)).status, 422);
      assert.equal((await fulfil('key-o', { ...order, invoice_code: 'INV-OTHER' })).status, 200);
      assert.equal((await control(sb, 'GET', '/merchant/stats')).json.fulfilments, 1);
    });

    it('rejects a fail status outside 4xx/5xx', async () => {
      assert.equal(
        (await control(sb, 'POST', '/merchant/fail', { invoice_code: 'INV-M', status: 200 })).status,
        400,
      );
    });
  });

  describe('faults', () => {
    const arm = async (spec: Record<string, unknown>) => {
      const res = await control(sb, 'POST', '/faults', spec);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      return res.json;
    };

    it('error5xx answers without processing: nothing recorded, token still usable', async () => {
      const token = await newToken(sb);
      await arm({ route: 'prakerja.authorize', mode: 'error5xx' });
      const res = await authorize(sb, token, 'INV-F5');
      assert.equal(res.status, 503);
      assert.equal(res.json.success, false);
      assert.equal(typeof res.json.code, 'string');
      assert.equal((await stats(sb)).authorizeRequests, 0);
      assert.equal((await transactions(sb, 'INV-F5')).length, 0);
      assert.equal((await authorize(sb, token, 'INV-F5')).status, 200);
    });

    it('honours count and status', async () => {
      const token = await newToken(sb);
      await arm({ route: 'prakerja.authorize', mode: 'error5xx', status: 502, count: 2 });
      assert.equal((await authorize(sb, token, 'INV-CNT')).status, 502);
      assert.equal(((await control(sb, 'GET', '/faults')).json as unknown as unknown[]).length, 1);
      assert.equal((await authorize(sb, token, 'INV-CNT')).status, 502);
      assert.deepEqual((await control(sb, 'GET', '/faults')).json, []);
      assert.equal((await authorize(sb, token, 'INV-CNT')).status, 200);
    });

    it('only hits requests matching `match`', async () => {
      await arm({ route: 'prakerja.authorize', mode: 'error5xx', match: { invoice_code: 'INV-A' } });
      assert.equal((await authorize(sb, await newToken(sb), 'INV-B')).status, 200);
      assert.equal((await authorize(sb, await newToken(sb), 'INV-A')).status, 503);
    });

    it('timeout-after-commit commits although the client gave up', async () => {
      const token = await newToken(sb);
      await arm({ route: 'prakerja.authorize', mode: 'timeout-after-commit' });
      const started = Date.now();
      await assert.rejects(
        callPrakerja(sb, AUTHORIZE, {
          body: authorizeBody('INV-TAC', token.otp),
          paymentToken: token.payment_token,
          signal: AbortSignal.timeout(500),
        }),
        (err: Error) => err.name === 'TimeoutError' || err.name === 'AbortError',
      );
      assert.ok(Date.now() - started < 5000, 'the client timeout, not the hold, ended the call');
      const txs = await transactions(sb, 'INV-TAC');
      assert.equal(txs.length, 1);
      assert.equal((await stats(sb)).authorizeSuccesses, 1);
      // A retry with the same token shows the engine why authorize is not blindly retryable.
      assertRefused(await authorize(sb, token, 'INV-TAC'), 400, 'ERRTRX40032');
    });

    it('reset-after-commit drops the connection after recording', async () => {
      const txCode = await purchase(sb, 'INV-RAC');
      await arm({ route: 'prakerja.void', mode: 'reset-after-commit' });
      await assert.rejects(voidTx(sb, 'INV-RAC', txCode));
      assert.equal((await transactions(sb, 'INV-RAC'))[0]!.voided, true);
      assertRefused(await voidTx(sb, 'INV-RAC', txCode), 400, 'ERRPLT40028');
    });

    it('reset-before drops the connection and records nothing', async () => {
      const token = await newToken(sb);
      await arm({ route: 'prakerja.authorize', mode: 'reset-before' });
      await assert.rejects(authorize(sb, token, 'INV-RB'));
      assert.equal((await stats(sb)).authorizeRequests, 0);
      assert.equal((await transactions(sb, 'INV-RB')).length, 0);
      assert.equal((await authorize(sb, token, 'INV-RB')).status, 200);
    });

    it('latency delays and then processes', async () => {
      await arm({ route: 'prakerja.authorize', mode: 'latency', ms: 300 });
      const token = await newToken(sb);
      const started = Date.now();
      assert.equal((await authorize(sb, token, 'INV-LAT')).status, 200);
      assert.ok(Date.now() - started >= 290, `took ${Date.now() - started} ms`);
    });

    it('latency still processes a request whose client gave up, after the full delay', async () => {
      await arm({ route: 'prakerja.authorize', mode: 'latency', ms: 800 });
      const token = await newToken(sb);
      await assert.rejects(
        callPrakerja(sb, AUTHORIZE, {
          body: authorizeBody('INV-SLOW', token.otp),
          paymentToken: token.payment_token,
          signal: AbortSignal.timeout(200),
        }),
      );
      assert.equal((await stats(sb)).authorizeRequests, 1, 'the request arrived');
      assert.equal((await transactions(sb, 'INV-SLOW')).length, 0, 'not yet: the provider is still slow');
      await new Promise((r) => setTimeout(r, 900));
      assert.equal((await transactions(sb, 'INV-SLOW')).length, 1, 'then the provider acts anyway');
    });

    it('latency on the merchant counts the request on arrival and delivers after the delay', async () => {
      await arm({ route: 'merchant.fulfil', mode: 'latency', ms: 400, match: { invoice_code: 'INV-ML' } });
      const pending = fetch(`${sb.base}/merchant/fulfil`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k-ml' },
        body: JSON.stringify({ invoice_code: 'INV-ML', transaction_code: 'T', amount: 1, order_id: 'o' }),
      });
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual((await control(sb, 'GET', '/merchant/stats')).json.byInvoice, {
        'INV-ML': { requests: 1, fulfilments: 0 },
      });
      assert.equal((await pending).status, 200);
      assert.equal((await control(sb, 'GET', '/merchant/stats')).json.fulfilments, 1);
    });

    it('applies to the merchant route too', async () => {
      await arm({ route: 'merchant.fulfil', mode: 'error5xx', status: 500 });
      const res = await fetch(`${sb.base}/merchant/fulfil`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
        body: JSON.stringify({ invoice_code: 'I', transaction_code: 'T', amount: 1, order_id: 'o' }),
      });
      assert.equal(res.status, 500);
      assert.equal((await control(sb, 'GET', '/merchant/stats')).json.fulfilRequests, 0);
    });

    it('refuses an unknown route or mode, lists and clears armed faults', async () => {
      assert.equal(
        (await control(sb, 'POST', '/faults', { route: 'prakerja.authorise', mode: 'latency' })).status,
        400,
      );
      assert.equal(
        (await control(sb, 'POST', '/faults', { route: 'prakerja.void', mode: 'explode' })).status,
        400,
      );
      await arm({ route: 'prakerja.void', mode: 'latency', ms: 10, count: 3 });
      const listed = (await control(sb, 'GET', '/faults')).json as unknown as Array<Record<string, unknown>>;
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.remaining, 3);
      assert.deepEqual((await control(sb, 'DELETE', '/faults')).json, { cleared: 1 });
      assert.deepEqual((await control(sb, 'GET', '/faults')).json, []);
    });

    it('disarms one fault by id (an outage that ends), and 404s one not armed', async () => {
      const kept = await arm({ route: 'prakerja.void', mode: 'latency', ms: 10, count: 5 });
      const ended = await arm({ route: 'prakerja.authorize', mode: 'error5xx', count: 1000 });
      const id = (ended as { id: string }).id;
      assert.deepEqual((await control(sb, 'DELETE', `/faults/${id}`)).json, { removed: id });
      const left = (await control(sb, 'GET', '/faults')).json as unknown as Array<{ id: string }>;
      assert.deepEqual(
        left.map((f) => f.id),
        [(kept as { id: string }).id],
      );
      assert.equal((await control(sb, 'DELETE', `/faults/${id}`)).status, 404);
    });

    it('reset clears state and faults', async () => {
      const token = await newToken(sb);
      await arm({ route: 'prakerja.authorize', mode: 'error5xx' });
      await control(sb, 'POST', '/reset', {});
      assert.deepEqual((await control(sb, 'GET', '/faults')).json, []);
      assertRefused(await authorize(sb, token, 'INV-RST'), 400, 'ERRPLT40034');
    });
  });
});

describe('sandbox lifecycle', () => {
  it('releases a held response on close instead of waiting for it', async () => {
    clock = Date.now();
    const sb = await startSandbox();
    let closed = false;
    try {
      const token = await newToken(sb);
      await control(sb, 'POST', '/faults', {
        route: 'prakerja.authorize',
        mode: 'timeout-after-commit',
        ms: 60_000,
      });
      const pending = authorize(sb, token, 'INV-HOLD').then(
        () => 'answered',
        () => 'dropped',
      );
      for (let i = 0; i < 50 && (await stats(sb)).authorizeSuccesses !== 1; i += 1) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await stats(sb)).authorizeSuccesses, 1);
      const started = Date.now();
      await sb.app.close();
      closed = true;
      assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
      assert.equal(await pending, 'dropped');
    } finally {
      // A failed assertion must not leave a listening server holding a response for a minute.
      if (!closed) await sb.app.close();
    }
  });

  describe('state file', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps transactions, unclaimed tokens and fulfilments across a restart', async () => {
      clock = Date.now();
      const stateFile = join(dir, 'nested', 'state.json');
      const first = await startSandbox({ stateFile });
      const claimed = await newToken(first);
      const unclaimed = await newToken(first, 35000, { otp: '246810' });
      const res = await authorize(first, claimed, 'INV-PERSIST');
      assert.equal(res.status, 200);
      const txCode = (res.json.data as { transaction_code: string }).transaction_code;
      await control(first, 'POST', '/prakerja/refuse-void', {
        invoice_code: 'INV-LATER',
        refusal: 'paidOut',
      });
      const fulfilled = await fetch(`${first.base}/merchant/fulfil`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'persist-key' },
        body: JSON.stringify({
          invoice_code: 'INV-PERSIST',
          transaction_code: txCode,
          amount: 20000,
          order_id: 'o',
        }),
      });
      const reference = ((await fulfilled.json()) as { reference: string }).reference;
      await first.app.close();
      assert.deepEqual(readdirSync(join(dir, 'nested')), ['state.json'], 'no temp file left behind');

      const second = await startSandbox({ stateFile });
      try {
        const txs = await transactions(second, 'INV-PERSIST');
        assert.equal(txs.length, 1);
        assert.equal(txs[0]!.transaction_code, txCode);
        assertRefused(await authorize(second, claimed, 'INV-PERSIST'), 400, 'ERRTRX40032');
        const later = await authorize(second, unclaimed, 'INV-LATER');
        assert.equal(later.status, 200);
        assert.equal((later.json.data as { amount: number }).amount, 35000);
        const laterTx = (later.json.data as { transaction_code: string }).transaction_code;
        assertRefused(await voidTx(second, 'INV-LATER', laterTx), 400, 'ERRVOD40009');
        assert.equal((await voidTx(second, 'INV-PERSIST', txCode)).status, 200);
        const s = await stats(second);
        assert.equal(s.authorizeSuccesses, 2);
        const again = await fetch(`${second.base}/merchant/fulfil`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'persist-key' },
          body: JSON.stringify({
            invoice_code: 'INV-PERSIST',
            transaction_code: txCode,
            amount: 20000,
            order_id: 'o',
          }),
        });
        assert.equal(((await again.json()) as { reference: string }).reference, reference);
      } finally {
        await second.app.close();
      }
    });

    it('refuses to start on a corrupt state file', async () => {
      const stateFile = join(dir, 'corrupt.json');
      writeFileSync(stateFile, '{"prakerja": {"tokens": "nope"}}');
      await assert.rejects(startSandbox({ stateFile }), /section 'prakerja' is invalid/);
    });
  });
});

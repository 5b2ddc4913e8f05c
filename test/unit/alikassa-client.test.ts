/**
 * The AliKassa signer, catalog, amounts and client, against signature vectors computed with the
 * openssl command line and a fake AliKassa over real HTTP that checks every request's Sign over
 * the raw bytes it received. Notifications: alikassa-notification.test.ts.
 *
 * Keys: test/fixtures/alikassa/{private,public}.pem, a TEST-ONLY pair (passphrase paysaga-test).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants, verify } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  aliKassaHeaders,
  aliKassaSign,
  AliKassaKeyError,
  loadAliKassaKey,
  loadAliKassaPublicKey,
} from '../../providers/alikassa/signature';
import {
  ALIKASSA_PAYMENT_BANKS,
  ALIKASSA_PAYOUT_CODES,
  AliKassaInputError,
  checkPaymentCode,
  checkPayoutCode,
} from '../../providers/alikassa/catalog';
import { parseAliKassaAmount, toAliKassaAmount } from '../../providers/alikassa/schemas';
import { createAliKassaClient, type AliKassaClient } from '../../providers/alikassa/client';
import { ProviderProtocolError, ProviderRejection } from '../../providers/http/errors';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'alikassa');
const PRIVATE_PEM_PATH = path.join(FIXTURES, 'private.pem');
const PUBLIC_PEM_PATH = path.join(FIXTURES, 'public.pem');
const PASSPHRASE = 'paysaga-test';
const PRIVATE_PEM = readFileSync(PRIVATE_PEM_PATH, 'utf8');
const ACCOUNT = '3f1c2a9e-7b4d-4e21-9a6f-0c5d8e7b1a23';

const VECTOR_BODY = '{"amount":"150000.00","order_id":"ORD-1","service":"virtual_account_idr_hpp"}';
// printf '%s' '{"amount":"150000.00","order_id":"ORD-1","service":"virtual_account_idr_hpp"}' > /tmp/body.json
// openssl dgst -sha256 -sign test/fixtures/alikassa/private.pem -passin pass:paysaga-test /tmp/body.json | base64 -w0
// (OpenSSL 3.0.19; RSA PKCS#1 v1.5 is deterministic, so this never changes for this key and body)
const VECTOR_SIGN =
  'c4UxptHeowq7buCt1JSFP4uMjtPv2jSP9r62l7UmxpKpYY+fH3eaUl3Qkj3gNdRrIeJ/yDD/jzO3VCWZ4wUnJr2UvyA06NIrtClixkP/u7G/HxMiUaOkvyg0+FNDCM694lY4hlnR/EtgR4VxZFIl0EK2UpxSM6DApMTCCMVn5xQtY4RZospY5CF9abSfujTmmmgnSFQWmRbodJMAUMo227ebsOdOKXyNIjBiNvn2nNxpAAX3EaJKvwGf7myM3uWMvEmemX/xBdDCR6npBu1jV3JLXJ0OM2OmUQ+I5rC9QSAfcEKSxjqK1tPQG0OaeLi/GfBIXnUF6Jeo6QQY16EySw==';
// The same body and key, SHA-1 (PHP openssl_sign's default; ALIKASSA_SIGN_HASH=sha1):
// openssl dgst -sha1 -sign test/fixtures/alikassa/private.pem -passin pass:paysaga-test /tmp/body.json | base64 -w0
// (OpenSSL 3.0.19)
const VECTOR_SIGN_SHA1 =
  'OtWAwqu0sxbuYfJwxpU/q3jLimzzAWH+1OkpbO9kZTx4fvJuA/ak2/089xp3q/ZkVEFUL6KLb0qDePAxsDn59Xw7MCQpaRDpHp5ORK58YzApbXfIHe9PT0lQl5nVr8lmsBH4MvSBb61vhu6LrsrmSBC+doFjknztZrYs5w0fjidxUarel11qrz33Yy7Gk9g0opJ/HE9OBzeOPq8g2tUfvjlppboGwtGBBGbJD4EH30o4vEVu8FDI5xmud0jzu5SJIQuU8VMOwQPadSiEOirNEErtnM8V/8NIDSOBIYnC9DFRk1DvHPPtgitDx3vo3RTI36phwrVDYJEO3hJwVBEoow==';

/** Every error thrown anywhere in this file, checked at the end for the passphrase and the PEM. */
const thrown: unknown[] = [];
async function rejection(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    thrown.push(err);
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('expected a rejection');
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const privateKey = loadAliKassaKey(PRIVATE_PEM_PATH, PASSPHRASE);
const publicKey = loadAliKassaPublicKey(PUBLIC_PEM_PATH);

describe('AliKassa signature', () => {
  it('matches the vectors made with the openssl command line: sha256 by default, sha1 when set', () => {
    assert.equal(aliKassaSign(Buffer.from(VECTOR_BODY, 'utf8'), privateKey), VECTOR_SIGN);
    assert.equal(aliKassaSign(Buffer.from(VECTOR_BODY, 'utf8'), privateKey, 'sha256'), VECTOR_SIGN);
    assert.equal(aliKassaSign(Buffer.from(VECTOR_BODY, 'utf8'), privateKey, 'sha1'), VECTOR_SIGN_SHA1);
    assert.deepEqual(aliKassaHeaders(ACCOUNT, Buffer.from(VECTOR_BODY), privateKey, 'sha1'), {
      Account: ACCOUNT,
      Sign: VECTOR_SIGN_SHA1,
    });
  });

  it(
    'is accepted by `openssl dgst -sha256 -verify public.pem`',
    { skip: !hasOpenssl() && 'no openssl' },
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'alikassa-'));
      const body = '{"amount":"1.00","order_id":"ORD-2","service":"qr_code_idr_hpp"}';
      writeFileSync(path.join(dir, 'body.json'), body);
      writeFileSync(
        path.join(dir, 'sig.bin'),
        Buffer.from(aliKassaSign(Buffer.from(body), privateKey), 'base64'),
      );
      const out = execFileSync(
        'openssl',
        [
          'dgst',
          '-sha256',
          '-verify',
          PUBLIC_PEM_PATH,
          '-signature',
          path.join(dir, 'sig.bin'),
          path.join(dir, 'body.json'),
        ],
        { encoding: 'utf8' },
      );
      assert.match(out, /Verified OK/);
    },
  );

  it('loads the key from PEM text, from a path, and from a one-line env value with literal \\n', () => {
    for (const value of [PRIVATE_PEM, PRIVATE_PEM_PATH, PRIVATE_PEM.trim().replace(/\n/g, '\\n')]) {
      assert.equal(aliKassaSign(Buffer.from(VECTOR_BODY), loadAliKassaKey(value, PASSPHRASE)), VECTOR_SIGN);
    }
    assert.equal(loadAliKassaPublicKey(readFileSync(PUBLIC_PEM_PATH, 'utf8')).asymmetricKeyType, 'rsa');
  });

  it('a wrong passphrase or a bad value fails without the passphrase or the PEM in the error', async () => {
    for (const value of [PRIVATE_PEM, PRIVATE_PEM_PATH]) {
      const err = await rejection(() => loadAliKassaKey(value, 'wrong-passphrase-9x'));
      assert.ok(err instanceof AliKassaKeyError);
      assert.match(err.message, /wrong passphrase/);
      assert.ok(!String(err.stack).includes('wrong-passphrase-9x'));
    }
    const mangled = PRIVATE_PEM.replace('-----BEGIN', '----BEGIN');
    assert.ok((await rejection(() => loadAliKassaKey(mangled, PASSPHRASE))) instanceof AliKassaKeyError);
    assert.ok(
      (await rejection(() => loadAliKassaKey('/nonexistent/alikassa.pem', PASSPHRASE))) instanceof
        AliKassaKeyError,
    );
    assert.ok((await rejection(() => loadAliKassaKey('', PASSPHRASE))) instanceof AliKassaKeyError);
  });

  it('headers are Account and Sign over the exact bytes', () => {
    assert.deepEqual(aliKassaHeaders(ACCOUNT, Buffer.from(VECTOR_BODY), privateKey), {
      Account: ACCOUNT,
      Sign: VECTOR_SIGN,
    });
  });
});

describe('AliKassa catalog and amounts', () => {
  it('knows every code of the document and refuses codes of another service', async () => {
    assert.deepEqual(Object.keys(ALIKASSA_PAYMENT_BANKS.virtual_account_idr_hpp), [
      'BCAVA',
      'BNIVA',
      'BRIVA',
      'CIMBNVA',
      'MBBIVA',
      'MDRVA',
      'PMTBVA',
      'PANINVA',
      'BDIVA',
    ]);
    assert.equal(ALIKASSA_PAYOUT_CODES.length, 25);
    assert.equal(checkPaymentCode('qr_code_idr_hpp', 'GOPAYQRIS'), 'GOPAYQRIS');
    assert.equal(checkPaymentCode('online_banking_idr_hpp', 'PANIN'), 'PANIN');
    const err = await rejection(() => checkPaymentCode('virtual_account_idr_hpp', 'QRIS'));
    assert.ok(err instanceof AliKassaInputError);
    assert.match(err.message, /belongs to qr_code_idr_hpp/);
    assert.ok((await rejection(() => checkPaymentCode('card_idr', 'BCA'))) instanceof AliKassaInputError);
    assert.equal(checkPayoutCode('SEABANK'), 'SEABANK');
    assert.match((await rejection(() => checkPayoutCode('BSI'))).message, /under maintenance/);
    assert.ok((await rejection(() => checkPayoutCode('BCAVA'))) instanceof AliKassaInputError);
  });

  it('sends decimal(11.2) strings from integers and reads them back', async () => {
    assert.equal(toAliKassaAmount(150000), '150000.00');
    assert.equal(toAliKassaAmount(999_999_999), '999999999.00');
    for (const bad of [0, -1, 1.5, 1_000_000_000, Number.NaN]) await rejection(() => toAliKassaAmount(bad));
    assert.equal(parseAliKassaAmount('150000.00'), 150000);
    assert.equal(parseAliKassaAmount('150000'), 150000);
    assert.equal(parseAliKassaAmount(150000), 150000);
    for (const bad of ['150000.50', '1e5', '-1.00', 150000.5, null])
      await rejection(() => parseAliKassaAmount(bad));
  });
});

describe('AliKassa client against a fake provider (HTTP)', () => {
  type Answer = { status: number; body: unknown } | { status: number; text: string };
  let server: http.Server;
  let client: AliKassaClient;
  let answer: (path: string, body: Record<string, unknown>) => Answer;
  const seen: Array<{
    path: string;
    raw: Buffer;
    body: Record<string, unknown>;
    signOk: boolean;
    account?: string;
  }> = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const signHeader = req.headers['sign'];
        const signOk =
          typeof signHeader === 'string' &&
          verify(
            'sha256',
            raw,
            { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
            Buffer.from(signHeader, 'base64'),
          );
        const account = req.headers['account'] as string | undefined;
        const body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        seen.push({ path: req.url!, raw, body, signOk, account });
        const a: Answer =
          !signOk || account !== ACCOUNT || req.headers['content-type'] !== 'application/json'
            ? { status: 401, body: { message: 'Unauthenticated.' } }
            : answer(req.url!, body);
        res.writeHead(a.status, { 'Content-Type': 'application/json' });
        res.end('text' in a ? a.text : JSON.stringify(a.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = createAliKassaClient({
      baseUrl: `http://127.0.0.1:${port}`,
      account: ACCOUNT,
      privateKey,
      timeoutMs: 2000,
    });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
    answer = () => ({ status: 500, body: { message: 'no answer set' } });
  });

  const payment = {
    orderId: 'ORD-1',
    amount: 150000,
    service: 'virtual_account_idr_hpp',
    customerCode: 'BCAVA',
    customerIp: '203.0.113.7',
    firstName: 'Budi',
    lastName: 'Santoso',
    notificationUrl: 'https://pay.example.com/webhooks/alikassa',
  };

  it('creates a payment with a signed body of the documented fields', async () => {
    answer = () => ({
      status: 200,
      body: {
        url: 'https://pay-merchant.alikassa.com/bd291fe1-5c19-4113-ae62-a2d3c4d01d20',
        payment_status: 'wait',
        id: 108465371,
        uuid: 'bd291fe1-5c19-4113-ae62-a2d3c4d01d20',
        success_redirect_url: null,
      },
    });
    const created = await client.createPayment(payment);
    assert.deepEqual(created, {
      id: '108465371',
      uuid: 'bd291fe1-5c19-4113-ae62-a2d3c4d01d20',
      url: 'https://pay-merchant.alikassa.com/bd291fe1-5c19-4113-ae62-a2d3c4d01d20',
      status: 'wait',
      state: 'pending',
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.path, '/v1/payment');
    assert.ok(seen[0]!.signOk, 'Sign verifies over the raw bytes received');
    assert.equal(seen[0]!.account, ACCOUNT);
    assert.deepEqual(seen[0]!.body, {
      amount: '150000.00',
      order_id: 'ORD-1',
      service: 'virtual_account_idr_hpp',
      customer_ip: '203.0.113.7',
      customer_code: 'BCAVA',
      customer_first_name: 'Budi',
      customer_last_name: 'Santoso',
      notification_endpoint_url: 'https://pay.example.com/webhooks/alikassa',
    });
    assert.match(seen[0]!.raw.toString(), /"amount":"150000\.00"/);
  });

  it('refuses a customer_code of another service, a bad amount or IP, before any request', async () => {
    for (const bad of [
      { ...payment, customerCode: 'QRIS' },
      { ...payment, amount: 150000.5 },
      { ...payment, amount: 1_000_000_000 },
      { ...payment, customerIp: 'not-an-ip' },
      { ...payment, service: 'payment_card_idr' },
    ]) {
      assert.ok((await rejection(client.createPayment(bad))) instanceof AliKassaInputError);
    }
    assert.equal(seen.length, 0);
  });

  it('creates a payout; BSI is refused before sending', async () => {
    answer = () => ({ status: 200, body: { id: 5501, payment_status: 'wait' } });
    const payout = {
      orderId: 'PO-1',
      amount: 250000,
      customerCode: 'BCAD',
      number: '1234567890',
      firstName: 'Siti',
      lastName: 'Rahma',
    };
    assert.deepEqual(await client.createPayout(payout), { id: '5501', status: 'wait', state: 'pending' });
    assert.deepEqual(seen[0]!.body, {
      amount: '250000.00',
      order_id: 'PO-1',
      service: 'payment_card_idr',
      number: '1234567890',
      customer_code: 'BCAD',
      customer_first_name: 'Siti',
      customer_last_name: 'Rahma',
    });
    assert.equal(seen[0]!.path, '/v1/payout');
    assert.ok(seen[0]!.signOk);
    seen.length = 0;
    const err = await rejection(client.createPayout({ ...payout, customerCode: 'BSI' }));
    assert.ok(err instanceof AliKassaInputError);
    assert.match(err.message, /under maintenance/);
    assert.equal(seen.length, 0);
  });

  it('a repeated order_id is ORDER_EXISTS (already-done)', async () => {
    answer = () => ({
      status: 400,
      body: {
        message: 'The given data was invalid.',
        errors: { order_id: ['The order id has already been taken.'] },
      },
    });
    const err = await rejection(client.createPayment(payment));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.code, 'ORDER_EXISTS');
    assert.equal(err.outcomeClass, 'already-done');
    answer = () => ({ status: 409, body: { message: 'order_id already exists' } });
    const e2 = await rejection(client.createPayment(payment));
    assert.ok(e2 instanceof ProviderRejection && e2.code === 'ORDER_EXISTS');
  });

  it('a 400 validation answer is final VALIDATION with the field errors', async () => {
    answer = () => ({
      status: 400,
      body: {
        message: 'The given data was invalid.',
        errors: { customer_ip: ['The customer ip must be a valid IP address.'], amount: ['Too small.'] },
      },
    });
    const err = await rejection(client.createPayment(payment));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.code, 'VALIDATION');
    assert.equal(err.outcomeClass, 'final');
    assert.match(err.providerMessage, /customer_ip: The customer ip must be a valid IP address\./);
    assert.match(err.providerMessage, /amount: Too small\./);
  });

  it('401/403 are final AUTH', async () => {
    answer = () => ({ status: 403, body: { message: 'Forbidden' } });
    const err = await rejection(client.createPayment(payment));
    assert.ok(err instanceof ProviderRejection && err.code === 'AUTH' && err.outcomeClass === 'final');
  });

  it('a 5xx on create needs review; on a status call it is retryable', async () => {
    answer = () => ({ status: 503, text: '<html>Service Unavailable</html>' });
    const err = await rejection(client.createPayment(payment));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.outcomeClass, 'needs-review');
    const e2 = await rejection(client.paymentStatus({ orderId: 'ORD-1' }));
    assert.ok(e2 instanceof ProviderRejection);
    assert.equal(e2.outcomeClass, 'retryable');
  });

  it('an unreadable 200 on create is a protocol error', async () => {
    answer = () => ({ status: 200, text: 'OK' });
    assert.ok((await rejection(client.createPayment(payment))) instanceof ProviderProtocolError);
  });

  it('reads payment and payout status as the public pages show them; unknown order is undefined', async () => {
    // The payout page's example answer (https://doc-merchant.alikassa.com/payout/check/status),
    // with its fields beyond the documented example's cut-off filled in.
    answer = (p, body) =>
      body.order_id === 'ORD-404'
        ? { status: 404, body: { message: 'Not found' } }
        : {
            status: 200,
            body: {
              payment_status: 'paid',
              id: 100000536,
              order_id: body.order_id,
              ...(p === '/v1/payment/status' ? { url: 'https://pay-merchant.alikassa.com/b05119d2' } : {}),
              amount: '300.00',
              payment_amount: '300.00',
              is_partial_payment: false,
              account_payment_amount: '290',
              commission_amount: '10',
              service_code: 'payment_card_idr',
            },
          };
    assert.deepEqual(await client.paymentStatus({ orderId: '6422494' }), {
      id: '100000536',
      uuid: undefined,
      orderId: '6422494',
      status: 'paid',
      state: 'paid',
      amount: 300,
      paymentAmount: 300,
      partial: false,
    });
    assert.equal(seen[0]!.path, '/v1/payment/status');
    assert.deepEqual(seen[0]!.body, { order_id: '6422494' });
    assert.ok(seen[0]!.signOk);
    const po = await client.payoutStatus({ orderId: 'PO-1' });
    assert.equal(po?.state, 'paid');
    assert.equal(seen[1]!.path, '/v1/payout/status');
    assert.equal(await client.paymentStatus({ orderId: 'ORD-404' }), undefined);
    assert.equal(await client.payoutStatus({ orderId: 'ORD-404' }), undefined);
  });

  it('every status word of the public pages, an unknown one, and `success` (no AliKassa word)', async () => {
    let word = 'wait';
    answer = (_p, body) => ({
      status: 200,
      body: { id: 7, order_id: body.order_id, payment_status: word, amount: '1000.00', payment_amount: null },
    });
    const expected = {
      wait: 'pending',
      paid: 'paid',
      cancel: 'failed',
      fail: 'failed',
      success: 'unknown',
      refund: 'unknown',
    };
    for (const [w, state] of Object.entries(expected)) {
      word = w;
      const s = await client.paymentStatus({ orderId: 'ORD-W' });
      assert.equal(s?.state, state, w);
      assert.equal(s?.status, w);
      assert.equal(s?.partial, false, 'no payment_amount: not partial');
    }
  });

  it('a partial payment is read with both amounts, flagged or only short', async () => {
    const cases = [
      { payment_amount: '100000.00', is_partial_payment: true, partial: true },
      { payment_amount: '100000.00', is_partial_payment: false, partial: true },
      { payment_amount: '100000.00', is_partial_payment: '1', partial: true },
      { payment_amount: '150000.00', is_partial_payment: true, partial: true },
      { payment_amount: '150000.00', is_partial_payment: 0, partial: false },
      { payment_amount: '0.00', is_partial_payment: false, partial: false },
    ];
    for (const c of cases) {
      answer = (_p, body) => ({
        status: 200,
        body: {
          id: 8,
          order_id: body.order_id,
          payment_status: 'paid',
          amount: '150000.00',
          payment_amount: c.payment_amount,
          is_partial_payment: c.is_partial_payment,
        },
      });
      const s = await client.paymentStatus({ orderId: 'ORD-P' });
      assert.equal(s?.partial, c.partial, JSON.stringify(c));
      assert.equal(s?.amount, 150000);
      assert.equal(s?.paymentAmount, Number(c.payment_amount));
      assert.equal(s?.state, 'paid', 'money arrived: the state stays paid, partial says how much');
    }
    answer = (_p, body) => ({
      status: 200,
      body: {
        id: 8,
        order_id: body.order_id,
        payment_status: 'paid',
        amount: '1.00',
        is_partial_payment: 'maybe',
      },
    });
    assert.ok((await rejection(client.paymentStatus({ orderId: 'ORD-P' }))) instanceof ProviderProtocolError);
  });

  it('a status answer with a fraction or about another order is a protocol error', async () => {
    answer = (_p, body) => ({
      status: 200,
      body: { id: 1, order_id: body.order_id, payment_status: 'paid', amount: '150000.50' },
    });
    assert.ok((await rejection(client.paymentStatus({ orderId: 'ORD-1' }))) instanceof ProviderProtocolError);
    answer = () => ({
      status: 200,
      body: { id: 1, order_id: 'OTHER', payment_status: 'paid', amount: '1.00' },
    });
    assert.ok((await rejection(client.paymentStatus({ orderId: 'ORD-1' }))) instanceof ProviderProtocolError);
  });
});

describe('AliKassa secrets', () => {
  it('no thrown error carries the passphrase or the PEM', () => {
    assert.ok(thrown.length > 10);
    const pemLines = PRIVATE_PEM.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    for (const err of thrown) {
      const text = `${String(err)}\n${(err as Error).stack ?? ''}\n${JSON.stringify(err)}`;
      assert.ok(!text.includes(PASSPHRASE), `passphrase in: ${text.slice(0, 200)}`);
      assert.ok(!text.includes('wrong-passphrase-9x'));
      assert.ok(!text.includes('PRIVATE KEY'));
      for (const line of pemLines) assert.ok(!text.includes(line), 'PEM content in an error');
    }
  });
});

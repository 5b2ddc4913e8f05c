/**
 * createPrakerjaClient against a local HTTP server that plays Prakerja with canned answers
 * (shapes copied from the authorize and void documents).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  createPrakerjaClient,
  PRAKERJA_AUTHORIZE_PATH,
  PRAKERJA_VOID_PATH,
  type AuthorizeInput,
  type PrakerjaClient,
} from '../../providers/prakerja/client';
import { PRAKERJA_AUTHORIZE_ERRORS, PRAKERJA_VOID_ERRORS } from '../../providers/prakerja/error-codes';
import { ProviderProtocolError, ProviderRejection } from '../../providers/http/errors';

const CLIENT_CODE = 'DP-TEST-01';
const SIGN_KEY = 'test-sign-key-0123456789';
const NOW_MS = 1698289216_500; // -> timestamp header "1698289216"

// Same inputs as vectors (a) and (b) in prakerja-signature.test.ts (computed there with openssl
// and python3), so the signature the server receives must be exactly these.
const VECTOR_A = 'eeaf5a05f738900d7d139572e469ddaa755b96ce';
const VECTOR_B = '3c19c37b6807879cd4115173e72dd77f813596df';

const AUTH_INPUT: AuthorizeInput = {
  paymentToken: 'ptk_abc123',
  otp: '123456',
  invoiceUrl: 'https://lp.example/inv/INV-1',
  invoiceCode: 'INV-1',
};
const VOID_INPUT = { invoiceCode: 'INV-1', transactionCode: 'QHBST9GB5OSS888I' };

// ---- canned Prakerja answers ----------------------------------------------------------------
const AUTHORIZE_OK = {
  success: true,
  message: 'Pelatihan berhasil dibeli.',
  data: {
    invoice_code: 'INV-1',
    transaction_code: 'QHBST9GB5OSS888I',
    amount: 20000,
    status: 'SUCCESS',
    prakerja_name: 'user skema normal 1',
  },
};
const VOID_OK = { success: true, message: 'Transaksi berhasil dibatalkan.' };
const errorBody = (code: string, message: string) => ({ code, message, success: false });

interface Canned {
  status: number;
  body: string;
  contentType?: string;
}
const json = (status: number, value: unknown): Canned => ({ status, body: JSON.stringify(value) });

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** The signature header checked in the server against an HMAC computed here from the raw bytes. */
  signatureValid: boolean;
}

/** The signature as Prakerja would verify it: from the headers and the raw bytes received. */
function expectedSignature(method: string, path: string, headers: http.IncomingHttpHeaders, raw: Buffer) {
  const auth = typeof headers.authorization === 'string' ? headers.authorization : '';
  return createHmac('sha1', SIGN_KEY)
    .update(`${headers.client_code}${headers.timestamp}${method}${path}${auth}`, 'utf8')
    .update(raw)
    .digest('hex');
}

let server: http.Server;
let baseUrl: string;
let seen: Seen[] = [];
let answer: Canned = json(200, AUTHORIZE_OK);

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const method = req.method ?? '';
      const path = req.url ?? '';
      const expected = Buffer.from(expectedSignature(method, path, req.headers, raw));
      const got = Buffer.from(String(req.headers.signature ?? ''));
      seen.push({
        method,
        path,
        headers: req.headers,
        raw,
        signatureValid: got.length === expected.length && timingSafeEqual(got, expected),
      });
      res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  answer = json(200, AUTHORIZE_OK);
});

function client(): PrakerjaClient {
  return createPrakerjaClient({
    baseUrl,
    clientCode: CLIENT_CODE,
    signKey: SIGN_KEY,
    timeoutMs: 2000,
    now: () => NOW_MS,
  });
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to throw');
}

describe('prakerja client: authorize', () => {
  it('parses the documented success (amount as a number)', async () => {
    answer = json(200, AUTHORIZE_OK);
    const result = await client().authorize(AUTH_INPUT);
    assert.equal(result.invoice_code, 'INV-1');
    assert.equal(result.transaction_code, 'QHBST9GB5OSS888I');
    assert.equal(result.amount, 20000);
    assert.equal(result.status, 'SUCCESS');
    assert.equal(result.prakerja_name, 'user skema normal 1');
  });

  it('amount as the string "20000" (the field table type) becomes the integer 20000', async () => {
    answer = json(200, { ...AUTHORIZE_OK, data: { ...AUTHORIZE_OK.data, amount: '20000' } });
    const result = await client().authorize(AUTH_INPUT);
    assert.equal(result.amount, 20000);
    assert.equal(typeof result.amount, 'number');
    assert.ok(Number.isInteger(result.amount));
  });

  it('the example invoice_code shape and a numeric invoice_code are both read as strings', async () => {
    answer = json(200, { ...AUTHORIZE_OK, data: { ...AUTHORIZE_OK.data, invoice_code: 111 } });
    const result = await client().authorize(AUTH_INPUT);
    assert.equal(result.invoice_code, '111');
  });

  it('a fractional amount is not accepted as rupiah: ProviderProtocolError', async () => {
    for (const amount of [20000.5, '20000.50']) {
      answer = json(200, { ...AUTHORIZE_OK, data: { ...AUTHORIZE_OK.data, amount } });
      const err = await rejected(client().authorize(AUTH_INPUT));
      assert.ok(err instanceof ProviderProtocolError, `amount ${String(amount)}: got ${String(err)}`);
    }
  });

  it('sends client_code, timestamp, signature and Authorization: Payment <token>; server verifies the HMAC', async () => {
    answer = json(200, AUTHORIZE_OK);
    await client().authorize(AUTH_INPUT);
    assert.equal(seen.length, 1);
    const req = seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, PRAKERJA_AUTHORIZE_PATH);
    assert.equal(req.headers.client_code, CLIENT_CODE);
    assert.equal(req.headers.timestamp, '1698289216');
    assert.equal(req.headers.authorization, 'Payment ptk_abc123');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(
      req.raw.toString('utf8'),
      '{"otp":"123456","invoice_url":"https://lp.example/inv/INV-1","invoice_code":"INV-1"}',
    );
    assert.equal(req.signatureValid, true, 'signature must verify against the raw bytes received');
    assert.equal(req.headers.signature, VECTOR_A);
  });

  for (const doc of PRAKERJA_AUTHORIZE_ERRORS) {
    it(`documented error ${doc.code} -> ProviderRejection class ${doc.class}`, async () => {
      answer = json(doc.httpStatus, errorBody(doc.code, doc.message));
      const err = await rejected(client().authorize(AUTH_INPUT));
      assert.ok(err instanceof ProviderRejection, `got ${String(err)}`);
      assert.equal(err.provider, 'prakerja');
      assert.equal(err.operation, 'authorize');
      assert.equal(err.httpStatus, doc.httpStatus);
      assert.equal(err.code, doc.code);
      assert.equal(err.providerMessage, doc.message);
      assert.equal(err.outcomeClass, doc.class);
      assert.equal(err.documented, true);
    });
  }

  it('undocumented code ERRXYZ123 -> final, documented false, code and message kept', async () => {
    answer = json(400, errorBody('ERRXYZ123', 'Sesuatu yang baru.'));
    const err = await rejected(client().authorize(AUTH_INPUT));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.outcomeClass, 'final');
    assert.equal(err.documented, false);
    assert.equal(err.code, 'ERRXYZ123');
    assert.equal(err.providerMessage, 'Sesuatu yang baru.');
    assert.match(err.message, /undocumented/);
  });

  it('503 -> needs-review (authorize is not idempotent: the purchase may be recorded)', async () => {
    answer = { status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' };
    const err = await rejected(client().authorize(AUTH_INPUT));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.httpStatus, 503);
    assert.equal(err.outcomeClass, 'needs-review');
    assert.equal(err.code, 'HTTP_503');
    assert.equal(err.documented, false);
    assert.equal(seen.length, 1, 'a 5xx is not retried by the client');
  });

  it('429 -> retryable', async () => {
    answer = json(429, errorBody('ERRRATE', 'Too many requests'));
    const err = await rejected(client().authorize(AUTH_INPUT));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.outcomeClass, 'retryable');
    assert.equal(err.code, 'ERRRATE');
  });

  it('a 200 with a body not in the document -> ProviderProtocolError', async () => {
    const bodies: Canned[] = [
      json(200, { status: 'ok' }),
      json(200, { success: true, message: 'ok', data: { invoice_code: 'INV-1' } }),
      json(200, errorBody('ERRPLT40034', 'Token Payment tidak valid.')),
      { status: 200, body: '<html>ok</html>', contentType: 'text/html' },
      { status: 200, body: '' },
    ];
    for (const b of bodies) {
      answer = b;
      const err = await rejected(client().authorize(AUTH_INPUT));
      assert.ok(err instanceof ProviderProtocolError, `body ${b.body}: got ${String(err)}`);
      assert.equal(err.httpStatus, 200);
    }
  });

  it('an invalid OTP is refused before anything is sent', async () => {
    await assert.rejects(client().authorize({ ...AUTH_INPUT, otp: '12ab' }));
    assert.equal(seen.length, 0);
  });
});

describe('prakerja client: void', () => {
  it('parses the documented success', async () => {
    answer = json(200, VOID_OK);
    const result = await client().void(VOID_INPUT);
    assert.deepEqual(result, { alreadyVoided: false, message: 'Transaksi berhasil dibatalkan.' });
  });

  it('sends client_code, timestamp, signature and NO Authorization; server verifies the HMAC', async () => {
    answer = json(200, VOID_OK);
    await client().void(VOID_INPUT);
    assert.equal(seen.length, 1);
    const req = seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, PRAKERJA_VOID_PATH);
    assert.equal(req.headers.client_code, CLIENT_CODE);
    assert.equal(req.headers.timestamp, '1698289216');
    assert.equal(req.headers.authorization, undefined, 'void must not carry an Authorization header');
    assert.equal(req.raw.toString('utf8'), '{"invoice_code":"INV-1","transaction_code":"QHBST9GB5OSS888I"}');
    assert.equal(req.signatureValid, true, 'signature must verify against the raw bytes received');
    assert.equal(req.headers.signature, VECTOR_B);
  });

  for (const doc of PRAKERJA_VOID_ERRORS) {
    if (doc.class === 'already-done') {
      it(`documented ${doc.code} (already voided) -> {alreadyVoided: true}`, async () => {
        answer = json(doc.httpStatus, errorBody(doc.code, doc.message));
        const result = await client().void(VOID_INPUT);
        assert.deepEqual(result, { alreadyVoided: true, message: doc.message });
      });
    } else {
      it(`documented error ${doc.code} -> ProviderRejection class ${doc.class}`, async () => {
        answer = json(doc.httpStatus, errorBody(doc.code, doc.message));
        const err = await rejected(client().void(VOID_INPUT));
        assert.ok(err instanceof ProviderRejection, `got ${String(err)}`);
        assert.equal(err.operation, 'void');
        assert.equal(err.httpStatus, doc.httpStatus);
        assert.equal(err.code, doc.code);
        assert.equal(err.providerMessage, doc.message);
        assert.equal(err.outcomeClass, doc.class);
        assert.equal(err.documented, true);
      });
    }
  }

  it('ERRPLT40028 is the already-voided code and is in the table', async () => {
    const doc = PRAKERJA_VOID_ERRORS.find((e) => e.code === 'ERRPLT40028');
    assert.equal(doc?.class, 'already-done');
    answer = json(
      400,
      errorBody('ERRPLT40028', 'Transaksi sudah dibatalkan sebelumnya, silahkan hubungi tim ops prakerja.'),
    );
    const result = await client().void(VOID_INPUT);
    assert.equal(result.alreadyVoided, true);
  });

  it('undocumented code ERRXYZ123 -> final, documented false, code and message kept', async () => {
    answer = json(400, errorBody('ERRXYZ123', 'Kode baru.'));
    const err = await rejected(client().void(VOID_INPUT));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.outcomeClass, 'final');
    assert.equal(err.documented, false);
    assert.equal(err.code, 'ERRXYZ123');
    assert.equal(err.providerMessage, 'Kode baru.');
  });

  it('503 -> retryable (void is idempotent)', async () => {
    answer = { status: 503, body: 'Service Unavailable', contentType: 'text/plain' };
    const err = await rejected(client().void(VOID_INPUT));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.outcomeClass, 'retryable');
    assert.equal(err.providerMessage, 'Service Unavailable');
  });

  it('429 -> retryable', async () => {
    answer = { status: 429, body: 'slow down', contentType: 'text/plain' };
    const err = await rejected(client().void(VOID_INPUT));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.outcomeClass, 'retryable');
    assert.equal(err.code, 'HTTP_429');
  });

  it('a 200 with a body not in the document -> ProviderProtocolError', async () => {
    for (const b of [json(200, { ok: true }), json(200, { success: 'true', message: 'x' })]) {
      answer = b;
      const err = await rejected(client().void(VOID_INPUT));
      assert.ok(err instanceof ProviderProtocolError, `body ${b.body}: got ${String(err)}`);
    }
  });
});

describe('prakerja client: redirects are answers, not hops', () => {
  it('a 302 on authorize is needs-review (the purchase may be recorded) and is not followed', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(302, { Location: '/elsewhere' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = createPrakerjaClient({
        baseUrl: `http://127.0.0.1:${port}`,
        clientCode: 'DP-TEST-01',
        signKey: 'test-sign-key-0123456789',
        timeoutMs: 2000,
      });
      await assert.rejects(
        client.authorize({
          paymentToken: 'ptk_abc123',
          otp: '123456',
          invoiceUrl: 'https://lp.example/inv/INV-1',
          invoiceCode: 'INV-1',
        }),
        (err: unknown) =>
          err instanceof ProviderRejection && err.outcomeClass === 'needs-review' && err.httpStatus === 302,
      );
      assert.equal(hits, 1, 'the redirect was not followed');
    } finally {
      server.close();
    }
  });
});

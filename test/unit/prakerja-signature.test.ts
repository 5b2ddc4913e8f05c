/**
 * Prakerja signature: test vectors computed OUTSIDE our code (openssl and python3), hard-coded here.
 *
 * raw_signature = client_code + timestamp + method + endpoint [+ 'Payment ' + payment_token] + body
 * signature     = hex(HMAC-SHA1(sign_key, raw_signature))
 *
 * Every vector was computed twice, and both tools agreed:
 *   1. printf '%s' '<raw>' | openssl dgst -sha1 -hmac 'test-sign-key-0123456789'   (OpenSSL 3.0.19)
 *   2. python3 (3.11.7), exactly like the document's Python sample:
 *        from hashlib import sha1; import hmac, json
 *        input = client_code + timestamp + method + endpoint + auth + json.dumps(data, separators=(',', ':'))
 *        hmac.new(sign_key.encode('utf-8'), input.encode('utf-8'), sha1).hexdigest()
 *      with client_code='DP-TEST-01', sign_key='test-sign-key-0123456789', timestamp='1698289216', method='POST'.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prakerjaHeaders, prakerjaSignature } from '../../providers/prakerja/signature';

const CLIENT_CODE = 'DP-TEST-01';
const SIGN_KEY = 'test-sign-key-0123456789';
const TIMESTAMP = '1698289216'; // the document's example: 2023-10-26T10:00:16+07:00
const METHOD = 'POST';
const AUTHORIZE = '/api/v1/integration/payment/authorize';
const VOID = '/api/v1/integration/payment/void';

// (a) authorize WITH the 'Payment <token>' part.
// $ printf '%s' 'DP-TEST-011698289216POST/api/v1/integration/payment/authorizePayment ptk_abc123{"otp":"123456","invoice_url":"https://lp.example/inv/INV-1","invoice_code":"INV-1"}' | openssl dgst -sha1 -hmac 'test-sign-key-0123456789'
// SHA1(stdin)= eeaf5a05f738900d7d139572e469ddaa755b96ce
// python3: sig(AUTHORIZE, 'Payment ptk_abc123', {"otp":"123456","invoice_url":"https://lp.example/inv/INV-1","invoice_code":"INV-1"})
//   -> 'eeaf5a05f738900d7d139572e469ddaa755b96ce'
const BODY_A = '{"otp":"123456","invoice_url":"https://lp.example/inv/INV-1","invoice_code":"INV-1"}';
const VECTOR_A = 'eeaf5a05f738900d7d139572e469ddaa755b96ce';

// (b) void WITHOUT the Payment part.
// $ printf '%s' 'DP-TEST-011698289216POST/api/v1/integration/payment/void{"invoice_code":"INV-1","transaction_code":"QHBST9GB5OSS888I"}' | openssl dgst -sha1 -hmac 'test-sign-key-0123456789'
// SHA1(stdin)= 3c19c37b6807879cd4115173e72dd77f813596df
// python3: sig(VOID, '', {"invoice_code":"INV-1","transaction_code":"QHBST9GB5OSS888I"})
//   -> '3c19c37b6807879cd4115173e72dd77f813596df'
const BODY_B = '{"invoice_code":"INV-1","transaction_code":"QHBST9GB5OSS888I"}';
const VECTOR_B = '3c19c37b6807879cd4115173e72dd77f813596df';

// (c) the document's own sample shape: authorize, 'Payment null', data = {}.
// $ printf '%s' 'DP-TEST-011698289216POST/api/v1/integration/payment/authorizePayment null{}' | openssl dgst -sha1 -hmac 'test-sign-key-0123456789'
// SHA1(stdin)= a118bf961c7e682333137b6629e99ccbaa6bddd5
// python3: sig(AUTHORIZE, 'Payment null', {})  -> 'a118bf961c7e682333137b6629e99ccbaa6bddd5'
const VECTOR_C = 'a118bf961c7e682333137b6629e99ccbaa6bddd5';

// (d) vector (a) with ONE byte of the body changed (otp "123456" -> "123457").
// $ printf '%s' 'DP-TEST-011698289216POST/api/v1/integration/payment/authorizePayment ptk_abc123{"otp":"123457","invoice_url":"https://lp.example/inv/INV-1","invoice_code":"INV-1"}' | openssl dgst -sha1 -hmac 'test-sign-key-0123456789'
// SHA1(stdin)= b80afa50609acfcd51f67155adebe899945ea3e3
// python3: same as (a) with "otp":"123457"  -> 'b80afa50609acfcd51f67155adebe899945ea3e3'
const BODY_D = '{"otp":"123457","invoice_url":"https://lp.example/inv/INV-1","invoice_code":"INV-1"}';
const VECTOR_D = 'b80afa50609acfcd51f67155adebe899945ea3e3';

const base = { clientCode: CLIENT_CODE, signKey: SIGN_KEY, timestamp: TIMESTAMP, method: METHOD };

describe('prakerjaSignature: independent test vectors', () => {
  it('(a) authorize with "Payment <token>" matches the openssl/python vector', () => {
    const sig = prakerjaSignature({
      ...base,
      endpoint: AUTHORIZE,
      paymentToken: 'ptk_abc123',
      body: Buffer.from(BODY_A, 'utf8'),
    });
    assert.equal(sig, VECTOR_A);
  });

  it('(a) the body our client builds with JSON.stringify is byte-identical to python compact json.dumps', () => {
    const body = JSON.stringify({
      otp: '123456',
      invoice_url: 'https://lp.example/inv/INV-1',
      invoice_code: 'INV-1',
    });
    assert.equal(body, BODY_A);
  });

  it('(b) void without the Payment part matches the openssl/python vector', () => {
    const sig = prakerjaSignature({ ...base, endpoint: VOID, body: Buffer.from(BODY_B, 'utf8') });
    assert.equal(sig, VECTOR_B);
  });

  it('(c) the document sample shape ("Payment null", data = {}) matches the openssl/python vector', () => {
    const sig = prakerjaSignature({
      ...base,
      endpoint: AUTHORIZE,
      paymentToken: 'null',
      body: Buffer.from(JSON.stringify({}), 'utf8'),
    });
    assert.equal(sig, VECTOR_C);
  });

  it('a one-byte body change changes the signature (and matches its own vector)', () => {
    const changed = prakerjaSignature({
      ...base,
      endpoint: AUTHORIZE,
      paymentToken: 'ptk_abc123',
      body: Buffer.from(BODY_D, 'utf8'),
    });
    assert.equal(Buffer.from(BODY_A).length, Buffer.from(BODY_D).length);
    assert.notEqual(changed, VECTOR_A);
    assert.equal(changed, VECTOR_D);
  });

  it('the Payment part matters: void-style signing of the authorize input does not give vector (a)', () => {
    const sig = prakerjaSignature({ ...base, endpoint: AUTHORIZE, body: Buffer.from(BODY_A, 'utf8') });
    assert.notEqual(sig, VECTOR_A);
  });

  it('the signature is lower-case hex of 20 bytes', () => {
    const sig = prakerjaSignature({ ...base, endpoint: VOID, body: Buffer.from(BODY_B, 'utf8') });
    assert.match(sig, /^[0-9a-f]{40}$/);
  });
});

describe('prakerjaHeaders', () => {
  const creds = { clientCode: CLIENT_CODE, signKey: SIGN_KEY };
  // 1698289216.999 s: the timestamp must be floor(now / 1000), not rounded.
  const nowMs = 1698289216_999;

  it('authorize: client_code, timestamp = floor(now/1000), signature (vector a), Authorization', () => {
    const headers = prakerjaHeaders(
      creds,
      { method: METHOD, path: AUTHORIZE, body: Buffer.from(BODY_A, 'utf8') },
      'ptk_abc123',
      nowMs,
    );
    assert.deepEqual(headers, {
      client_code: CLIENT_CODE,
      timestamp: TIMESTAMP,
      signature: VECTOR_A,
      Authorization: 'Payment ptk_abc123',
    });
  });

  it('void: client_code, timestamp, signature (vector b) and no Authorization header', () => {
    const headers = prakerjaHeaders(
      creds,
      { method: METHOD, path: VOID, body: Buffer.from(BODY_B, 'utf8') },
      undefined,
      1698289216_000,
    );
    assert.deepEqual(headers, { client_code: CLIENT_CODE, timestamp: TIMESTAMP, signature: VECTOR_B });
    assert.equal(
      Object.keys(headers).some((k) => k.toLowerCase() === 'authorization'),
      false,
    );
  });

  it('a different second gives a different timestamp header and signature', () => {
    const req = { method: METHOD, path: VOID, body: Buffer.from(BODY_B, 'utf8') };
    const a = prakerjaHeaders(creds, req, undefined, 1698289216_000);
    const b = prakerjaHeaders(creds, req, undefined, 1698289217_000);
    assert.equal(b.timestamp, '1698289217');
    assert.notEqual(a.signature, b.signature);
  });
});

/**
 * AliKassa notifications as its page "Verifying the signature of a notification" describes them
 * (https://doc-merchant.alikassa.com/api/sign): a GET whose `sign` is RSA over PHP json_encode of
 * eleven fields in order. Vectors computed outside our code:
 *
 * - the signed JSON bytes with Python, which reproduces PHP json_encode's default flags:
 *     json.dumps(fields, separators=(',', ':'), ensure_ascii=True).replace('/', '\\/')
 *   (Python 3; `fields` a dict in the page's order, id an int, every other value the query's string);
 * - the signatures with the openssl command line over those bytes:
 *     openssl dgst -sha256 -sign test/fixtures/alikassa/private.pem -passin pass:paysaga-test paid.json | base64 -w0
 *     openssl dgst -sha1   -sign ... (same)
 *   (OpenSSL 3.0.19; RSA PKCS#1 v1.5 is deterministic);
 * - the query strings with Python's urllib.parse.urlencode over the same fields.
 * The test pair (test/fixtures/alikassa) stands in for AliKassa's notification certificate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { constants, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import {
  AliKassaNotificationError,
  aliKassaNotificationSignedBytes,
  checkAliKassaNotification,
  parseNotificationQuery,
  readAliKassaNotification,
} from '../../providers/alikassa/notification';
import { phpJsonEncode, phpJsonString } from '../../providers/alikassa/php-json';
import { loadAliKassaKey, loadAliKassaPublicKey } from '../../providers/alikassa/signature';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'alikassa');
const privateKey = loadAliKassaKey(path.join(FIXTURES, 'private.pem'), 'paysaga-test');
const publicKey = loadAliKassaPublicKey(path.join(FIXTURES, 'public.pem'));

/** A paid payment whose order_id and desc hold `/`, and whose desc holds é, —, ✓, " and an emoji. */
const PAID = {
  query:
    'type=payment&id=108465371&order_id=INV%2F2026%2F001&payment_status=paid&amount=150000.00&payment_amount=150000.00&commission_amount=4500.00&is_partial_payment=0&account=3f1c2a9e-7b4d-4e21-9a6f-0c5d8e7b1a23&service=virtual_account_idr_hpp&desc=Pembayaran+pesanan+INV%2F2026%2F001+%E2%80%94+Budi+Santoso%2C+caf%C3%A9+%22Merdeka%22+%E2%9C%93+%F0%9F%98%80',
  json: '{"type":"payment","id":108465371,"order_id":"INV\\/2026\\/001","payment_status":"paid","amount":"150000.00","payment_amount":"150000.00","commission_amount":"4500.00","is_partial_payment":"0","account":"3f1c2a9e-7b4d-4e21-9a6f-0c5d8e7b1a23","service":"virtual_account_idr_hpp","desc":"Pembayaran pesanan INV\\/2026\\/001 \\u2014 Budi Santoso, caf\\u00e9 \\"Merdeka\\" \\u2713 \\ud83d\\ude00"}',
  sha256:
    'LbGVLB1E0+dweW5GUsihvJZPOghzt2oaXC2gAKeBTswH26oBriazMZ94r8OEX4iM82UQ2xxwkGDz89co1/EO9SDystE6Kmbr+lINqC1UVHk0/u4C4SHW6RODP7TpJGc20BZ704FEYOmqFRCnBO60meUanhXbXi6LgpA8ta7Dthz6xcf0h8AMGxQ7DnUr4j6oOpWN+IkV1o8vVDHl/RICrxe14oVSa/0X28GHgs9D0dcP38571eE25Swki6dgYQgjHno1yb5q4RSXIThbaBnZnqKjCVNaHO6uFrIiWD7akYdP9x1BaSkSFBEhPyzdWm8oTMr4rtt3aabsWFsy/WaGiA==',
  sha1: 'L9ACX3Eo0+tFwgkfy1nKSEtULvAiuKXpPedmE3kJG+Vvxu7xdrsKhKolASAW3rAa1vOQevlDON2UZqRl+dX5/6euBJf7M74ag7c9Ghm0F67JGgBeZBu+oLYPH42CDoMbvUifvCtndjlpSfSHYnZUzGSJpifrn8q/zMfScINRSrqXvzir+JSKz/MHq8EU3CQ/mnOIEMWU47ya+nYqijfnOZrUszCJOxeiC6YxSfRKyslc8MDE9ZD2TgrfE2l25CL45RKjiVB63qodp4bj3QqmRW6eqWmopvfjQmM7Keuk2BkqDhC4tpiG4hRpVjiByPSI8E2T8xN2wPrIsHspmCUKag==',
};

/** A partial payment: 100000.00 of 150000.00, is_partial_payment=1. */
const PARTIAL = {
  query:
    'type=payment&id=108465372&order_id=ORD-2&payment_status=paid&amount=150000.00&payment_amount=100000.00&commission_amount=3000.00&is_partial_payment=1&account=3f1c2a9e-7b4d-4e21-9a6f-0c5d8e7b1a23&service=virtual_account_idr_hpp&desc=Order+ORD-2',
  json: '{"type":"payment","id":108465372,"order_id":"ORD-2","payment_status":"paid","amount":"150000.00","payment_amount":"100000.00","commission_amount":"3000.00","is_partial_payment":"1","account":"3f1c2a9e-7b4d-4e21-9a6f-0c5d8e7b1a23","service":"virtual_account_idr_hpp","desc":"Order ORD-2"}',
  sha256:
    'Ccih8Pf3ikVpavOmUosesy5THWkBn7O8g7XtjwbbDtvmJPWvKDeKHr8ZdScd5izuhIUgPTJgmLrTgSrBQ3NJb1Tsa81ILNjg4pPnWbbInkMOKpjDol1qfFLMN7P4Kr76Xfy4e9czHz8FM8WhkbgVCSQYcWgzSCOSAdPE8JdlVnEav0Yz75JPYhdW2TwpCbGQzNv8HlSXQRht76DFYRPCeshsJXvIrPODjlJM4bw3oVwV1ml6tVE8OdS8m2p3HKyPSvIBdy9+1pjxyjIXQSng4T68AwPAWekgkOTVHEPyMoRCu1aTnCT4TW1ubU/zYuqZjCiDh2GPUyAnOPY8OQMrag==',
  sha1: 'jYz63jidC0VXHN+Oh/5csyzbZfFnRjehCG3P+yc9eOxLhda5EzdwlaByf1tM9GusDwS5Fvi0Cl2yoCP9+kdyt3EcxI0aUnWsYlnoOjpjQ5h/ovMZBKPHCqQiD+T2+CK8gibrfh/jW02FmyZpi0p9UTBUItCPHp8MpTcFf2e8yx5lPweKh8VL+XMBoFee5AS9Y3N8G9JPZzsaVSnAEEVqjAM7kKZ4aahZz/biOCzVb+oY5o+vYFFvjO5QlREUPJA2k9R9ZbkLt1gmGRQ82/bo76JE5Zv4bfxhGlTHFXlCfCiMHUoQ3T7mG+7DUb4NQG5grnIabR0zyX8T50RRJuyhFg==',
};

const withSign = (query: string, signature: string) => `${query}&sign=${encodeURIComponent(signature)}`;

/** The refusal of a notification: its HTTP status and counter reason. */
function refusal(query: string, key = publicKey, hash: 'sha256' | 'sha1' = 'sha256') {
  try {
    checkAliKassaNotification(query, key, hash);
  } catch (err) {
    assert.ok(err instanceof AliKassaNotificationError, String(err));
    return { status: err.status, reason: err.reason, message: err.message };
  }
  assert.fail('expected the notification to be refused');
}

describe('PHP json_encode bytes', () => {
  it('match Python’s reproduction of json_encode for the vectors (/ escaped, non-ASCII as \\u, emoji as a pair)', () => {
    for (const v of [PAID, PARTIAL])
      assert.equal(aliKassaNotificationSignedBytes(parseNotificationQuery(v.query)).toString('utf8'), v.json);
  });

  it('escape as PHP does, not as JSON.stringify does', () => {
    // Python: json.dumps('a/b\u00e9\u20ac"\\\n\t\x01', ensure_ascii=True).replace('/', '\\/')
    assert.equal(phpJsonString('a/b\u00e9\u20ac"\\\n\t\x01'), '"a\\/b\\u00e9\\u20ac\\"\\\\\\n\\t\\u0001"');
    assert.notEqual(phpJsonString('a/b'), JSON.stringify('a/b'));
    // DEL stays itself: PHP's escape table ends at U+001F (php-src ext/json/json_encoder.c), where
    // Python's ensure_ascii would write \u007f; no such character is in the vectors above.
    assert.equal(phpJsonString('\x7f'), '"\x7f"');
    // Every ASCII character, alone and between letters (the escape-free fast path and the walk):
    // as JSON.stringify writes it below U+007F, but `/` as `\/`.
    for (let c = 0; c < 0x7f; c++) {
      const ch = String.fromCharCode(c);
      const inner = ch === '/' ? '\\/' : JSON.stringify(ch).slice(1, -1);
      assert.equal(phpJsonString(ch), `"${inner}"`, `U+${c.toString(16)}`);
      assert.equal(phpJsonString(`ab${ch}cd`), `"ab${inner}cd"`, `U+${c.toString(16)} inside`);
    }
    assert.equal(
      phpJsonEncode([
        ['id', 5n],
        ['n', null],
        ['t', true],
      ]),
      '{"id":5,"n":null,"t":true}',
    );
  });

  it('an absent field is null and id is an integer, as PHP’s $_GET and (int) give them', () => {
    const bytes = aliKassaNotificationSignedBytes(parseNotificationQuery('type=payout&id=0042&order_id=a'));
    assert.equal(
      bytes.toString('utf8'),
      '{"type":"payout","id":42,"order_id":"a","payment_status":null,"amount":null,"payment_amount":null,"commission_amount":null,"is_partial_payment":null,"account":null,"service":null,"desc":null}',
    );
  });
});

describe('AliKassa notification signature', () => {
  it('accepts the openssl vectors: sha256 with sha256, sha1 with sha1, never crossed', () => {
    for (const v of [PAID, PARTIAL]) {
      assert.equal(
        checkAliKassaNotification(withSign(v.query, v.sha256), publicKey, 'sha256').type,
        'payment',
      );
      assert.equal(checkAliKassaNotification(withSign(v.query, v.sha1), publicKey, 'sha1').type, 'payment');
      assert.equal(refusal(withSign(v.query, v.sha1), publicKey, 'sha256').reason, 'badSignature');
      assert.equal(refusal(withSign(v.query, v.sha256), publicKey, 'sha1').reason, 'badSignature');
    }
  });

  it('reads the paid vector: its `/`, its non-ASCII description, both amounts', () => {
    const n = checkAliKassaNotification(withSign(PAID.query, PAID.sha256), publicKey);
    assert.deepEqual(n, {
      type: 'payment',
      id: '108465371',
      orderId: 'INV/2026/001',
      status: 'paid',
      state: 'paid',
      amount: 150000,
      paymentAmount: 150000,
      partial: false,
      account: '3f1c2a9e-7b4d-4e21-9a6f-0c5d8e7b1a23',
      service: 'virtual_account_idr_hpp',
      desc: 'Pembayaran pesanan INV/2026/001 — Budi Santoso, café "Merdeka" ✓ 😀',
    });
  });

  it('reads the partial vector as partial, with 100000 of 150000', () => {
    const n = checkAliKassaNotification(withSign(PARTIAL.query, PARTIAL.sha256), publicKey);
    assert.equal(n.state, 'paid');
    assert.equal(n.partial, true);
    assert.equal(n.paymentAmount, 100000);
    assert.equal(n.amount, 150000);
  });

  it('a key other than AliKassa’s notification key is refused (401)', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signedByOther = sign('sha256', Buffer.from(PAID.json), {
      key: other.privateKey,
      padding: constants.RSA_PKCS1_PADDING,
    }).toString('base64');
    assert.deepEqual(refusal(withSign(PAID.query, signedByOther)), {
      status: 401,
      reason: 'badSignature',
      message: 'not verified',
    });
    // And the right signature checked with another public key.
    assert.equal(refusal(withSign(PAID.query, PAID.sha256), createPublicKey(other.privateKey)).status, 401);
  });

  it('a tampered field is refused (401): amount, payment_amount, status, partial flag, order, description', () => {
    const tamper: Array<[string, string]> = [
      ['amount=150000.00', 'amount=150001.00'],
      ['payment_amount=150000.00', 'payment_amount=15000.00'],
      ['payment_status=paid', 'payment_status=cancel'],
      ['is_partial_payment=0', 'is_partial_payment=1'],
      ['order_id=INV%2F2026%2F001', 'order_id=INV%2F2026%2F002'],
      ['caf%C3%A9', 'cafe'],
      ['type=payment', 'type=payout'],
      ['id=108465371', 'id=108465372'],
    ];
    for (const [from, to] of tamper) {
      const query = withSign(PAID.query.replace(from, to), PAID.sha256);
      assert.notEqual(query, withSign(PAID.query, PAID.sha256), from);
      assert.equal(refusal(query).reason, 'badSignature', from);
    }
    // Re-encoding a value differently keeps its meaning (and its signature): %2F and / are one byte.
    assert.ok(
      checkAliKassaNotification(
        withSign(PAID.query.replace('INV%2F2026%2F001', 'INV/2026/001'), PAID.sha256),
        publicKey,
      ),
    );
  });

  it('the Node sample’s JSON.stringify bytes are not what is verified when a value holds / or non-ASCII', () => {
    const params = parseNotificationQuery(PAID.query);
    const stringified = JSON.stringify({
      ...Object.fromEntries(params),
      id: 108465371,
    });
    const signed = sign('sha256', Buffer.from(stringified), {
      key: privateKey,
      padding: constants.RSA_PKCS1_PADDING,
    }).toString('base64');
    assert.equal(refusal(withSign(PAID.query, signed)).reason, 'badSignature');
  });

  it('nothing unsigned: a missing or empty sign is 401 missing, garbage 401 bad', () => {
    assert.deepEqual(refusal(PAID.query), {
      status: 401,
      reason: 'missingSignature',
      message: 'missing sign',
    });
    assert.equal(refusal(`${PAID.query}&sign=`).reason, 'missingSignature');
    assert.equal(refusal(`${PAID.query}&sign=not%20base64!`).reason, 'badSignature');
    assert.equal(refusal(withSign(PAID.query, PAID.sha256.slice(0, -4))).reason, 'badSignature');
  });

  it('malformed queries are 400: a bad escape, a parameter twice, an id that is not an integer', () => {
    const s = (q: string) => refusal(withSign(q, PAID.sha256));
    assert.equal(s(`${PAID.query}&x=%E2%80`).status, 400);
    assert.equal(s(`${PAID.query}&x=%zz`).status, 400);
    assert.equal(s(`${PAID.query}&amount=1.00`).status, 400);
    assert.match(s(`${PAID.query}&amount=1.00`).message, /given twice/);
    assert.equal(s(PAID.query.replace('id=108465371', 'id=10846537x')).status, 400);
    assert.equal(s(PAID.query.replace('id=108465371&', '')).status, 400);
  });

  it('a verified notification with an unusable field is 400, not believed', () => {
    const signed = (query: string) => {
      const bytes = aliKassaNotificationSignedBytes(parseNotificationQuery(query));
      return withSign(
        query,
        sign('sha256', bytes, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64'),
      );
    };
    for (const [from, to] of [
      ['type=payment', 'type=refund'],
      ['amount=150000.00', 'amount=150000.50'],
      ['is_partial_payment=1', 'is_partial_payment=maybe'],
      ['order_id=ORD-2', 'order_id='],
    ] as const) {
      assert.ok(PARTIAL.query.includes(from), from);
      const query = signed(PARTIAL.query.replace(from, to));
      assert.equal(refusal(query).status, 400, to);
    }
  });
});

describe('AliKassa notification words', () => {
  it('every status word of the page, and anything else unknown (success included)', () => {
    const expected = {
      wait: 'pending',
      paid: 'paid',
      cancel: 'failed',
      fail: 'failed',
      success: 'unknown',
      refund: 'unknown',
    };
    for (const [word, state] of Object.entries(expected)) {
      const n = readAliKassaNotification(
        parseNotificationQuery(PARTIAL.query.replace('payment_status=paid', `payment_status=${word}`)),
      );
      assert.equal(n.state, state, word);
      assert.equal(n.status, word);
    }
  });

  it('is_partial_payment as a query string: 1 / true, or less paid than the amount', () => {
    const read = (flag: string, paid: string) =>
      readAliKassaNotification(
        parseNotificationQuery(
          PARTIAL.query
            .replace('is_partial_payment=1', `is_partial_payment=${flag}`)
            .replace('payment_amount=100000.00', `payment_amount=${paid}`),
        ),
      ).partial;
    assert.equal(read('1', '150000.00'), true);
    assert.equal(read('true', '150000.00'), true);
    assert.equal(read('0', '100000.00'), true, 'short of the amount is partial whatever the flag says');
    assert.equal(read('0', '150000.00'), false);
    assert.equal(read('', '0.00'), false, 'nothing paid yet is not partial');
  });
});

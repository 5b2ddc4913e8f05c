/**
 * The PPOB signer, datetime and refid against values computed outside our code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  deriveRefid,
  assertSameTransaction,
  isPpobRefid,
  RefidMismatchError,
} from '../../providers/ppob/refid';
import { ppobDatetime, ppobHeaders, ppobSignature } from '../../providers/ppob/signature';

// Computed in a shell, not with our code:
//   printf '%s' 'user1''2024-05-26 08:34:56''tok-secret-123' | sha256sum
//   python3 -c "import hashlib; print(hashlib.sha256(b'user1' + b'2024-05-26 08:34:56' + b'tok-secret-123').hexdigest())"
// both print:
const VECTOR = 'd803c5a00d2087ebd43e2f6ae5939a2a3c839aac11edf31d6154aa0c4a57812a';

describe('PPOB signature', () => {
  it('is sha256(username + datetime + token) in lowercase hex: the independent vector', () => {
    assert.equal(ppobSignature('user1', '2024-05-26 08:34:56', 'tok-secret-123'), VECTOR);
  });

  it('changes with each of its three parts (no part is ignored)', () => {
    assert.notEqual(ppobSignature('user2', '2024-05-26 08:34:56', 'tok-secret-123'), VECTOR);
    assert.notEqual(ppobSignature('user1', '2024-05-26 08:34:57', 'tok-secret-123'), VECTOR);
    assert.notEqual(ppobSignature('user1', '2024-05-26 08:34:56', 'tok-secret-124'), VECTOR);
  });

  it('builds the three headers for an instant, in Asia/Jakarta by default', () => {
    assert.deepEqual(
      ppobHeaders({ username: 'user1', token: 'tok-secret-123' }, Date.parse('2024-05-26T01:34:56Z')),
      {
        'Gw-username': 'user1',
        'Gw-datetime': '2024-05-26 08:34:56',
        'Gw-signature': VECTOR,
      },
    );
  });
});

describe('PPOB datetime', () => {
  // Cross-checked with: TZ=Asia/Jakarta date -d @1716687296 '+%F %T'  -> 2024-05-26 08:34:56
  //                     TZ=America/New_York date -d @1716687296 '+%F %T' -> 2024-05-25 21:34:56
  const instant = Date.parse('2024-05-26T01:34:56Z');

  it('formats a fixed instant in Asia/Jakarta (UTC+7) and in other zones', () => {
    assert.equal(instant, 1716687296000);
    assert.equal(ppobDatetime(instant, 'Asia/Jakarta'), '2024-05-26 08:34:56');
    assert.equal(ppobDatetime(instant, 'America/New_York'), '2024-05-25 21:34:56');
    assert.equal(ppobDatetime(instant, 'UTC'), '2024-05-26 01:34:56');
    assert.equal(ppobDatetime(instant, 'Asia/Makassar'), '2024-05-26 09:34:56');
  });

  it('writes midnight as 00 (never 24) and pads every part', () => {
    assert.equal(ppobDatetime(Date.parse('2024-05-26T17:00:00Z'), 'Asia/Jakarta'), '2024-05-27 00:00:00');
    assert.equal(ppobDatetime(Date.parse('2024-01-02T22:03:04Z'), 'Asia/Jakarta'), '2024-01-03 05:03:04');
  });

  it('refuses an unknown zone', () => {
    assert.throws(() => ppobDatetime(instant, 'Asia/Atlantis'), RangeError);
  });
});

describe('PPOB refid', () => {
  it('is deterministic, at most 15 digits, and differs per key', () => {
    const a = deriveRefid('ppob-ORDER-1');
    assert.equal(deriveRefid('ppob-ORDER-1'), a);
    assert.notEqual(deriveRefid('ppob-ORDER-2'), a);
    // python3: int.from_bytes(hashlib.sha256(b'ppob-ORDER-1').digest()[:8], 'big') % 10**15
    assert.equal(a, 601532636577556);
    assert.equal(deriveRefid('ppob-ORDER-2'), 406438835539938);
  });

  it('is a positive safe integer of at most 15 digits for many keys, all distinct', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const r = deriveRefid(`order-${i}`);
      assert.ok(isPpobRefid(r), `refid ${r}`);
      assert.ok(r > 0 && String(r).length <= 15 && Number.isSafeInteger(r));
      seen.add(r);
    }
    assert.equal(seen.size, 5000);
  });

  it('the collision guard refuses an answer about another ref_id, code or destination', () => {
    const sent = { refid: 10327, code: 'S10', dest: '08123214214' };
    assert.doesNotThrow(() =>
      assertSameTransaction(sent, { refid: 10327, code: 'S10', destination: '08123214214' }),
    );
    assert.throws(
      () => assertSameTransaction(sent, { refid: 10327, code: 'S10', destination: '08999' }),
      (e: unknown) => e instanceof RefidMismatchError && /destination/.test(e.message),
    );
    assert.throws(
      () => assertSameTransaction(sent, { refid: 10327, code: 'PLN20', destination: '08123214214' }),
      (e: unknown) => e instanceof RefidMismatchError && /code/.test(e.message),
    );
    assert.throws(() => assertSameTransaction(sent, { refid: 11, code: 'S10' }), RefidMismatchError);
  });
});

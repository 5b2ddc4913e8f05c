/**
 * The PPOB signer, refid and client, against vectors computed outside our code and a fake
 * provider over real HTTP.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createPpobClient, parsePpobCallback } from '../../providers/ppob/client';
import { deriveRefid, RefidMismatchError } from '../../providers/ppob/refid';
import { ppobDatetime, ppobHeaders, ppobSignature } from '../../providers/ppob/signature';
import { ProviderRejection, ProviderTransportError } from '../../providers/http/errors';

describe('PPOB signature', () => {
  it('matches a vector computed independently', () => {
    // printf '%s' 'user1''2024-05-26 08:34:56''tok-secret-123' | sha256sum
    //   -> d803c5a00d2087ebd43e2f6ae5939a2a3c839aac11edf31d6154aa0c4a57812a
    // python3 -c "import hashlib; print(hashlib.sha256(b'user12024-05-26 08:34:56tok-secret-123').hexdigest())"
    //   -> the same
    assert.equal(
      ppobSignature('user1', '2024-05-26 08:34:56', 'tok-secret-123'),
      'd803c5a00d2087ebd43e2f6ae5939a2a3c839aac11edf31d6154aa0c4a57812a',
    );
  });

  it('formats the datetime in the configured zone (Asia/Jakarta is UTC+7)', () => {
    const instant = Date.parse('2024-05-26T01:34:56Z');
    assert.equal(ppobDatetime(instant, 'Asia/Jakarta'), '2024-05-26 08:34:56');
    assert.equal(ppobDatetime(instant, 'UTC'), '2024-05-26 01:34:56');
    assert.equal(
      ppobDatetime(Date.parse('2024-05-26T17:00:00Z'), 'Asia/Jakarta'),
      '2024-05-27 00:00:00',
      'no "24:00"',
    );
  });

  it('builds the three headers with a signature over exactly those parts', () => {
    const h = ppobHeaders(
      { username: 'user1', token: 'tok-secret-123' },
      Date.parse('2024-05-26T01:34:56Z'),
      'Asia/Jakarta',
    );
    assert.deepEqual(h, {
      'Gw-username': 'user1',
      'Gw-datetime': '2024-05-26 08:34:56',
      'Gw-signature': 'd803c5a00d2087ebd43e2f6ae5939a2a3c839aac11edf31d6154aa0c4a57812a',
    });
  });

  it('derives a stable refid of at most 15 digits, different per key', () => {
    const a = deriveRefid('ppob-ORDER-1');
    assert.equal(deriveRefid('ppob-ORDER-1'), a);
    assert.notEqual(deriveRefid('ppob-ORDER-2'), a);
    assert.ok(Number.isSafeInteger(a) && a > 0 && String(a).length <= 15);
    const expected = Number(
      createHash('sha256').update('ppob-ORDER-1').digest().readBigUInt64BE(0) % 10n ** 15n,
    );
    assert.equal(a, expected);
  });
});

describe('PPOB client against a fake provider (HTTP)', () => {
  let server: http.Server;
  let base: string;
  let answer: (
    body: Record<string, unknown>,
    req: http.IncomingMessage,
  ) => { status: number; body: unknown } | 'hang';
  const seen: Array<{ path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}') as Record<string, unknown>;
        seen.push({ path: req.url!, headers: req.headers, body });
        const a = answer(body, req);
        if (a === 'hang') return;
        res.writeHead(a.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const client = (timeoutMs = 2000) =>
    createPpobClient({ baseUrl: base, username: 'user1', token: 'tok-secret-123', timeoutMs });
  const trx = (body: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    status: 200,
    body: {
      code: body.code,
      destination: body.dest,
      message: 'request trx diterima',
      ref_id: body.refid,
      sn: '',
      status: 'Waiting',
      trx_id: 6748324,
      ...extra,
    },
  });

  it('signs every request afresh and sends the documented topup body', async () => {
    answer = (b) => trx(b);
    const t = await client().topup({ code: 'S10', dest: '08123214214', refid: 10327 });
    assert.deepEqual(
      [t.status, t.refid, t.trxId, t.sn, t.repeated],
      ['Waiting', 10327, '6748324', undefined, false],
    );
    const r = seen[0]!;
    assert.equal(r.path, '/trx/topup');
    assert.deepEqual(r.body, { code: 'S10', dest: '08123214214', refid: 10327 });
    const expected = createHash('sha256')
      .update(`${r.headers['gw-username']}${r.headers['gw-datetime']}tok-secret-123`)
      .digest('hex');
    assert.equal(r.headers['gw-signature'], expected);
    assert.match(String(r.headers['gw-datetime']), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('reads a repeated refid ("trx sebelumnya ditemukan") with its current state, ids as strings', async () => {
    answer = (b) =>
      trx(b, {
        message: 'trx sebelumnya ditemukan',
        status: 'success',
        sn: '1234-5678',
        ref_id: String(b.refid),
        trx_id: '99',
      });
    const t = await client().topup({ code: 'PLN20', dest: '5123', refid: 11 });
    assert.deepEqual([t.status, t.sn, t.repeated, t.trxId], ['Success', '1234-5678', true, '99']);
  });

  it("sends the inquiry id under both spellings (inq_id, and the scan's ing_id) for a payment", async () => {
    answer = (b) => ({
      status: 200,
      body: {
        code: 'INQPLN',
        destination: '5123',
        message: 'ok',
        ref_id: b.refid,
        sn: '',
        status: 'Pending',
        trx_id: 5,
      },
    });
    await client().payment({ inqId: '777', refid: 12 });
    assert.deepEqual(seen[0]!.body, { inq_id: '777', ing_id: '777', refid: 12 });
    assert.equal(seen[0]!.path, '/trx/payment');
  });

  it('reads an inquiry bill', async () => {
    answer = (b) =>
      trx(b, { status: 'Success', price: '155000', customer_name: 'BUDI', message: 'inquiry sukses' });
    const t = await client().inquiry({ code: 'INQPLN', dest: '512345678901', refid: 13 });
    assert.deepEqual([t.price, t.customerName], [155000, 'BUDI']);
  });

  it('never takes an answer about another destination as ours', async () => {
    answer = (b) => trx(b, { destination: '0899999' });
    await assert.rejects(client().topup({ code: 'S10', dest: '0812', refid: 14 }), RefidMismatchError);
  });

  it('classifies refusals: 401 final, 503 retryable (the same refid is re-sent), timeout is a transport error', async () => {
    answer = () => ({ status: 401, body: { status: 'Failed', message: 'invalid signature' } });
    await assert.rejects(
      client().topup({ code: 'S10', dest: '0812', refid: 15 }),
      (e: unknown) =>
        e instanceof ProviderRejection && e.outcomeClass === 'final' && e.code === 'AUTH_SIGNATURE',
    );
    answer = () => ({ status: 503, body: { status: 'Failed', message: 'down' } });
    await assert.rejects(
      client().topup({ code: 'S10', dest: '0812', refid: 16 }),
      (e: unknown) => e instanceof ProviderRejection && e.outcomeClass === 'retryable',
    );
    answer = () => 'hang';
    await assert.rejects(
      client(300).topup({ code: 'S10', dest: '0812', refid: 17 }),
      (e: unknown) => e instanceof ProviderTransportError && e.kind === 'timeout',
    );
  });

  it('the token never appears in an error', async () => {
    answer = () => ({ status: 200, body: { nonsense: true } });
    await assert.rejects(
      client().topup({ code: 'S10', dest: '0812', refid: 18 }),
      (e: Error) => !`${e.message}${e.stack}`.includes('tok-secret-123'),
    );
  });
});

describe('PPOB callback query', () => {
  it('reads the documented fields, tolerant of the status case', () => {
    assert.deepEqual(
      parsePpobCallback({ ref_id: '10327', status: 'SUCCESS', sn: '123', code: 'S10', destination: '0812' }),
      {
        refid: 10327,
        status: 'Success',
        sn: '123',
        code: 'S10',
        destination: '0812',
      },
    );
    assert.equal(parsePpobCallback({ ref_id: '1', status: 'Pending', sn: '' }).sn, undefined);
  });

  it('refuses a malformed callback, naming the field', () => {
    assert.throws(() => parsePpobCallback({ ref_id: 'abc', status: 'Success' }), /ref_id/);
    assert.throws(() => parsePpobCallback({ ref_id: '1', status: 'Maybe' }), /status/);
    assert.throws(() => parsePpobCallback({ status: 'Success' }), /ref_id/);
  });
});

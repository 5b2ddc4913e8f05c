/**
 * createPpobClient against a fake provider over real HTTP (node:http on 127.0.0.1, port 0, under
 * a /ppob prefix as the sandbox is): what it sends (headers, signature recomputed here, bodies)
 * and what it makes of the answers; and the report callback parser.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  createPpobClient,
  parsePpobCallback,
  PpobCallbackError,
  RefidMismatchError,
} from '../../providers/ppob/client';
import {
  ProviderProtocolError,
  ProviderRejection,
  ProviderTransportError,
} from '../../providers/http/errors';

const USER = 'user1';
const TOKEN = 'tok-secret-123';

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}
type Answer = { status: number; body: unknown } | { status: number; text: string } | 'hang';

/** Recompute the signature here, from the headers the server received. */
function expectedSignature(h: http.IncomingHttpHeaders): string {
  return createHash('sha256')
    .update(`${String(h['gw-username'])}${String(h['gw-datetime'])}${TOKEN}`)
    .digest('hex');
}

function fakeProvider(answer: () => (body: Record<string, unknown>) => Answer, seen: Seen[]): http.Server {
  return http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body });
      const a = answer()(body);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'Content-Type': 'application/json' });
      res.end('text' in a ? a.text : JSON.stringify(a.body));
    });
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

async function rejection(p: Promise<unknown>): Promise<ProviderRejection> {
  const err = await rejected(p);
  assert.ok(err instanceof ProviderRejection, `expected a ProviderRejection, got ${String(err)}`);
  assert.equal(err.provider, 'ppob');
  return err;
}

describe('PPOB client against a fake provider (HTTP)', () => {
  let server: http.Server;
  let base: string;
  let respond: (body: Record<string, unknown>) => Answer;
  const seen: Seen[] = [];

  before(async () => {
    server = fakeProvider(() => respond, seen);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ppob`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const client = (opts: { timeoutMs?: number; now?: () => number; timeZone?: string } = {}) =>
    createPpobClient({ baseUrl: base, username: USER, token: TOKEN, timeoutMs: 2000, ...opts });

  /** The document's answer shape, echoing the request. */
  const trx = (body: Record<string, unknown>, extra: Record<string, unknown> = {}): Answer => ({
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

  it('topup: POST /ppob/trx/topup with the documented body, the three headers and a valid signature', async () => {
    respond = (b) => trx(b);
    // 2024-05-26T01:34:56Z = 08:34:56 WIB
    const t = await client({ now: () => Date.parse('2024-05-26T01:34:56Z') }).topup({
      code: 'S10',
      dest: '08123214214',
      refid: 10327,
    });
    assert.deepEqual(t, {
      refid: 10327,
      trxId: '6748324',
      code: 'S10',
      destination: '08123214214',
      status: 'Waiting',
      state: 'pending',
      message: 'request trx diterima',
      repeated: false,
    });
    assert.equal(seen.length, 1);
    const r = seen[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/ppob/trx/topup');
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.equal(r.raw, '{"code":"S10","dest":"08123214214","refid":10327}', 'refid is a JSON number');
    assert.equal(r.headers['gw-username'], USER);
    assert.equal(r.headers['gw-datetime'], '2024-05-26 08:34:56');
    assert.equal(r.headers['gw-signature'], expectedSignature(r.headers));
    assert.equal(
      r.headers['gw-signature'],
      'd803c5a00d2087ebd43e2f6ae5939a2a3c839aac11edf31d6154aa0c4a57812a',
    );
  });

  it('every request is signed with a datetime of its own, in the configured zone', async () => {
    respond = (b) => trx(b);
    let clock = Date.parse('2024-05-26T01:34:56Z');
    const c = client({ now: () => (clock += 61_000), timeZone: 'UTC' });
    await c.topup({ code: 'S10', dest: '0812', refid: 1 });
    await c.inquiry({ code: 'S10', dest: '0812', refid: 2 });
    assert.deepEqual(
      seen.map((s) => s.headers['gw-datetime']),
      ['2024-05-26 01:35:57', '2024-05-26 01:36:58'],
    );
    for (const s of seen) assert.equal(s.headers['gw-signature'], expectedSignature(s.headers));
  });

  it('a retried attempt (connection refused, then answered) carries a fresh datetime and signature', async () => {
    // A port nobody listens on for the first attempt; the provider appears before the retry (~200 ms).
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const late: Seen[] = [];
    const lateServer = fakeProvider(() => (b) => trx(b), late);
    let clock = Date.parse('2024-05-26T01:34:56Z');
    const stamps: number[] = [];
    const c = createPpobClient({
      baseUrl: `http://127.0.0.1:${port}/ppob`,
      username: USER,
      token: TOKEN,
      timeoutMs: 2000,
      now: () => {
        clock += 5_000;
        stamps.push(clock);
        return clock;
      },
    });
    const call = c.topup({ code: 'S10', dest: '0812', refid: 3 });
    await new Promise((r) => setTimeout(r, 50));
    await new Promise<void>((r) => lateServer.listen(port, '127.0.0.1', r));
    try {
      await call;
    } finally {
      lateServer.closeAllConnections();
      await new Promise<void>((r) => lateServer.close(() => r()));
    }
    assert.ok(stamps.length >= 2, 'signed once per attempt');
    assert.equal(late.length, 1);
    // The request that arrived is the last attempt's: 5 s per attempt after 08:34:56 WIB.
    const wib = new Date(stamps.at(-1)! + 7 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    assert.equal(late[0]!.headers['gw-datetime'], wib);
    assert.notEqual(late[0]!.headers['gw-datetime'], '2024-05-26 08:35:01', 'not the first attempt');
    assert.equal(late[0]!.headers['gw-signature'], expectedSignature(late[0]!.headers));
  });

  it('inquiry: same endpoint and body; reads the bill (price as text, customer name)', async () => {
    respond = (b) =>
      trx(b, {
        status: 'Success',
        price: '155000',
        customer_name: 'BUDI',
        message: 'inquiry sukses',
        trx_id: 777,
      });
    const t = await client().inquiry({ code: 'INQPLN', dest: '512345678901', refid: 13 });
    assert.equal(seen[0]!.path, '/ppob/trx/topup');
    assert.deepEqual(seen[0]!.body, { code: 'INQPLN', dest: '512345678901', refid: 13 });
    assert.deepEqual(
      [t.status, t.bill, t.customerName, t.trxId, t.repeated],
      ['Success', { ok: true, amount: 155000, field: 'price' }, 'BUDI', '777', false],
    );
  });

  it('inquiry: the bill amount under the names public aggregators use, price first', async () => {
    const inquire = async (extra: Record<string, unknown>) => {
      respond = (b) => trx(b, { status: 'Success', trx_id: 778, ...extra });
      return client().inquiry({ code: 'INQPLN', dest: '512345678901', refid: 16 });
    };
    // Ayoconnect's `amount`, with its `customerName`; IAK's `tr_name`.
    const ayo = await inquire({ amount: 25220, customerName: 'INDAH PUTRI' });
    assert.deepEqual(
      [ayo.bill, ayo.customerName],
      [{ ok: true, amount: 25220, field: 'amount' }, 'INDAH PUTRI'],
    );
    assert.equal((await inquire({ price: 155000.0, tr_name: 'SITI' })).customerName, 'SITI');
    // IAK / Digiflazz answer price and selling_price: price decides; selling_price only without it.
    assert.deepEqual((await inquire({ price: 11000, selling_price: 10900, nominal: 8000 })).bill, {
      ok: true,
      amount: 11000,
      field: 'price',
    });
    assert.deepEqual((await inquire({ selling_price: '10900' })).bill, {
      ok: true,
      amount: 10900,
      field: 'selling_price',
    });
  });

  it('inquiry without a readable amount: an answer, with the problem and the answer kept (no error)', async () => {
    const inquire = async (extra: Record<string, unknown>) => {
      respond = (b) => trx(b, { status: 'Success', trx_id: 779, ...extra });
      return client().inquiry({ code: 'INQPLN', dest: '512345678901', refid: 21 });
    };
    // `nominal` is the bill without the admin fee: never read as the amount.
    const none = await inquire({ nominal: 8000, tagihan: 'x' });
    assert.equal(none.bill.ok, false);
    assert.match(
      !none.bill.ok ? none.bill.problem : '',
      /names no bill amount \(none of price, amount, selling_price\)/,
    );
    assert.match(none.answer, /"nominal":8000/, 'the answer as received, for a person');
    // A present but unreadable first field never falls through to another field.
    for (const price of ['Rp 155.000', 155000.5, 0, -3, true]) {
      const t = await inquire({ price, amount: 155000 });
      assert.equal(t.bill.ok, false, String(price));
      assert.match(!t.bill.ok ? t.bill.problem : '', /^price .* is not a whole, positive rupiah amount$/);
    }
  });

  it('inquiry for an unknown customer is a Failed answer, not an error', async () => {
    respond = (b) => trx(b, { status: 'Failed', message: 'customer not found' });
    const t = await client().inquiry({ code: 'INQPLN', dest: '000', refid: 14 });
    assert.deepEqual([t.status, t.message, t.bill.ok], ['Failed', 'customer not found', false]);
  });

  it("payment: POST /trx/payment with inq_id and the scan's ing_id, same value (a number, as trx_id came)", async () => {
    respond = (b) => ({
      status: 200,
      body: {
        code: 'INQPLN',
        destination: '512345678901',
        message: 'request trx diterima',
        ref_id: b.refid,
        sn: '',
        status: 'Pending',
        trx_id: 5,
      },
    });
    const t = await client().payment({ inqId: '777', refid: 12 });
    assert.equal(seen[0]!.path, '/ppob/trx/payment');
    assert.equal(seen[0]!.raw, '{"inq_id":777,"ing_id":777,"refid":12}');
    assert.equal(seen[0]!.headers['gw-signature'], expectedSignature(seen[0]!.headers));
    assert.deepEqual([t.status, t.trxId, t.refid], ['Pending', '5', 12]);

    await client().payment({ inqId: 'INQ-ABC', refid: 15 });
    assert.deepEqual(seen[1]!.body, { inq_id: 'INQ-ABC', ing_id: 'INQ-ABC', refid: 15 });
  });

  it('reads ids given as strings, a case-insensitive status, a numeric sn', async () => {
    respond = (b) => trx(b, { ref_id: String(b.refid), trx_id: 'TRX-99', status: 'PENDING', sn: 12345 });
    const t = await client().topup({ code: 'S10', dest: '0812', refid: 16 });
    assert.deepEqual([t.refid, t.trxId, t.status, t.sn], [16, 'TRX-99', 'Pending', '12345']);
  });

  it('each status word carries its state: Success paid, Failed failed, Waiting and Pending pending', async () => {
    const expected = { Success: 'paid', FAILED: 'failed', waiting: 'pending', Pending: 'pending' };
    let refid = 17;
    for (const [word, state] of Object.entries(expected)) {
      respond = (b) => trx(b, { status: word });
      const t = await client().topup({ code: 'S10', dest: '0812', refid: refid++ });
      assert.equal(t.state, state, word);
    }
  });

  it('a status word the document does not list is kept as written, state unknown (not a protocol error)', async () => {
    respond = (b) => trx(b, { status: ' Refunded ', sn: '' });
    const t = await client().topup({ code: 'S10', dest: '0812', refid: 30 });
    assert.deepEqual([t.status, t.state, t.refid], ['Refunded', 'unknown', 30]);
    assert.equal(seen.length, 1, 'answered once: nothing to retry');
    respond = (b) => trx(b, { status: 'Suspect' });
    const inq = await client().inquiry({ code: 'INQPLN', dest: '0812', refid: 31 });
    assert.deepEqual([inq.status, inq.state], ['Suspect', 'unknown']);
  });

  it('a repeated refid ("trx sebelumnya ditemukan") is read as its current state, repeated: true', async () => {
    respond = (b) =>
      trx(b, {
        message: 'trx sebelumnya ditemukan',
        status: 'success',
        sn: '1234-5678-9012',
        trx_id: '6748324',
      });
    const t = await client().topup({ code: 'PLN20', dest: '5123', refid: 11 });
    assert.deepEqual([t.status, t.sn, t.repeated, t.trxId], ['Success', '1234-5678-9012', true, '6748324']);
  });

  it('the collision guard: an answer about another destination, code or ref_id is never ours', async () => {
    respond = (b) =>
      trx(b, { destination: '0899999', message: 'trx sebelumnya ditemukan', status: 'Success' });
    const e1 = await rejected(client().topup({ code: 'S10', dest: '0812', refid: 17 }));
    assert.ok(e1 instanceof RefidMismatchError && /destination 0899999/.test(e1.message), String(e1));

    respond = (b) => trx(b, { code: 'PLN100' });
    assert.ok(
      (await rejected(client().topup({ code: 'S10', dest: '0812', refid: 18 }))) instanceof
        RefidMismatchError,
    );

    respond = (b) => trx(b, { ref_id: 99 });
    assert.ok(
      (await rejected(client().topup({ code: 'S10', dest: '0812', refid: 19 }))) instanceof
        RefidMismatchError,
    );

    respond = (b) => trx(b, { destination: '999', status: 'Success', price: 10 });
    assert.ok(
      (await rejected(client().inquiry({ code: 'INQPLN', dest: '5123', refid: 20 }))) instanceof
        RefidMismatchError,
      'a bill for another customer',
    );

    respond = (b) => ({
      status: 200,
      body: {
        code: 'INQPLN',
        destination: '1',
        message: '',
        ref_id: Number(b.refid) + 1,
        sn: '',
        status: 'Pending',
        trx_id: 1,
      },
    });
    assert.ok((await rejected(client().payment({ inqId: '7', refid: 21 }))) instanceof RefidMismatchError);
  });

  it('401 refusals are final, coded by message; 400 is final BAD_REQUEST', async () => {
    for (const [message, code] of [
      ['invalid signature', 'AUTH_SIGNATURE'],
      ['datetime out of range', 'AUTH_DATETIME'],
      ['unknown user', 'AUTH_USER'],
      ['something else', 'AUTH_REFUSED'],
    ] as const) {
      respond = () => ({ status: 401, body: { status: 'Failed', message } });
      const e = await rejection(client().topup({ code: 'S10', dest: '0812', refid: 30 }));
      assert.deepEqual(
        [e.httpStatus, e.code, e.outcomeClass, e.providerMessage],
        [401, code, 'final', message],
      );
    }
    respond = () => ({ status: 400, body: { status: 'Failed', message: 'dest' } });
    const e = await rejection(client().payment({ inqId: '1', refid: 31 }));
    assert.deepEqual([e.code, e.outcomeClass, e.operation], ['BAD_REQUEST', 'final', 'payment']);
  });

  it('5xx leaves the outcome unknown: retryable (the same refid is re-sent), for a JSON or text body', async () => {
    respond = () => ({ status: 503, body: { status: 'Failed', message: 'service unavailable' } });
    const e = await rejection(client().topup({ code: 'S10', dest: '0812', refid: 40 }));
    assert.deepEqual([e.httpStatus, e.code, e.outcomeClass], [503, 'HTTP_503', 'retryable']);
    respond = () => ({ status: 502, text: '<html>Bad Gateway</html>' });
    const e2 = await rejection(client().payment({ inqId: '1', refid: 41 }));
    assert.deepEqual([e2.code, e2.outcomeClass], ['HTTP_502', 'retryable']);
    respond = () => ({ status: 404, text: 'no route' });
    assert.equal(
      (await rejection(client().topup({ code: 'S10', dest: '0812', refid: 42 }))).outcomeClass,
      'final',
    );
  });

  it('a 2xx that is not a transaction is a protocol error naming the field, never showing the token', async () => {
    // No ref_id, and a status that is no word at all: not an answer about our refid.
    respond = () => ({ status: 200, body: { status: '', echo: TOKEN } });
    const e = await rejected(client().topup({ code: 'S10', dest: '0812', refid: 50 }));
    assert.ok(e instanceof ProviderProtocolError, String(e));
    assert.match(e.message, /ref_id/);
    assert.match(e.message, /status/);
    assert.ok(!`${e.message}${e.stack}`.includes(TOKEN), 'the token is redacted');
  });

  it('no answer within the timeout is a ProviderTransportError (timeout, delivered maybe)', async () => {
    respond = () => 'hang';
    const e = await rejected(client({ timeoutMs: 200 }).topup({ code: 'S10', dest: '0812', refid: 60 }));
    assert.ok(e instanceof ProviderTransportError, String(e));
    assert.deepEqual([e.kind, e.delivered], ['timeout', 'maybe']);
    assert.equal(seen.length, 1, 'a timeout is not retried in the layer');
  });

  it('refuses a refid that is not a positive integer of at most 15 digits, sending nothing', async () => {
    respond = (b) => trx(b);
    await assert.rejects(client().topup({ code: 'S10', dest: '0812', refid: 0 }), TypeError);
    await assert.rejects(client().topup({ code: 'S10', dest: '0812', refid: 1e15 }), TypeError);
    await assert.rejects(client().topup({ code: 'S10', dest: '0812', refid: 1.5 }), TypeError);
    assert.equal(seen.length, 0);
  });

  it('refuses an unknown time zone at creation', () => {
    assert.throws(() => client({ timeZone: 'Mars/Olympus' }), RangeError);
  });
});

describe('PPOB report callback query', () => {
  it('reads the documented fields, tolerant of the status case and of key case', () => {
    assert.deepEqual(
      parsePpobCallback({
        ref_id: '10327',
        status: 'SUCCESS',
        sn: '5511-2233',
        code: 'S10',
        destination: '0812',
      }),
      { refid: 10327, status: 'Success', sn: '5511-2233', code: 'S10', destination: '0812' },
    );
    assert.deepEqual(parsePpobCallback({ ref_id: '1', status: 'pending', sn: '' }), {
      refid: 1,
      status: 'Pending',
    });
    assert.deepEqual(
      parsePpobCallback({ ref_id: '601532636577556', status: 'failed', Sn: 'x', Code: 'S10' }),
      {
        refid: 601532636577556,
        status: 'Failed',
        sn: 'x',
        code: 'S10',
      },
    );
  });

  it('refuses malformed input with an error listing the bad fields', () => {
    const fields = (q: Record<string, unknown>): readonly string[] => {
      try {
        parsePpobCallback(q);
      } catch (err) {
        assert.ok(err instanceof PpobCallbackError, String(err));
        return err.fields;
      }
      assert.fail('expected a PpobCallbackError');
    };
    assert.deepEqual(fields({ ref_id: 'abc', status: 'Success' }), ['ref_id']);
    assert.deepEqual(fields({ ref_id: '1', status: 'Maybe' }), ['status']);
    assert.deepEqual(fields({ ref_id: '1', status: 'Waiting' }), ['status'], 'the report has no Waiting');
    assert.deepEqual(fields({ status: 'Success' }), ['ref_id']);
    assert.deepEqual(fields({}), ['ref_id', 'status']);
    assert.deepEqual(fields({ ref_id: ['1', '2'], status: 'Success' }), ['ref_id'], 'a repeated key');
    assert.deepEqual(fields({ ref_id: '0', status: 'Success' }), ['ref_id']);
    assert.deepEqual(fields({ ref_id: '1234567890123456', status: 'Success' }), ['ref_id'], '16 digits');
    assert.throws(() => parsePpobCallback({ ref_id: 'x', status: 'Nope' }), /ref_id.*status/s);
  });
});

/**
 * The PPOB aggregator simulator over real HTTP: the Gw-* signature, refid idempotency, the
 * Waiting -> Pending -> final lifecycle reported by GET callbacks to a small HTTP server here,
 * outcome and callback misbehaviour controls, inquiry + payment, faults, and persistence across a
 * restart.
 *
 * Requests, signatures and expectations are written here from the document and the wire
 * contract, not from the simulator's modules or providers/, so neither side agrees with itself.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSandboxServer, type SandboxOptions } from '../../sandbox/server';

process.env.LOG_LEVEL ??= 'silent';

const USERNAME = 'mitra-test-01';
const TOKEN = 'ppob-token-for-tests-7731';
const PENDING_MS = 100;
const FINAL_MS = 350;

// ---- the callback receiver: what the partner's server sees ----

interface Received {
  query: Record<string, string>;
  at: number;
}

class Receiver {
  readonly received: Received[] = [];
  /** HTTP status to answer each callback with; 200 unless a test says otherwise. */
  respond: (n: number) => number = () => 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.received.push({ query: Object.fromEntries(url.searchParams), at: Date.now() });
      res.statusCode = this.respond(this.received.length);
      res.end('ok');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    assert.ok(address && typeof address === 'object');
    this.url = `http://127.0.0.1:${address.port}/callbacks/ppob/secret-part`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  clear(): void {
    this.received.length = 0;
    this.respond = () => 200;
  }

  forRef(refid: string | number): Array<Record<string, string>> {
    return this.received.filter((r) => r.query.ref_id === String(refid)).map((r) => r.query);
  }
}

// ---- sandbox and signed calls ----

interface Sandbox {
  app: FastifyInstance;
  base: string;
}

async function startSandbox(extra: Partial<SandboxOptions> = {}, callbackUrl?: string): Promise<Sandbox> {
  const app = await buildSandboxServer({
    prakerja: { clientCode: 'DP-TEST', signKey: 'unused-in-these-tests' },
    ppob: {
      username: USERNAME,
      token: TOKEN,
      callbackUrl,
      timings: { pendingMs: PENDING_MS, finalMs: FINAL_MS, callbackRetryMs: 30, callbackTimeoutMs: 1000 },
    },
    ...extra,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { app, base: `http://127.0.0.1:${address.port}` };
}

/** "YYYY-MM-DD HH:MM:SS" of `ms` at a fixed offset from UTC (Jakarta is +7, no DST). */
function wallClock(ms: number, offsetHours: number): string {
  return new Date(ms + offsetHours * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

const jakartaNow = () => wallClock(Date.now(), 7);

function sign(username: string, datetime: string, token: string): string {
  return createHash('sha256').update(`${username}${datetime}${token}`).digest('hex');
}

interface CallOptions {
  username?: string;
  token?: string;
  datetime?: string;
  signature?: string;
  raw?: string;
  signal?: AbortSignal;
  /** Header names as sent; the document's curl mixes GW-Username and gw-datetime. */
  headerNames?: [string, string, string];
}

interface JsonResponse {
  status: number;
  json: any;
}

async function trx(sb: Sandbox, path: string, body: unknown, opts: CallOptions = {}): Promise<JsonResponse> {
  const username = opts.username ?? USERNAME;
  const datetime = opts.datetime ?? jakartaNow();
  const signature = opts.signature ?? sign(username, datetime, opts.token ?? TOKEN);
  const [u, d, s] = opts.headerNames ?? ['Gw-username', 'Gw-datetime', 'Gw-signature'];
  const res = await fetch(`${sb.base}/ppob${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [u]: username, [d]: datetime, [s]: signature },
    body: opts.raw ?? JSON.stringify(body),
    signal: opts.signal,
  });
  return { status: res.status, json: await res.json() };
}

const topup = (sb: Sandbox, body: unknown, opts?: CallOptions) => trx(sb, '/trx/topup', body, opts);
const payment = (sb: Sandbox, body: unknown, opts?: CallOptions) => trx(sb, '/trx/payment', body, opts);

async function control(sb: Sandbox, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  const res = await fetch(`${sb.base}/_control${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function stats(sb: Sandbox): Promise<any> {
  const res = await control(sb, 'GET', '/ppob/stats');
  assert.equal(res.status, 200);
  return res.json;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 4000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until the refid's transaction has its final status (by asking the sandbox, as a client would). */
async function settled(sb: Sandbox, refid: number): Promise<any> {
  return waitFor(`refid ${refid} final`, async () => {
    const list = (await control(sb, 'GET', `/ppob/transactions?refid=${refid}`)).json;
    return list[0] && (list[0].status === 'Success' || list[0].status === 'Failed') ? list[0] : undefined;
  });
}

let nextRef = 10_000;
const newRef = () => (nextRef += 1);

describe('ppob simulator', () => {
  const receiver = new Receiver();
  let sb: Sandbox;

  before(async () => {
    await receiver.start();
    sb = await startSandbox({}, receiver.url);
  });
  after(async () => {
    await sb.app.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    assert.equal((await control(sb, 'POST', '/reset', {})).status, 200);
    receiver.clear();
  });

  describe('authentication', () => {
    it('accepts sha256(username + datetime + token) with the header names in any case', async () => {
      const good = await topup(sb, { code: 'S10', dest: '08123214214', refid: newRef() });
      assert.equal(good.status, 200, JSON.stringify(good.json));
      assert.equal(good.json.status, 'Waiting');

      const curlCase = await topup(
        sb,
        { code: 'S10', dest: '08123214214', refid: newRef() },
        { headerNames: ['GW-Username', 'gw-datetime', 'Gw-signature'] },
      );
      assert.equal(curlCase.status, 200, JSON.stringify(curlCase.json));
    });

    it('refuses a forged signature, a wrong token, an uppercase-hex signature', async () => {
      const datetime = jakartaNow();
      const forged = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { signature: 'a'.repeat(64) },
      );
      assert.deepEqual(
        [forged.status, forged.json],
        [401, { status: 'Failed', message: 'invalid signature' }],
      );

      const wrongToken = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { token: 'not-the-token' },
      );
      assert.equal(wrongToken.json.message, 'invalid signature');

      // An HMAC keyed by the token is not the documented plain hash.
      const { createHmac } = await import('node:crypto');
      const hmac = createHmac('sha256', TOKEN)
        .update(USERNAME + datetime)
        .digest('hex');
      const keyed = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { datetime, signature: hmac },
      );
      assert.equal(keyed.status, 401);

      const upper = sign(USERNAME, datetime, TOKEN).toUpperCase();
      const shouting = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { datetime, signature: upper },
      );
      assert.equal(shouting.json.message, 'invalid signature');
      assert.equal((await stats(sb)).transactions, 0);
    });

    it('refuses an unknown user, a stale datetime, a datetime in UTC (7 hours off) and a malformed one', async () => {
      const stranger = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { username: 'someone-else' },
      );
      assert.deepEqual(
        [stranger.status, stranger.json],
        [401, { status: 'Failed', message: 'unknown user' }],
      );

      const stale = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { datetime: wallClock(Date.now() - 10 * 60_000, 7) },
      );
      assert.deepEqual(
        [stale.status, stale.json],
        [401, { status: 'Failed', message: 'datetime out of range' }],
      );

      // Correctly signed, but the wall clock is UTC's: 7 hours behind what Jakarta reads.
      const utc = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { datetime: wallClock(Date.now(), 0) },
      );
      assert.deepEqual([utc.status, utc.json.message], [401, 'datetime out of range']);

      const iso = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { datetime: new Date().toISOString() },
      );
      assert.deepEqual([iso.status, iso.json.message], [401, 'datetime out of range']);

      // Within the 300 s skew: accepted.
      const slightlyOff = await topup(
        sb,
        { code: 'S10', dest: '0812', refid: newRef() },
        { datetime: wallClock(Date.now() - 120_000, 7) },
      );
      assert.equal(slightlyOff.status, 200);
      assert.equal((await stats(sb)).transactions, 1);
    });

    it('answers 400 naming the field for a bad body', async () => {
      const noDest = await topup(sb, { code: 'S10', refid: newRef() });
      assert.deepEqual([noDest.status, noDest.json], [400, { status: 'Failed', message: 'dest' }]);
      const badRef = await topup(sb, { code: 'S10', dest: '0812', refid: 'ABC' });
      assert.deepEqual([badRef.status, badRef.json.message], [400, 'refid']);
      const zeroRef = await topup(sb, { code: 'S10', dest: '0812', refid: 0 });
      assert.equal(zeroRef.json.message, 'refid');
      const broken = await topup(sb, undefined, { raw: '{"code": "S10",' });
      assert.deepEqual([broken.status, broken.json.message], [400, 'body']);
      const noInq = await payment(sb, { refid: newRef() });
      assert.deepEqual([noInq.status, noInq.json.message], [400, 'inq_id']);
      assert.equal((await stats(sb)).transactions, 0);
    });
  });

  describe('refid idempotency', () => {
    it('processes a refid once: five sends, one transaction, then "trx sebelumnya ditemukan"', async () => {
      const refid = newRef();
      const answers: any[] = [];
      for (let i = 0; i < 5; i += 1) {
        // The third send spells refid as a digit string: the same key.
        const res = await topup(sb, {
          code: 'S10',
          dest: '08123214214',
          refid: i === 2 ? String(refid) : refid,
        });
        assert.equal(res.status, 200);
        answers.push(res.json);
      }
      assert.deepEqual(answers[0], {
        code: 'S10',
        destination: '08123214214',
        message: 'request trx diterima',
        ref_id: refid,
        sn: '',
        status: 'Waiting',
        trx_id: answers[0].trx_id,
        price: 10_500,
      });
      assert.equal(typeof answers[0].trx_id, 'number');
      for (const later of answers.slice(1)) {
        assert.equal(later.message, 'trx sebelumnya ditemukan');
        assert.equal(later.trx_id, answers[0].trx_id);
        assert.equal(later.ref_id, refid);
      }
      // A repeat with a different product and number is still the first transaction.
      const other = await topup(sb, { code: 'PLN50', dest: '99999', refid });
      assert.deepEqual(
        [other.json.code, other.json.destination, other.json.message],
        ['S10', '08123214214', 'trx sebelumnya ditemukan'],
      );

      const s = await stats(sb);
      assert.equal(s.transactions, 1);
      assert.equal(s.byRefid[String(refid)].requests, 6);
      assert.equal(s.byRefid[String(refid)].transactions, 1);

      // The repeat reports the current state: once final, Success with the SN.
      const done = await settled(sb, refid);
      const again = await topup(sb, { code: 'S10', dest: '08123214214', refid });
      assert.deepEqual(
        [again.json.status, again.json.sn, again.json.message],
        ['Success', done.sn, 'trx sebelumnya ditemukan'],
      );
      assert.equal((await stats(sb)).transactions, 1);
    });

    it('a refid used for a topup is not processed again as a payment', async () => {
      const refid = newRef();
      await topup(sb, { code: 'TS20', dest: '0813', refid });
      const res = await payment(sb, { inq_id: 1, refid });
      assert.deepEqual([res.json.message, res.json.code], ['trx sebelumnya ditemukan', 'TS20']);
      assert.equal((await stats(sb)).transactions, 1);
    });

    it('an unknown product fails at once, and its refid answers the same failure later', async () => {
      const refid = newRef();
      const first = await topup(sb, { code: 'NOPE99', dest: '0812', refid });
      assert.deepEqual(
        [first.status, first.json.status, first.json.message],
        [200, 'Failed', 'produk tidak tersedia'],
      );
      const second = await topup(sb, { code: 'S10', dest: '0812', refid });
      assert.deepEqual(
        [second.json.status, second.json.message, second.json.trx_id],
        ['Failed', 'trx sebelumnya ditemukan', first.json.trx_id],
      );
      await sleep(FINAL_MS + 100);
      assert.equal(receiver.received.length, 0, 'no report for a transaction that failed at once');
    });
  });

  describe('lifecycle and reports', () => {
    it('Waiting -> Pending -> Success with an SN, reported by GET callbacks in order', async () => {
      const refid = newRef();
      const first = await topup(sb, { code: 'S10', dest: '08123214214', refid });
      assert.equal(first.json.status, 'Waiting');

      await waitFor('Pending', async () =>
        (await topup(sb, { code: 'S10', dest: '08123214214', refid })).json.status === 'Pending'
          ? true
          : undefined,
      );
      const reports = await waitFor('two reports', () =>
        receiver.forRef(refid).length >= 2 ? receiver.forRef(refid) : undefined,
      );
      assert.deepEqual(reports[0], {
        ref_id: String(refid),
        status: 'Pending',
        sn: '',
        code: 'S10',
        destination: '08123214214',
      });
      assert.equal(reports[1]!.status, 'Success');
      assert.match(reports[1]!.sn!, /^\d{16}$/);

      const final = await topup(sb, { code: 'S10', dest: '08123214214', refid });
      assert.deepEqual([final.json.status, final.json.sn], ['Success', reports[1]!.sn]);
      const s = await stats(sb);
      assert.equal(s.callbacksSent, 2);
      assert.equal(s.byRefid[String(refid)].sn, reports[1]!.sn);
      assert.ok(
        s.callbackAttempts.every((a: any) => a.result === 'delivered' && a.url.startsWith(receiver.url)),
      );
      await sleep(200);
      assert.equal(receiver.forRef(refid).length, 2, 'exactly one report per change');
    });

    it('a PLN token SN is 20 digits', async () => {
      const refid = newRef();
      await topup(sb, { code: 'PLN20', dest: '14234567890', refid });
      const done = await settled(sb, refid);
      assert.match(done.sn, /^\d{20}$/);
    });

    it('outcome failed: Pending then Failed, no SN; failAfterPending false skips Pending', async () => {
      const refid = newRef();
      assert.equal((await control(sb, 'POST', '/ppob/outcome', { refid, outcome: 'failed' })).status, 201);
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await settled(sb, refid);
      const reports = await waitFor('reports', () =>
        receiver.forRef(refid).length >= 2 ? receiver.forRef(refid) : undefined,
      );
      assert.deepEqual(
        reports.map((r) => r.status),
        ['Pending', 'Failed'],
      );
      assert.equal(reports[1]!.sn, '');
      const answer = await topup(sb, { code: 'S10', dest: '0812', refid });
      assert.deepEqual([answer.json.status, answer.json.sn], ['Failed', '']);

      // By destination, straight to Failed.
      const refid2 = newRef();
      await control(sb, 'POST', '/ppob/outcome', {
        dest: '0899-fail',
        outcome: 'failed',
        failAfterPending: false,
      });
      await topup(sb, { code: 'S10', dest: '0899-fail', refid: refid2 });
      await settled(sb, refid2);
      await waitFor('failed report', () => (receiver.forRef(refid2).length >= 1 ? true : undefined));
      await sleep(100);
      assert.deepEqual(
        receiver.forRef(refid2).map((r) => r.status),
        ['Failed'],
      );

      // The rule was used up: the next purchase to that number succeeds.
      const refid3 = newRef();
      await topup(sb, { code: 'S10', dest: '0899-fail', refid: refid3 });
      assert.equal((await settled(sb, refid3)).status, 'Success');
    });

    it('an out-of-stock product ends Failed by itself', async () => {
      const refid = newRef();
      await topup(sb, { code: 'S5', dest: '0812', refid });
      const done = await settled(sb, refid);
      assert.deepEqual([done.status, done.note], ['Failed', 'stok kosong']);
    });

    it('pending-forever: stays Pending with no final report, until told how to end', async () => {
      const refid = newRef();
      await control(sb, 'POST', '/ppob/outcome', { outcome: 'pending-forever' });
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await sleep(FINAL_MS * 2);
      const answer = await topup(sb, { code: 'S10', dest: '0812', refid });
      assert.equal(answer.json.status, 'Pending');
      assert.deepEqual(
        receiver.forRef(refid).map((r) => r.status),
        ['Pending'],
      );

      const applied = await control(sb, 'POST', '/ppob/outcome', { refid, outcome: 'success' });
      assert.equal(applied.status, 200);
      assert.equal((await settled(sb, refid)).status, 'Success');
      await waitFor('final report', () => (receiver.forRef(refid).length === 2 ? true : undefined));
      assert.equal((await control(sb, 'POST', '/ppob/outcome', { refid, outcome: 'failed' })).status, 409);
    });
  });

  describe('callback misbehaviour', () => {
    it('drop: no report is ever sent, each one is logged as dropped', async () => {
      await control(sb, 'POST', '/ppob/callbacks', { mode: 'drop' });
      const refid = newRef();
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await settled(sb, refid);
      await sleep(150);
      assert.equal(receiver.received.length, 0);
      const s = await stats(sb);
      assert.deepEqual(
        s.callbackAttempts.map((a: any) => [a.status, a.result]),
        [
          ['Pending', 'dropped'],
          ['Success', 'dropped'],
        ],
      );
      assert.equal(s.callbacksSent, 0);
    });

    it('duplicate: every report arrives three times', async () => {
      const refid = newRef();
      await control(sb, 'POST', '/ppob/callbacks', { mode: 'duplicate', refid });
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await settled(sb, refid);
      const reports = await waitFor('six reports', () =>
        receiver.forRef(refid).length >= 6 ? receiver.forRef(refid) : undefined,
      );
      assert.deepEqual(
        reports.map((r) => r.status),
        ['Pending', 'Pending', 'Pending', 'Success', 'Success', 'Success'],
      );
      assert.equal(new Set(reports.slice(3).map((r) => r.sn)).size, 1);
    });

    it('reorder: the final report arrives before the Pending one', async () => {
      const refid = newRef();
      await control(sb, 'POST', '/ppob/callbacks', { mode: 'reorder', count: 1 });
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await sleep(PENDING_MS + 100);
      assert.equal(receiver.forRef(refid).length, 0, 'the Pending report is held back');
      const reports = await waitFor('two reports', () =>
        receiver.forRef(refid).length >= 2 ? receiver.forRef(refid) : undefined,
      );
      assert.deepEqual(
        reports.map((r) => r.status),
        ['Success', 'Pending'],
      );
    });

    it('lie: the report says Success with an SN while the transaction is Failed', async () => {
      const refid = newRef();
      await control(sb, 'POST', '/ppob/callbacks', { mode: 'lie', refid });
      await topup(sb, { code: 'S10', dest: '0812', refid });
      const done = await settled(sb, refid);
      assert.equal(done.status, 'Failed');
      const reports = await waitFor('two reports', () =>
        receiver.forRef(refid).length >= 2 ? receiver.forRef(refid) : undefined,
      );
      assert.equal(reports[1]!.status, 'Success');
      assert.match(reports[1]!.sn!, /^\d{16}$/);
      const answer = await topup(sb, { code: 'S10', dest: '0812', refid });
      assert.deepEqual([answer.json.status, answer.json.sn], ['Failed', '']);
      const attempt = (await stats(sb)).callbackAttempts.find((a: any) => a.status === 'Success');
      assert.equal(attempt.actual, 'Failed');
    });

    it('delay: each report arrives delayMs after its change', async () => {
      const refid = newRef();
      await control(sb, 'POST', '/ppob/callbacks', { mode: 'delay', delayMs: 500, refid });
      const sentAt = Date.now();
      await topup(sb, { code: 'S10', dest: '0812', refid });
      const reports = await waitFor('Pending report', () =>
        receiver.forRef(refid).length >= 1 ? receiver.received : undefined,
      );
      assert.ok(reports[0]!.at - sentAt >= PENDING_MS + 450, `arrived after ${reports[0]!.at - sentAt} ms`);
    });

    it('retries a refused or unreachable report with backoff, a bounded number of times', async () => {
      receiver.respond = (n) => (n <= 2 ? 500 : 200);
      const refid = newRef();
      await control(sb, 'POST', '/ppob/outcome', { refid, outcome: 'pending-forever' });
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await waitFor('delivery', async () => ((await stats(sb)).callbacksSent === 1 ? true : undefined));
      const s = await stats(sb);
      assert.deepEqual(
        s.callbackAttempts.map((a: any) => [a.attempt, a.result, a.httpStatus]),
        [
          [1, 'http-error', 500],
          [2, 'http-error', 500],
          [3, 'delivered', 200],
        ],
      );

      // Nobody listening: 4 tries, then given up.
      await control(sb, 'POST', '/ppob/callback-url', { url: 'http://127.0.0.1:9/nobody' });
      const refid2 = newRef();
      await control(sb, 'POST', '/ppob/outcome', { refid: refid2, outcome: 'pending-forever' });
      await topup(sb, { code: 'S10', dest: '0812', refid: refid2 });
      await waitFor('give up', async () => ((await stats(sb)).callbacksFailed === 1 ? true : undefined));
      const tries = (await stats(sb)).callbackAttempts.filter((a: any) => a.refid === String(refid2));
      assert.deepEqual(
        tries.map((a: any) => [a.attempt, a.result]),
        [
          [1, 'unreachable'],
          [2, 'unreachable'],
          [3, 'unreachable'],
          [4, 'unreachable'],
        ],
      );
    });

    it('callback-url switches where reports go; reset goes back to the configured one', async () => {
      const other = new Receiver();
      await other.start();
      try {
        assert.equal((await control(sb, 'POST', '/ppob/callback-url', { url: other.url })).status, 200);
        const refid = newRef();
        await topup(sb, { code: 'S10', dest: '0812', refid });
        await waitFor('report elsewhere', () => (other.forRef(refid).length >= 2 ? true : undefined));
        assert.equal(receiver.forRef(refid).length, 0);
        await control(sb, 'POST', '/reset', {});
        assert.equal((await control(sb, 'GET', '/ppob/callback-url')).json.url, receiver.url);
        assert.equal((await control(sb, 'POST', '/ppob/callback-url', { url: 'ftp://x' })).status, 400);
      } finally {
        await other.stop();
      }
    });
  });

  describe('inquiry and payment', () => {
    it('inquiry answers the bill at once; payment pays it through the lifecycle; a second payment is refused', async () => {
      const inqRef = newRef();
      const inq = await topup(sb, { code: 'INQPLN', dest: '512345678901', refid: inqRef });
      assert.equal(inq.status, 200);
      assert.deepEqual(
        { ...inq.json, trx_id: 0 },
        {
          code: 'INQPLN',
          destination: '512345678901',
          message: 'inquiry sukses',
          ref_id: inqRef,
          sn: '',
          status: 'Success',
          trx_id: 0,
          price: 155_000,
          customer_name: 'BUDI SANTOSO',
        },
      );

      const payRef = newRef();
      const pay = await payment(sb, { ing_id: inq.json.trx_id, refid: payRef }); // the document's spelling
      assert.deepEqual(
        [pay.json.status, pay.json.message, pay.json.price],
        ['Waiting', 'request trx diterima', 155_000],
      );
      assert.notEqual(pay.json.trx_id, inq.json.trx_id);
      const done = await settled(sb, payRef);
      assert.equal(done.status, 'Success');
      assert.notEqual(done.sn, '');
      const reports = await waitFor('payment reports', () =>
        receiver.forRef(payRef).length >= 2 ? receiver.forRef(payRef) : undefined,
      );
      assert.deepEqual(
        reports.map((r) => [r.status, r.destination]),
        [
          ['Pending', '512345678901'],
          ['Success', '512345678901'],
        ],
      );

      const twice = await payment(sb, { inq_id: inq.json.trx_id, refid: newRef() });
      assert.deepEqual([twice.json.status, twice.json.message], ['Failed', 'tagihan sudah dibayar']);

      // The inquiry's refid stays the inquiry.
      const inqAgain = await topup(sb, { code: 'INQPLN', dest: '512345678901', refid: inqRef });
      assert.deepEqual(
        [inqAgain.json.message, inqAgain.json.trx_id],
        ['trx sebelumnya ditemukan', inq.json.trx_id],
      );
    });

    it('a failed payment leaves the bill payable under a new refid', async () => {
      const inq = await topup(sb, { code: 'INQBPJS', dest: '8888801234567890', refid: newRef() });
      assert.equal(inq.json.price, 150_000);
      const payRef = newRef();
      await control(sb, 'POST', '/ppob/outcome', { refid: payRef, outcome: 'failed' });
      await payment(sb, { inq_id: inq.json.trx_id, refid: payRef });
      const inFlight = await payment(sb, { inq_id: String(inq.json.trx_id), refid: newRef() });
      assert.deepEqual(
        [inFlight.json.status, inFlight.json.message],
        ['Failed', 'pembayaran tagihan sedang diproses'],
      );
      assert.equal((await settled(sb, payRef)).status, 'Failed');
      const retry = await payment(sb, { inq_id: inq.json.trx_id, refid: newRef() });
      assert.equal(retry.json.status, 'Waiting');
    });

    it('inquiry answers name the amount as the control API says (amount, or none); payments keep price', async () => {
      try {
        assert.equal((await control(sb, 'POST', '/ppob/inquiry-amount', { field: 'amount' })).status, 200);
        const inqRef = newRef();
        const inq = await topup(sb, { code: 'INQPLN', dest: '512345678902', refid: inqRef });
        assert.deepEqual([inq.json.amount, 'price' in inq.json], [87_500, false]);
        const pay = await payment(sb, { inq_id: inq.json.trx_id, refid: newRef() });
        assert.equal(pay.json.price, 87_500, 'a payment still answers price');

        await control(sb, 'POST', '/ppob/inquiry-amount', { field: null });
        const bare = await topup(sb, { code: 'INQPLN', dest: '512345678903', refid: newRef() });
        assert.equal(bare.json.status, 'Success');
        assert.deepEqual(
          ['price', 'amount'].filter((k) => k in bare.json),
          [],
        );
        const again = await topup(sb, { code: 'INQPLN', dest: '512345678902', refid: inqRef });
        assert.equal('amount' in again.json || 'price' in again.json, false, 'a repeated refid too');

        const bad = await control(sb, 'POST', '/ppob/inquiry-amount', { field: 'no spaces' });
        assert.equal(bad.status, 400);
      } finally {
        await control(sb, 'POST', '/ppob/inquiry-amount', { field: 'price' });
      }
      const back = await topup(sb, { code: 'INQPLN', dest: '512345678901', refid: newRef() });
      assert.equal(back.json.price, 155_000);
    });

    it('unknown customer, unknown inq_id, an inquiry id that is a purchase: Failed', async () => {
      const nobody = await topup(sb, { code: 'INQPLN', dest: '000000', refid: newRef() });
      assert.deepEqual([nobody.json.status, nobody.json.message], ['Failed', 'customer not found']);

      const unknown = await payment(sb, { inq_id: 987_654_321, refid: newRef() });
      assert.deepEqual(
        [unknown.status, unknown.json.status, unknown.json.message],
        [200, 'Failed', 'inquiry tidak ditemukan'],
      );

      const failedInq = await payment(sb, { inq_id: nobody.json.trx_id, refid: newRef() });
      assert.equal(failedInq.json.status, 'Failed');

      const purchase = await topup(sb, { code: 'S10', dest: '0812', refid: newRef() });
      const notABill = await payment(sb, { inq_id: purchase.json.trx_id, refid: newRef() });
      assert.equal(notABill.json.status, 'Failed');
      assert.equal((await stats(sb)).transactions, 5);
    });
  });

  describe('faults', () => {
    it('timeout-after-commit: the transaction is recorded while the client gave up; the refid then answers its state', async () => {
      const refid = newRef();
      const armed = await control(sb, 'POST', '/faults', {
        route: 'ppob.topup',
        mode: 'timeout-after-commit',
        match: { refid },
      });
      assert.equal(armed.status, 201);
      await assert.rejects(
        topup(sb, { code: 'S10', dest: '0812', refid }, { signal: AbortSignal.timeout(300) }),
      );
      const s = await stats(sb);
      assert.equal(s.transactions, 1);
      assert.equal(s.byRefid[String(refid)].transactions, 1);

      const done = await settled(sb, refid);
      const asked = await topup(sb, { code: 'S10', dest: '0812', refid });
      assert.deepEqual(
        [asked.status, asked.json.message, asked.json.status, asked.json.sn],
        [200, 'trx sebelumnya ditemukan', 'Success', done.sn],
      );
      assert.equal((await stats(sb)).transactions, 1);
    });

    it('error5xx and reset-before record nothing; matched by dest on payment', async () => {
      await control(sb, 'POST', '/faults', {
        route: 'ppob.topup',
        mode: 'error5xx',
        match: { dest: '0812-5xx' },
      });
      const refid = newRef();
      const res = await topup(sb, { code: 'S10', dest: '0812-5xx', refid });
      assert.equal(res.status, 503);
      assert.equal(res.json.status, 'Failed');
      assert.equal((await stats(sb)).transactions, 0);
      const retry = await topup(sb, { code: 'S10', dest: '0812-5xx', refid });
      assert.deepEqual([retry.status, retry.json.message], [200, 'request trx diterima']);

      const inq = await topup(sb, { code: 'INQPLN', dest: '512345678902', refid: newRef() });
      await control(sb, 'POST', '/faults', {
        route: 'ppob.payment',
        mode: 'reset-before',
        match: { dest: '512345678902' },
      });
      const payRef = newRef();
      await assert.rejects(payment(sb, { inq_id: inq.json.trx_id, refid: payRef }));
      assert.equal((await stats(sb)).byRefid[String(payRef)], undefined);
      const paid = await payment(sb, { inq_id: inq.json.trx_id, refid: payRef });
      assert.equal(paid.json.status, 'Waiting');
    });

    it('reset stops in-flight lifecycles: no report after it', async () => {
      const refid = newRef();
      await topup(sb, { code: 'S10', dest: '0812', refid });
      await control(sb, 'POST', '/reset', {});
      await sleep(FINAL_MS + 150);
      assert.equal(receiver.forRef(refid).length, 0);
      assert.equal((await stats(sb)).transactions, 0);
    });
  });
});

describe('ppob simulator across a restart', () => {
  const receiver = new Receiver();
  let dir: string;

  before(async () => {
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'ppob-sandbox-'));
  });
  after(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a Waiting transaction reaches its final state after the server is rebuilt on the same state file', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startSandbox({ stateFile }, receiver.url);
    const refid = newRef();
    const answer = await topup(first, { code: 'PLN20', dest: '14234567890', refid });
    assert.equal(answer.json.status, 'Waiting');
    await first.app.close();

    // The closed server sends nothing, even though its timers were due meanwhile.
    await sleep(FINAL_MS + 150);
    assert.equal(receiver.received.length, 0);

    const second = await startSandbox({ stateFile }, receiver.url);
    try {
      const reports = await waitFor('reports after restart', () =>
        receiver.forRef(refid).length >= 2 ? receiver.forRef(refid) : undefined,
      );
      assert.deepEqual(
        reports.map((r) => r.status),
        ['Pending', 'Success'],
      );
      assert.match(reports[1]!.sn!, /^\d{20}$/);
      const again = await topup(second, { code: 'PLN20', dest: '14234567890', refid });
      assert.deepEqual(
        [again.json.status, again.json.trx_id, again.json.sn],
        ['Success', answer.json.trx_id, reports[1]!.sn],
      );
      const s = await stats(second);
      assert.equal(s.transactions, 1);
      assert.equal(s.byRefid[String(refid)].requests, 2);

      // A new transaction after the restart gets a new trx_id, not a reused one.
      const next = await topup(second, { code: 'S10', dest: '0812', refid: newRef() });
      assert.ok(next.json.trx_id > answer.json.trx_id);
    } finally {
      await second.app.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { judgeEngine } from '../../chaos/campaign';
import { createHttp } from '../../chaos/http';
import { planFaults, SCHEDULED_KINDS } from '../../chaos/faults';
import { createRng } from '../../chaos/random';
import { findSecrets } from '../../chaos/secrets';
import { CHAOS_SAGAS } from '../../chaos/sagas';
import { GatewayError, type EndedPayment } from '../../chaos/types';
import { SAGA_NAMES } from '../../workflows/sagas';

const payment = (over: Partial<EndedPayment>): EndedPayment => ({
  saga: 'prakerja',
  method: 'otp',
  workflowId: 'prakerja-X',
  refs: {},
  marks: [],
  status: 'COMPLETED',
  runStatus: 'COMPLETED',
  ...over,
});

describe('chaos: the seeded schedule', () => {
  it('is the same for the same seed, and differs for another', () => {
    const a = planFaults(createRng(7), 60_000);
    assert.deepEqual(planFaults(createRng(7), 60_000), a);
    assert.notDeepEqual(planFaults(createRng(8), 60_000), a);
  });

  it('brings every kind at least once, even in a one-minute run, inside the window', () => {
    const plan = planFaults(createRng(1), 60_000);
    assert.deepEqual(new Set(plan.map((e) => e.kind)), new Set(SCHEDULED_KINDS));
    assert.ok(plan.every((e) => e.atMs >= 0 && e.atMs <= 60_000));
  });

  it('gives a run of 20 minutes or more an outage longer than the ten-minute retry budget', () => {
    const long = planFaults(createRng(3), 30 * 60_000);
    assert.ok(long.some((e) => e.kind === 'provider-outage' && (e.forMs ?? 0) > 10 * 60_000));
    assert.ok(!planFaults(createRng(3), 5 * 60_000).some((e) => (e.forMs ?? 0) > 10 * 60_000));
  });

  it('forks independent streams: one payment drawing more does not shift another', () => {
    const root = createRng(42);
    const a = root.fork(1);
    a.next();
    a.next();
    assert.equal(createRng(42).fork(2).next(), root.fork(2).next());
  });
});

describe('chaos: every saga is in the campaign', () => {
  it('has one module per saga a caller starts (an unmatched report is filed by the gateway, not started)', () => {
    assert.deepEqual(
      CHAOS_SAGAS.map((m) => m.saga).sort(),
      SAGA_NAMES.filter((s) => s !== 'unmatched').sort(),
    );
  });
});

describe('chaos: the engine side', () => {
  it('passes payments that are final, or parked and listed for review', () => {
    const parked = payment({ workflowId: 'p', status: 'NEEDS_REVIEW', runStatus: 'RUNNING' });
    assert.deepEqual(judgeEngine([payment({}), parked], new Set(['p'])), []);
  });

  it('finds a lost, a broken, a stuck and an unseen payment', () => {
    const findings = judgeEngine(
      [
        payment({ workflowId: 'gone', status: undefined, runStatus: undefined }),
        payment({ workflowId: 'failed', status: 'AUTHORIZING', runStatus: 'FAILED' }),
        payment({ workflowId: 'waiting', status: 'AWAITING_OTP', runStatus: 'RUNNING' }),
        payment({ workflowId: 'unseen', status: 'NEEDS_REVIEW', runStatus: 'RUNNING' }),
        // Never started (its start was never answered) and not there: nothing to find.
        payment({ workflowId: 'never', status: undefined, runStatus: undefined, startError: 'no answer' }),
      ],
      new Set(),
    );
    assert.deepEqual(
      findings.map((f) => [f.invariant, f.workflowId]),
      [
        ['lost', 'gone'],
        ['lost', 'failed'],
        ['stuck-unseen', 'waiting'],
        ['stuck-unseen', 'unseen'],
      ],
    );
  });
});

describe('chaos: the secret scan', () => {
  const secret = 'k3y/with+slash=and more';
  it('finds a secret as is, percent-encoded and JSON-escaped, naming only its first characters', () => {
    assert.deepEqual(findSecrets(`token ${secret} here`, [secret]), ['k3y/…']);
    assert.deepEqual(findSecrets(`url ?k=${encodeURIComponent(secret)}`, [secret]), ['k3y/…']);
    const pem = '-----BEGIN KEY-----\nabc\n-----END KEY-----';
    assert.deepEqual(findSecrets(JSON.stringify({ key: pem }), [pem]), ['----…']);
  });

  it('finds nothing in a line without it, and ignores values too short to be told from chance', () => {
    assert.deepEqual(findSecrets('a line with k3y/with+slash only in part', [secret]), []);
    assert.deepEqual(findSecrets('abc abc', ['abc']), []);
  });
});

describe('chaos: HTTP as the actors make it', () => {
  /** A server answering each request with the next status of `statuses`, recording what it got. */
  async function server(statuses: number[]) {
    const seen: string[] = [];
    const srv = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.statusCode = statuses.shift() ?? 200;
      res.end(JSON.stringify({ ok: res.statusCode }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    return { seen, url, close: () => new Promise<void>((r) => srv.close(() => r())) };
  }

  it('sends the control verb asked for: GET, POST with a body, DELETE', async () => {
    const s = await server([]);
    try {
      const http = createHttp(s.url, s.url);
      await http.control('faults');
      await http.control('faults', { route: 'x' });
      await http.control('faults/abc', undefined, 'DELETE');
      assert.deepEqual(s.seen, [
        'GET /_control/faults',
        'POST /_control/faults',
        'DELETE /_control/faults/abc',
      ]);
    } finally {
      await s.close();
    }
  });

  it('retries the gateway on 503 and 429 with the same request, and throws a GatewayError on a 409', async () => {
    const s = await server([503, 429, 201, 409]);
    try {
      const http = createHttp(s.url, s.url);
      assert.deepEqual(await http.gateway('POST', '/transfers', { orderId: 'o' }), { ok: 201 });
      assert.deepEqual(s.seen, ['POST /v1/transfers', 'POST /v1/transfers', 'POST /v1/transfers']);
      await assert.rejects(http.gateway('POST', '/payments/p/otp', { otp: '1' }), (err: unknown) => {
        return err instanceof GatewayError && err.status === 409;
      });
    } finally {
      await s.close();
    }
  });
});

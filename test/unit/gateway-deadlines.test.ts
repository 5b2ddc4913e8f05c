/**
 * The gateway's deadlines table covers every /v1 route, and a Temporal failure becomes the
 * answer the README promises (503 Temporal unavailable, 504 no answer from the worker).
 * The whole-stack version, with a dead worker and a stopped Temporal: test/e2e/gateway-deadlines.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { TemporalDeadlineError, type PaysagaClient } from '../../client/paysaga-client';
import { registerPaymentRoutes } from '../../gateway/payment-routes';
import {
  deadlineKindOf,
  NoAnswerInTimeError,
  TemporalUnavailableError,
  V1_ROUTE_DEADLINES,
  withinRouteDeadline,
  type DeadlineKind,
} from '../../gateway/temporal-deadlines';

const deadlines = { callMs: 50, waitMs: 200, webhookMs: 30 };

/** A client whose Temporal calls fail with `fails` and whose frontend answers when `answers`. */
function fakeClient(fails: unknown, answers: boolean): PaysagaClient {
  return {
    withinDeadline: async () => {
      throw fails;
    },
    temporalAnswers: async () => answers,
  } as unknown as PaysagaClient;
}

describe('gateway deadlines', () => {
  it('every /v1 route has a deadline kind, and every kind in the table is a route', async () => {
    const app = Fastify();
    const routes: string[] = [];
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
    });
    await registerPaymentRoutes(app, { client: fakeClient(new Error('unused'), true) });
    await app.ready();
    const v1 = routes.filter((r) => r.split(' ')[1]!.startsWith('/v1/'));
    assert.ok(v1.length >= 10);
    assert.deepEqual([...v1].sort(), Object.keys(V1_ROUTE_DEADLINES).sort());
    await app.close();
  });

  it('a HEAD is its GET; an unknown route waits longest', () => {
    assert.equal(deadlineKindOf('HEAD', '/v1/payments/:id'), 'query');
    assert.equal(deadlineKindOf('POST', '/v1/not-a-route'), 'wait');
  });

  const cases: [DeadlineKind, boolean, string][] = [
    ['call', true, 'TemporalUnavailableError'],
    ['query', true, 'NoAnswerInTimeError'],
    ['query', false, 'TemporalUnavailableError'],
    ['wait', true, 'NoAnswerInTimeError'],
    ['wait', false, 'TemporalUnavailableError'],
  ];
  for (const [kind, temporalAnswers, expected] of cases) {
    it(`${kind}, deadline passed, Temporal ${temporalAnswers ? 'answers' : 'silent'}: ${expected}`, async () => {
      const client = fakeClient(new TemporalDeadlineError(1), temporalAnswers);
      await assert.rejects(
        withinRouteDeadline(client, kind, deadlines, async () => 1),
        {
          name: expected,
        },
      );
    });
  }

  it('a query the server cancelled (sent to a dead worker) is 504 when Temporal answers', async () => {
    const cancelled = Object.assign(new Error('1 CANCELLED: Call cancelled'), {
      code: 1,
      details: 'Call cancelled',
      metadata: {},
    });
    const wrapped = new Error('Failed to query Workflow', { cause: cancelled });
    await assert.rejects(
      withinRouteDeadline(fakeClient(wrapped, true), 'query', deadlines, async () => 1),
      NoAnswerInTimeError,
    );
  });

  it('UNAVAILABLE from the server is 503 whatever the kind; any other error is left alone', async () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14,
      details: 'No connection established',
      metadata: {},
    });
    const wrapped = new Error('Failed to query Workflow', { cause: unavailable });
    await assert.rejects(
      withinRouteDeadline(fakeClient(wrapped, true), 'query', deadlines, async () => 1),
      TemporalUnavailableError,
    );
    const refusal = new RangeError('not a Temporal problem');
    await assert.rejects(
      withinRouteDeadline(fakeClient(refusal, false), 'wait', deadlines, async () => 1),
      (err) => err === refusal,
    );
  });

  it('the 504 of a wait says the request may still take effect', () => {
    assert.match(new NoAnswerInTimeError('wait', 40_000).message, /may still take effect/);
  });
});

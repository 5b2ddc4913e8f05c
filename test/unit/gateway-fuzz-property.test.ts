/**
 * The gateway fuzz property (test/helpers/gateway-fuzz.ts) can fail: run against a tiny Fastify
 * app whose route throws a TypeError (Fastify's default handler answers 500 with the message),
 * or answers a 4xx carrying a stack, fast-check finds a counterexample. Against a tiny app that
 * refuses everything plainly, the same property holds: it does not fail for nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { answerErrors, answerFrameworkError } from '../../gateway/errors';
import { gatewayProperty, type RouteTemplate, type RequestShape } from '../helpers/gateway-fuzz';

async function listen(
  build: (app: FastifyInstance) => void,
  options: FastifyServerOptions = {},
): Promise<{ app: FastifyInstance; url: string; templates: RouteTemplate[] }> {
  const app = Fastify(options);
  const templates: RouteTemplate[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') templates.push({ method, url: r.url });
  });
  build(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, templates };
}

const shapeOf = (templates: RouteTemplate[]): RequestShape => ({
  templates,
  authorization: fc.option(fc.constantFrom('Bearer x', 'Bearer wrong'), { nil: undefined }),
  ppobSecret: fc.constant('s'),
});

// In-process and fast: enough runs that a repeated ?provider= is drawn (with this seed, it is).
const RUNS = { numRuns: 300, seed: 11 };

describe('the gateway fuzz property', () => {
  it('fails on a route that throws a TypeError on a repeated key (500 with its message)', async () => {
    const { app, url, templates } = await listen(
      (a) => {
        a.get('/v1/payments', async (req) => {
          const q = req.query as { provider?: unknown };
          // The bug of issue 11: a repeated key is an array, and an array has no replace().
          return { provider: (q.provider as string | undefined)?.replace(/'/g, "\\'") ?? null };
        });
        a.post('/v1/payments/:id/cancel', async () => ({ ok: true }));
        // Refusals are plain; anything else is a 500 with the error's message, as the /v1 plugin
        // answered before issue 11. So the TypeError is the only flaw to find.
        a.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
          const status = err.statusCode ?? 500;
          void reply.code(status).send({ error: status < 500 ? 'bad request' : err.message });
        });
        a.setNotFoundHandler((_req, reply) => void reply.code(404).send({ error: 'no such route' }));
      },
      { frameworkErrors: answerFrameworkError },
    );
    try {
      const result = await fc.check(gatewayProperty(url, shapeOf(templates)), RUNS);
      assert.equal(result.failed, true, 'the property must report the 500');
      const message = String((result.errorInstance as Error | undefined)?.message ?? '');
      assert.match(message, /^500 for GET \/v1\/payments\?/);
      assert.match(message, /provider=.*provider=/, 'the counterexample repeats provider');
      assert.match(message, /is not a function/);
    } finally {
      await app.close();
    }
  });

  it('fails on a 4xx that carries a stack trace or an internal message', async () => {
    const { app, url, templates } = await listen((a) => {
      a.setErrorHandler(
        (err: Error, _req, reply) => void reply.code(400).send({ error: err.message, stack: err.stack }),
      );
      a.get('/v1/payments/:id', async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'status')");
      });
    });
    try {
      const result = await fc.check(gatewayProperty(url, shapeOf(templates)), RUNS);
      assert.equal(result.failed, true, 'the property must report the leak');
      assert.match(String((result.errorInstance as Error | undefined)?.message), /^internal text /);
    } finally {
      await app.close();
    }
  });

  it("holds on an app that refuses everything with a plain 4xx (the gateway's own error handling)", async () => {
    const { app, url, templates } = await listen(
      (a) => {
        answerErrors(a);
        a.get('/v1/payments/:id', async (_req, reply) => reply.code(404).send({ error: 'no such payment' }));
        a.post('/v1/payments/:id/cancel', async (_req, reply) =>
          reply.code(409).send({ error: 'cannot be cancelled' }),
        );
      },
      { frameworkErrors: answerFrameworkError },
    );
    try {
      const result = await fc.check(gatewayProperty(url, shapeOf(templates)), RUNS);
      assert.equal(result.failed, false, String((result.errorInstance as Error | undefined)?.message));
    } finally {
      await app.close();
    }
  });
});

/**
 * A small REST front over the typed client, for services that do not link TypeScript. Every
 * route validates its input (via the client) and maps the engine's errors to HTTP: bad input
 * 400, a payment in the wrong state 409, an unknown payment 404.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { QueryNotRegisteredError, WorkflowNotFoundError } from '@temporalio/client';
import type { z } from 'zod';
import {
  KWalletHistoryQuery,
  ListPaymentsQuery,
  PaysagaConflictError,
  PaysagaInputError,
  ProviderRefusedError,
  ProviderUnavailableError,
} from '../client/inputs';
import type { PaysagaClient } from '../client/paysaga-client';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../common/config';
import { bearerMatches } from './bearer';
import { limitRequestsPerClient } from './rate-limit';
import { validateQueryAndParams } from './request-validation';
import {
  deadlineKindOf,
  DEFAULT_GATEWAY_DEADLINES,
  NoAnswerInTimeError,
  RETRY_AFTER_SECONDS,
  TemporalUnavailableError,
  withinRouteDeadline,
  type GatewayDeadlines,
} from './temporal-deadlines';

export interface PaymentRouteOptions {
  client: PaysagaClient;
  /** When set, every /v1 request must carry `Authorization: Bearer <token>`. */
  apiToken?: string;
  /** Requests per minute per client IP on /v1 (GATEWAY_RATE_LIMIT_PER_MINUTE); see rate-limit.ts. */
  rateLimitPerMinute?: number;
  /** How long a route waits for Temporal (GATEWAY_TEMPORAL_*); see temporal-deadlines.ts. */
  deadlines?: GatewayDeadlines;
}

export async function registerPaymentRoutes(app: FastifyInstance, opts: PaymentRouteOptions): Promise<void> {
  const { client } = opts;
  const handle = routeHandler(client, opts.deadlines ?? DEFAULT_GATEWAY_DEADLINES);
  await app.register(
    async (scope) => {
      // Before any route: every route's query string and :id are checked (request-validation.ts).
      validateQueryAndParams(scope);
      // First: a client over its limit is refused before anything else, the token check included.
      await limitRequestsPerClient(scope, opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);
      scope.addHook('onRequest', async (req, reply) => {
        if (!opts.apiToken) return;
        if (!bearerMatches(req.headers.authorization, opts.apiToken)) {
          await reply.code(401).send({ error: 'a valid bearer token is required' });
        }
      });

      scope.post('/prakerja/payments', (req, reply) =>
        handle(reply, async () => reply.code(201).send(await client.startPrakerjaPayment(req.body))),
      );
      scope.post('/klink/refunds', (req, reply) =>
        handle(reply, async () => reply.code(201).send(await client.startKLinkRefund(req.body))),
      );
      scope.post<{ Params: { id: string } }>('/refunds/:id/confirm', (req, reply) =>
        handle(reply, async () => client.confirmRefund(req.params.id, req.body)),
      );
      scope.post<{ Params: { id: string } }>('/refunds/:id/reject', (req, reply) =>
        handle(reply, async () => client.rejectRefund(req.params.id, req.body)),
      );
      scope.post('/alikassa/payouts', (req, reply) =>
        handle(reply, async () => reply.code(201).send(await client.startPayout(req.body))),
      );
      scope.post('/transfers', (req, reply) =>
        handle(reply, async () => reply.code(201).send(await client.startTransfer(req.body))),
      );
      // K-Wallet: reads and the voucher run on the worker (it holds the K-Link credentials).
      scope.post('/klink/va', (req, reply) => handle(reply, async () => client.klinkRegisterVa(req.body)));
      scope.get<{ Params: { id: string } }>('/klink/members/:id/balance', (req, reply) =>
        handle(reply, async () => client.klinkBalance({ idMember: req.params.id })),
      );
      scope.get<{ Params: { id: string }; Querystring: z.output<typeof KWalletHistoryQuery> }>(
        '/klink/members/:id/history',
        { schema: { querystring: KWalletHistoryQuery } },
        (req, reply) =>
          handle(reply, async () =>
            client.klinkHistory({
              idMember: req.params.id,
              startDate: req.query.startDate,
              endDate: req.query.endDate,
            }),
          ),
      );
      scope.post('/klink/vouchers', (req, reply) =>
        handle(reply, async () => {
          const result = await client.klinkVoucher(req.body);
          // unconfirmed: accepted, outcome unknown (a person checks history); refused: nothing moved.
          const code = { 'topped-up': 200, unconfirmed: 202, refused: 422 }[result.outcome];
          return reply.code(code).send(result);
        }),
      );
      scope.post('/klink/transfers', (req, reply) =>
        handle(reply, async () => reply.code(201).send(await client.startKWalletTransfer(req.body))),
      );
      scope.post('/ppob/purchases', (req, reply) =>
        handle(reply, async () => reply.code(201).send(await client.startPpobPurchase(req.body))),
      );
      scope.post<{ Params: { id: string } }>('/purchases/:id/bill', (req, reply) =>
        handle(reply, async () => client.confirmBill(req.params.id, req.body)),
      );
      scope.post<{ Params: { id: string } }>('/payments/:id/otp', (req, reply) =>
        handle(reply, async () => client.submitOtp(req.params.id, req.body)),
      );
      scope.post<{ Params: { id: string } }>('/payments/:id/cancel', (req, reply) =>
        handle(reply, async () => {
          await client.cancel(req.params.id, req.body);
          return reply.code(202).send({ workflowId: req.params.id, cancelRequested: true });
        }),
      );
      // One review route for every saga: the payment's own validator says which actions it offers.
      scope.post<{ Params: { id: string } }>('/payments/:id/review', (req, reply) =>
        handle(reply, async () => client.review(req.params.id, req.body)),
      );
      scope.get<{ Params: { id: string } }>('/payments/:id', (req, reply) =>
        handle(reply, async () => client.status(req.params.id)),
      );
      // The query is the list filter, read and checked by ListPaymentsQuery (a limit of 1-1000).
      scope.get<{ Querystring: z.output<typeof ListPaymentsQuery> }>(
        '/payments',
        { schema: { querystring: ListPaymentsQuery } },
        (req, reply) => handle(reply, async () => client.list(req.query)),
      );
    },
    { prefix: '/v1' },
  );
}

/**
 * The route wrapper: runs a route's Temporal calls within its deadline (temporal-deadlines.ts,
 * by the route's method and path) and maps the engine's errors to HTTP, Temporal unavailable
 * 503 with Retry-After and a worker that did not answer in time 504 among them.
 */
function routeHandler(client: PaysagaClient, deadlines: GatewayDeadlines) {
  return async (reply: FastifyReply, run: () => Promise<unknown>): Promise<unknown> => {
    try {
      const kind = deadlineKindOf(reply.request.method, reply.request.routeOptions.url);
      return await withinRouteDeadline(client, kind, deadlines, run);
    } catch (err) {
      if (err instanceof TemporalUnavailableError) {
        reply.request.log.warn({ err: err.cause }, 'Temporal unavailable: answering 503');
        return reply
          .code(503)
          .header('Retry-After', String(RETRY_AFTER_SECONDS))
          .send({ error: err.message });
      }
      if (err instanceof NoAnswerInTimeError) {
        reply.request.log.warn({ err: err.cause }, 'no answer from the worker in time: answering 504');
        return reply.code(504).send({ error: err.message });
      }
      if (err instanceof PaysagaConflictError) return reply.code(409).send({ error: err.message });
      if (err instanceof ProviderRefusedError) return reply.code(422).send({ error: err.message });
      if (err instanceof ProviderUnavailableError) return reply.code(502).send({ error: err.message });
      if (err instanceof PaysagaInputError) return reply.code(400).send({ error: err.message });
      if (err instanceof WorkflowNotFoundError) return reply.code(404).send({ error: 'no such payment' });
      // A workflow of the engine that is not a payment (an OTP budget, a K-Wallet read) has no status.
      if (err instanceof QueryNotRegisteredError)
        return reply.code(404).send({ error: 'not a payment: it answers no status query' });
      throw err;
    }
  };
}

/**
 * The gateway: one HTTP server for the codec endpoint, the REST front and (in later sagas) the
 * provider webhooks. Builds on Fastify for body limits, content-type parsing and CORS.
 */
import type { KeyObject } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { PaysagaClient } from '../client/paysaga-client';
import type { Logger } from '../common/logger';
import type { AliKassaSignHash } from '../providers/alikassa/signature';
import { registerCodecRoutes } from './codec-routes';
import { answerErrors, answerFrameworkError } from './errors';
import { registerPaymentRoutes } from './payment-routes';
import { registerPpobCallback } from './ppob-callback';
import type { GatewayDeadlines } from './temporal-deadlines';
import { registerWebhooks } from './webhooks';

export interface GatewayOptions {
  client: PaysagaClient;
  codec: PayloadCodec;
  uiOrigin: string;
  codecAuthToken?: string;
  apiToken?: string;
  /** Requests per minute per client IP on /v1; default DEFAULT_RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute?: number;
  logger: Logger;
  /** The secret in the PPOB callback URL; without it the callback route is not served. */
  ppobCallbackSecret?: string;
  /** K-Link's PID key for x-servicepayment; without it the K-Link webhook routes answer 404. */
  klinkWebhookKey?: string;
  /** AliKassa's "API certificate for notifications" public key; without it those routes answer 404. */
  aliKassaPublicKey?: KeyObject;
  /** ALIKASSA_SIGN_HASH, the hash of the notifications' `sign`; default sha256. */
  aliKassaSignHash?: AliKassaSignHash;
  /** Body size limit in bytes; larger bodies get 413 before any parsing. */
  bodyLimit?: number;
  /** How long routes and webhooks wait for Temporal (GATEWAY_TEMPORAL_* / GATEWAY_WEBHOOK_TIMEOUT_MS). */
  deadlines?: GatewayDeadlines;
}

const isProviderDelivery = (url: string): boolean =>
  url.startsWith('/webhooks/') || url.startsWith('/callbacks/');

export async function buildGateway(opts: GatewayOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Provider deliveries get no per-request info lines ("incoming request" / "request
    // completed"): at a provider's delivery rate they cost more than the signature check, and an
    // AliKassa notification's URL carries the payer's details. Their handlers still log what
    // matters (a refusal, a replay), and /metrics/webhooks and /metrics/callbacks count them.
    logController: new LogController({ disableRequestLogging: (req) => isProviderDelivery(req.url) }),
    frameworkErrors: answerFrameworkError,
  });
  // First, before any plugin: a plugin keeps the error handler of the moment it is registered.
  answerErrors(app);
  app.get('/healthz', async () => ({ ok: true }));
  await registerCodecRoutes(app, {
    codec: opts.codec,
    uiOrigin: opts.uiOrigin,
    authToken: opts.codecAuthToken,
  });
  await registerPaymentRoutes(app, {
    client: opts.client,
    apiToken: opts.apiToken,
    rateLimitPerMinute: opts.rateLimitPerMinute,
    deadlines: opts.deadlines,
  });
  const webhookCounters = await registerWebhooks(app, {
    client: opts.client,
    klinkWebhookKey: opts.klinkWebhookKey,
    aliKassaPublicKey: opts.aliKassaPublicKey,
    aliKassaSignHash: opts.aliKassaSignHash,
    deadlineMs: opts.deadlines?.webhookMs,
  });
  app.get('/metrics/webhooks', async () => webhookCounters);
  if (opts.ppobCallbackSecret) {
    const counters = await registerPpobCallback(app, {
      client: opts.client,
      secret: opts.ppobCallbackSecret,
      deadlineMs: opts.deadlines?.webhookMs,
    });
    app.get('/metrics/callbacks', async () => ({ ppob: counters }));
  }
  return app;
}

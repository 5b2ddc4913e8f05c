/**
 * Provider webhooks: K-Link settlement (`/webhooks/klink/settlement`) and GoPay notification
 * (`/webhooks/klink/gopay`), AliKassa payment and payout notifications
 * (`GET /webhooks/alikassa/payment|payout`, or `GET /webhooks/alikassa` for a single cabinet URL:
 * routed by their `type`), verified and turned into signals for the sagas.
 *
 * Order of work, on purpose:
 * 1. the body is read as raw bytes (never parsed first) with a size limit (413 beyond it);
 * 2. the signature is checked on those bytes in constant time (`x-servicepayment`: uppercase hex
 *    HMAC-SHA256 with the PID key); missing or bad → 401;
 *    AliKassa's notifications are GETs: their `sign` query parameter is checked over PHP's
 *    json_encode of the documented fields (providers/alikassa/notification.ts);
 * 3. only then is the JSON parsed and validated (malformed → 400);
 *    query strings: the K-Link routes read none (their signature covers the body only, so nothing
 *    in the URL is believed); AliKassa's is read by checkAliKassaNotification, a repeated key or
 *    bad percent-encoding refused (400) before anything is signalled;
 * 4. the signal is recorded by Temporal before the answer: 2xx means durably recorded; if
 *    Temporal cannot be reached the answer is 503 and the provider retries, so nothing is lost.
 *    That 503 must reach the provider before its own timeout, or it sees a timeout instead: every
 *    Temporal call of one webhook shares one deadline, GATEWAY_WEBHOOK_TIMEOUT_MS, 3 s by default.
 *    Why 3 s: Midtrans (GoPay) times a notification out at 15 s and asks for an answer within 5 s
 *    (https://docs.midtrans.com/reference/best-practices-to-handle-notification, "Reduce the
 *    Response Time"). K-Link, AliKassa and the PPOB aggregator publish no timeout that we could
 *    find, so the common 5 to 10 s is assumed (Alipay+, for one, gives a notifyPayment 5 s:
 *    https://docs.alipayplus.com/alipayplus/alipayplus/api_acq/timeout). 3 s stays under 5 s
 *    with room for the network; the PPOB callback (ppob-callback.ts) keeps the same deadline.
 * A webhook for an order with no running payment (never created, or already expired / ended) is
 * recorded in an unmatched-report workflow for an operator, never dropped. Replays are harmless:
 * the saga counts a provider reference once, and a replay that reaches a payment after it closed
 * is found in the payment's final view (closed-payment.ts, already-counted.ts): answered 2xx and
 * counted as a replay, never filed. Every refusal is counted (GET /metrics/webhooks) and logged
 * without the signature or the key.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import {
  AliKassaNotificationError,
  checkAliKassaNotification,
  type AliKassaNotification,
  type AliKassaNotificationKind,
} from '../providers/alikassa/notification';
import type { AliKassaSignHash } from '../providers/alikassa/signature';
import {
  payoutNotificationSignal,
  payoutWorkflowId,
  type PayoutNotification,
  type PayoutView,
} from '../workflows/payout-definitions';
import type { PaysagaClient } from '../client/paysaga-client';
import type { ProviderState } from '../workflows/saga-definitions';
import {
  KLINK_SIGNATURE_HEADER,
  KLinkGopayNotification,
  KLinkSettlementWebhook,
  verifyKLinkSignature,
} from '../providers/klink/webhook';
import {
  transferWebhookSignal,
  transferWorkflowId,
  type TransferView,
  type TransferWebhook,
} from '../workflows/transfer-definitions';
import { deliverUnmatched } from './unmatched';
import { DEFAULT_GATEWAY_DEADLINES, deadlineBudget, RETRY_AFTER_SECONDS } from './temporal-deadlines';
import { aliKassaReference, payoutNotificationCounted, transferCounted } from './already-counted';
import { ClosedViewCache, lookUpPayment } from './closed-payment';
import { SampledLog } from './sampled-log';

export interface WebhookOptions {
  client: PaysagaClient;
  /** K-Link's PID key; without it the K-Link routes answer 404. */
  klinkWebhookKey?: string;
  /** AliKassa's "API certificate for notifications" public key; without it the AliKassa routes answer 404. */
  aliKassaPublicKey?: KeyObject;
  /** ALIKASSA_SIGN_HASH: the hash AliKassa's notification `sign` is made with; default sha256. */
  aliKassaSignHash?: AliKassaSignHash;
  /** Bytes; default 64 KiB (webhooks are small; a large body is refused before it is read whole). */
  bodyLimit?: number;
  /** GATEWAY_WEBHOOK_TIMEOUT_MS: everything one webhook asks Temporal, together; default 3 s. */
  deadlineMs?: number;
}

export interface WebhookCounters {
  received: number;
  accepted: number;
  /** Deliveries a closed payment had already counted: answered 2xx, not signalled, not filed. */
  replays: number;
  unmatched: number;
  refused: {
    missingSignature: number;
    badSignature: number;
    malformed: number;
    tooLarge: number;
    unknownRoute: number;
  };
  temporalUnavailable: number;
}

export async function registerWebhooks(app: FastifyInstance, opts: WebhookOptions): Promise<WebhookCounters> {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_GATEWAY_DEADLINES.webhookMs;
  // Replays and late retries for payments that ended are answered without asking Temporal again.
  const closedViews = new ClosedViewCache();
  const sampled = new SampledLog();
  const counters: WebhookCounters = {
    received: 0,
    accepted: 0,
    replays: 0,
    unmatched: 0,
    refused: { missingSignature: 0, badSignature: 0, malformed: 0, tooLarge: 0, unknownRoute: 0 },
    temporalUnavailable: 0,
  };
  await app.register(
    async (scope) => {
      // Every request is counted on arrival, before its body is read: a body refused as too large
      // (413) or unreadable never reaches a handler, and is received all the same.
      scope.addHook('onRequest', async () => {
        counters.received += 1;
      });
      // Raw bytes for every content type: the signature is over exactly what was sent.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(
        '*',
        { parseAs: 'buffer', bodyLimit: opts.bodyLimit ?? 64 * 1024 },
        (_req, body, done) => done(null, body),
      );
      scope.setErrorHandler((err: { statusCode?: number; message: string }, req, reply) => {
        const refused = err.statusCode !== undefined && err.statusCode < 500;
        if (err.statusCode === 413) counters.refused.tooLarge += 1;
        else if (refused) counters.refused.malformed += 1;
        // A refusal is sampled; anything else is a fault of ours, logged whole every time.
        if (refused)
          sampled.write(
            req.log,
            'warn',
            `unread ${err.statusCode}`,
            { status: err.statusCode },
            'webhook refused before verification',
          );
        else req.log.error({ err }, 'webhook failed before verification');
        void reply
          .code(refused ? err.statusCode! : 500)
          .send({ error: err.statusCode === 413 ? 'body too large' : 'bad request' });
      });

      const klinkRoute = <
        S extends z.ZodType<{ orderId: string; status: string; success: boolean; state: ProviderState }>,
      >(
        path: string,
        schema: S,
        toWebhook: (body: z.output<S>, receivedAt: string) => TransferWebhook,
      ) =>
        scope.post(path, async (req, reply) => {
          if (!opts.klinkWebhookKey)
            return refuse(reply, req, 'unknownRoute', 404, 'K-Link webhooks are not configured');
          const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const header = req.headers[KLINK_SIGNATURE_HEADER];
          const signature = Array.isArray(header) ? header[0] : header;
          if (!signature)
            return refuse(reply, req, 'missingSignature', 401, `missing ${KLINK_SIGNATURE_HEADER}`);
          if (!verifyKLinkSignature(raw, signature, opts.klinkWebhookKey))
            return refuse(reply, req, 'badSignature', 401, 'not verified');
          let parsed: z.output<S>;
          try {
            const result = schema.safeParse(JSON.parse(raw.toString('utf8')));
            if (!result.success)
              return refuse(
                reply,
                req,
                'malformed',
                400,
                `malformed webhook: ${result.error.issues[0]?.message}`,
              );
            parsed = result.data;
          } catch {
            return refuse(reply, req, 'malformed', 400, 'malformed JSON');
          }
          return deliver(reply, req, toWebhook(parsed, new Date().toISOString()));
        });

      klinkRoute('/klink/settlement', KLinkSettlementWebhook, (b, receivedAt) => ({
        provider: 'klink',
        orderId: b.orderId,
        reference: b.rqUuid,
        status: b.status,
        success: b.success,
        state: b.state,
        amount: b.totBayar,
        receivedAt,
      }));
      klinkRoute('/klink/gopay', KLinkGopayNotification, (b, receivedAt) => ({
        provider: 'klink',
        orderId: b.orderId,
        reference: b.idTrans,
        status: b.status,
        success: b.success,
        state: b.state,
        receivedAt,
      }));
      // AliKassa notifications: GET with query parameters, `sign` over PHP json_encode of the
      // documented fields with AliKassa's notification key. Verified here; the sagas still
      // believe only AliKassa's status call.
      const aliKassaRoute = (path: string, kind: AliKassaNotificationKind | undefined) => {
        scope.get(path, async (req, reply) => {
          if (!opts.aliKassaPublicKey)
            return refuse(reply, req, 'unknownRoute', 404, 'AliKassa notifications are not configured');
          const url = req.raw.url ?? '';
          const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
          let n: AliKassaNotification;
          try {
            n = checkAliKassaNotification(query, opts.aliKassaPublicKey, opts.aliKassaSignHash);
          } catch (err) {
            if (!(err instanceof AliKassaNotificationError)) throw err;
            return refuse(reply, req, err.reason, err.status, err.message);
          }
          if (kind !== undefined && n.type !== kind)
            return refuse(reply, req, 'malformed', 400, `a ${n.type} notification sent to the ${kind} route`);
          const receivedAt = new Date().toISOString();
          // The same notification repeated carries the same id and word: counted once by the
          // saga. Another word for the same payment (wait, then paid) is another reference.
          const reference = aliKassaReference(n.id, n.status);
          if (n.type === 'payout')
            return deliverPayout(
              reply,
              req,
              n.orderId,
              { reference, status: n.status, receivedAt },
              n.paymentAmount ?? n.amount,
            );
          return deliver(reply, req, {
            provider: 'alikassa',
            orderId: n.orderId,
            reference,
            status: n.status,
            success: n.state === 'paid',
            state: n.state,
            amount: n.paymentAmount ?? n.amount,
            receivedAt,
          });
        });
        // A POST is not how AliKassa notifies: say so rather than "unknown route".
        scope.post(path, async (req, reply) => {
          return refuse(
            reply,
            req,
            'malformed',
            405,
            'AliKassa notifications are GET requests with query parameters',
          );
        });
      };
      aliKassaRoute('/alikassa', undefined);
      for (const kind of ['payment', 'payout'] as const) aliKassaRoute(`/alikassa/${kind}`, kind);

      scope.all('/*', async (req, reply) => {
        return refuse(reply, req, 'unknownRoute', 404, 'unknown webhook route');
      });
    },
    { prefix: '/webhooks' },
  );

  /** 503 in time for the provider to see it (and retry), not a timeout of its own. */
  function notRecorded(reply: FastifyReply) {
    return reply
      .code(503)
      .header('Retry-After', String(RETRY_AFTER_SECONDS))
      .send({ error: 'not recorded, retry later' });
  }

  function refuse(
    reply: FastifyReply,
    req: FastifyRequest,
    reason: keyof WebhookCounters['refused'],
    status: number,
    message: string,
  ) {
    counters.refused[reason] += 1;
    // The path only: a query string (AliKassa's) carries the payer's data and the signature.
    // Sampled by the route's pattern, not its URL: a flood of made-up paths is one kind.
    const route = req.url.split('?')[0];
    sampled.write(
      req.log,
      'warn',
      `refused ${reason} ${req.routeOptions.url ?? 'no route'}`,
      { route, reason },
      'webhook refused',
    );
    return reply.code(status).send({ error: message });
  }

  async function deliver(reply: FastifyReply, req: FastifyRequest, webhook: TransferWebhook) {
    // A replay of what a completed payment counted, its final view already kept: answered here,
    // without Temporal's deadline machinery (an abort signal, a timer and two async contexts per
    // call, which cost a replay more than its signature check). Anything else goes to Temporal.
    const workflowId = transferWorkflowId(webhook.orderId);
    const kept = closedViews.get<TransferView>(workflowId);
    if (kept && transferCounted(kept, webhook)) return replayed(req, webhook, workflowId);
    try {
      return await opts.client.withinDeadline(() => route(req, webhook, workflowId), deadlineMs);
    } catch (err) {
      counters.temporalUnavailable += 1;
      req.log.error(
        { err, orderId: webhook.orderId },
        'webhook not recorded: answering 503 so the provider retries',
      );
      return notRecorded(reply);
    }
  }

  function replayed(req: FastifyRequest, webhook: TransferWebhook, workflowId: string) {
    return replayAnswer(
      req,
      `replay ${webhook.provider}`,
      { orderId: webhook.orderId, reference: webhook.reference },
      'webhook replay: the closed payment had counted it',
      workflowId,
    );
  }

  /** Counts a replay, logs it sampled, and answers 200 without signalling anything. */
  function replayAnswer(
    req: FastifyRequest,
    kind: string,
    fields: Record<string, unknown>,
    message: string,
    workflowId: string,
  ) {
    counters.replays += 1;
    sampled.write(req.log, 'info', kind, fields, message);
    return { ok: true, workflowId, replay: true };
  }

  /**
   * Signals the running payment; acknowledges a replay the closed payment already counted; keeps
   * any other report for an operator. Throws when Temporal cannot record it.
   *
   * The signal goes first, as a payout notification's does: a running payment, the usual case,
   * costs one Temporal call instead of a look and then a signal. Signalling a payment that
   * closed or never was fails NotFound, and only then is it looked up; a copy that lost the race
   * to a concurrent one that settled the payment is thus read as a replay, not filed as
   * unmatched. A look that finds it running after all (started in between) signals it again.
   */
  async function route(req: FastifyRequest, webhook: TransferWebhook, workflowId: string) {
    const signal = async (): Promise<boolean> => {
      try {
        await opts.client.temporal.workflow.getHandle(workflowId).signal(transferWebhookSignal, webhook);
        counters.accepted += 1;
        return true;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return false;
      }
    };
    if (await signal()) return { ok: true, workflowId };
    let look = await lookUpPayment<TransferView>(opts.client, workflowId, closedViews);
    if (look.state === 'running') {
      if (await signal()) return { ok: true, workflowId };
      look = await lookUpPayment<TransferView>(opts.client, workflowId, closedViews);
    }
    if (look.state === 'closed' && look.finalView && transferCounted(look.finalView, webhook))
      return replayed(req, webhook, workflowId);
    const unmatched = await deliverUnmatched(opts.client, {
      provider: webhook.provider,
      key: webhook.orderId,
      status: webhook.status,
      amount: webhook.amount,
      reference: webhook.reference,
      receivedAt: webhook.receivedAt,
      relatedWorkflowId: look.state === 'absent' ? undefined : workflowId,
    });
    counters.unmatched += 1;
    req.log.warn(
      { orderId: webhook.orderId, unmatched },
      'webhook kept for an operator (no running payment)',
    );
    return { ok: true, workflowId: unmatched, unmatched: true };
  }

  async function deliverPayout(
    reply: FastifyReply,
    req: FastifyRequest,
    orderId: string,
    n: PayoutNotification,
    /** The notification's amount: not part of the saga's signal, but kept in an unmatched report. */
    amount: number | undefined,
  ) {
    const workflowId = payoutWorkflowId(orderId);
    const within = deadlineBudget(opts.client, deadlineMs);
    try {
      await within(() =>
        opts.client.temporal.workflow.getHandle(workflowId).signal(payoutNotificationSignal, n),
      );
      counters.accepted += 1;
      return { ok: true, workflowId };
    } catch (err) {
      try {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // Not running: a notification the closed payout already holds is a replay, not news.
        const look = await within(() => lookUpPayment<PayoutView>(opts.client, workflowId, closedViews));
        if (look.state === 'closed' && look.finalView && payoutNotificationCounted(look.finalView, n))
          return replayAnswer(
            req,
            'replay alikassa-payout',
            { orderId, reference: n.reference },
            'payout notification replay: already counted',
            workflowId,
          );
        const unmatched = await within(() =>
          deliverUnmatched(opts.client, {
            provider: 'alikassa-payout',
            key: orderId,
            status: n.status,
            amount,
            reference: n.reference,
            receivedAt: n.receivedAt,
          }),
        );
        counters.unmatched += 1;
        return { ok: true, workflowId: unmatched, unmatched: true };
      } catch (e) {
        counters.temporalUnavailable += 1;
        req.log.error(
          { err: e, orderId },
          'payout notification not recorded: answering 503 so AliKassa retries',
        );
        return notRecorded(reply);
      }
    }
  }

  return counters;
}

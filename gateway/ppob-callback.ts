/**
 * The PPOB report callback: `GET /callbacks/ppob/<secret>?ref_id=&status=&sn=&code=&destination=`.
 *
 * The provider does not sign it, so the URL carries a secret the operator configured
 * (PPOB_CALLBACK_SECRET); anything else gets 404 and a log line without the secret. What the
 * secret protects: a stranger who does not know the URL cannot make the engine act. What it
 * does not: anyone who sees the URL (logs, a proxy) can send callbacks. That is why a callback is
 * only a hint: the saga re-sends the refid and believes the provider's answer, never the callback.
 *
 * Answered 2xx only after Temporal has durably recorded the signal; if Temporal cannot be reached
 * the answer is 503, so the provider tries again and nothing is lost. A callback for a refid no
 * running purchase carries (unknown, or the purchase already ended) goes to an orphan-callback
 * workflow (workflows/unmatched-report.ts) in NEEDS_REVIEW: kept for an operator, never dropped;
 * except a callback that repeats what the ended purchase concluded (its final view, read by
 * closed-payment.ts; the rule in already-counted.ts): that is a replay, answered 200 and counted.
 *
 * A postpaid purchase's inquiry has its own refid (providers/ppob/refid.ts, inquiryRefidOf), and
 * an aggregator may report on it too. Such a report is recognised by undoing that derivation and
 * finding the purchase: it is answered 200 and logged, not signalled (the saga already has the
 * inquiry's answer, and the report says nothing about the payment) and not filed as unmatched.
 */
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/client';
import { timingSafeEqual } from 'node:crypto';
import { parsePpobCallback } from '../providers/ppob/client';
import { purchaseRefidOfInquiry } from '../providers/ppob/refid';
import type { PaysagaClient } from '../client/paysaga-client';
import { ppobCallbackSignal, type PpobPurchaseView } from '../workflows/ppob-definitions';
import { deliverUnmatched } from './unmatched';
import { ppobCallbackCounted } from './already-counted';
import { ClosedViewCache, lookUpPayment } from './closed-payment';
import { SampledLog } from './sampled-log';
import { readQuery } from './request-validation';
import { DEFAULT_GATEWAY_DEADLINES, deadlineBudget, RETRY_AFTER_SECONDS } from './temporal-deadlines';

export interface PpobCallbackOptions {
  client: PaysagaClient;
  secret: string;
  /** How long to look for a just-started purchase before calling the callback an orphan (at most 2/3 of the deadline). */
  lookupRetryMs?: number;
  /** GATEWAY_WEBHOOK_TIMEOUT_MS: everything one callback asks Temporal, together; default 3 s. */
  deadlineMs?: number;
}

export interface CallbackCounters {
  delivered: number;
  /** Callbacks repeating what an ended purchase concluded: answered 200, not filed. */
  replays: number;
  orphaned: number;
  refusedSecret: number;
  refusedMalformed: number;
  temporalUnavailable: number;
  /** Reports for a purchase's inquiry refid: recognised, nothing to do. */
  inquiryReports: number;
}

export async function registerPpobCallback(
  app: FastifyInstance,
  opts: PpobCallbackOptions,
): Promise<CallbackCounters> {
  const counters: CallbackCounters = {
    delivered: 0,
    replays: 0,
    orphaned: 0,
    refusedSecret: 0,
    refusedMalformed: 0,
    temporalUnavailable: 0,
    inquiryReports: 0,
  };
  const expected = Buffer.from(opts.secret);
  // Replayed callbacks for purchases that ended are answered without asking Temporal again.
  const closedViews = new ClosedViewCache();
  const sampled = new SampledLog();
  const deadlineMs = opts.deadlineMs ?? DEFAULT_GATEWAY_DEADLINES.webhookMs;

  app.get<{ Params: { secret: string }; Querystring: Record<string, unknown> }>(
    '/callbacks/ppob/:secret',
    async (req, reply) => {
      const given = Buffer.from(req.params.secret);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        counters.refusedSecret += 1;
        sampled.write(
          req.log,
          'warn',
          'refused wrong secret',
          { refid: req.query.ref_id },
          'ppob callback refused: wrong secret in the URL',
        );
        return reply.code(404).send({ error: 'not found' });
      }
      let cb;
      try {
        // A repeated key is refused by name (which ref_id was meant?); an empty value is not given.
        const query = readQuery(req.query);
        if ('error' in query) throw new Error(query.error);
        cb = parsePpobCallback(query.value);
      } catch (err) {
        counters.refusedMalformed += 1;
        return reply.code(400).send({ error: `malformed callback: ${(err as Error).message}` });
      }
      const refid = String(cb.refid);
      const receivedAt = new Date().toISOString();
      // One deadline for every Temporal call below: the aggregator hears 503, not its own timeout.
      const within = deadlineBudget(opts.client, deadlineMs);
      try {
        const { purchase, inquiryOf } = await within(() => findPurchase(opts, cb.refid));
        if (inquiryOf) {
          counters.inquiryReports += 1;
          req.log.info(
            { refid, status: cb.status, purchase: inquiryOf.workflowId },
            "ppob callback for a purchase's inquiry refid: recognised, nothing to do",
          );
          return { ok: true, workflowId: inquiryOf.workflowId, inquiry: true };
        }
        if (purchase?.running) {
          const signalled = await within(() =>
            opts.client.temporal.workflow
              .getHandle(purchase.workflowId)
              .signal(ppobCallbackSignal, { status: cb.status, sn: cb.sn, receivedAt }),
          ).then(
            () => true,
            (err: unknown) => {
              // Visibility lags: the purchase may have ended since it was listed. Looked at below.
              if (err instanceof WorkflowNotFoundError) return false;
              throw err;
            },
          );
          if (signalled) {
            counters.delivered += 1;
            return { ok: true, workflowId: purchase.workflowId };
          }
        }
        if (purchase) {
          const look = await within(() =>
            lookUpPayment<PpobPurchaseView>(opts.client, purchase.workflowId, closedViews),
          );
          if (look.state === 'closed' && look.finalView && ppobCallbackCounted(look.finalView, cb)) {
            counters.replays += 1;
            sampled.write(
              req.log,
              'info',
              'replay ppob',
              { refid, status: cb.status, purchase: purchase.workflowId },
              'ppob callback replay: the ended purchase concluded the same',
            );
            return { ok: true, workflowId: purchase.workflowId, replay: true };
          }
        }
        const workflowId = await within(() =>
          deliverUnmatched(opts.client, {
            provider: 'ppob',
            key: refid,
            status: cb.status,
            sn: cb.sn,
            code: cb.code,
            destination: cb.destination,
            receivedAt,
            relatedWorkflowId: purchase?.workflowId,
          }),
        );
        counters.orphaned += 1;
        req.log.warn(
          { refid, purchase: purchase?.workflowId },
          'ppob callback kept for an operator (no running purchase)',
        );
        return { ok: true, workflowId, orphan: true };
      } catch (err) {
        counters.temporalUnavailable += 1;
        req.log.error({ err, refid }, 'ppob callback not recorded: answering 503 so the provider retries');
        return reply
          .code(503)
          .header('Retry-After', String(RETRY_AFTER_SECONDS))
          .send({ error: 'not recorded, retry later' });
      }
    },
  );
  return counters;
}

type Found = Awaited<ReturnType<PaysagaClient['findByProviderRef']>>;

/**
 * The purchase this refid belongs to, or the purchase whose inquiry refid it is. Visibility is
 * eventually consistent: a purchase started a moment ago may not be listed yet, so both are
 * looked for again for a short while.
 */
async function findPurchase(
  opts: PpobCallbackOptions,
  refid: number,
): Promise<{ purchase?: Found; inquiryOf?: Found }> {
  // Two thirds of the callback's deadline at most (2 s of 3 s): the rest signals or files it.
  const lookupMs = Math.min(
    opts.lookupRetryMs ?? 2000,
    ((opts.deadlineMs ?? DEFAULT_GATEWAY_DEADLINES.webhookMs) * 2) / 3,
  );
  const deadline = Date.now() + lookupMs;
  const asInquiry = String(purchaseRefidOfInquiry(refid));
  for (;;) {
    const purchase = await opts.client.findByProviderRef('ppob', String(refid));
    if (purchase) return { purchase };
    const inquiryOf = await opts.client.findByProviderRef('ppob', asInquiry);
    if (inquiryOf) return { inquiryOf };
    if (Date.now() > deadline) return {};
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * How long a /v1 route waits for Temporal, and what it answers when that is too long.
 *
 * Three kinds of route (the README's table lists every route with its kind):
 * - `call`: Temporal alone answers (start, signal, list). GATEWAY_TEMPORAL_TIMEOUT_MS (5 s);
 *   no answer by then: 503 with Retry-After.
 * - `query`: a worker answers at once (the status query). Same deadline, 1 s of it kept back
 *   to ask Temporal itself a trivial question: Temporal answers it, so the worker is what is
 *   silent: 504; Temporal does not: 503. (With no worker polling, Temporal does not refuse the
 *   query: it holds it until the deadline, DEADLINE_EXCEEDED, or, just after the worker died,
 *   cancels it (CANCELLED, the query having gone to the dead worker's sticky queue); only asking
 *   tells these apart from a silent Temporal.)
 * - `wait`: a worker answers after calling a provider (an Update, update-with-start, a K-Wallet
 *   read or voucher). GATEWAY_TEMPORAL_WAIT_TIMEOUT_MS (40 s): one authorize or create attempt
 *   may take its whole 30 s activity timeout, and 40 s stays under the 60 s idle timeout of
 *   common proxies (nginx, cloud load balancers). Late: 504, and the request may still take
 *   effect (an Update once admitted runs when a worker is back), so the answer says to read the
 *   payment before sending it again. Meanwhile Temporal is asked every 5 s: silent, 503 at once
 *   rather than at 40 s.
 * Deadline errors only: a refusal (validation, not found, conflict) keeps its own answer.
 */
import { isGrpcCancelledError } from '@temporalio/client';
import { isTemporalUnavailable, TemporalDeadlineError, type PaysagaClient } from '../client/paysaga-client';
import { DEFAULT_GATEWAY_DEADLINES } from '../common/config';

export type DeadlineKind = 'call' | 'query' | 'wait';

export interface GatewayDeadlines {
  /** GATEWAY_TEMPORAL_TIMEOUT_MS: `call` and `query` routes; also how often `wait` routes check Temporal. */
  callMs: number;
  /** GATEWAY_TEMPORAL_WAIT_TIMEOUT_MS: `wait` routes. */
  waitMs: number;
  /** GATEWAY_WEBHOOK_TIMEOUT_MS: one webhook or callback, every Temporal call it makes together. */
  webhookMs: number;
}

export { DEFAULT_GATEWAY_DEADLINES };

/** Seconds a caller is asked to wait after a 503: about a call deadline, so a restart is not hammered. */
export const RETRY_AFTER_SECONDS = 5;
/** Kept back from a `query` or `wait` deadline to ask Temporal whether it is the one not answering. */
const PROBE_MS = 1_000;

/** Every /v1 route (method and path as Fastify registers them) and its kind. */
export const V1_ROUTE_DEADLINES: Readonly<Record<string, DeadlineKind>> = {
  'POST /v1/prakerja/payments': 'call',
  'POST /v1/klink/refunds': 'call',
  'POST /v1/alikassa/payouts': 'call',
  'POST /v1/payments/:id/cancel': 'call',
  'GET /v1/payments': 'call',
  'GET /v1/payments/:id': 'query',
  'POST /v1/payments/:id/otp': 'wait',
  'POST /v1/payments/:id/review': 'wait',
  'POST /v1/refunds/:id/confirm': 'wait',
  'POST /v1/refunds/:id/reject': 'wait',
  'POST /v1/transfers': 'wait',
  'POST /v1/ppob/purchases': 'wait',
  'POST /v1/purchases/:id/bill': 'wait',
  'POST /v1/klink/transfers': 'wait',
  'POST /v1/klink/va': 'wait',
  'GET /v1/klink/members/:id/balance': 'wait',
  'GET /v1/klink/members/:id/history': 'wait',
  'POST /v1/klink/vouchers': 'wait',
};

/** A route missing from the table waits longest: a slow answer beats a wrong 503. */
export function deadlineKindOf(method: string, routeUrl: string | undefined): DeadlineKind {
  return V1_ROUTE_DEADLINES[`${method === 'HEAD' ? 'GET' : method} ${routeUrl}`] ?? 'wait';
}

export function deadlineMsOf(kind: DeadlineKind, deadlines: GatewayDeadlines): number {
  return kind === 'wait' ? deadlines.waitMs : deadlines.callMs;
}

/** Answered 503 with Retry-After: Temporal did not answer (down, hung, unreachable, overloaded). */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(cause?: unknown) {
    super('the payment engine is unavailable (Temporal did not answer); retry later', { cause });
  }
}

/** Answered 504: Temporal is there, the payment's worker did not answer in time. */
export class NoAnswerInTimeError extends Error {
  override readonly name = 'NoAnswerInTimeError';
  constructor(kind: DeadlineKind, ms: number, cause?: unknown) {
    super(
      kind === 'query'
        ? `the payment did not answer within ${ms} ms (its worker may be down); retry later`
        : `no answer within ${ms} ms (the worker may be down or the provider slow); the request may ` +
            'still take effect: read GET /v1/payments/:id before sending it again',
      { cause },
    );
  }
}

/**
 * Runs a route's Temporal calls within its kind's deadline. Throws TemporalUnavailableError or
 * NoAnswerInTimeError when time ran out or Temporal is unavailable; any other error unchanged.
 */
export async function withinRouteDeadline<T>(
  client: PaysagaClient,
  kind: DeadlineKind,
  deadlines: GatewayDeadlines,
  run: () => Promise<T>,
): Promise<T> {
  const total = deadlineMsOf(kind, deadlines);
  const probeMs = kind === 'call' ? 0 : Math.min(PROBE_MS, Math.floor(total / 5));
  const giveUp = new AbortController();
  const stopWatching = kind === 'wait' ? watchTemporal(client, deadlines.callMs, giveUp) : undefined;
  try {
    return await client.withinDeadline(run, total - probeMs, giveUp.signal);
  } catch (err) {
    if (err instanceof TemporalUnavailableError) throw err;
    if (isTemporalUnavailable(err)) throw new TemporalUnavailableError(err);
    if (!(err instanceof TemporalDeadlineError) && !isGrpcCancelledError(err)) throw err;
    if (kind === 'call' || !(await client.temporalAnswers(probeMs))) throw new TemporalUnavailableError(err);
    throw new NoAnswerInTimeError(kind, total, err);
  } finally {
    stopWatching?.();
  }
}

/**
 * While a `wait` route waits, asks Temporal a trivial question, at once and then every
 * `everyMs`, each within `everyMs`; the first one unanswered gives the route up (503).
 */
function watchTemporal(client: PaysagaClient, everyMs: number, giveUp: AbortController): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    if (stopped) return;
    if (!(await client.temporalAnswers(everyMs))) {
      if (!stopped) giveUp.abort(new TemporalUnavailableError());
      return;
    }
    if (!stopped) timer = setTimeout(() => void check(), everyMs);
  };
  void check();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * One deadline for everything a webhook or callback asks Temporal, however many calls that
 * takes: each call gets what is left of `ms` from now.
 */
export function deadlineBudget(client: PaysagaClient, ms: number): <T>(fn: () => Promise<T>) => Promise<T> {
  const end = Date.now() + ms;
  return (fn) => client.withinDeadline(fn, Math.max(0, end - Date.now()));
}

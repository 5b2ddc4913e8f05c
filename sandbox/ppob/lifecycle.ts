/**
 * Moves PPOB transactions through their lifecycle and sends the document's "Transaction Report"
 * (section 2): on every change to Pending and to the final status, a GET to the partner's URL
 * with ref_id, status, sn, code, destination in the query string, unsigned, as documented.
 *
 *   Waiting --pendingMs--> Pending --finalMs--> Success (SN) | Failed
 *   outcome 'failed' + failAfterPending false: Waiting --finalMs--> Failed (no Pending)
 *   outcome 'pending-forever': stays Pending (no final report) until a control call changes it
 *
 * Due times are stored on each transaction (from its creation), so a rebuilt server finishes what
 * a closed one started: anything overdue runs at once, in order.
 *
 * Reports of one transaction go out one after another (the Pending one is delivered or given up
 * before the final one starts); a failed delivery (non-2xx, unreachable, timeout) is retried
 * with doubling backoff, a bounded number of times; every try is logged. A delivery still being
 * retried when the server stops is not resumed after a restart (a real aggregator's retry queue
 * may be lost the same way).
 *
 * stop() (server close) and reset() clear every timer and abort every request in flight: nothing
 * is sent and nothing is written afterwards.
 */
import { randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CallbackAttempt, CallbackParams, PpobState, PpobTransaction } from './state';

export interface CallbackTimings {
  /** Tries per report, the first included. */
  callbackAttempts: number;
  /** Wait before the first retry; doubles each time. */
  callbackRetryMs: number;
  /** Per-try timeout. */
  callbackTimeoutMs: number;
}

export interface LifecycleOptions extends CallbackTimings {
  now: () => number;
  /** The configured URL; a URL set through the control API wins. */
  callbackUrl: string | undefined;
  log: FastifyBaseLogger;
}

export class PpobLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stepTimers = new Map<number, NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  /** Tail of each transaction's report queue. */
  private readonly queues = new Map<number, Promise<void>>();
  private stopped = false;
  /** Bumped by reset(): work started before it must not touch the new, empty state. */
  private generation = 0;

  constructor(
    private readonly state: PpobState,
    private readonly opts: LifecycleOptions,
  ) {
    state.onReset(() => this.cancelAll());
  }

  /** Pick up transactions restored from the state file. */
  resume(): void {
    for (const trx of this.state.inFlight()) this.schedule(trx);
  }

  /** A new or changed transaction: (re)arm its next step. */
  schedule(trx: PpobTransaction): void {
    if (this.stopped) return;
    const old = this.stepTimers.get(trx.trx_id);
    if (old) {
      clearTimeout(old);
      this.timers.delete(old);
      this.stepTimers.delete(trx.trx_id);
    }
    const due = this.nextDue(trx);
    if (due === undefined) return;
    const trxId = trx.trx_id;
    const timer = this.later(Math.max(0, due - this.opts.now()), () => {
      this.stepTimers.delete(trxId);
      this.step(trxId);
    });
    this.stepTimers.set(trxId, timer);
  }

  /** Server close: no step, report or write after this. */
  stop(): void {
    this.stopped = true;
    this.cancelAll();
  }

  callbackUrl(): string | undefined {
    return this.state.callbackUrlOverride() ?? this.opts.callbackUrl;
  }

  private nextDue(trx: PpobTransaction): number | undefined {
    if (trx.status === 'Waiting') {
      if (trx.outcome === 'failed' && !trx.failAfterPending) return trx.final_due ?? undefined;
      return trx.pending_due ?? undefined;
    }
    if (trx.status === 'Pending' && trx.outcome !== 'pending-forever') return trx.final_due ?? undefined;
    return undefined;
  }

  private step(trxId: number): void {
    if (this.stopped) return;
    const trx = this.state.byTrxId(trxId);
    if (!trx) return;
    if (trx.status === 'Waiting' && !(trx.outcome === 'failed' && !trx.failAfterPending)) {
      this.state.markPending(trx);
      this.report(trx);
    } else if (trx.status === 'Waiting' || (trx.status === 'Pending' && trx.outcome !== 'pending-forever')) {
      // 'lie' is about a Failed transaction whose report says Success, so it makes the transaction fail.
      if (trx.outcome === 'success' && trx.callback.mode !== 'lie') this.state.markSuccess(trx);
      else this.state.markFailed(trx);
      this.report(trx);
    }
    this.schedule(trx);
  }

  /** The report for the status the transaction just reached, as its callback plan says. */
  private report(trx: PpobTransaction): void {
    const status = trx.status;
    if (status === 'Waiting') return;
    const params: CallbackParams = {
      ref_id: trx.refid,
      status,
      sn: trx.sn,
      code: trx.code,
      destination: trx.dest,
    };
    const { mode, delayMs } = trx.callback;
    switch (mode) {
      case 'normal':
        return this.enqueue(trx, params, 1);
      case 'drop':
        this.state.recordAttempt(this.attempt(trx, params, 1, 1, { result: 'dropped' }));
        return;
      case 'duplicate':
        for (let copy = 1; copy <= 3; copy += 1) this.enqueue(trx, params, copy);
        return;
      case 'delay': {
        const generation = this.generation;
        const trxId = trx.trx_id;
        this.later(delayMs, () => {
          const current = this.state.byTrxId(trxId);
          if (current && generation === this.generation) this.enqueue(current, params, 1);
        });
        return;
      }
      case 'reorder':
        if (status === 'Pending') return this.state.holdCallback(trx, params);
        this.enqueue(trx, params, 1);
        for (const held of this.state.takeHeld(trx)) this.enqueue(trx, held, 1);
        return;
      case 'lie':
        if (status === 'Failed')
          return this.enqueue(trx, { ...params, status: 'Success', sn: fakeSerial(trx) }, 1);
        return this.enqueue(trx, params, 1);
    }
  }

  private enqueue(trx: PpobTransaction, params: CallbackParams, copy: number): void {
    const trxId = trx.trx_id;
    const actual = trx.status;
    const mode = trx.callback.mode;
    const generation = this.generation;
    const tail = (this.queues.get(trxId) ?? Promise.resolve()).then(() =>
      this.deliver({ trxId, params, copy, actual, mode, generation }),
    );
    this.queues.set(trxId, tail);
    void tail.finally(() => {
      if (this.queues.get(trxId) === tail) this.queues.delete(trxId);
    });
  }

  private async deliver(d: {
    trxId: number;
    params: CallbackParams;
    copy: number;
    actual: string;
    mode: PpobTransaction['callback']['mode'];
    generation: number;
  }): Promise<void> {
    const live = () => !this.stopped && d.generation === this.generation;
    const base = { trx_id: d.trxId, refid: d.params.ref_id, actual: d.actual, mode: d.mode };
    const url = this.callbackUrl();
    if (!live()) return;
    if (url === undefined) {
      this.state.recordAttempt(this.attemptOf(base, d.params, d.copy, 1, { result: 'no-url', url: null }));
      this.state.countCallback(false);
      return;
    }
    const target = new URL(url);
    for (const [key, value] of Object.entries(d.params)) target.searchParams.set(key, value);

    for (let attempt = 1; attempt <= this.opts.callbackAttempts; attempt += 1) {
      if (!live()) return;
      const outcome = await this.get(target.toString());
      if (!live()) return;
      const delivered = outcome.httpStatus !== null && outcome.httpStatus >= 200 && outcome.httpStatus < 300;
      this.state.recordAttempt(
        this.attemptOf(base, d.params, d.copy, attempt, {
          url: target.toString(),
          result: delivered ? 'delivered' : outcome.httpStatus !== null ? 'http-error' : 'unreachable',
          httpStatus: outcome.httpStatus,
          error: outcome.error,
        }),
      );
      if (delivered) return this.state.countCallback(true);
      if (attempt < this.opts.callbackAttempts) {
        await new Promise<void>((resolve) =>
          this.later(this.opts.callbackRetryMs * 2 ** (attempt - 1), resolve),
        );
      }
    }
    if (!live()) return;
    this.state.countCallback(false);
    // No URL in the log line: the partner's report URL may carry a secret.
    this.opts.log.warn(
      { refid: d.params.ref_id, status: d.params.status, attempts: this.opts.callbackAttempts },
      'ppob report not delivered, given up',
    );
  }

  private async get(url: string): Promise<{ httpStatus: number | null; error: string | null }> {
    const controller = new AbortController();
    this.aborts.add(controller);
    const timeout = setTimeout(
      () => controller.abort(new Error('callback timed out')),
      this.opts.callbackTimeoutMs,
    );
    try {
      const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: controller.signal });
      await res.arrayBuffer().catch(() => undefined);
      return { httpStatus: res.status, error: res.ok ? null : `HTTP ${res.status}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { httpStatus: null, error: cause?.code ?? cause?.message ?? (err as Error).message };
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(controller);
    }
  }

  private attempt(
    trx: PpobTransaction,
    params: CallbackParams,
    copy: number,
    attempt: number,
    extra: Partial<CallbackAttempt> & Pick<CallbackAttempt, 'result'>,
  ): CallbackAttempt {
    const base = { trx_id: trx.trx_id, refid: trx.refid, actual: trx.status, mode: trx.callback.mode };
    return this.attemptOf(base, params, copy, attempt, { url: this.callbackUrl() ?? null, ...extra });
  }

  private attemptOf(
    base: Pick<CallbackAttempt, 'trx_id' | 'refid' | 'actual' | 'mode'>,
    params: CallbackParams,
    copy: number,
    attempt: number,
    extra: Partial<CallbackAttempt> & Pick<CallbackAttempt, 'result'>,
  ): CallbackAttempt {
    return {
      at: this.opts.now(),
      ...base,
      status: params.status,
      url: null,
      copy,
      attempt,
      httpStatus: null,
      error: null,
      ...extra,
    };
  }

  /** A timer that stop()/reset() clear. */
  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private cancelAll(): void {
    this.generation += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.stepTimers.clear();
    for (const controller of this.aborts) controller.abort(new Error('sandbox stopping'));
    this.aborts.clear();
    this.queues.clear();
  }
}

/** What a lying report carries as SN: shaped like a real one, belonging to nothing. */
function fakeSerial(trx: PpobTransaction): string {
  const length = trx.code.startsWith('PLN') ? 20 : 16;
  let out = String(randomInt(1, 10));
  while (out.length < length) out += String(randomInt(0, 10));
  return out;
}

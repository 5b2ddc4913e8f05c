/**
 * Log lines for what a provider (or anyone) can repeat at any rate: refused deliveries and
 * replays. The first line of a kind is written at once; further ones within the window are
 * counted, and the next line of that kind written says how many were left out. The exact counts
 * are in /metrics/webhooks and /metrics/callbacks.
 *
 * Why: one line per request made a flood of forged or replayed webhooks a flood of log writes.
 * Measured (`npm run bench -- --quick --only=verification`): with a warning per refused request,
 * the gateway answered signed-but-invalid K-Link deliveries at 0.64 of a bare Fastify route; with
 * those lines at debug, 0.84. A log a flood can fill also buries the one line that matters.
 */
import type { FastifyBaseLogger } from 'fastify';

/** At most one line per kind in this long. */
export const SAMPLED_LOG_WINDOW_MS = 10_000;

export class SampledLog {
  private readonly kinds = new Map<string, { at: number; leftOut: number }>();

  constructor(
    private readonly windowMs = SAMPLED_LOG_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the line unless one of this kind was written within the window (then counts it). */
  write(
    log: FastifyBaseLogger,
    level: 'info' | 'warn',
    kind: string,
    fields: Record<string, unknown>,
    message: string,
  ): void {
    const at = this.now();
    const last = this.kinds.get(kind);
    if (last && at - last.at < this.windowMs) {
      last.leftOut += 1;
      return;
    }
    log[level]({ ...fields, ...(last?.leftOut ? { leftOutSinceLastLine: last.leftOut } : {}) }, message);
    this.kinds.set(kind, { at, leftOut: 0 });
  }
}

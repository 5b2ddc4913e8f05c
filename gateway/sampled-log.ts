/**
 * Log lines for what a provider (or anyone) can repeat at any rate: refused deliveries and
 * replays. The first line of a kind is written at once; further ones within the window are
 * counted, and the next line of that kind written says how many were left out (a burst that
 * stops is not summed up later: its first line was written, and the exact counts are in
 * /metrics/webhooks and /metrics/callbacks). Errors are never sampled: callers log them whole.
 *
 * Why: one line per request made a flood of forged or replayed webhooks a flood of log writes,
 * and a log a flood can fill buries the one line that matters. Measured (`npm run bench --
 * --quick --only=verification`): signed-but-invalid K-Link deliveries were answered at 0.64 of
 * a bare Fastify route with a warning each, 0.84 with those lines off.
 *
 * A kind is a fixed word and a route pattern, never a raw URL, so the kinds are few; the map is
 * capped all the same (the oldest kind leaves first).
 */
import type { FastifyBaseLogger } from 'fastify';

/** At most one line per kind in this long. */
export const SAMPLED_LOG_WINDOW_MS = 10_000;
/** Kinds remembered at most. */
const MAX_KINDS = 1_000;

export class SampledLog {
  private readonly kinds = new Map<string, { at: number; leftOut: number }>();

  constructor(
    private readonly windowMs = SAMPLED_LOG_WINDOW_MS,
    /** Monotonic: a wall clock stepped back would keep a kind silent. */
    private readonly now: () => number = () => performance.now(),
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
    this.kinds.delete(kind);
    if (this.kinds.size >= MAX_KINDS) this.kinds.delete(this.kinds.keys().next().value!);
    this.kinds.set(kind, { at, leftOut: 0 });
  }
}

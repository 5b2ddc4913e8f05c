/** What every saga module's payers share: a weighted draw, safe ids, calls that never throw. */
import type { Rng } from '../random';
import { GatewayError, type Payment } from '../types';

/** One item of a weighted mix (weights need not sum to 1 or 100), drawn from the payment's own stream. */
export function weighted<T>(rng: Rng, mix: ReadonlyArray<readonly [T, number]>): T {
  const total = mix.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.next() * total;
  for (const [item, weight] of mix) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return mix[mix.length - 1]![0];
}

/** The same for a table of weights by variant, in the table's order. */
export const weightedKey = <K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K =>
  weighted(rng, Object.entries(weights) as Array<[K, number]>);

/** An id safe in order ids, invoice codes and workflow ids ([A-Za-z0-9._-], the gateway's rule), within `max` characters. */
export function safeId(prefix: string, id: string, max = 64): string {
  return `${prefix}${id.replace(/[^A-Za-z0-9._-]/g, '-')}`.slice(0, max);
}

/** An error's message, short enough for a mark. */
export const describeError = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 200);

/**
 * Runs one call a payer or operator makes; a 409 (the payment moved on) is normal under faults,
 * anything else is recorded on the payment. Never throws.
 */
export async function tryCall<T>(
  payment: Payment,
  label: string,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GatewayError && err.status === 409) payment.marks.push(`${label}:409`);
    else payment.marks.push(`${label}:error:${describeError(err)}`);
    return undefined;
  }
}

/** A few at a time: thousands of look-ups, without a burst the gateway or Temporal would refuse. */
export async function inBatches<T>(
  items: readonly T[],
  run: (item: T) => Promise<unknown>,
  size = 8,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

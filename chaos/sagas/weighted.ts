import type { Rng } from '../random';

/** One item of a weighted mix (weights need not sum to 100), drawn from the payment's own stream. */
export function weighted<T>(rng: Rng, mix: ReadonlyArray<readonly [T, number]>): T {
  const total = mix.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.next() * total;
  for (const [item, weight] of mix) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return mix[mix.length - 1]![0];
}

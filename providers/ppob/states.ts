/**
 * PPOB's transaction status words in the engine's words (ProviderState). The one place that
 * reads them: the client puts the state in every transaction it returns, the activity passes it
 * on, the saga reads only the state.
 *
 * Document 1.2 and 2.1: Waiting and Pending are not final (re-send the same refid to ask);
 * Success is final and delivered (the sn is the voucher or token); Failed is final, nothing was
 * delivered. Any other word is `unknown`, which parks the purchase: the provider may have
 * delivered, so it is never read as failure and never as "not yet".
 *
 * Pure module (no I/O): workflow code may import it.
 */
import type { ProviderState } from '../../workflows/saga-definitions';

/** The status words the document lists, in its spelling. */
export const PPOB_STATUS_WORDS = ['Waiting', 'Pending', 'Success', 'Failed'] as const;
export type PpobStatus = (typeof PPOB_STATUS_WORDS)[number];

export const PPOB_STATES: Readonly<Record<PpobStatus, ProviderState>> = {
  Waiting: 'pending',
  Pending: 'pending',
  Success: 'paid',
  Failed: 'failed',
};

/** A status word in the document's spelling (read in any case, spaces ignored); undefined if not listed. */
export function ppobStatusWord(word: string | undefined): PpobStatus | undefined {
  const w = (word ?? '').trim().toLowerCase();
  return PPOB_STATUS_WORDS.find((s) => s.toLowerCase() === w);
}

/** What a PPOB status word means for the money; `unknown` for a word the document does not list. */
export function ppobState(word: string | undefined): ProviderState {
  const known = ppobStatusWord(word);
  return known ? PPOB_STATES[known] : 'unknown';
}

/**
 * AliKassa's `payment_status` words in the engine's words (ProviderState). The one place that
 * reads them: the activities put the state in their results, the sagas read only the state.
 *
 * The words are the ones paysaga has read since AliKassa was added (its document names only
 * `wait` and points to a "Payment status" page it does not include): wait = pending, success =
 * paid (payment) / paid out (payout), cancel and fail = final, nothing moved. Any other word is
 * `unknown`, which parks the payment: money may have moved, so it is never read as failure and
 * never as "not yet".
 *
 * Pure module (no I/O): workflow code may import it.
 */
import type { ProviderState } from '../../workflows/saga-definitions';

export const ALIKASSA_STATUS_WORDS: Readonly<Record<string, ProviderState>> = {
  wait: 'pending',
  success: 'paid',
  cancel: 'failed',
  fail: 'failed',
};

/** What an AliKassa payment_status word means for the money; `unknown` for a word not listed. */
export function aliKassaProviderState(word: string | undefined): ProviderState {
  const w = (word ?? '').trim().toLowerCase();
  return Object.hasOwn(ALIKASSA_STATUS_WORDS, w) ? ALIKASSA_STATUS_WORDS[w]! : 'unknown';
}

/**
 * The states AliKassa status results carried before the engine had ProviderState. Results
 * recorded in the histories of payments started then still say these.
 */
const PRE_KERNEL_STATES: Readonly<Record<string, ProviderState>> = {
  succeeded: 'paid',
  'needs-review': 'unknown',
  failed: 'failed',
  pending: 'pending',
  paid: 'paid',
  unknown: 'unknown',
};

/**
 * The state of an AliKassa status result recorded by any release: today's `state`, a state
 * written before the kernel ('succeeded', 'needs-review'), or else the word itself.
 */
export function readAliKassaState(result: { state?: string; status?: string }): ProviderState {
  if (result.state !== undefined && Object.hasOwn(PRE_KERNEL_STATES, result.state))
    return PRE_KERNEL_STATES[result.state]!;
  return aliKassaProviderState(result.status);
}

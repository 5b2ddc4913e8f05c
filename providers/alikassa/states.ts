/**
 * AliKassa's `payment_status` words in the engine's words (ProviderState). The one place that
 * reads them: the activities put the state in their results, the sagas read only the state.
 *
 * The words are AliKassa's public documentation's (the seed document names only `wait` and
 * points to a "Payment status" page it does not include):
 * - "Checking payment status", https://doc-merchant.alikassa.com/payment/check/status
 * - "Checking payout status", https://doc-merchant.alikassa.com/payout/check/status
 * - "Verifying the signature of a notification", https://doc-merchant.alikassa.com/api/sign
 * all three list the same four: "wait — in the process of payment", "paid — successfully paid
 * (final status)", "cancel — canceled (final status)", "fail — error (final status)".
 *
 * So wait = pending, paid = paid (payment) / paid out (payout), cancel and fail = final, nothing
 * moved. Any other word is `unknown`, which parks the payment: money may have moved, so it is
 * never read as failure and never as "not yet". `success`, which paysaga read as paid before it
 * followed the public pages, is not an AliKassa word: it is `unknown` now.
 *
 * A `paid` payment may be partial (`is_partial_payment`, `payment_amount` below `amount`): the
 * state is still `paid` (money arrived); the client and the activities carry `partial` and the
 * paid amount next to it, and the sagas park a partial payment for a person, never PAID.
 *
 * Pure module (no I/O): workflow code may import it.
 */
import type { ProviderState } from '../../workflows/saga-definitions';

export const ALIKASSA_STATUS_WORDS: Readonly<Record<string, ProviderState>> = {
  wait: 'pending',
  paid: 'paid',
  cancel: 'failed',
  fail: 'failed',
};

/** What an AliKassa payment_status word means for the money; `unknown` for a word not listed. */
export function aliKassaProviderState(word: string | undefined): ProviderState {
  const w = (word ?? '').trim().toLowerCase();
  return Object.hasOwn(ALIKASSA_STATUS_WORDS, w) ? ALIKASSA_STATUS_WORDS[w]! : 'unknown';
}

/**
 * The states AliKassa status results carried before the engine had ProviderState, and today's.
 * Results recorded in the histories of payments started earlier still say these, whatever word
 * they hold: the state they were recorded with is what their execution acted on.
 */
const RECORDED_STATES: Readonly<Record<string, ProviderState>> = {
  succeeded: 'paid',
  'needs-review': 'unknown',
  failed: 'failed',
  pending: 'pending',
  paid: 'paid',
  unknown: 'unknown',
};

/**
 * The state of an AliKassa status result recorded by any release: its recorded `state` (today's,
 * or a pre-kernel 'succeeded' / 'needs-review'), or else today's reading of the word. Every found
 * result ever recorded carries a state (since the first AliKassa release), so the word decides
 * only for a result that never had one.
 */
export function readAliKassaState(result: { state?: string; status?: string }): ProviderState {
  if (result.state !== undefined && Object.hasOwn(RECORDED_STATES, result.state))
    return RECORDED_STATES[result.state]!;
  return aliKassaProviderState(result.status);
}

/**
 * Midtrans' `transaction_status` words (the GoPay charge behind K-Link's pay_service_midtrans,
 * read through its get-status action) in the engine's words (ProviderState). The one place that
 * reads them: the activity puts the state in its result, the saga reads only the state.
 *
 * settlement and capture = paid; pending = pending; cancel, expire and deny = failed (the charge
 * is over, nothing moved). `failure` is Midtrans' "unexpected error during processing": it does not
 * say the charge is over, so it is `unknown` like any other word (refund, partial_refund,
 * authorize, ...): the payment parks, never read as failure, never as "not yet".
 *
 * Pure module (no I/O): workflow code may import it.
 */
import type { ProviderState } from '../../workflows/saga-definitions';

export const MIDTRANS_TRANSACTION_STATUS_WORDS: Readonly<Record<string, ProviderState>> = {
  settlement: 'paid',
  capture: 'paid',
  pending: 'pending',
  cancel: 'failed',
  expire: 'failed',
  deny: 'failed',
};

/** What a Midtrans transaction_status word means for the money; `unknown` for a word not listed. */
export function midtransState(transactionStatus: string | undefined): ProviderState {
  const w = (transactionStatus ?? '').trim().toLowerCase();
  return Object.hasOwn(MIDTRANS_TRANSACTION_STATUS_WORDS, w)
    ? MIDTRANS_TRANSACTION_STATUS_WORDS[w]!
    : 'unknown';
}

/**
 * The states GoPay status results carried before the engine had ProviderState ('cancelled' for
 * cancel / expire / deny). Results in the histories of payments started then still say these.
 */
const PRE_KERNEL_STATES: Readonly<Record<string, ProviderState>> = {
  paid: 'paid',
  pending: 'pending',
  cancelled: 'failed',
  failed: 'failed',
  unknown: 'unknown',
};

/** The state of a GoPay status result recorded by any release (see PRE_KERNEL_STATES). */
export function readMidtransState(result: { state?: string; transactionStatus?: string }): ProviderState {
  if (result.state !== undefined && Object.hasOwn(PRE_KERNEL_STATES, result.state))
    return PRE_KERNEL_STATES[result.state]!;
  return midtransState(result.transactionStatus);
}

/**
 * K-Link's own webhook `status` words (settlement and GoPay notifications, document sections 2d
 * and 3d). The document shows only "success"; "fail" / "failed" are the words its API answers use
 * for a refusal (see status.ts), read here as not paid. Any other word is `unknown`: the saga
 * parks, because a word nobody knows may mean paid.
 */
export const KLINK_WEBHOOK_STATUS_WORDS: Readonly<Record<string, ProviderState>> = {
  success: 'paid',
  fail: 'failed',
  failed: 'failed',
};

export function klinkWebhookState(status: string): ProviderState {
  const w = status.trim().toLowerCase();
  return Object.hasOwn(KLINK_WEBHOOK_STATUS_WORDS, w) ? KLINK_WEBHOOK_STATUS_WORDS[w]! : 'unknown';
}

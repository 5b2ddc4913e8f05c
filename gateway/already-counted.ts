/**
 * Whether a closed payment's final view already holds a provider report: then the report is a
 * replay (acknowledged and counted, never filed for an operator). Anything else that reaches a
 * closed payment (a payment after expiry, another reference, a word that contradicts the end)
 * is money the payment cannot hold, and goes to an unmatched report.
 *
 * Each rule is the saga's own "counted once" rule, read from its view. Pure functions.
 */
import { ppobState } from '../providers/ppob/states';
import type { PayoutView } from '../workflows/payout-definitions';
import type { PpobPurchaseView, PpobStatus } from '../workflows/ppob-definitions';
import type { TransferView, TransferWebhook } from '../workflows/transfer-definitions';

/**
 * A transfer counts a provider reference with its word once (pay-by-transfer.ts): the view keeps
 * every webhook it received. The word matters: GoPay's id_trans names the transaction, so a
 * `success` after a `fail` under the same id is news, not a replay.
 */
export function transferCounted(
  view: Pick<TransferView, 'webhooks'>,
  webhook: Pick<TransferWebhook, 'provider' | 'reference' | 'status'>,
): boolean {
  return (view.webhooks ?? []).some(
    (seen) =>
      seen.provider === webhook.provider &&
      seen.reference === webhook.reference &&
      seen.status === webhook.status,
  );
}

/** Final statuses in which nothing was delivered: a Failed report agrees with them. */
const NOTHING_DELIVERED: readonly PpobStatus[] = ['FAILED', 'REFUNDED', 'CANCELLED'];

/**
 * PPOB callbacks carry no id of their own (and are unsigned hints): a callback repeats what the
 * purchase concluded when its word agrees with the end (Success with the same sn, or Failed for a
 * purchase that delivered nothing). A Success for a failed purchase, another sn, or a word that
 * is not final is filed.
 */
export function ppobCallbackCounted(
  view: Pick<PpobPurchaseView, 'status' | 'sn'>,
  callback: { status: string; sn?: string },
): boolean {
  const state = ppobState(callback.status);
  if (state === 'paid') return view.status === 'SUCCEEDED' && (!callback.sn || callback.sn === view.sn);
  if (state === 'failed') return NOTHING_DELIVERED.includes(view.status);
  return false;
}

/** An AliKassa notification's reference: the same id and word repeated is the same notification. */
export function aliKassaReference(id: string, status: string): string {
  return `${id}-${status}`;
}

/** A payout keeps AliKassa's id and last word: a notification saying that same word is a replay. */
export function payoutNotificationCounted(
  view: Pick<PayoutView, 'providerId' | 'providerStatus'>,
  notification: { reference: string },
): boolean {
  return (
    view.providerId !== undefined &&
    view.providerStatus !== undefined &&
    aliKassaReference(view.providerId, view.providerStatus) === notification.reference
  );
}

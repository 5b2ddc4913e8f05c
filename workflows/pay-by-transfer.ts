/**
 * The pay-by-transfer saga: create the payment, show the payer what to do, wait for the
 * provider's verified webhook until expiry.
 *
 * Money rules this file keeps:
 * - only a webhook the gateway verified on its raw bytes reaches this workflow, and the same
 *   webhook delivered twice (same provider reference) is counted once;
 * - an amount different from what was asked (a manual transfer without its kode_unik, say) is
 *   NEEDS_REVIEW, never a silent success; a manual transfer whose webhook gives no amount too;
 * - a create retried after an unclear answer cannot make a second payment (the order id is
 *   unique at the provider); if the instructions were lost, a person is asked while the saga
 *   keeps listening for the payment;
 * - a provider status the engine cannot read (an unknown word) parks the payment: it may be
 *   paid, so it is never expired;
 * - a payment arriving after expiry finds this workflow closed: the gateway records it in an
 *   unmatched-report workflow (NEEDS_REVIEW), so the money is never lost.
 *
 * The kernel (saga-kernel.ts) parks whatever these phases did not plan for (an activity out of
 * retries included) and serves the operator; a webhook arriving meanwhile may still settle it.
 */
import { condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AliKassaActivities, AliKassaStatus } from '../activities/alikassa';
import type { GopayStatus, TransferActivities, TransferCreateOutcome } from '../activities/transfer';
import { readAliKassaState } from '../providers/alikassa/states';
import { readMidtransState } from '../providers/klink/states';
import { LEGACY_REVIEW_UPDATES, type ResolveReviewInput } from './saga-definitions';
import { sagaActivities, startSaga } from './saga-kernel';
import {
  TRANSFER_ACTIVITIES,
  TRANSFER_FINAL_STATUSES,
  transferWebhookSignal,
  type TransferInput,
  type TransferMethod,
  type TransferReviewAction,
  type TransferStatus,
  type TransferView,
  type TransferWebhook,
} from './transfer-definitions';

/** The patch that added GoPay polling and cancel-at-expiry (see the wait loop). */
const GOPAY_ACTIONS_PATCH = 'gopay-midtrans-actions';
/**
 * The patch that parks on a provider status the engine cannot read (before it: "not yet", so a
 * paid AliKassa payment could end EXPIRED) and asks AliKassa once more at expiry. Executions whose
 * history passed such a point before this change replay it as they ran.
 */
const UNKNOWN_STATE_PARKS_PATCH = 'transfer-unknown-state-parks';
/**
 * The patch after which an AliKassa notification of any word is confirmed by AliKassa's status
 * call, whose cancel / fail ends the payment (EXPIRED) at once. Before it only a notification
 * saying paid was confirmed; others were noted and the payment waited for its next poll.
 */
const ALIKASSA_STATUS_DECIDES_PATCH = 'alikassa-status-decides';
/** AliKassa has a status call: the saga asks it, starting at this interval, doubling to 5 minutes. */
const ALIKASSA_FIRST_POLL_MS = 5_000;
/** A webhook with a new word under a reference already seen is read, not counted as a repeat. */
const WEBHOOK_NEW_WORD_PATCH = 'transfer-webhook-new-word';
/** Methods a customer can pay more than once (each settlement webhook is its own payment). */
const PAYABLE_TWICE: readonly TransferMethod[] = ['klink-va', 'klink-manual', 'klink-card'];
const REVIEW_ACTIONS: TransferReviewAction[] = ['mark-paid', 'mark-not-paid'];

export async function payByTransferWorkflow(input: TransferInput): Promise<TransferView> {
  const { transferCreate, alikassaPaymentStatus, gopayStatus, gopayCancel } = sagaActivities<
    TransferActivities & AliKassaActivities,
    keyof typeof TRANSFER_ACTIVITIES
  >(TRANSFER_ACTIVITIES);

  const view: TransferView = {
    workflowId: workflowInfo().workflowId,
    provider: input.method === 'alikassa' ? 'alikassa' : 'klink',
    method: input.method,
    status: 'CREATING',
    orderId: input.orderId,
    amount: input.amount + (input.payShip ?? 0),
    webhooks: [],
    timeline: [],
  };
  const pending: TransferWebhook[] = [];

  const saga = startSaga<TransferStatus, TransferReviewAction, TransferView>({
    view,
    finalStatuses: TRANSFER_FINAL_STATUSES,
    // Whatever parked it, the question is the same: did the money arrive?
    unplannedActions: () => [...REVIEW_ACTIONS],
    applyResolution,
    // A payment webhook while a person looks (instructions lost, amount or status unclear) may
    // settle it; the AliKassa status confirmation then runs as a provider check.
    whileParked: { ready: () => pending.length > 0, run: async () => void (await settle()) },
    // A settlement that is not a plain "not paid" and arrived as the payment ended: a VA, manual
    // transfer or card can be paid twice (each settlement has its own rq_uuid). AliKassa and GoPay
    // news for the same order is the same one payment (their polls add copies): not counted.
    lateNews: () => {
      if (!PAYABLE_TWICE.includes(input.method)) return undefined;
      const i = pending.findIndex((p) => (p.state ?? (p.success ? 'paid' : 'failed')) !== 'failed');
      // Taken out of the queue: it is the subject of the review, not news that settles it.
      const [w] = i < 0 ? [] : pending.splice(i, 1);
      return w
        ? `webhook ${w.reference} (${w.status}) arrived as the payment ended ${view.status}: check whether the customer paid twice`
        : undefined;
    },
    legacyReviewUpdate: { name: LEGACY_REVIEW_UPDATES.transfer },
  });
  const setStatus = (status: TransferStatus, note: string) => saga.setStatus(status, note);
  const park = (reason: string) => saga.park(reason, [...REVIEW_ACTIONS]);

  setHandler(transferWebhookSignal, (w) => {
    const sameRef = view.webhooks.filter((s) => s.reference === w.reference && s.provider === w.provider);
    // A new word under a reference already seen (GoPay's id_trans names the transaction: fail,
    // then success) is news. Patched: before, any repeat of the reference was counted once.
    const repeat =
      sameRef.length > 0 && (sameRef.some((s) => s.status === w.status) || !patched(WEBHOOK_NEW_WORD_PATCH));
    if (repeat) {
      saga.note(`webhook ${w.reference} delivered again: counted once`);
      return;
    }
    view.webhooks.push(w);
    pending.push(w);
  });

  const expiryMs = (input.expirySeconds ?? 3600) * 1000;
  const expiresAt = new Date(Date.now() + expiryMs).toISOString();

  async function applyResolution({ action, operator, note }: ResolveReviewInput<TransferReviewAction>) {
    const by = `by ${operator}: ${note}`;
    if (action === 'mark-paid') setStatus('PAID', `marked paid ${by}`);
    else setStatus('FAILED', `marked not paid ${by}`);
  }

  /** A provider status the engine cannot read parks (patched: before, it was read as "not yet"). */
  function parkOnUnknown(reason: string): boolean {
    if (!patched(UNKNOWN_STATE_PARKS_PATCH)) return false;
    park(reason);
    return true;
  }

  /** Step 1: create the payment; the payer's instructions, or why there are none. */
  function applyCreated(created: TransferCreateOutcome): void {
    if (created.outcome === 'refused') {
      setStatus(
        'FAILED',
        `the provider refused the payment: ${created.code} ${created.message}; nothing to pay`,
      );
    } else if (created.outcome === 'exists') {
      park(
        `the provider has this order but its instructions were lost (${created.message}); still listening for its payment`,
      );
    } else {
      view.instructions = { ...created.instructions, expiresAt };
      saga.tag(view.provider, input.orderId, created.instructions.amountToPay);
      setStatus('AWAITING_PAYMENT', `pay ${created.instructions.amountToPay} before ${expiresAt}`);
      saga.answered();
    }
  }

  /**
   * Applies the verified webhooks received so far; true once the payment is settled or parked.
   * An AliKassa notification is believed only when AliKassa's own status for the order says so too.
   */
  async function settle(): Promise<boolean> {
    while (pending.length > 0) {
      const w = pending.shift()!;
      // Patched: AliKassa's status call decides whatever its notification says (cancel and fail
      // end the payment at once, a partial payment parks); before, only a paid word asked it.
      const statusDecides = w.provider === 'alikassa' && patched(ALIKASSA_STATUS_DECIDES_PATCH);
      // The webhook's own word, read in providers/ (signals sent before `state` carry `success`).
      const webhookState = w.state ?? (w.success ? 'paid' : 'failed');
      if (
        webhookState === 'unknown' &&
        !statusDecides &&
        parkOnUnknown(
          `webhook ${w.reference} says ${w.status}, a word the engine does not know: check the payment at ${w.provider}`,
        )
      )
        return true;
      if (webhookState !== 'paid' && !statusDecides) {
        saga.note(`webhook ${w.reference} says ${w.status}: not a payment`);
        continue;
      }
      let amount = w.amount;
      const expected = view.instructions?.amountToPay ?? view.amount;
      if (w.provider === 'alikassa') {
        const s = await alikassaPaymentStatus({ orderId: input.orderId });
        const state = s.found ? readAliKassaState(s) : undefined;
        if (s.partial) {
          view.paidAmount = s.paymentAmount;
          view.paidReference = w.reference;
          park(
            `partial payment (${w.reference}): AliKassa's status is ${s.status} and it received ${s.paymentAmount ?? 'part'} of ${s.amount}; expected exactly ${expected}`,
          );
          return true;
        }
        if (
          state === 'unknown' &&
          parkOnUnknown(
            `notification ${w.reference} says ${w.status} but AliKassa's status is ${s.status}, a word the engine does not know: check the payment at AliKassa`,
          )
        )
          return true;
        if (state === 'failed' && statusDecides) {
          setStatus(
            'EXPIRED',
            `AliKassa's status is ${s.status} (notification ${w.reference}); nothing was paid`,
          );
          return true;
        }
        if (state !== 'paid') {
          saga.note(
            `notification ${w.reference} says ${w.status} but AliKassa's status is ${s.status ?? 'unknown'}: not believed`,
          );
          continue;
        }
        // Results recorded before payment_amount was read hold the paid amount in `amount`.
        amount = s.paymentAmount ?? s.amount;
      }
      const needsAmount = input.method === 'klink-manual' || input.method === 'alikassa';
      view.paidAmount = amount;
      view.paidReference = w.reference;
      if ((amount === undefined && needsAmount) || (amount !== undefined && amount !== expected)) {
        park(
          amount === undefined
            ? `paid (${w.reference}) but the webhook gives no amount; expected exactly ${expected}`
            : `paid ${amount} (${w.reference}), expected exactly ${expected}`,
        );
        return true;
      }
      view.paidAmount = amount ?? expected;
      setStatus('PAID', `paid (${w.provider} reference ${w.reference})`);
      return true;
    }
    return false;
  }

  /** A settled charge or payment found by a status call is treated like a notification. */
  function queueFromStatus(
    provider: TransferWebhook['provider'],
    reference: string,
    status: string,
    amount?: number,
  ) {
    pending.push({
      provider,
      orderId: input.orderId,
      reference,
      status,
      success: true,
      amount,
      receivedAt: new Date(Date.now()).toISOString(),
    });
  }

  /** GoPay (v2): Midtrans' own status. 'not-configured' when this worker cannot ask Midtrans. */
  async function pollGopay(statusUrl: string): Promise<'asked' | 'parked' | 'not-configured'> {
    const s: GopayStatus = await gopayStatus({ statusUrl });
    if (s.notConfigured) return 'not-configured';
    const state = readMidtransState(s);
    if (state === 'paid')
      queueFromStatus(
        'klink',
        `midtrans-status-${input.orderId}`,
        s.transactionStatus ?? 'settlement',
        s.grossAmount,
      );
    if (
      state === 'unknown' &&
      parkOnUnknown(
        `Midtrans says the GoPay charge is ${s.transactionStatus ?? '(no status)'}, a word the engine does not know: check the charge`,
      )
    )
      return 'parked';
    return 'asked';
  }

  /**
   * GoPay (v2) at expiry: cancel the charge, so a payment cannot land after the order expired.
   * Returns true when Midtrans says the customer paid after all (the saga then settles it).
   */
  async function cancelGopay(cancelUrl: string, statusUrl?: string): Promise<boolean> {
    const outcome = await gopayCancel({ cancelUrl });
    if (outcome === 'cancelled') {
      setStatus('EXPIRED', `not paid before ${expiresAt}; the GoPay charge was cancelled at Midtrans`);
      return false;
    }
    if (outcome === 'not-configured') {
      saga.note(
        'no MIDTRANS_SERVER_KEY: the GoPay charge was not cancelled at Midtrans (it expires there by itself)',
      );
      return false;
    }
    saga.note('Midtrans refused the cancel: the customer has paid; confirming by its status');
    if (statusUrl && (await pollGopay(statusUrl)) === 'parked') return false;
    if (pending.length === 0) {
      park(
        'Midtrans says the GoPay charge is paid, but neither its status nor a webhook confirmed the amount',
      );
      return false;
    }
    return true;
  }

  /** AliKassa only: ask its status; a payment it reports is treated like a notification. */
  async function pollAliKassa(): Promise<'pending' | 'cancelled' | 'parked'> {
    const s: AliKassaStatus = await alikassaPaymentStatus({ orderId: input.orderId });
    if (!s.found) return 'pending';
    const state = readAliKassaState(s);
    // A partial payment is queued too: settle() asks again and parks it with both amounts.
    if (state === 'paid' || s.partial)
      queueFromStatus('alikassa', `status-${s.id}`, s.status ?? 'paid', s.paymentAmount ?? s.amount);
    if (
      state === 'unknown' &&
      parkOnUnknown(
        `AliKassa's status for the payment is ${s.status}, a word the engine does not know: it may be paid; check it at AliKassa`,
      )
    )
      return 'parked';
    return state === 'failed' ? 'cancelled' : 'pending';
  }

  /** Step 2: wait for the payment until expiry (webhooks, and status polls where there are some). */
  async function awaitPayment(created: Extract<TransferCreateOutcome, { outcome: 'created' }>) {
    const deadline = Date.now() + expiryMs;
    // v2: GoPay charges are also polled through Midtrans' get-status action and cancelled at
    // expiry. Executions started before this change keep the v1 behaviour (webhook only), so
    // their histories replay unchanged.
    const gopayActions =
      input.method === 'klink-gopay' && patched(GOPAY_ACTIONS_PATCH) ? created.actions : undefined;
    let gopayPolls = gopayActions?.statusUrl !== undefined;
    let checkedAtExpiry = false;
    let pollMs = ALIKASSA_FIRST_POLL_MS;
    while (!(await settle())) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        if (gopayActions?.cancelUrl && (await cancelGopay(gopayActions.cancelUrl, gopayActions.statusUrl)))
          continue;
        // AliKassa (patched): asked once more, so a payment whose notification was lost is not
        // expired between two polls.
        if (input.method === 'alikassa' && !checkedAtExpiry && patched(UNKNOWN_STATE_PARKS_PATCH)) {
          checkedAtExpiry = true;
          const polled = await pollAliKassa();
          if (polled === 'parked') return;
          if (pending.length > 0) continue;
        }
        if (view.status === 'AWAITING_PAYMENT') {
          setStatus(
            'EXPIRED',
            `not paid before ${expiresAt}; a later payment is kept for an operator by the gateway`,
          );
        }
        return;
      }
      const polls = input.method === 'alikassa' || gopayPolls;
      const wait = polls ? Math.min(pollMs, remaining) : remaining;
      if (await condition(() => pending.length > 0, wait)) continue;
      if (Date.now() >= deadline) continue;
      if (input.method === 'alikassa') {
        const polled = await pollAliKassa();
        if (polled === 'parked') return;
        if (polled === 'cancelled') {
          setStatus('EXPIRED', 'AliKassa reports the payment cancelled or failed; nothing was paid');
          return;
        }
      } else if (gopayPolls) {
        const polled = await pollGopay(gopayActions!.statusUrl!);
        if (polled === 'parked') return;
        if (polled === 'not-configured') {
          // Nothing was asked: the webhook (and Midtrans' own expiry) decide.
          saga.note('no MIDTRANS_SERVER_KEY: the GoPay charge is not polled; waiting for its webhook');
          gopayPolls = false;
        }
      }
      pollMs = Math.min(pollMs * 2, 300_000);
    }
  }

  saga.tag(view.provider, input.orderId, view.amount);
  setStatus('CREATING', `creating the ${input.method} payment`);

  return saga.run(async () => {
    // A create out of retries throws on: the kernel parks it with transferCreate named.
    const created = await transferCreate(input);
    applyCreated(created);
    if (view.status === 'AWAITING_PAYMENT' && created.outcome === 'created') await awaitPayment(created);
  });
}

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
 * - a payment arriving after expiry finds this workflow closed: the gateway records it in an
 *   unmatched-report workflow (NEEDS_REVIEW), so the money is never lost.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AliKassaActivities } from '../activities/alikassa';
import type { TransferActivities } from '../activities/transfer';
import { recordStatus, tagPayment, validateReviewResolution } from './saga-status';
import {
  resolveTransferReviewUpdate,
  transferStatusQuery,
  transferWebhookSignal,
  type TransferInput,
  type TransferReviewAction,
  type TransferStatus,
  type TransferView,
  type TransferWebhook,
} from './transfer-definitions';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

const { transferCreate } = proxyActivities<TransferActivities>({
  startToCloseTimeout: '60 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
});
// Status reads move nothing: retried patiently.
const { alikassaPaymentStatus } = proxyActivities<AliKassaActivities>({
  startToCloseTimeout: '30 seconds',
  retry: SAFE_TO_REPEAT_RETRY,
});
/** The patch that added GoPay polling and cancel-at-expiry (see the wait loop). */
const GOPAY_ACTIONS_PATCH = 'gopay-midtrans-actions';
const { gopayStatus, gopayCancel } = proxyActivities<TransferActivities>({
  startToCloseTimeout: '30 seconds',
  retry: SAFE_TO_REPEAT_RETRY,
});
/** AliKassa has a status call: the saga asks it, starting at this interval, doubling to 5 minutes. */
const ALIKASSA_FIRST_POLL_MS = 5_000;

export async function payByTransferWorkflow(input: TransferInput): Promise<TransferView> {
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
  let resolution: { action: TransferReviewAction; operator: string; note: string } | undefined;

  const setStatus = (status: TransferStatus, note: string, actions?: TransferReviewAction[]) => {
    view.review = actions ? { reason: note, actions } : undefined;
    recordStatus(view, status, note, status === 'NEEDS_REVIEW');
  };
  const note = (text: string) =>
    view.timeline.push({ at: new Date(Date.now()).toISOString(), status: view.status, note: text });

  setHandler(transferStatusQuery, () => view);
  setHandler(transferWebhookSignal, (w) => {
    if (view.webhooks.some((seen) => seen.reference === w.reference && seen.provider === w.provider)) {
      note(`webhook ${w.reference} delivered again: counted once`);
      return;
    }
    view.webhooks.push(w);
    pending.push(w);
  });
  setHandler(
    resolveTransferReviewUpdate,
    async (r) => {
      resolution = r;
      await condition(() => resolution === undefined);
      return view;
    },
    {
      validator: (arg) => {
        validateReviewResolution('payment', view, arg);
      },
    },
  );

  tagPayment(view.provider, input.orderId, view.amount);
  setStatus('CREATING', `creating the ${input.method} payment`);
  const expiryMs = (input.expirySeconds ?? 3600) * 1000;
  const expiresAt = new Date(Date.now() + expiryMs).toISOString();

  let created;
  try {
    created = await transferCreate(input);
  } catch (err) {
    setStatus('NEEDS_REVIEW', `payment not created after retries: ${failureMessage(err)}`, [
      'mark-paid',
      'mark-not-paid',
    ]);
    created = undefined;
  }
  if (created?.outcome === 'refused') {
    setStatus(
      'FAILED',
      `the provider refused the payment: ${created.code} ${created.message}; nothing to pay`,
    );
  } else if (created?.outcome === 'exists') {
    setStatus(
      'NEEDS_REVIEW',
      `the provider has this order but its instructions were lost (${created.message}); still listening for its payment`,
      ['mark-paid', 'mark-not-paid'],
    );
  } else if (created?.outcome === 'created') {
    view.instructions = { ...created.instructions, expiresAt };
    tagPayment(view.provider, input.orderId, created.instructions.amountToPay);
    setStatus('AWAITING_PAYMENT', `pay ${created.instructions.amountToPay} before ${expiresAt}`);
  }

  /**
   * Applies the verified webhooks received so far; true once the payment is settled. An AliKassa
   * notification is believed only when AliKassa's own status for the order says so too.
   */
  async function settle(): Promise<boolean> {
    while (pending.length > 0) {
      const w = pending.shift()!;
      if (!w.success) {
        note(`webhook ${w.reference} says ${w.status}: not a payment`);
        continue;
      }
      let amount = w.amount;
      if (w.provider === 'alikassa') {
        const s = await alikassaPaymentStatus({ orderId: input.orderId });
        if (!s.found || s.state !== 'succeeded') {
          note(
            `notification ${w.reference} says ${w.status} but AliKassa's status is ${s.status ?? 'unknown'}: not believed`,
          );
          continue;
        }
        amount = s.amount;
      }
      const expected = view.instructions?.amountToPay ?? view.amount;
      const needsAmount = input.method === 'klink-manual' || input.method === 'alikassa';
      view.paidAmount = amount;
      view.paidReference = w.reference;
      if ((amount === undefined && needsAmount) || (amount !== undefined && amount !== expected)) {
        setStatus(
          'NEEDS_REVIEW',
          amount === undefined
            ? `paid (${w.reference}) but the webhook gives no amount; expected exactly ${expected}`
            : `paid ${amount} (${w.reference}), expected exactly ${expected}`,
          ['mark-paid', 'mark-not-paid'],
        );
        return true;
      }
      view.paidAmount = amount ?? expected;
      setStatus('PAID', `paid (${w.provider} reference ${w.reference})`);
      return true;
    }
    return false;
  }

  /** GoPay (v2): Midtrans' own status; a settled charge is treated like a notification. */
  async function pollGopay(statusUrl: string): Promise<void> {
    const s = await gopayStatus({ statusUrl });
    if (s.state === 'paid') {
      pending.push({
        provider: 'klink',
        orderId: input.orderId,
        reference: `midtrans-status-${input.orderId}`,
        status: s.transactionStatus ?? 'settlement',
        success: true,
        amount: s.grossAmount,
        receivedAt: new Date(Date.now()).toISOString(),
      });
    }
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
      note(
        'no MIDTRANS_SERVER_KEY: the GoPay charge was not cancelled at Midtrans (it expires there by itself)',
      );
      return false;
    }
    note('Midtrans refused the cancel: the customer has paid; confirming by its status');
    if (statusUrl) await pollGopay(statusUrl);
    if (pending.length === 0) {
      setStatus(
        'NEEDS_REVIEW',
        'Midtrans says the GoPay charge is paid, but neither its status nor a webhook confirmed the amount',
        ['mark-paid', 'mark-not-paid'],
      );
      return false;
    }
    return true;
  }

  /** AliKassa only: ask its status; a payment it reports is treated like a notification. */
  async function pollAliKassa(): Promise<'pending' | 'cancelled'> {
    const s = await alikassaPaymentStatus({ orderId: input.orderId });
    if (s.found && s.state === 'succeeded') {
      pending.push({
        provider: 'alikassa',
        orderId: input.orderId,
        reference: `status-${s.id}`,
        status: s.status ?? 'success',
        success: true,
        amount: s.amount,
        receivedAt: new Date(Date.now()).toISOString(),
      });
    }
    return s.found && s.state === 'failed' ? 'cancelled' : 'pending';
  }

  if (view.status === 'AWAITING_PAYMENT') {
    const deadline = Date.now() + expiryMs;
    // v2: GoPay charges are also polled through Midtrans' get-status action and cancelled at
    // expiry. Executions started before this change keep the v1 behaviour (webhook only), so
    // their histories replay unchanged.
    const gopayActions =
      input.method === 'klink-gopay' && created?.outcome === 'created' && patched(GOPAY_ACTIONS_PATCH)
        ? created.actions
        : undefined;
    const polls = input.method === 'alikassa' || gopayActions?.statusUrl !== undefined;
    let pollMs = ALIKASSA_FIRST_POLL_MS;
    while (!(await settle())) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        if (gopayActions?.cancelUrl && (await cancelGopay(gopayActions.cancelUrl, gopayActions.statusUrl)))
          continue;
        if (view.status === 'AWAITING_PAYMENT') {
          setStatus(
            'EXPIRED',
            `not paid before ${expiresAt}; a later payment is kept for an operator by the gateway`,
          );
        }
        break;
      }
      const wait = polls ? Math.min(pollMs, remaining) : remaining;
      if (await condition(() => pending.length > 0, wait)) continue;
      if (Date.now() >= deadline) continue;
      if (input.method === 'alikassa') {
        if ((await pollAliKassa()) === 'cancelled') {
          setStatus('EXPIRED', 'AliKassa reports the payment cancelled or failed; nothing was paid');
          break;
        }
      } else if (gopayActions?.statusUrl) {
        await pollGopay(gopayActions.statusUrl);
      }
      pollMs = Math.min(pollMs * 2, 300_000);
    }
  }

  while (view.status === 'NEEDS_REVIEW') {
    await condition(() => resolution !== undefined || pending.length > 0);
    if (resolution === undefined) {
      // A payment webhook while a person looks (instructions lost): it may settle it.
      await settle();
      continue;
    }
    const by = `by ${resolution.operator}: ${resolution.note}`;
    if (resolution.action === 'mark-paid') setStatus('PAID', `marked paid ${by}`);
    else setStatus('FAILED', `marked not paid ${by}`);
    resolution = undefined;
  }

  await condition(allHandlersFinished);
  return view;
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The AliKassa payout saga: create the payout once per order_id, then wait for its final status
 * (a notification is a reason to ask AliKassa's status, which decides; polling covers lost
 * notifications).
 *
 * Money rules this file keeps:
 * - a payout whose create answer was unclear is never created again by the engine. It is
 *   confirmed by a status call on the same order_id; if AliKassa does not show it after a few
 *   looks, a person decides (a second payout would pay the recipient twice);
 * - a status word the engine cannot read parks the payout (money may have moved), and so does
 *   a partial payout (is_partial_payment, or less paid out than the amount): never PAID_OUT;
 * - a status call out of retries parks it too (the kernel, with the activity named): the money
 *   may be sent, so a person is asked, never a failed workflow.
 */
import { setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { AliKassaActivities, AliKassaStatus } from '../activities/alikassa';
import { readAliKassaState } from '../providers/alikassa/states';
import {
  PAYOUT_ACTIVITIES,
  PAYOUT_FINAL_STATUSES,
  payoutNotificationSignal,
  type PayoutReviewAction,
  type PayoutStatus,
  type PayoutView,
  type PayoutWorkflowInput,
} from './payout-definitions';
import { LEGACY_REVIEW_UPDATES, type ResolveReviewInput } from './saga-definitions';
import { pollUntilSettled, sagaActivities, startSaga } from './saga-kernel';

/** When an unclear create is looked up before a person is asked. */
const CONFIRM_SCHEDULE_MS = [2_000, 10_000, 30_000];
/** Every review offers the same: ask AliKassa again, or record what a person found out. */
const REVIEW_ACTIONS: PayoutReviewAction[] = ['recheck', 'mark-paid-out', 'mark-failed'];

export async function alikassaPayoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutView> {
  const { alikassaCreatePayout, alikassaPayoutStatus } = sagaActivities<
    AliKassaActivities,
    keyof typeof PAYOUT_ACTIVITIES
  >(PAYOUT_ACTIVITIES);

  const view: PayoutView = {
    workflowId: workflowInfo().workflowId,
    provider: 'alikassa',
    status: 'CREATING',
    orderId: input.orderId,
    amount: input.amount,
    bankCode: input.bankCode,
    accountLast4: input.accountNumber.slice(-4),
    timeline: [],
  };
  let notified = false;

  const saga = startSaga<PayoutStatus, PayoutReviewAction, PayoutView>({
    view,
    finalStatuses: PAYOUT_FINAL_STATUSES,
    // Anything unplanned (a create or status call out of retries): the payout may exist.
    unplannedActions: () => [...REVIEW_ACTIONS],
    applyResolution,
    legacyReviewUpdate: { name: LEGACY_REVIEW_UPDATES.payout },
  });
  const setStatus = (status: PayoutStatus, note: string) => saga.setStatus(status, note);
  const park = (reason: string) => saga.park(reason, [...REVIEW_ACTIONS]);

  setHandler(payoutNotificationSignal, (n) => {
    view.timeline.push({
      at: n.receivedAt,
      status: view.status,
      note: `notification ${n.reference} says ${n.status}: asking AliKassa`,
    });
    notified = true;
  });

  saga.tag('alikassa', input.orderId, input.amount);
  setStatus('CREATING', `payout of ${input.amount} to ${input.bankCode} …${view.accountLast4}`);

  /** Applies AliKassa's status; true once the payout is final or parked. */
  function apply(s: AliKassaStatus, source: string): boolean {
    if (!s.found) return false;
    view.providerId = s.id;
    view.providerStatus = s.status;
    if (s.amount !== undefined && s.amount !== input.amount) {
      park(`${source}: AliKassa holds ${s.amount} for this order, the payout is ${input.amount}`);
      return true;
    }
    // Some but not all of the money moved: only a person can settle it (results recorded before
    // partial payouts were read have no `partial`, and take the path they took).
    if (s.partial) {
      park(
        `${source}: partial payout: AliKassa's status is ${s.status} and it paid out ${s.paymentAmount ?? 'part'} of ${s.amount ?? input.amount}`,
      );
      return true;
    }
    const state = readAliKassaState(s);
    if (state === 'paid') setStatus('PAID_OUT', `${source}: ${s.status}`);
    else if (state === 'failed') setStatus('FAILED', `${source}: ${s.status}; nothing was paid out`);
    else if (state === 'unknown') park(`${source}: unknown status ${s.status}`);
    else {
      if (view.status !== 'PROCESSING') setStatus('PROCESSING', `${source}: ${s.status}`);
      return false;
    }
    return true;
  }

  async function applyResolution({ action, operator, note }: ResolveReviewInput<PayoutReviewAction>) {
    const by = `by ${operator}: ${note}`;
    if (action === 'recheck') {
      const s = await alikassaPayoutStatus({ orderId: input.orderId });
      if (!apply(s, `recheck ${by}`))
        park(`recheck ${by}: ${s.found ? s.status : 'AliKassa does not know it'}`);
    } else if (action === 'mark-paid-out') setStatus('PAID_OUT', `marked paid out ${by}`);
    else setStatus('FAILED', `marked failed ${by}`);
  }

  /** An unclear create: looked up on the same order_id, never created again. True once settled. */
  async function confirmUnclear(detail: string): Promise<boolean> {
    setStatus('CONFIRMING', `create unclear (${detail}): confirming by status, never creating again`);
    for (const waitMs of CONFIRM_SCHEDULE_MS) {
      await sleep(waitMs);
      const s = await alikassaPayoutStatus({ orderId: input.orderId });
      if (s.found) return apply(s, 'confirmed by status');
    }
    park(
      'AliKassa does not show this payout after the create was unclear: never created twice; ask AliKassa',
    );
    return true;
  }

  /** Waits for the final status: a notification asks at once, else polls doubling to 5 minutes. */
  async function awaitFinal(): Promise<void> {
    const settled = await pollUntilSettled({
      deadlineMs: (input.finalDeadlineSeconds ?? 86_400) * 1000,
      firstMs: (input.pollSeconds ?? 10) * 1000,
      maxMs: 300_000,
      hinted: () => notified,
      clearHint: () => (notified = false),
      check: async (hinted) =>
        apply(
          await alikassaPayoutStatus({ orderId: input.orderId }),
          hinted ? 'after a notification, AliKassa says' : 'status check',
        ),
    });
    if (settled) return;
    park(`not final at the deadline (${view.providerStatus ?? 'no status'})`);
  }

  return saga.run(async () => {
    // Out of retries (never delivered each time), the create throws on: the kernel parks it.
    const created = await alikassaCreatePayout({
      orderId: input.orderId,
      amount: input.amount,
      bankCode: input.bankCode,
      accountNumber: input.accountNumber,
      firstName: input.firstName,
      lastName: input.lastName,
      notificationUrl: input.notificationUrl,
    });
    saga.answered();
    if (created.outcome === 'refused') {
      setStatus('FAILED', `refused: ${created.code} ${created.message}; nothing was paid out`);
      return;
    }
    if (created.outcome === 'unclear') {
      if (await confirmUnclear(created.detail)) return;
    } else {
      view.providerId = created.id;
      setStatus('PROCESSING', `created (AliKassa id ${created.id}); waiting for the final status`);
    }
    await awaitFinal();
  });
}

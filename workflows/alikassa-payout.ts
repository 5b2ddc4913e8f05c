/**
 * The AliKassa payout saga: create the payout once per order_id, then wait for its final status
 * (a notification is a reason to ask AliKassa's status, which decides; polling covers lost
 * notifications).
 *
 * Money rule: a payout whose create answer was unclear is never created again by the engine. It
 * is confirmed by a status call on the same order_id; if AliKassa does not show it after a few
 * looks, a person decides (a second payout would pay the recipient twice).
 */
import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AliKassaActivities, AliKassaStatus } from '../activities/alikassa';
import {
  payoutNotificationSignal,
  payoutStatusQuery,
  resolvePayoutReviewUpdate,
  type PayoutReviewAction,
  type PayoutStatus,
  type PayoutView,
  type PayoutWorkflowInput,
} from './payout-definitions';
import { recordStatus, tagPayment, validateReviewResolution } from './saga-status';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

// A create is tried once per attempt the activity itself allows (never-delivered failures only).
const { alikassaCreatePayout } = proxyActivities<AliKassaActivities>({
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
});
const { alikassaPayoutStatus } = proxyActivities<AliKassaActivities>({
  startToCloseTimeout: '30 seconds',
  retry: SAFE_TO_REPEAT_RETRY,
});

/** When an unclear create is looked up before a person is asked. */
const CONFIRM_SCHEDULE_MS = [2_000, 10_000, 30_000];

export async function alikassaPayoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutView> {
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
  let resolution: { action: PayoutReviewAction; operator: string; note: string } | undefined;
  const setStatus = (status: PayoutStatus, note: string, actions?: PayoutReviewAction[]) => {
    view.review = actions ? { reason: note, actions } : undefined;
    recordStatus(view, status, note, status === 'NEEDS_REVIEW');
  };

  setHandler(payoutStatusQuery, () => view);
  setHandler(payoutNotificationSignal, (n) => {
    view.timeline.push({
      at: n.receivedAt,
      status: view.status,
      note: `notification ${n.reference} says ${n.status}: asking AliKassa`,
    });
    notified = true;
  });
  setHandler(
    resolvePayoutReviewUpdate,
    async (r) => {
      resolution = r;
      await condition(() => resolution === undefined);
      return view;
    },
    {
      validator: (arg) => {
        validateReviewResolution('payout', view, arg);
      },
    },
  );

  tagPayment('alikassa', input.orderId, input.amount);
  setStatus('CREATING', `payout of ${input.amount} to ${input.bankCode} …${view.accountLast4}`);

  /** Applies AliKassa's status; true once the payout is final. */
  function apply(s: AliKassaStatus, source: string): boolean {
    if (!s.found) return false;
    view.providerId = s.id;
    view.providerStatus = s.status;
    if (s.amount !== undefined && s.amount !== input.amount) {
      setStatus(
        'NEEDS_REVIEW',
        `${source}: AliKassa holds ${s.amount} for this order, the payout is ${input.amount}`,
        ['recheck', 'mark-paid-out', 'mark-failed'],
      );
      return true;
    }
    if (s.state === 'succeeded') setStatus('PAID_OUT', `${source}: ${s.status}`);
    else if (s.state === 'failed') setStatus('FAILED', `${source}: ${s.status}; nothing was paid out`);
    else if (s.state === 'needs-review')
      setStatus('NEEDS_REVIEW', `${source}: unknown status ${s.status}`, [
        'recheck',
        'mark-paid-out',
        'mark-failed',
      ]);
    else {
      if (view.status !== 'PROCESSING') setStatus('PROCESSING', `${source}: ${s.status}`);
      return false;
    }
    return true;
  }

  async function run(): Promise<void> {
    const created = await alikassaCreatePayout({
      orderId: input.orderId,
      amount: input.amount,
      bankCode: input.bankCode,
      accountNumber: input.accountNumber,
      firstName: input.firstName,
      lastName: input.lastName,
      notificationUrl: input.notificationUrl,
    });
    if (created.outcome === 'refused') {
      setStatus('FAILED', `refused: ${created.code} ${created.message}; nothing was paid out`);
      return;
    }
    if (created.outcome === 'unclear') {
      setStatus(
        'CONFIRMING',
        `create unclear (${created.detail}): confirming by status, never creating again`,
      );
      for (const waitMs of CONFIRM_SCHEDULE_MS) {
        await sleep(waitMs);
        const s = await alikassaPayoutStatus({ orderId: input.orderId });
        if (s.found) {
          if (apply(s, 'confirmed by status')) return;
          break;
        }
      }
      if (view.status === 'CONFIRMING') {
        setStatus(
          'NEEDS_REVIEW',
          'AliKassa does not show this payout after the create was unclear: never created twice; ask AliKassa',
          ['recheck', 'mark-paid-out', 'mark-failed'],
        );
        return;
      }
    } else {
      view.providerId = created.id;
      setStatus('PROCESSING', `created (AliKassa id ${created.id}); waiting for the final status`);
    }
    const deadline = Date.now() + (input.finalDeadlineSeconds ?? 86_400) * 1000;
    let pollMs = (input.pollSeconds ?? 10) * 1000;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await condition(() => notified, Math.min(pollMs, remaining));
      const source = notified ? 'after a notification, AliKassa says' : 'status check';
      notified = false;
      if (apply(await alikassaPayoutStatus({ orderId: input.orderId }), source)) return;
      pollMs = Math.min(pollMs * 2, 300_000);
    }
    setStatus('NEEDS_REVIEW', `not final at the deadline (${view.providerStatus ?? 'no status'})`, [
      'recheck',
      'mark-paid-out',
      'mark-failed',
    ]);
  }

  await run();

  while (view.status === 'NEEDS_REVIEW') {
    await condition(() => resolution !== undefined);
    const { action, operator, note } = resolution!;
    const by = `by ${operator}: ${note}`;
    if (action === 'recheck') {
      const s = await alikassaPayoutStatus({ orderId: input.orderId });
      if (!apply(s, `recheck ${by}`))
        setStatus('NEEDS_REVIEW', `recheck ${by}: ${s.found ? s.status : 'AliKassa does not know it'}`, [
          'recheck',
          'mark-paid-out',
          'mark-failed',
        ]);
    } else if (action === 'mark-paid-out') setStatus('PAID_OUT', `marked paid out ${by}`);
    else setStatus('FAILED', `marked failed ${by}`);
    resolution = undefined;
  }
  await condition(allHandlersFinished);
  return view;
}

/**
 * Each saga's happy path as a bare plan: the same number of activities, Updates, signals and
 * timers as the saga's history shows (counted from real happy-path histories on the local stack
 * with the sandbox at zero latency; the throughput section prints the engine's own counts from
 * one of its histories beside these, so a saga that changes shape shows up in the table).
 *
 *   prakerja        start; Update submitOtp (its wait has a timer) runs otpBudgetReserve,
 *                   prakerjaAuthorize, otpBudgetRelease; then fulfilPurchase   4 act, 1 upd, 1 timer
 *   klinkRefund     klinkEscrowRefundRequest, klinkRefundAccept                2 act
 *   ppob (prepaid)  update-with-start firstAnswer; klinkPay; ppobSubmit; two ppobCallback
 *                   signals (waited for with a poll timer); ppobSubmit again   3 act, 1 upd, 2 sig, 1 timer
 *   transfer        update-with-start firstAnswer; transferCreate; the settlement webhook's
 *                   signal (waited for with the expiry timer)                  1 act, 1 upd, 1 sig, 1 timer
 *   payout          alikassaCreatePayout; payoutNotification signal (the sandbox settles a payout
 *                   after payoutMs; waited for with a poll timer); alikassaPayoutStatus
 *                                                                              2 act, 1 sig, 1 timer
 *   kwalletTransfer update-with-start firstAnswer; klinkTransfer              1 act, 1 upd
 */
import { ALIKASSA_SANDBOX_DEFAULTS } from '../../sandbox/alikassa/routes';
import type { BarePlan, BareStep } from './workflows';

export interface BareSagaPlan extends BarePlan {
  /** How the bench starts it: with the firstAnswer Update (update-with-start) or a plain start. */
  start: 'plain' | 'with-first-answer';
  /** The bench sends the `input` Update after the start (Prakerja's OTP). */
  inputUpdate?: boolean;
  /** The bench signals it after the start answered (the customer paid: the webhook's signal). */
  clientSignal?: boolean;
}

export type BareSagaName = 'prakerja' | 'klinkRefund' | 'ppob' | 'transfer' | 'payout' | 'kwalletTransfer';

const activity: BareStep = { kind: 'activity' };

export const BARE_PLANS: Record<BareSagaName, BareSagaPlan> = {
  prakerja: {
    start: 'plain',
    inputUpdate: true,
    steps: [
      { kind: 'awaitInput', timeoutMs: 300_000 },
      activity,
      activity,
      activity,
      { kind: 'answerInput' },
      activity,
    ],
  },
  klinkRefund: { start: 'plain', steps: [activity, activity] },
  ppob: {
    start: 'with-first-answer',
    steps: [
      { kind: 'firstAnswer' },
      activity,
      // The sandbox's PPOB at zero latency: both reports (Pending, then Success) at once.
      { kind: 'provider', signals: 2, delayMs: 0 },
      { kind: 'awaitSignals', count: 2, timeoutMs: 1_000 },
      activity,
    ],
  },
  transfer: {
    start: 'with-first-answer',
    clientSignal: true,
    steps: [activity, { kind: 'firstAnswer' }, { kind: 'awaitSignals', count: 1, timeoutMs: 3_600_000 }],
  },
  payout: {
    start: 'plain',
    steps: [
      // The sandbox's AliKassa settles a payout payoutMs after it was created (not configurable).
      { kind: 'provider', signals: 1, delayMs: ALIKASSA_SANDBOX_DEFAULTS.payoutMs },
      { kind: 'awaitSignals', count: 1, timeoutMs: 1_000 },
      activity,
    ],
  },
  kwalletTransfer: { start: 'with-first-answer', steps: [activity, { kind: 'firstAnswer' }] },
};

/** What a plan executes, counted as a history would show it. */
export function planShape(plan: BareSagaPlan): {
  activities: number;
  updates: number;
  signals: number;
  timers: number;
} {
  let activities = 0;
  const updates = (plan.start === 'with-first-answer' ? 1 : 0) + (plan.inputUpdate ? 1 : 0);
  let signals = plan.clientSignal ? 1 : 0;
  let timers = 0;
  for (const s of plan.steps) {
    if (s.kind === 'activity') activities += 1;
    if (s.kind === 'provider') {
      activities += 1;
      signals += s.signals;
    }
    if (s.kind === 'awaitInput' || s.kind === 'awaitSignals') timers += 1;
  }
  return { activities, updates, signals, timers };
}

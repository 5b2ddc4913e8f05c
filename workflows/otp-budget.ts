/**
 * One OTP budget (a payment token's or an invoice's): a sliding window of reserved units. See
 * otp-budget-definitions.ts for what a unit is and who reserves it.
 *
 * - Reserving is an Update, so check and count happen in one step of one workflow: two payments
 *   of one token guessing at the same moment cannot both take the last unit.
 * - The workflow never grows forever: it ends once no unit is held (after a short linger for a
 *   reservation already on its way; the next one starts a new run with update-with-start), and it
 *   continues as new when Temporal suggests it, carrying the live units over.
 *
 * Deterministic code only: the clock is the workflow clock.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  otpBudgetQuery,
  releaseOtpSignal,
  reserveOtpUpdate,
  type OtpBudgetState,
  type OtpReservation,
  type ReserveOtpAnswer,
  type ReserveOtpInput,
} from './otp-budget-definitions';

/** How long an empty budget waits before it ends: a reservation sent a moment ago still lands. */
const LINGER_MS = 10_000;
/** Continue as new well before a budget's history gets long, even if Temporal does not suggest it. */
const MAX_HISTORY_EVENTS = 2_000;

export async function otpBudgetWorkflow(state: OtpBudgetState = { reservations: [] }): Promise<void> {
  let reservations: OtpReservation[] = [...state.reservations];
  let changed = false;

  const live = (): OtpReservation[] => {
    const now = Date.now();
    reservations = reservations.filter((r) => r.expiresAt > now);
    return reservations;
  };

  setHandler(
    reserveOtpUpdate,
    (input): ReserveOtpAnswer => {
      const held = live();
      // A retried reserve activity (its answer was lost) finds its own unit: counted once.
      if (held.some((r) => r.id === input.reservationId))
        return { outcome: 'reserved', used: held.length, limit: input.limit };
      if (held.length >= input.limit) {
        const oldest = Math.min(...held.map((r) => r.expiresAt));
        return {
          outcome: 'exhausted',
          used: held.length,
          limit: input.limit,
          retryAfter: new Date(oldest).toISOString(),
        };
      }
      reservations.push({ id: input.reservationId, expiresAt: Date.now() + input.windowSeconds * 1000 });
      changed = true;
      return { outcome: 'reserved', used: reservations.length, limit: input.limit };
    },
    {
      // Refused before acceptance: a malformed request never reaches history.
      validator: (input: ReserveOtpInput) => {
        if (
          typeof input?.reservationId !== 'string' ||
          input.reservationId === '' ||
          !Number.isInteger(input.limit) ||
          input.limit < 1 ||
          !Number.isInteger(input.windowSeconds) ||
          input.windowSeconds < 1
        )
          throw new Error('reserveOtp needs a reservationId, a whole limit >= 1 and windowSeconds >= 1');
      },
    },
  );
  setHandler(releaseOtpSignal, ({ reservationId }) => {
    reservations = reservations.filter((r) => r.id !== reservationId);
    changed = true;
  });
  setHandler(otpBudgetQuery, () => ({ used: live().length, reservations: [...reservations] }));

  for (;;) {
    if (live().length === 0) {
      // Every job of an activation (a reserve Update's handler runs synchronously) is applied
      // before this code resumes, so a reservation arriving with the linger's end is seen here.
      await condition(() => reservations.length > 0, LINGER_MS);
      if (live().length === 0) break;
      continue;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof otpBudgetWorkflow>({ reservations: live() });
    }
    // Wake when the oldest unit frees, or when a reservation or release arrives.
    const nextExpiry = Math.min(...reservations.map((r) => r.expiresAt)) - Date.now();
    changed = false;
    await condition(() => changed, Math.max(nextExpiry, 1));
  }
  await condition(allHandlersFinished);
}

/**
 * The OTP guessing budget: how many OTPs Prakerja may check and refuse for one payment token, or
 * for one invoice, within a window, across every payment. Kept in Temporal, one long-lived budget
 * workflow per key (no database of our own).
 *
 * The Prakerja saga reserves one unit before each authorize (an activity does update-with-start
 * on the budget workflow) and gives it back when the OTP was right or never reached Prakerja.
 * So a wrong OTP, or one whose outcome is unclear, keeps its unit until the window ends.
 *
 * An invoice has one payment, so the saga counts the invoice's units itself and passes the count
 * to the reserve activity; invoice budget workflows serve only reserves scheduled before that
 * count existed (see activities/otp-budget.ts).
 *
 * Budget workflow ids are plaintext (like search attributes): a payment token never appears in
 * one. The token's budget is named by an HMAC of the token with a key only the worker holds.
 *
 * Loaded by the workflow bundle and by the worker's activities: only define* calls and types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const OTP_BUDGET_WORKFLOW_TYPE = 'otpBudgetWorkflow';

/** What a budget counts: one payment token, or one invoice code. */
export const OTP_BUDGET_KINDS = ['token', 'invoice'] as const;
export type OtpBudgetKind = (typeof OTP_BUDGET_KINDS)[number];

/**
 * `token`: `name` is the token's HMAC digest (hex), never the token. `invoice`: the invoice code,
 * already plaintext in the payment's own id (prakerja-<invoice>), so an operator finds it.
 */
export function otpBudgetWorkflowId(kind: OtpBudgetKind, name: string): string {
  return `otp-budget-${kind}-${name}`;
}

/** The worker's defaults (PRAKERJA_OTP_BUDGET_* override them). */
export const OTP_BUDGET_DEFAULTS = { perToken: 5, perInvoice: 5, windowHours: 24 } as const;

/** One unit reserved for one OTP sent to Prakerja. */
export interface OtpReservation {
  /** Unique per OTP submission (payment id, run and submission number): a retried reserve is one. */
  id: string;
  /** Workflow clock, ms since epoch: the unit is free again from then on. */
  expiresAt: number;
}

/** The budget workflow's input; continueAsNew carries the live reservations over. */
export interface OtpBudgetState {
  reservations: OtpReservation[];
}

export interface ReserveOtpInput {
  reservationId: string;
  /** Units the key may hold at once (the worker's setting, sent with each request). */
  limit: number;
  windowSeconds: number;
}

export type ReserveOtpAnswer =
  | { outcome: 'reserved'; used: number; limit: number }
  /** Spent: nothing may be sent to Prakerja; `retryAfter` is when the oldest unit frees (ISO). */
  | { outcome: 'exhausted'; used: number; limit: number; retryAfter: string };

export interface OtpBudgetView {
  used: number;
  reservations: OtpReservation[];
}

export const reserveOtpUpdate = defineUpdate<ReserveOtpAnswer, [ReserveOtpInput]>('reserveOtp');
/** Gives a unit back: the OTP was right, or never reached Prakerja. Idempotent. */
export const releaseOtpSignal = defineSignal<[{ reservationId: string }]>('releaseOtp');
export const otpBudgetQuery = defineQuery<OtpBudgetView>('otpBudget');

/**
 * What the saga's budget activities answer. `budgetId` names the workflow that holds the refusing
 * count: a token's budget workflow (an operator who decides the guesses were the user's own may
 * terminate it to reset it), or, for an invoice, the payment itself, which counts its own units.
 */
export type OtpBudgetOutcome =
  | { outcome: 'reserved' }
  | {
      outcome: 'exhausted';
      kind: OtpBudgetKind;
      limit: number;
      windowSeconds: number;
      retryAfter: string;
      budgetId: string;
    };

/** The reason a refused submitOtp Update carries: callers and tests match on it. */
export const OTP_BUDGET_EXHAUSTED = 'otp-budget-exhausted';

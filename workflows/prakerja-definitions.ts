/**
 * Everything the Prakerja saga shares with its callers: the workflow id rule, the states, and the
 * update / signal / query definitions. Imported by the workflow, the client and the CLI, so a
 * name is written once.
 */
import { defineSignal, defineUpdate, type ActivityOptions } from '@temporalio/workflow';
import type { FulfilmentActivities } from '../activities/fulfilment';
import type { OtpBudgetActivities } from '../activities/otp-budget';
import type { PrakerjaActivities } from '../activities/prakerja';
import type { ActivityTable } from './saga-kernel';
import type { PaymentView, ResolveReviewInput as KernelResolveReviewInput } from './saga-definitions';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

export const PRAKERJA_WORKFLOW_TYPE = 'prakerjaPaymentWorkflow';

/** One workflow per invoice: a repeated start for the same invoice finds the same payment. */
export function prakerjaWorkflowId(invoiceCode: string): string {
  return `prakerja-${invoiceCode}`;
}

export const PRAKERJA_STATUSES = [
  'AWAITING_OTP',
  'AUTHORIZING',
  'FULFILLING',
  'VOIDING',
  'NEEDS_REVIEW',
  'COMPLETED',
  'VOIDED',
  'FAILED',
  'EXPIRED',
  'CANCELLED',
] as const;
export type PrakerjaStatus = (typeof PRAKERJA_STATUSES)[number];

export const PRAKERJA_FINAL_STATUSES: readonly PrakerjaStatus[] = [
  'COMPLETED',
  'VOIDED',
  'FAILED',
  'EXPIRED',
  'CANCELLED',
];

export interface PrakerjaPaymentInput {
  invoiceCode: string;
  invoiceUrl: string;
  /** From Prakerja's send-OTP step. Secret: travels only inside encrypted payloads. */
  paymentToken: string;
  /** Integer rupiah. */
  amount: number;
  orderId: string;
  /** How long the user has to enter a right OTP. Default 300. */
  otpTimeoutSeconds?: number;
  /**
   * Wrong OTPs allowed before the payment fails. Default 3. The OTP budget (per payment token
   * and per invoice, across payments; see otp-budget-definitions.ts) may refuse sooner.
   */
  maxOtpAttempts?: number;
  fulfilment?: {
    /** Per attempt. Default 30. */
    timeoutSeconds?: number;
    /** Attempts before fulfilment counts as failed for good (and the purchase is voided). Default 5. */
    maxAttempts?: number;
  };
}

/** The saga's state as callers and operators see it. No OTP, no payment token. */
export interface PrakerjaPaymentView extends PaymentView<PrakerjaStatus, ReviewAction> {
  provider: 'prakerja';
  invoiceCode: string;
  orderId: string;
  amount: number;
  otpAttemptsLeft: number;
  otpDeadline: string;
  transactionCode?: string;
  fulfilmentReference?: string;
}

export interface SubmitOtpInput {
  otp: string;
}

export interface SubmitOtpResult {
  accepted: boolean;
  status: PrakerjaStatus;
  /**
   * Why it was not accepted: a wrong OTP can be retried while attemptsLeft > 0, and so can an
   * OTP refused because the budget could not be asked (nothing was sent to Prakerja). A spent
   * budget is not a reason here: the Update itself is refused (OTP_BUDGET_EXHAUSTED).
   */
  reason?:
    | 'wrong-otp'
    | 'provider-unavailable'
    | 'token-rejected'
    | 'ambiguous'
    | 'refused'
    | 'otp-budget-unavailable';
  attemptsLeft: number;
  transactionCode?: string;
}

export const PRAKERJA_REVIEW_ACTIONS = [
  'retry-void',
  'mark-completed',
  'mark-voided',
  'mark-failed',
] as const;
export type ReviewAction = (typeof PRAKERJA_REVIEW_ACTIONS)[number];

export type ResolveReviewInput = KernelResolveReviewInput<ReviewAction>;

/**
 * Every activity the saga calls, with its options (the kernel proxies exactly these).
 * Authorize: a transport failure that certainly never reached Prakerja is retried a few times;
 * everything else comes back as a value (see activities/prakerja.ts). Void is idempotent, so it
 * is retried patiently. Fulfilment's attempts and timeout are the caller's (input.fulfilment).
 * The OTP budget is asked while the caller waits on the submitOtp Update: a few quick tries, then
 * the OTP is refused (reserve) or the unit stays counted (release); neither parks the payment.
 */
export const PRAKERJA_ACTIVITIES = {
  otpBudgetReserve: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '500 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 3 },
  },
  otpBudgetRelease: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '500 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 3 },
  },
  prakerjaAuthorize: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 3 },
  },
  prakerjaVoid: { startToCloseTimeout: '30 seconds', retry: SAFE_TO_REPEAT_RETRY },
  fulfilPurchase: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
  },
} as const satisfies ActivityTable<PrakerjaActivities & FulfilmentActivities & OtpBudgetActivities>;

/** The fulfilment options a payment's input chooses. */
export function fulfilmentOptions(input: PrakerjaPaymentInput): ActivityOptions {
  return {
    startToCloseTimeout: `${input.fulfilment?.timeoutSeconds ?? 30} seconds`,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: input.fulfilment?.maxAttempts ?? 5,
    },
  };
}

export const submitOtpUpdate = defineUpdate<SubmitOtpResult, [SubmitOtpInput]>('submitOtp');
export const cancelSignal = defineSignal<[{ reason: string }]>('cancel');

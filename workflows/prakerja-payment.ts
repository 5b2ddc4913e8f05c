/**
 * The Prakerja OTP-authorize saga: wait for the OTP, authorize, fulfil; void when fulfilment
 * fails for good or the caller cancels after authorization.
 *
 * Money rules this file keeps:
 * - authorize is never repeated after an outcome we cannot read: an ambiguous authorize parks the
 *   payment in NEEDS_REVIEW (Prakerja documents no status call to confirm it);
 * - a void refusal other than "already voided" parks in NEEDS_REVIEW: the purchase stands and
 *   only a person can settle it;
 * - every state change is written to the search attributes before the saga waits again;
 * - no OTP reaches Prakerja without a unit of the OTP budget (per payment token across payments,
 *   and per invoice, whose one payment counts its own units): a spent budget refuses the
 *   submitOtp Update and fails the payment, and a budget that cannot be asked refuses the OTP
 *   (fail closed, nothing sent).
 *
 * Deterministic code only: no I/O, clocks or randomness except through Temporal's APIs.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FulfilmentActivities } from '../activities/fulfilment';
import type { OtpBudgetActivities } from '../activities/otp-budget';
import type { AuthorizeOutcome, PrakerjaActivities, VoidOutcome } from '../activities/prakerja';
import { OTP_BUDGET_EXHAUSTED } from './otp-budget-definitions';
import {
  cancelSignal,
  fulfilmentOptions,
  PRAKERJA_ACTIVITIES,
  PRAKERJA_FINAL_STATUSES,
  submitOtpUpdate,
  type PrakerjaPaymentInput,
  type PrakerjaPaymentView,
  type PrakerjaStatus,
  type ReviewAction,
  type ResolveReviewInput,
  type SubmitOtpResult,
} from './prakerja-definitions';
import { failureMessage, sagaActivities, startSaga } from './saga-kernel';

const OTP_PATTERN = /^\d{4,8}$/;

/** Authorize failures that certainly never reached Prakerja (see activities/prakerja.ts). */
const NEVER_DELIVERED_TYPES = ['ProviderTransportError', 'ProviderRejection'];
/**
 * Before the kernel, any authorize failure read as "unavailable, try again"; since, only the
 * never-delivered ones do and the rest park. Payments whose history took the old reading keep it.
 */
const UNPLANNED_AUTHORIZE_PARKS = 'prakerja-authorize-unplanned-parks';
/**
 * The OTP budget across payments: a unit is reserved before each authorize and given back when
 * the OTP was right or never reached Prakerja. Payments whose history took an OTP without it
 * replay without it.
 */
const OTP_BUDGET = 'prakerja-otp-budget';

function neverDelivered(err: ActivityFailure): boolean {
  return err.cause instanceof ApplicationFailure && NEVER_DELIVERED_TYPES.includes(err.cause.type ?? '');
}

export async function prakerjaPaymentWorkflow(input: PrakerjaPaymentInput): Promise<PrakerjaPaymentView> {
  const maxOtpAttempts = input.maxOtpAttempts ?? 3;
  const otpTimeoutMs = (input.otpTimeoutSeconds ?? 300) * 1000;
  const { prakerjaAuthorize, prakerjaVoid, fulfilPurchase, otpBudgetReserve, otpBudgetRelease } =
    sagaActivities<
      PrakerjaActivities & FulfilmentActivities & OtpBudgetActivities,
      keyof typeof PRAKERJA_ACTIVITIES
    >(PRAKERJA_ACTIVITIES, { fulfilPurchase: fulfilmentOptions(input) });

  const view: PrakerjaPaymentView = {
    workflowId: workflowInfo().workflowId,
    provider: 'prakerja',
    status: 'AWAITING_OTP',
    invoiceCode: input.invoiceCode,
    orderId: input.orderId,
    amount: input.amount,
    otpAttemptsLeft: maxOtpAttempts,
    otpDeadline: new Date(Date.now() + otpTimeoutMs).toISOString(),
    timeline: [],
  };
  let authorizing = false;
  let cancelReason: string | undefined;
  /** OTP submissions that reached the handler: names each budget unit (a retried reserve is one). */
  let otpSubmissions = 0;
  /**
   * Units of the invoice's budget this payment holds: reserved and not given back. The invoice's
   * only payment is this one, so this is the invoice's count. Only activity inputs carry it, and
   * those are not compared on replay: counting needs no patch.
   */
  let invoiceUnitsHeld = 0;

  const saga = startSaga<PrakerjaStatus, ReviewAction, PrakerjaPaymentView>({
    view,
    finalStatuses: PRAKERJA_FINAL_STATUSES,
    // A charge may exist once authorize was tried: a person settles it, never a guess.
    unplannedActions: () =>
      view.transactionCode
        ? ['retry-void', 'mark-completed', 'mark-voided']
        : ['mark-completed', 'mark-voided', 'mark-failed'],
    applyResolution,
  });
  const setStatus = (status: PrakerjaStatus, note: string) => saga.setStatus(status, note);

  saga.tag('prakerja', input.orderId, input.amount);
  setStatus('AWAITING_OTP', `waiting for the OTP (${maxOtpAttempts} attempts)`);
  saga.answered();

  setHandler(cancelSignal, ({ reason }) => {
    cancelReason ??= reason || 'cancelled by caller';
  });

  setHandler(
    submitOtpUpdate,
    async ({ otp }): Promise<SubmitOtpResult> => {
      authorizing = true;
      let result: SubmitOtpResult | undefined;
      try {
        const budgeted = patched(OTP_BUDGET);
        const budget = budgeted ? budgetInput() : undefined;
        if (budget) {
          const refusal = await reserveBudget(budget);
          if (refusal) return refusal;
        }
        setStatus('AUTHORIZING', `authorizing (OTP attempt ${maxOtpAttempts - view.otpAttemptsLeft + 1})`);
        let outcome: AuthorizeOutcome['outcome'] | 'unavailable' | undefined;
        // An authorize whose failure nobody planned for may have charged: it parks.
        await saga.guard(async () => {
          const answer = await authorizeOnce(otp);
          outcome = answer.outcome;
          result = applyAuthorizeOutcome(answer);
        });
        // A right OTP, or one that never reached Prakerja, was no guess: its unit goes back.
        if (budget && (outcome === 'authorized' || outcome === 'unavailable')) await releaseBudget(budget);
      } finally {
        authorizing = false;
      }
      return result ?? reply(false, 'ambiguous');
    },
    {
      // Rejected here, a bad input never reaches history and the workflow keeps waiting.
      validator: (arg) => {
        if (
          typeof arg !== 'object' ||
          arg === null ||
          typeof arg.otp !== 'string' ||
          !OTP_PATTERN.test(arg.otp)
        ) {
          throw new Error('invalid OTP: expected 4 to 8 digits');
        }
        if (view.status !== 'AWAITING_OTP' || authorizing) {
          throw new Error(`payment ${view.workflowId} is ${view.status}, not waiting for an OTP`);
        }
        // A cancel received in the same task as the OTP (the payment still shows AWAITING_OTP)
        // wins: authorizing now would charge the participant only to void it at once. Validators
        // do not run on replay, so this needs no patch.
        if (cancelReason !== undefined) {
          throw new Error(
            `payment ${view.workflowId} is being cancelled (${cancelReason}): the OTP was not used`,
          );
        }
      },
    },
  );

  function budgetInput() {
    const { workflowId, runId } = workflowInfo();
    otpSubmissions += 1;
    return {
      paymentToken: input.paymentToken,
      invoiceCode: input.invoiceCode,
      reservationId: `${workflowId}/${runId}/otp-${otpSubmissions}`,
      invoiceUnitsHeld,
    };
  }

  /**
   * One unit of the token's budget and of the invoice's (this payment's own count), before
   * anything is sent to Prakerja.
   * Answers a refusal for the caller, or throws the Update's refusal when the budget is spent.
   */
  async function reserveBudget(budget: ReturnType<typeof budgetInput>): Promise<SubmitOtpResult | undefined> {
    let answer;
    try {
      answer = await otpBudgetReserve(budget);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Fail closed: no OTP goes out unbudgeted. Nothing happened at Prakerja, so no person is
      // needed; the caller may send the OTP again.
      setStatus(
        'AWAITING_OTP',
        `OTP budget unreachable, nothing sent to Prakerja; try again (${failureMessage(err)})`,
      );
      return reply(false, 'otp-budget-unavailable');
    }
    if (answer.outcome === 'reserved') {
      invoiceUnitsHeld += 1;
      return undefined;
    }
    const hours = Math.round(answer.windowSeconds / 360) / 10;
    const message =
      `${OTP_BUDGET_EXHAUSTED}: this ${answer.kind === 'token' ? 'payment token' : 'invoice'} has used its ` +
      `${answer.limit} OTP attempts for ${hours} h; nothing was sent to Prakerja; next attempt from ${answer.retryAfter}`;
    setStatus('FAILED', `${message} (budget ${answer.budgetId})`);
    throw ApplicationFailure.nonRetryable(message, 'OtpBudgetExhausted');
  }

  /** A unit that cannot be given back stays counted until its window ends: the safe side. */
  async function releaseBudget(budget: ReturnType<typeof budgetInput>): Promise<void> {
    try {
      await otpBudgetRelease(budget);
      invoiceUnitsHeld -= 1;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      saga.note(`OTP budget unit not given back, it stays counted: ${failureMessage(err)}`);
    }
  }

  async function authorizeOnce(
    otp: string,
  ): Promise<AuthorizeOutcome | { outcome: 'unavailable'; detail: string }> {
    try {
      return await prakerjaAuthorize({
        paymentToken: input.paymentToken,
        otp,
        invoiceUrl: input.invoiceUrl,
        invoiceCode: input.invoiceCode,
      });
    } catch (err) {
      // Only never-delivered failures are thrown by the activity: nothing happened at Prakerja.
      // Anything else is unplanned and parks (the kernel).
      if (err instanceof ActivityFailure && (neverDelivered(err) || !patched(UNPLANNED_AUTHORIZE_PARKS)))
        return { outcome: 'unavailable', detail: failureMessage(err) };
      throw err;
    }
  }

  function applyAuthorizeOutcome(
    outcome: AuthorizeOutcome | { outcome: 'unavailable'; detail: string },
  ): SubmitOtpResult {
    switch (outcome.outcome) {
      case 'authorized':
        view.transactionCode = outcome.transactionCode;
        if (outcome.amount !== input.amount) {
          park({
            reason: `Prakerja authorized ${outcome.amount}, the order says ${input.amount}`,
            actions: ['retry-void', 'mark-completed', 'mark-voided'],
          });
          return reply(true);
        }
        setStatus('FULFILLING', `authorized, transaction ${outcome.transactionCode}`);
        return reply(true);
      case 'otp-rejected':
        view.otpAttemptsLeft -= 1;
        if (view.otpAttemptsLeft <= 0) {
          setStatus('FAILED', `OTP rejected (${outcome.code}); no attempts left`);
          return reply(false, 'wrong-otp');
        }
        setStatus('AWAITING_OTP', `OTP rejected (${outcome.code}); ${view.otpAttemptsLeft} attempts left`);
        return reply(false, 'wrong-otp');
      case 'unavailable':
        setStatus('AWAITING_OTP', `Prakerja unreachable, nothing recorded; try again (${outcome.detail})`);
        return reply(false, 'provider-unavailable');
      case 'token-unclaimable':
        setStatus('FAILED', `payment token refused (${outcome.code} ${outcome.message})`);
        return reply(false, 'token-rejected');
      case 'refused':
        setStatus(
          'FAILED',
          `authorize refused: HTTP ${outcome.httpStatus} ${outcome.code} ${outcome.message}`,
        );
        return reply(false, 'refused');
      case 'ambiguous':
        park({
          reason: `authorize outcome unknown: ${outcome.detail}`,
          code: outcome.code,
          actions: ['mark-completed', 'mark-voided', 'mark-failed'],
        });
        return reply(false, 'ambiguous');
    }
  }

  function reply(accepted: boolean, reason?: SubmitOtpResult['reason']): SubmitOtpResult {
    return {
      accepted,
      status: view.status,
      reason,
      attemptsLeft: view.otpAttemptsLeft,
      transactionCode: view.transactionCode,
    };
  }

  function park(review: {
    reason: string;
    actions: ReviewAction[];
    code?: string;
    providerMessage?: string;
  }) {
    const { reason, actions, ...extra } = review;
    saga.park(reason, actions, extra);
  }

  async function voidPurchase(why: string): Promise<void> {
    setStatus('VOIDING', why);
    // A void out of retries throws on: the kernel parks it with the activity named, offering
    // retry-void (unplannedActions).
    const outcome: VoidOutcome = await prakerjaVoid({
      invoiceCode: input.invoiceCode,
      transactionCode: view.transactionCode!,
    });
    if (outcome.outcome === 'refused') {
      park({
        reason: `void refused: ${outcome.message}`,
        code: outcome.code,
        providerMessage: outcome.message,
        actions: ['retry-void', 'mark-voided', 'mark-completed'],
      });
      return;
    }
    setStatus(
      'VOIDED',
      outcome.outcome === 'already-voided' ? 'Prakerja says already voided' : 'voided at Prakerja',
    );
  }

  async function fulfil(): Promise<void> {
    try {
      const res = await fulfilPurchase({
        idempotencyKey: view.workflowId,
        provider: 'prakerja',
        invoiceCode: input.invoiceCode,
        transactionCode: view.transactionCode!,
        amount: input.amount,
        orderId: input.orderId,
      });
      view.fulfilmentReference = res.reference;
      const lateCancel = cancelReason
        ? `; cancel ("${cancelReason}") arrived during fulfilment and was not applied`
        : '';
      setStatus('COMPLETED', `fulfilled (${res.reference})${lateCancel}`);
    } catch (err) {
      await voidPurchase(`fulfilment failed for good: ${failureMessage(err)}`);
    }
  }

  async function applyResolution({ action, note, operator }: ResolveReviewInput): Promise<void> {
    const by = `by ${operator}: ${note}`;
    if (action === 'retry-void') await voidPurchase(`void retried ${by}`);
    else if (action === 'mark-completed') setStatus('COMPLETED', `marked completed ${by}`);
    else if (action === 'mark-voided') setStatus('VOIDED', `marked voided ${by}`);
    else setStatus('FAILED', `marked failed ${by}`);
  }

  return saga.run(async () => {
    // 1. The OTP phase: ends when an authorize settles it, on cancel, or at the deadline.
    const settled = await condition(
      () => (view.status !== 'AWAITING_OTP' && !authorizing) || (cancelReason !== undefined && !authorizing),
      otpTimeoutMs,
    );
    if (!settled) {
      // Deadline: an authorize still in flight decides first; its money must not be forgotten.
      await condition(() => !authorizing);
    }
    if (view.status === 'AWAITING_OTP') {
      if (cancelReason !== undefined)
        setStatus('CANCELLED', `cancelled before authorization: ${cancelReason}`);
      else setStatus('EXPIRED', 'no valid OTP before the deadline; nothing was charged');
    }

    // 2. Authorized: fulfil, or void if the caller cancelled meanwhile.
    if (view.status === 'FULFILLING') {
      if (cancelReason !== undefined) await voidPurchase(`cancelled after authorization: ${cancelReason}`);
      else await fulfil();
    }
  });
}

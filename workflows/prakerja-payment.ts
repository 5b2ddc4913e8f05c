/**
 * The Prakerja OTP-authorize saga: wait for the OTP, authorize, fulfil; void when fulfilment
 * fails for good or the caller cancels after authorization.
 *
 * Money rules this file keeps:
 * - authorize is never repeated after an outcome we cannot read: an ambiguous authorize parks the
 *   payment in NEEDS_REVIEW (Prakerja documents no status call to confirm it);
 * - a void refusal other than "already voided" parks in NEEDS_REVIEW: the purchase stands and
 *   only a person can settle it;
 * - every state change is written to the search attributes before the saga waits again.
 *
 * Deterministic code only: no I/O, clocks or randomness except through Temporal's APIs.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FulfilmentActivities } from '../activities/fulfilment';
import type { AuthorizeOutcome, PrakerjaActivities, VoidOutcome } from '../activities/prakerja';
import {
  cancelSignal,
  PRAKERJA_FINAL_STATUSES,
  resolveReviewUpdate,
  statusQuery,
  submitOtpUpdate,
  type PrakerjaPaymentInput,
  type PrakerjaPaymentView,
  type PrakerjaStatus,
  type ResolveReviewInput,
  type ReviewInfo,
  type SubmitOtpResult,
} from './prakerja-definitions';
import { recordStatus, tagPayment } from './saga-status';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

const OTP_PATTERN = /^\d{4,8}$/;

// Authorize: a transport failure that certainly never reached Prakerja is retried a few times;
// everything else comes back as a value (see activities/prakerja.ts).
const { prakerjaAuthorize } = proxyActivities<PrakerjaActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 3 },
});

// Void is idempotent, so it is retried patiently; past the last attempt the saga asks a person.
const { prakerjaVoid } = proxyActivities<PrakerjaActivities>({
  startToCloseTimeout: '30 seconds',
  retry: SAFE_TO_REPEAT_RETRY,
});

export async function prakerjaPaymentWorkflow(input: PrakerjaPaymentInput): Promise<PrakerjaPaymentView> {
  const maxOtpAttempts = input.maxOtpAttempts ?? 3;
  const otpTimeoutMs = (input.otpTimeoutSeconds ?? 300) * 1000;
  const { fulfilPurchase } = proxyActivities<FulfilmentActivities>({
    startToCloseTimeout: `${input.fulfilment?.timeoutSeconds ?? 30} seconds`,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: input.fulfilment?.maxAttempts ?? 5,
    },
  });

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
  let pendingResolution: ResolveReviewInput | undefined;

  function setStatus(status: PrakerjaStatus, note: string, review?: ReviewInfo): void {
    view.review = review;
    recordStatus(view, status, note, status === 'NEEDS_REVIEW');
  }

  tagPayment('prakerja', input.orderId, input.amount);
  setStatus('AWAITING_OTP', `waiting for the OTP (${maxOtpAttempts} attempts)`);

  setHandler(statusQuery, () => view);

  setHandler(cancelSignal, ({ reason }) => {
    cancelReason ??= reason || 'cancelled by caller';
  });

  setHandler(
    submitOtpUpdate,
    async ({ otp }): Promise<SubmitOtpResult> => {
      authorizing = true;
      setStatus('AUTHORIZING', `authorizing (OTP attempt ${maxOtpAttempts - view.otpAttemptsLeft + 1})`);
      try {
        const outcome = await authorizeOnce(otp);
        return applyAuthorizeOutcome(outcome);
      } finally {
        authorizing = false;
      }
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
      },
    },
  );

  setHandler(
    resolveReviewUpdate,
    async (resolution) => {
      pendingResolution = resolution;
      await condition(() => pendingResolution === undefined);
      return view;
    },
    {
      validator: (arg) => {
        if (view.status !== 'NEEDS_REVIEW')
          throw new Error(`payment ${view.workflowId} is ${view.status}, not in review`);
        if (!arg || !view.review?.actions.includes(arg.action)) {
          throw new Error(`action must be one of: ${view.review?.actions.join(', ')}`);
        }
        if (typeof arg.note !== 'string' || arg.note.trim().length < 5)
          throw new Error('a note (what was checked) is required');
        if (typeof arg.operator !== 'string' || arg.operator.trim() === '')
          throw new Error('operator is required');
      },
    },
  );

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
      if (err instanceof ActivityFailure) return { outcome: 'unavailable', detail: failureMessage(err) };
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
          return result(true);
        }
        setStatus('FULFILLING', `authorized, transaction ${outcome.transactionCode}`);
        return result(true);
      case 'otp-rejected':
        view.otpAttemptsLeft -= 1;
        if (view.otpAttemptsLeft <= 0) {
          setStatus('FAILED', `OTP rejected (${outcome.code}); no attempts left`);
          return result(false, 'wrong-otp');
        }
        setStatus('AWAITING_OTP', `OTP rejected (${outcome.code}); ${view.otpAttemptsLeft} attempts left`);
        return result(false, 'wrong-otp');
      case 'unavailable':
        setStatus('AWAITING_OTP', `Prakerja unreachable, nothing recorded; try again (${outcome.detail})`);
        return result(false, 'provider-unavailable');
      case 'token-unclaimable':
        setStatus('FAILED', `payment token refused (${outcome.code} ${outcome.message})`);
        return result(false, 'token-rejected');
      case 'refused':
        setStatus(
          'FAILED',
          `authorize refused: HTTP ${outcome.httpStatus} ${outcome.code} ${outcome.message}`,
        );
        return result(false, 'refused');
      case 'ambiguous':
        park({
          reason: `authorize outcome unknown: ${outcome.detail}`,
          code: outcome.code,
          actions: ['mark-completed', 'mark-voided', 'mark-failed'],
        });
        return result(false, 'ambiguous');
    }
  }

  function result(accepted: boolean, reason?: SubmitOtpResult['reason']): SubmitOtpResult {
    return {
      accepted,
      status: view.status,
      reason,
      attemptsLeft: view.otpAttemptsLeft,
      transactionCode: view.transactionCode,
    };
  }

  function park(review: ReviewInfo): void {
    setStatus('NEEDS_REVIEW', review.reason, review);
  }

  async function voidPurchase(why: string): Promise<void> {
    setStatus('VOIDING', why);
    let outcome: VoidOutcome;
    try {
      outcome = await prakerjaVoid({
        invoiceCode: input.invoiceCode,
        transactionCode: view.transactionCode!,
      });
    } catch (err) {
      park({
        reason: `void not confirmed after retries: ${failureMessage(err)}`,
        actions: ['retry-void', 'mark-voided', 'mark-completed'],
      });
      return;
    }
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

  async function awaitOperator(): Promise<void> {
    while (view.status === 'NEEDS_REVIEW') {
      await condition(() => pendingResolution !== undefined);
      const { action, note, operator } = pendingResolution!;
      view.resolution = { action, note, operator, at: new Date(Date.now()).toISOString() };
      const by = `by ${operator}: ${note}`;
      if (action === 'retry-void') await voidPurchase(`void retried ${by}`);
      else if (action === 'mark-completed') setStatus('COMPLETED', `marked completed ${by}`);
      else if (action === 'mark-voided') setStatus('VOIDED', `marked voided ${by}`);
      else setStatus('FAILED', `marked failed ${by}`);
      pendingResolution = undefined;
    }
  }

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
    if (cancelReason !== undefined) setStatus('CANCELLED', `cancelled before authorization: ${cancelReason}`);
    else setStatus('EXPIRED', 'no valid OTP before the deadline; nothing was charged');
  }

  // 2. Authorized: fulfil, or void if the caller cancelled meanwhile.
  if (view.status === 'FULFILLING') {
    if (cancelReason !== undefined) await voidPurchase(`cancelled after authorization: ${cancelReason}`);
    else await fulfil();
  }

  // 3. Needs review: stays open until an operator resolves it.
  await awaitOperator();

  await condition(allHandlersFinished);
  if (!PRAKERJA_FINAL_STATUSES.includes(view.status)) {
    throw ApplicationFailure.nonRetryable(
      `saga ended in non-final status ${view.status}`,
      'InvariantViolation',
    );
  }
  return view;
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The PPOB purchase saga: (postpaid: inquiry, then the caller confirms the bill), optional
 * K-Wallet funding, submit with the refid, then wait for the final status.
 *
 * Money rules this file keeps:
 * - one refid per purchase, derived once and kept: every re-send (after a timeout, for a status
 *   check) uses it, and the provider never processes a refid twice;
 * - the callback is unsigned, so it is only a hint: the saga re-sends the refid and believes the
 *   provider's answer, not the callback; polling with backoff covers lost callbacks;
 * - Failed refunds the funding through the escrow refund saga (a child with the refund's own
 *   workflow id, so it happens once); still Pending at the deadline is NEEDS_REVIEW, never refunded
 *   blind (a pending top-up may still succeed);
 * - a status word the engine does not know parks at once: the provider may have delivered, so it
 *   is never read as failure and never as "not yet";
 * - an inquiry whose answer carries no bill amount the engine can read ends FAILED with the
 *   answer in the timeline: nothing was paid, and asking again would get the same answer.
 *
 * Deterministic code only: no I/O, clocks or randomness except through Temporal's APIs.
 */
import {
  condition,
  executeChild,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { KLinkActivities, KWalletPayOutcome } from '../activities/klink';
import type { PpobActivities, PpobAnswer } from '../activities/ppob';
import { ppobState } from '../providers/ppob/states';
import { klinkEscrowRefundWorkflow } from './klink-escrow-refund';
import { klinkRefundWorkflowId, type KLinkRefundView } from './klink-refund-definitions';
import {
  confirmBillUpdate,
  PPOB_ACTIVITIES,
  PPOB_FINAL_STATUSES,
  ppobCallbackSignal,
  type PpobPurchaseInput,
  type PpobPurchaseView,
  type PpobReviewAction,
  type PpobStatus,
} from './ppob-definitions';
import { LEGACY_REVIEW_UPDATES, type ProviderState, type ResolveReviewInput } from './saga-definitions';
import { pollUntilSettled, sagaActivities, startSaga } from './saga-kernel';

/** When an unclear K-Wallet pay is looked up again before a person is asked. */
const RECONCILE_SCHEDULE_MS = [5_000, 30_000, 120_000];

/** Once the refid was sent: the provider may have delivered. */
const AFTER_SUBMIT: PpobReviewAction[] = ['recheck', 'mark-failed', 'mark-succeeded'];
/** Before the refid was sent: nothing was bought (re-sending it would buy, so no recheck). */
const BEFORE_SUBMIT: PpobReviewAction[] = ['mark-failed', 'mark-resolved'];

/** Once the refund child started, a late callback no longer re-checks (see lateCallback). */
const LATE_CALLBACK_AFTER_REFUND_PATCH = 'ppob-late-callback-after-refund';

export async function ppobPurchaseWorkflow(input: PpobPurchaseInput): Promise<PpobPurchaseView> {
  const { ppobSubmit, ppobInquiry, klinkPay, klinkReconcilePay } = sagaActivities<
    PpobActivities & KLinkActivities,
    keyof typeof PPOB_ACTIVITIES
  >(PPOB_ACTIVITIES);

  const view: PpobPurchaseView = {
    workflowId: workflowInfo().workflowId,
    provider: 'ppob',
    status: input.kind === 'postpaid' ? 'INQUIRING' : input.funding ? 'FUNDING' : 'SUBMITTING',
    orderId: input.orderId,
    kind: input.kind,
    productCode: input.productCode,
    destination: input.destination,
    refid: input.refid,
    callbacksSeen: 0,
    timeline: [],
  };
  let callbackHint = false;
  // Set once the refid has been sent. Before that, re-sending it would not check a purchase but
  // make one: a callback (unsigned, so possibly forged) must never cause that.
  let submitted = false;
  let billDecision: { accept: boolean; operator?: string } | undefined;

  const saga = startSaga<PpobStatus, PpobReviewAction, PpobPurchaseView>({
    view,
    finalStatuses: PPOB_FINAL_STATUSES,
    // A refund already started is settled by a person with the refund saga: never started twice.
    unplannedActions: () =>
      view.refundWorkflowId ? ['mark-resolved'] : submitted ? AFTER_SUBMIT : BEFORE_SUBMIT,
    applyResolution,
    validateResolution: ({ action, sn }) => {
      if (action === 'mark-succeeded' && !sn?.trim())
        throw new Error('mark-succeeded needs the sn the provider confirmed');
    },
    // A callback while a person looks: check once more, it may settle the purchase by itself.
    whileParked: { ready: () => callbackHint, run: lateCallback },
    legacyReviewUpdate: { name: LEGACY_REVIEW_UPDATES.ppob },
  });
  const setStatus = (status: PpobStatus, note: string) => saga.setStatus(status, note);

  saga.tag('ppob', input.orderId, input.funding?.amount ?? 0);
  saga.tagProviderRef(String(input.refid));
  setStatus(view.status, `${input.kind} ${input.productCode} for ${input.destination}, refid ${input.refid}`);

  setHandler(ppobCallbackSignal, (cb) => {
    view.callbacksSeen += 1;
    saga.note(
      `callback says ${cb.status}${cb.sn ? ` (sn ${cb.sn})` : ''}: a hint, checking with the provider`,
    );
    callbackHint = true;
  });
  setHandler(
    confirmBillUpdate,
    async (decision) => {
      billDecision = decision;
      await condition(() => view.status !== 'AWAITING_CONFIRMATION');
      return view;
    },
    {
      validator: (arg) => {
        if (view.status !== 'AWAITING_CONFIRMATION')
          throw new Error(`purchase ${view.workflowId} is ${view.status}, not awaiting bill confirmation`);
        if (typeof arg?.accept !== 'boolean') throw new Error('accept must be true or false');
        // An accept and a decline at once: the first decides; the second is refused, never both "ok".
        if (billDecision)
          throw new Error(
            `purchase ${view.workflowId}: the bill was already ${billDecision.accept ? 'accepted' : 'declined'}`,
          );
      },
    },
  );

  const fundingOrderId = `ppob-${input.orderId}`;

  /** Takes the money first. Returns false when the purchase must not go on. */
  async function fund(amount: number): Promise<boolean> {
    const funding = input.funding!;
    setStatus(
      'FUNDING',
      `taking ${amount} from K-Wallet member ${funding.idMember} (id_order ${fundingOrderId})`,
    );
    const payInput = {
      idMember: funding.idMember,
      amount,
      idOrder: fundingOrderId,
      description: `PPOB ${input.productCode} ${input.destination}`,
    };
    // A pay or reconcile out of retries throws on: the kernel parks it (funding not settled).
    let outcome: KWalletPayOutcome = await klinkPay(payInput);
    for (const waitMs of RECONCILE_SCHEDULE_MS) {
      if (outcome.outcome !== 'unknown') break;
      saga.note(`K-Wallet pay unclear (${outcome.detail}); reconcile again in ${waitMs / 1000}s`);
      await sleep(waitMs);
      outcome = await klinkReconcilePay(payInput);
    }
    if (outcome.outcome === 'paid') {
      view.funded = { idMember: funding.idMember, amount, fundingOrderId };
      saga.note(
        `funded from K-Wallet (${outcome.settledBy === 'reconcile' ? 'confirmed by reconcile' : 'paid'})`,
      );
      return true;
    }
    if (outcome.outcome === 'declined') {
      setStatus('FAILED', `K-Wallet declined: ${outcome.code} ${outcome.message}; nothing was taken`);
      return false;
    }
    const why =
      outcome.outcome === 'conflict'
        ? outcome.detail
        : `K-Wallet pay still unknown after reconciling: ${outcome.detail}`;
    saga.park(why, BEFORE_SUBMIT);
    return false;
  }

  /** Gives the funding back through the escrow refund saga, once. */
  async function refundFunding(why: string): Promise<void> {
    if (!view.funded) {
      setStatus(
        'FAILED',
        `${why}; the engine recorded no K-Wallet funding to refund (an unclear debit is the operator's to settle at K-Link)`,
      );
      return;
    }
    const workflowId = klinkRefundWorkflowId(view.funded.fundingOrderId);
    view.refundWorkflowId = workflowId;
    setStatus(
      'REFUNDING',
      `${why}; refunding ${view.funded.amount} to ${view.funded.idMember} (${workflowId})`,
    );
    // The refund saga parks rather than fails; if it still fails (terminated, say), the kernel
    // parks this purchase naming the child, offering mark-resolved (unplannedActions).
    const refund: KLinkRefundView = await executeChild(klinkEscrowRefundWorkflow, {
      workflowId,
      args: [
        {
          idOrder: view.funded.fundingOrderId,
          idMember: view.funded.idMember,
          expectedAmount: view.funded.amount,
          note: `PPOB ${input.orderId} failed`,
        },
      ],
      // The refund must finish even if this purchase is terminated.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    if (refund.status === 'REFUNDED')
      setStatus('REFUNDED', `purchase failed and the funding came back (${workflowId})`);
    else
      saga.park(`purchase failed but the refund ended ${refund.status}: see ${workflowId}`, [
        'mark-resolved',
      ]);
  }

  /**
   * Applies the provider's answer for our refid. Returns true when waiting is over: the purchase
   * is settled, or parked on a word the engine does not know.
   */
  async function apply(answer: PpobAnswer, source: string): Promise<boolean> {
    view.providerStatus = answer.status;
    view.trxId = answer.trxId;
    switch (stateOf(answer)) {
      case 'paid':
        view.sn = answer.sn;
        setStatus('SUCCEEDED', `${source}: ${answer.status}, sn ${answer.sn ?? '(none)'}`);
        saga.tagProviderRef(String(input.refid));
        return true;
      case 'failed':
        await refundFunding(`${source}: ${answer.status} (${answer.message})`);
        return true;
      case 'pending':
        if (view.status !== 'WAITING_FINAL')
          setStatus('WAITING_FINAL', `${source}: ${answer.status}; waiting for the final status`);
        return false;
      case 'unknown':
        saga.park(
          `${source}: "${answer.status}" (${answer.message}), a status the engine does not know: ` +
            `refid ${input.refid} may have been delivered; a person checks with the provider`,
          AFTER_SUBMIT,
          { providerMessage: answer.message },
        );
        return true;
    }
  }

  /** Sends the refid: the purchase the first time, a status check every time after. */
  function submit(): Promise<PpobAnswer> {
    return ppobSubmit({
      kind: input.kind,
      code: input.productCode,
      dest: input.destination,
      refid: input.refid,
      inqId: view.bill?.inqId,
    });
  }

  /** Polls (and listens for callbacks) until a final status or the deadline. */
  async function waitForFinal(): Promise<void> {
    const settled = await pollUntilSettled({
      deadlineMs: (input.finalDeadlineSeconds ?? 1800) * 1000,
      firstMs: (input.pollSeconds ?? 5) * 1000,
      maxMs: 60_000,
      hinted: () => callbackHint,
      clearHint: () => (callbackHint = false),
      check: async (hinted) =>
        apply(await submit(), hinted ? 'after a callback, the provider answers' : 'status check'),
    });
    if (settled) return;
    saga.park(
      `still ${view.providerStatus} at the deadline: not refunded blind (a pending purchase may still succeed)`,
      AFTER_SUBMIT,
    );
  }

  /** Postpaid: the bill, then the caller's decision. Returns false when the purchase must not go on. */
  async function inquireAndConfirm(): Promise<boolean> {
    setStatus('INQUIRING', `inquiry ${input.productCode} for ${input.destination}`);
    // An inquiry out of retries throws on: the kernel parks it (nothing was taken).
    const inquiry = await ppobInquiry({
      code: input.productCode,
      dest: input.destination,
      refid: input.inquiryRefid ?? input.refid,
    });
    if (inquiry.outcome === 'failed') {
      setStatus('FAILED', `inquiry failed: ${inquiry.message}; nothing was taken`);
      return false;
    }
    if (inquiry.outcome === 'no-bill-amount') {
      // Asking again gets the same answer, and nothing was paid: the purchase ends, never retried
      // or parked. The answer is kept in the timeline for whoever reads the amount by hand.
      view.providerStatus = inquiry.status;
      setStatus(
        'FAILED',
        `inquiry answered ${inquiry.status} (${inquiry.message}) but ${inquiry.problem}; nothing was taken. ` +
          `The answer: ${inquiry.answer}`,
      );
      return false;
    }
    if (inquiry.outcome === 'unclear') {
      saga.park(
        `inquiry answered "${inquiry.status}" (${inquiry.message}), a status the engine does not know; nothing was taken`,
        BEFORE_SUBMIT,
        { providerMessage: inquiry.message },
      );
      return false;
    }
    view.bill = { inqId: inquiry.inqId, amount: inquiry.amount, customerName: inquiry.customerName };
    saga.tagProviderRef(String(input.refid));
    saga.tag('ppob', input.orderId, inquiry.amount);
    const timeoutMs = (input.confirmTimeoutSeconds ?? 900) * 1000;
    setStatus(
      'AWAITING_CONFIRMATION',
      `bill ${inquiry.amount} for ${inquiry.customerName ?? input.destination}: waiting for the caller`,
    );
    saga.answered();
    if (!(await condition(() => billDecision !== undefined, timeoutMs))) {
      setStatus('CANCELLED', 'bill not confirmed before the deadline; nothing was taken');
      return false;
    }
    if (!billDecision!.accept) {
      const by = billDecision!.operator ? ` by ${billDecision!.operator}` : '';
      setStatus('CANCELLED', `bill declined${by}; nothing was taken`);
      return false;
    }
    return true;
  }

  async function purchase(): Promise<void> {
    // A prepaid caller needs nothing back but the refid, which it has: answer at once, never
    // hold the start call through K-Wallet funding and a submit that may retry for minutes.
    if (input.kind === 'prepaid') saga.answered();
    if (input.kind === 'postpaid' && !(await inquireAndConfirm())) return;
    if (input.funding && !(await fund(input.kind === 'postpaid' ? view.bill!.amount : input.funding.amount!)))
      return;
    setStatus('SUBMITTING', `submitting refid ${input.refid}`);
    submitted = true;
    const answer = await submit();
    if (!(await apply(answer, 'submit answered'))) await waitForFinal();
  }

  /** While parked, after a callback: the provider's answer settles the purchase when it is final. */
  async function lateCallback(): Promise<void> {
    callbackHint = false;
    if (!submitted) {
      saga.note('callback ignored: this purchase was never submitted, so there is nothing to check');
      return;
    }
    // Patched: before, a late callback re-checked even after the refund started (histories hold
    // that ppobSubmit); a Failed answer now would start the refund again.
    if (view.refundWorkflowId && patched(LATE_CALLBACK_AFTER_REFUND_PATCH)) {
      // A person settles it with that refund.
      saga.note(
        `callback noted: the refund ${view.refundWorkflowId} was already started; a person settles it`,
      );
      return;
    }
    const answer = await submit();
    if (stateOf(answer) !== 'pending') await apply(answer, 'late callback, the provider answers');
  }

  async function applyResolution({ action, operator, note, sn }: ResolveReviewInput<PpobReviewAction>) {
    const by = `by ${operator}: ${note}`;
    if (action === 'recheck') {
      const answer = await submit();
      if (!(await apply(answer, `recheck ${by}`)))
        saga.park(`recheck ${by}: still ${answer.status}`, AFTER_SUBMIT);
    } else if (action === 'mark-failed') await refundFunding(`marked failed ${by}`);
    else if (action === 'mark-succeeded') {
      view.sn = sn;
      setStatus('SUCCEEDED', `marked succeeded ${by} (sn ${sn})`);
    } else setStatus('FAILED', `resolved by hand ${by}`);
  }

  return saga.run(purchase);
}

/** The answer's state; results recorded before the kernel carry only the word. */
function stateOf(answer: PpobAnswer): ProviderState {
  return answer.state ?? ppobState(answer.status);
}

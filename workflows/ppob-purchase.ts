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
 *   blind (a pending top-up may still succeed).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { KLinkActivities, KWalletPayOutcome } from '../activities/klink';
import type { PpobActivities, PpobAnswer } from '../activities/ppob';
import { klinkEscrowRefundWorkflow } from './klink-escrow-refund';
import { klinkRefundWorkflowId, type KLinkRefundView } from './klink-refund-definitions';
import {
  confirmBillUpdate,
  ppobCallbackSignal,
  ppobStatusQuery,
  resolvePpobReviewUpdate,
  type PpobPurchaseInput,
  type PpobPurchaseView,
  type PpobReviewAction,
  type PpobStatus,
  type ResolvePpobReviewInput,
} from './ppob-definitions';
import { recordStatus, tagPayment, validateReviewResolution } from './saga-status';
import { SA_PROVIDER_REF } from './search-attributes';
import { SAFE_TO_REPEAT_RETRY } from './retry-policies';

// Re-sending a refid is safe by the provider's own rule, so an unclear submit is retried as it was.
const { ppobSubmit, ppobInquiry } = proxyActivities<PpobActivities>({
  startToCloseTimeout: '30 seconds',
  retry: SAFE_TO_REPEAT_RETRY,
});
const { klinkPay, klinkReconcilePay } = proxyActivities<KLinkActivities>({
  startToCloseTimeout: '60 seconds',
  retry: SAFE_TO_REPEAT_RETRY,
});

/** When an unclear K-Wallet pay is looked up again before a person is asked. */
const RECONCILE_SCHEDULE_MS = [5_000, 30_000, 120_000];

export async function ppobPurchaseWorkflow(input: PpobPurchaseInput): Promise<PpobPurchaseView> {
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
  let resolution: ResolvePpobReviewInput | undefined;

  const setStatus = (status: PpobStatus, note: string, actions?: PpobReviewAction[]) => {
    view.review = actions ? { reason: note, actions } : undefined;
    recordStatus(view, status, note, status === 'NEEDS_REVIEW');
  };
  const note = (text: string) =>
    view.timeline.push({ at: new Date(Date.now()).toISOString(), status: view.status, note: text });

  tagPayment('ppob', input.orderId, input.funding?.amount ?? 0);
  upsertSearchAttributes([{ key: SA_PROVIDER_REF, value: String(input.refid) }]);
  setStatus(view.status, `${input.kind} ${input.productCode} for ${input.destination}, refid ${input.refid}`);

  setHandler(ppobStatusQuery, () => view);
  setHandler(ppobCallbackSignal, (cb) => {
    view.callbacksSeen += 1;
    note(`callback says ${cb.status}${cb.sn ? ` (sn ${cb.sn})` : ''}: a hint, checking with the provider`);
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
      },
    },
  );
  setHandler(
    resolvePpobReviewUpdate,
    async (r) => {
      resolution = r;
      await condition(() => resolution === undefined);
      return view;
    },
    {
      validator: (arg) => {
        validateReviewResolution('purchase', view, arg);
        if (arg.action === 'mark-succeeded' && !arg.sn)
          throw new Error('mark-succeeded needs the sn the provider confirmed');
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
    let outcome: KWalletPayOutcome;
    try {
      outcome = await klinkPay(payInput);
      for (const waitMs of RECONCILE_SCHEDULE_MS) {
        if (outcome.outcome !== 'unknown') break;
        note(`K-Wallet pay unclear (${outcome.detail}); reconcile again in ${waitMs / 1000}s`);
        await sleep(waitMs);
        outcome = await klinkReconcilePay(payInput);
      }
    } catch (err) {
      setStatus('NEEDS_REVIEW', `K-Wallet funding not settled: ${failureMessage(err)}`, [
        'mark-failed',
        'mark-resolved',
      ]);
      return false;
    }
    if (outcome.outcome === 'paid') {
      view.funded = { idMember: funding.idMember, amount, fundingOrderId };
      note(`funded from K-Wallet (${outcome.settledBy === 'reconcile' ? 'confirmed by reconcile' : 'paid'})`);
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
    setStatus('NEEDS_REVIEW', why, ['mark-failed', 'mark-resolved']);
    return false;
  }

  /** Gives the funding back through the escrow refund saga, once. */
  async function refundFunding(why: string): Promise<void> {
    if (!view.funded) {
      setStatus('FAILED', `${why}; nothing had been taken`);
      return;
    }
    const workflowId = klinkRefundWorkflowId(view.funded.fundingOrderId);
    view.refundWorkflowId = workflowId;
    setStatus(
      'REFUNDING',
      `${why}; refunding ${view.funded.amount} to ${view.funded.idMember} (${workflowId})`,
    );
    let refund: KLinkRefundView;
    try {
      refund = await executeChild(klinkEscrowRefundWorkflow, {
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
    } catch (err) {
      setStatus('NEEDS_REVIEW', `refund ${workflowId} did not complete: ${failureMessage(err)}`, [
        'mark-resolved',
      ]);
      return;
    }
    if (refund.status === 'REFUNDED')
      setStatus('REFUNDED', `purchase failed and the funding came back (${workflowId})`);
    else
      setStatus('NEEDS_REVIEW', `purchase failed but the refund ended ${refund.status}: see ${workflowId}`, [
        'mark-resolved',
      ]);
  }

  /** Applies the provider's answer for our refid. Returns true when the purchase is settled. */
  async function apply(answer: PpobAnswer, source: string): Promise<boolean> {
    view.providerStatus = answer.status;
    view.trxId = answer.trxId;
    if (answer.status === 'Success') {
      view.sn = answer.sn;
      setStatus('SUCCEEDED', `${source}: Success, sn ${answer.sn ?? '(none)'}`);
      upsertSearchAttributes([{ key: SA_PROVIDER_REF, value: String(input.refid) }]);
      return true;
    }
    if (answer.status === 'Failed') {
      await refundFunding(`${source}: Failed (${answer.message})`);
      return true;
    }
    if (view.status !== 'WAITING_FINAL')
      setStatus('WAITING_FINAL', `${source}: ${answer.status}; waiting for the final status`);
    return false;
  }

  async function submit(): Promise<PpobAnswer | undefined> {
    try {
      return await ppobSubmit({
        kind: input.kind,
        code: input.productCode,
        dest: input.destination,
        refid: input.refid,
        inqId: view.bill?.inqId,
      });
    } catch (err) {
      setStatus('NEEDS_REVIEW', `provider unreachable for refid ${input.refid}: ${failureMessage(err)}`, [
        'recheck',
        'mark-failed',
        'mark-succeeded',
      ]);
      return undefined;
    }
  }

  /** Polls (and listens for callbacks) until a final status or the deadline. */
  async function waitForFinal(): Promise<void> {
    const deadline = Date.now() + (input.finalDeadlineSeconds ?? 1800) * 1000;
    let interval = (input.pollSeconds ?? 5) * 1000;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await condition(() => callbackHint, Math.min(interval, remaining));
      const source = callbackHint ? 'after a callback, the provider answers' : 'status check';
      callbackHint = false;
      const answer = await submit();
      if (!answer) return;
      if (await apply(answer, source)) return;
      interval = Math.min(interval * 2, 60_000);
    }
    setStatus(
      'NEEDS_REVIEW',
      `still ${view.providerStatus} at the deadline: not refunded blind (a pending purchase may still succeed)`,
      ['recheck', 'mark-failed', 'mark-succeeded'],
    );
  }

  async function purchase(): Promise<void> {
    if (input.kind === 'postpaid') {
      setStatus('INQUIRING', `inquiry ${input.productCode} for ${input.destination}`);
      const inquiry = await ppobInquiry({
        code: input.productCode,
        dest: input.destination,
        refid: input.inquiryRefid ?? input.refid,
      });
      if (inquiry.outcome === 'failed') {
        setStatus('FAILED', `inquiry failed: ${inquiry.message}; nothing was taken`);
        return;
      }
      view.bill = { inqId: inquiry.inqId, amount: inquiry.amount, customerName: inquiry.customerName };
      upsertSearchAttributes([{ key: SA_PROVIDER_REF, value: String(input.refid) }]);
      tagPayment('ppob', input.orderId, inquiry.amount);
      const timeoutMs = (input.confirmTimeoutSeconds ?? 900) * 1000;
      setStatus(
        'AWAITING_CONFIRMATION',
        `bill ${inquiry.amount} for ${inquiry.customerName ?? input.destination}: waiting for the caller`,
      );
      if (!(await condition(() => billDecision !== undefined, timeoutMs))) {
        setStatus('CANCELLED', 'bill not confirmed before the deadline; nothing was taken');
        return;
      }
      if (!billDecision!.accept) {
        setStatus(
          'CANCELLED',
          `bill declined${billDecision!.operator ? ` by ${billDecision!.operator}` : ''}; nothing was taken`,
        );
        return;
      }
    }
    if (input.funding && !(await fund(input.kind === 'postpaid' ? view.bill!.amount : input.funding.amount)))
      return;
    setStatus('SUBMITTING', `submitting refid ${input.refid}`);
    submitted = true;
    const answer = await submit();
    if (!answer) return;
    if (!(await apply(answer, 'submit answered'))) await waitForFinal();
  }

  await purchase();

  while (view.status === 'NEEDS_REVIEW') {
    await condition(() => resolution !== undefined || callbackHint);
    if (resolution === undefined) {
      // A callback while a person looks: check once more, it may settle the purchase by itself.
      callbackHint = false;
      if (!submitted) {
        note('callback ignored: this purchase was never submitted, so there is nothing to check');
        continue;
      }
      const answer = await submit();
      if (answer && answer.status !== 'Pending' && answer.status !== 'Waiting')
        await apply(answer, 'late callback, the provider answers');
      continue;
    }
    const { action, operator, note: why } = resolution;
    const by = `by ${operator}: ${why}`;
    if (action === 'recheck') {
      const answer = await submit();
      if (answer && !(await apply(answer, `recheck ${by}`)))
        setStatus('NEEDS_REVIEW', `recheck ${by}: still ${answer.status}`, [
          'recheck',
          'mark-failed',
          'mark-succeeded',
        ]);
    } else if (action === 'mark-failed') await refundFunding(`marked failed ${by}`);
    else if (action === 'mark-succeeded') {
      view.sn = resolution.sn;
      setStatus('SUCCEEDED', `marked succeeded ${by} (sn ${resolution.sn})`);
    } else setStatus('FAILED', `resolved by hand ${by}`);
    resolution = undefined;
  }

  await condition(allHandlersFinished);
  if (!['SUCCEEDED', 'FAILED', 'REFUNDED', 'CANCELLED'].includes(view.status)) {
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

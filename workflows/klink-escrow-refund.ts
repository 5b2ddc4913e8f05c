/**
 * The K-Link escrow refund saga: ask K-Link what it would refund, accept automatically when
 * that is exactly what the caller expected (order, member, amount), otherwise wait for an
 * operator's confirm or reject; then accept, and say "refunded" only once K-Link confirmed it.
 *
 * Money rules this file keeps:
 * - "refund existing" is refunded (K-Link refunds an order once);
 * - refund-accept is safe to repeat (a repeat answers "refund existing"), so an ambiguous accept
 *   is settled by accepting again, never reported before K-Link answered;
 * - data that does not match is never accepted without a person, and an unconfirmed refund ends
 *   NOT_REFUNDED at the deadline (nothing moved).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { KLinkActivities } from '../activities/klink';
import {
  confirmRefundUpdate,
  rejectRefundUpdate,
  refundStatusQuery,
  resolveRefundReviewUpdate,
  type KLinkRefundInput,
  type KLinkRefundStatus,
  type KLinkRefundView,
  type RefundCandidate,
  type RefundReviewAction,
} from './klink-refund-definitions';
import { recordStatus, tagPayment } from './saga-status';

// Both calls are safe to repeat: asking moves no money, and a repeated accept answers
// "refund existing". So every uncertain outcome is retried, for about a quarter of an hour,
// before a person is asked.
const { klinkEscrowRefundRequest, klinkRefundAccept } = proxyActivities<KLinkActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
});

const FINAL: readonly KLinkRefundStatus[] = ['REFUNDED', 'NOT_REFUNDED'];

type Decision =
  | { kind: 'confirm'; idTrans: number; by: string; note: string }
  | { kind: 'reject'; by: string; note: string };

export async function klinkEscrowRefundWorkflow(input: KLinkRefundInput): Promise<KLinkRefundView> {
  const view: KLinkRefundView = {
    workflowId: workflowInfo().workflowId,
    provider: 'klink',
    status: 'REQUESTING',
    idOrder: input.idOrder,
    idMember: input.idMember,
    expectedAmount: input.expectedAmount,
    candidates: [],
    timeline: [],
  };
  let decision: Decision | undefined;
  let resolution: { action: RefundReviewAction; by: string; note: string } | undefined;
  let chosenIdTrans: number | undefined;

  const setStatus = (status: KLinkRefundStatus, note: string, reviewActions?: RefundReviewAction[]) => {
    view.review = reviewActions ? { reason: note, actions: reviewActions } : undefined;
    recordStatus(view, status, note, status === 'NEEDS_REVIEW');
  };
  const settled = () => FINAL.includes(view.status) || view.status === 'NEEDS_REVIEW';

  tagPayment('klink', input.idOrder, input.expectedAmount);
  setStatus('REQUESTING', `asking K-Link what it would refund for order ${input.idOrder}`);

  setHandler(refundStatusQuery, () => view);
  setHandler(
    confirmRefundUpdate,
    async ({ idTrans, operator, note }) => {
      decision = { kind: 'confirm', idTrans, by: operator, note };
      await condition(settled);
      return view;
    },
    {
      validator: (arg) => {
        requireAwaitingConfirmation(view);
        requireOperatorNote(arg);
        if (!view.candidates.some((c) => c.idTrans === arg.idTrans)) {
          throw new Error(
            `idTrans must be one K-Link proposed: ${view.candidates.map((c) => c.idTrans).join(', ')}`,
          );
        }
      },
    },
  );
  setHandler(
    rejectRefundUpdate,
    async ({ operator, note }) => {
      decision = { kind: 'reject', by: operator, note };
      await condition(settled);
      return view;
    },
    {
      validator: (arg) => {
        requireAwaitingConfirmation(view);
        requireOperatorNote(arg);
      },
    },
  );
  setHandler(
    resolveRefundReviewUpdate,
    async ({ action, operator, note }) => {
      resolution = { action, by: operator, note };
      await condition(
        () => resolution === undefined && view.status !== 'REQUESTING' && view.status !== 'ACCEPTING',
      );
      return view;
    },
    {
      validator: (arg) => {
        if (view.status !== 'NEEDS_REVIEW')
          throw new Error(`refund ${view.workflowId} is ${view.status}, not in review`);
        if (!view.review?.actions.includes(arg?.action))
          throw new Error(`action must be one of: ${view.review?.actions.join(', ')}`);
        requireOperatorNote(arg);
      },
    },
  );

  /** Asks K-Link for its refund data; returns whether the saga should go on to accept. */
  async function request(): Promise<boolean> {
    setStatus('REQUESTING', `asking K-Link what it would refund for order ${input.idOrder}`);
    let outcome;
    try {
      outcome = await klinkEscrowRefundRequest({ idOrder: input.idOrder, idMember: input.idMember });
    } catch (err) {
      setStatus('NEEDS_REVIEW', `K-Link refund data not obtained after retries: ${failureMessage(err)}`, [
        'retry',
        'mark-not-refunded',
      ]);
      return false;
    }
    if (outcome.outcome === 'already-refunded') {
      chosenIdTrans = outcome.idTrans;
      view.acceptedIdTrans = outcome.idTrans;
      setStatus(
        'REFUNDED',
        `K-Link says refund existing (id_trans ${outcome.idTrans}, ${outcome.datetime ?? 'time not given'})`,
      );
      return false;
    }
    if (outcome.outcome === 'nothing-to-refund') {
      setStatus('NOT_REFUNDED', `K-Link has nothing to refund for this order and member: ${outcome.message}`);
      return false;
    }
    view.candidates = outcome.candidates;
    const mismatch = describeMismatch(outcome.candidates, input);
    if (mismatch === undefined) {
      chosenIdTrans = outcome.candidates[0]!.idTrans;
      view.timeline.push({
        at: now(),
        status: view.status,
        note: `data matches the order: accepting id_trans ${chosenIdTrans}`,
      });
      return true;
    }
    view.mismatch = mismatch;
    const timeoutMs = (input.confirmTimeoutSeconds ?? 86_400) * 1000;
    view.confirmDeadline = new Date(Date.now() + timeoutMs).toISOString();
    setStatus('AWAITING_CONFIRMATION', `K-Link's data does not match (${mismatch}): waiting for an operator`);
    const decided = await condition(() => decision !== undefined, timeoutMs);
    if (!decided) {
      setStatus('NOT_REFUNDED', 'not confirmed before the deadline; nothing was refunded');
      return false;
    }
    view.decision = { by: decision!.by, note: decision!.note, at: now(), decision: decision!.kind };
    if (decision!.kind === 'reject') {
      setStatus('NOT_REFUNDED', `rejected by ${decision!.by}: ${decision!.note}`);
      return false;
    }
    chosenIdTrans = decision!.idTrans;
    return true;
  }

  async function accept(): Promise<void> {
    const idTrans = chosenIdTrans!;
    setStatus('ACCEPTING', `accepting the refund of id_trans ${idTrans}`);
    let outcome;
    try {
      outcome = await klinkRefundAccept({
        idOrder: input.idOrder,
        idMember: input.idMember,
        idTrans,
        note: input.note,
      });
    } catch (err) {
      setStatus('NEEDS_REVIEW', `refund-accept not confirmed after retries: ${failureMessage(err)}`, [
        'retry',
        'mark-refunded',
        'mark-not-refunded',
      ]);
      return;
    }
    if (outcome.outcome === 'refused') {
      setStatus('NEEDS_REVIEW', `refund-accept refused: ${outcome.code} ${outcome.message}`, [
        'retry',
        'mark-refunded',
        'mark-not-refunded',
      ]);
      return;
    }
    view.acceptedIdTrans = outcome.outcome === 'already-refunded' ? outcome.idTrans : idTrans;
    setStatus(
      'REFUNDED',
      outcome.outcome === 'already-refunded'
        ? `K-Link confirms the refund (refund existing, id_trans ${outcome.idTrans})`
        : `refunded by K-Link (id_trans ${idTrans})`,
    );
  }

  if (await request()) await accept();

  while (view.status === 'NEEDS_REVIEW') {
    await condition(() => resolution !== undefined);
    const { action, by, note } = resolution!;
    view.decision = { by, note, at: now(), decision: action };
    if (action === 'mark-refunded') setStatus('REFUNDED', `marked refunded by ${by}: ${note}`);
    else if (action === 'mark-not-refunded')
      setStatus('NOT_REFUNDED', `marked not refunded by ${by}: ${note}`);
    else if (chosenIdTrans === undefined) {
      if (await request()) await accept();
    } else await accept();
    resolution = undefined;
  }

  await condition(allHandlersFinished);
  return view;
}

/** Undefined when K-Link proposes exactly one transaction for this order, member and amount. */
function describeMismatch(candidates: RefundCandidate[], input: KLinkRefundInput): string | undefined {
  if (candidates.length !== 1) return `${candidates.length} transactions proposed, expected 1`;
  const c = candidates[0]!;
  const problems: string[] = [];
  if (c.idOrder !== input.idOrder) problems.push(`order ${c.idOrder} != ${input.idOrder}`);
  if (c.idMember !== input.idMember) problems.push(`member ${c.idMember} != ${input.idMember}`);
  if (c.amount !== input.expectedAmount) problems.push(`amount ${c.amount} != ${input.expectedAmount}`);
  return problems.length ? problems.join('; ') : undefined;
}

function requireAwaitingConfirmation(view: KLinkRefundView): void {
  if (view.status !== 'AWAITING_CONFIRMATION')
    throw new Error(`refund ${view.workflowId} is ${view.status}, not awaiting confirmation`);
}

function requireOperatorNote(arg: { operator?: unknown; note?: unknown } | undefined): void {
  if (typeof arg?.operator !== 'string' || arg.operator.trim() === '')
    throw new Error('operator is required');
  if (typeof arg.note !== 'string' || arg.note.trim().length < 5)
    throw new Error('a note (what was checked) is required');
}

function now(): string {
  return new Date(Date.now()).toISOString();
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

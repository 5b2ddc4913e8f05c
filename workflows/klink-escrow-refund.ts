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
 *   NOT_REFUNDED at the deadline (nothing moved);
 * - K-Link finding no paid order to refund (NOT_FOUND) parks for a person: the caller says money
 *   was taken, K-Link does not show it, so someone must find where it is.
 *
 * Deterministic code only: no I/O, clocks or randomness except through Temporal's APIs.
 */
import { condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { KLinkActivities, RefundRequestOutcome } from '../activities/klink';
import {
  confirmRefundUpdate,
  KLINK_REFUND_ACTIVITIES,
  KLINK_REFUND_FINAL_STATUSES,
  rejectRefundUpdate,
  type KLinkRefundInput,
  type KLinkRefundReviewAction,
  type KLinkRefundStatus,
  type KLinkRefundView,
  type RefundCandidate,
} from './klink-refund-definitions';
import { LEGACY_REVIEW_UPDATES, type ResolveReviewInput } from './saga-definitions';
import { sagaActivities, startSaga } from './saga-kernel';

type Decision =
  | { kind: 'confirm'; idTrans: number; by: string; note: string }
  | { kind: 'reject'; by: string; note: string };

/** What an operator may do once an accept may have been sent: K-Link may have refunded. */
const AFTER_ACCEPT: KLinkRefundReviewAction[] = ['retry', 'mark-refunded', 'mark-not-refunded'];

export async function klinkEscrowRefundWorkflow(input: KLinkRefundInput): Promise<KLinkRefundView> {
  const { klinkEscrowRefundRequest, klinkRefundAccept } = sagaActivities<
    KLinkActivities,
    keyof typeof KLINK_REFUND_ACTIVITIES
  >(KLINK_REFUND_ACTIVITIES);

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
  let chosenIdTrans: number | undefined;

  const saga = startSaga<KLinkRefundStatus, KLinkRefundReviewAction, KLinkRefundView>({
    view,
    finalStatuses: KLINK_REFUND_FINAL_STATUSES,
    // Asking moves no money; once an accept was tried, K-Link may have refunded.
    unplannedActions: () => (chosenIdTrans === undefined ? ['retry', 'mark-not-refunded'] : AFTER_ACCEPT),
    applyResolution,
    legacyReviewUpdate: { name: LEGACY_REVIEW_UPDATES.klinkRefund },
    // A retry that asks K-Link again may wait a day for a second operator's confirm or reject.
    handOffStatuses: ['AWAITING_CONFIRMATION'],
  });
  const setStatus = (status: KLinkRefundStatus, note: string) => saga.setStatus(status, note);
  const settled = () => saga.isFinal() || view.status === 'NEEDS_REVIEW';

  saga.tag('klink', input.idOrder, input.expectedAmount);
  setStatus('REQUESTING', `asking K-Link what it would refund for order ${input.idOrder}`);

  setHandler(
    confirmRefundUpdate,
    async ({ idTrans, operator, note }) => {
      decision = { kind: 'confirm', idTrans, by: operator, note };
      await condition(settled);
      return view;
    },
    {
      validator: (arg) => {
        requireAwaitingConfirmation(view, decision);
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
        requireAwaitingConfirmation(view, decision);
        requireOperatorNote(arg);
      },
    },
  );

  /** Asks K-Link for its refund data; returns whether the saga should go on to accept. */
  async function request(): Promise<boolean> {
    setStatus('REQUESTING', `asking K-Link what it would refund for order ${input.idOrder}`);
    // A request out of retries, or refused, throws on: the kernel parks it with the activity named.
    const outcome = await klinkEscrowRefundRequest({ idOrder: input.idOrder, idMember: input.idMember });
    saga.answered();
    if (outcome.outcome === 'already-refunded') {
      chosenIdTrans = outcome.idTrans;
      view.acceptedIdTrans = outcome.idTrans;
      setStatus(
        'REFUNDED',
        `K-Link says refund existing (id_trans ${outcome.idTrans}, ${outcome.datetime ?? 'time not given'})`,
      );
      return false;
    }
    if (outcome.outcome !== 'candidates') {
      nothingFound(outcome);
      return false;
    }
    view.candidates = outcome.candidates;
    const mismatch = describeMismatch(outcome.candidates, input);
    if (mismatch === undefined) {
      chosenIdTrans = outcome.candidates[0]!.idTrans;
      saga.note(`data matches the order: accepting id_trans ${chosenIdTrans}`);
      return true;
    }
    return awaitOperator(mismatch);
  }

  /**
   * K-Link has no paid order to refund for this order and member: a person must find where the
   * money is. A result recorded before this rule ('nothing-to-refund') ended NOT_REFUNDED then,
   * and still does when its history replays; read for the first time, it parks too.
   */
  function nothingFound(
    outcome: Extract<RefundRequestOutcome, { outcome: 'needs-review' | 'nothing-to-refund' }>,
  ): void {
    if (outcome.outcome === 'nothing-to-refund' && !patched('klink-refund-not-found-parks')) {
      setStatus('NOT_REFUNDED', `K-Link has nothing to refund for this order and member: ${outcome.message}`);
      return;
    }
    const code = outcome.outcome === 'needs-review' ? outcome.code : 'NOT_FOUND';
    saga.park(
      `K-Link finds nothing to refund for order ${input.idOrder} and member ${input.idMember} ` +
        `(${code}: ${outcome.message}): a person must find where the money is`,
      AFTER_ACCEPT,
      { code, providerMessage: outcome.message },
    );
  }

  /** Data that does not match: an operator confirms one proposed transaction or rejects. */
  async function awaitOperator(mismatch: string): Promise<boolean> {
    view.mismatch = mismatch;
    const timeoutMs = (input.confirmTimeoutSeconds ?? 86_400) * 1000;
    view.confirmDeadline = new Date(Date.now() + timeoutMs).toISOString();
    setStatus('AWAITING_CONFIRMATION', `K-Link's data does not match (${mismatch}): waiting for an operator`);
    const decided = await condition(() => decision !== undefined, timeoutMs);
    if (!decided) {
      setStatus('NOT_REFUNDED', 'not confirmed before the deadline; nothing was refunded');
      return false;
    }
    const d = decision!;
    view.decision = { by: d.by, note: d.note, at: now(), decision: d.kind };
    if (d.kind === 'reject') {
      setStatus('NOT_REFUNDED', `rejected by ${d.by}: ${d.note}`);
      return false;
    }
    chosenIdTrans = d.idTrans;
    return true;
  }

  async function accept(): Promise<void> {
    const idTrans = chosenIdTrans!;
    setStatus('ACCEPTING', `accepting the refund of id_trans ${idTrans}`);
    // An accept out of retries throws on: the kernel parks it, offering retry / mark-*.
    const outcome = await klinkRefundAccept({
      idOrder: input.idOrder,
      idMember: input.idMember,
      idTrans,
      note: input.note,
    });
    if (outcome.outcome === 'refused') {
      saga.park(`refund-accept refused: ${outcome.code} ${outcome.message}`, AFTER_ACCEPT, {
        code: outcome.code,
        providerMessage: outcome.message,
      });
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

  async function applyResolution({
    action,
    operator,
    note,
  }: ResolveReviewInput<KLinkRefundReviewAction>): Promise<void> {
    view.decision = { by: operator, note, at: now(), decision: action };
    if (action === 'mark-refunded') setStatus('REFUNDED', `marked refunded by ${operator}: ${note}`);
    else if (action === 'mark-not-refunded')
      setStatus('NOT_REFUNDED', `marked not refunded by ${operator}: ${note}`);
    else if (chosenIdTrans === undefined) {
      if (await request()) await accept();
    } else await accept();
  }

  return saga.run(async () => {
    if (await request()) await accept();
  });
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

function requireAwaitingConfirmation(view: KLinkRefundView, decided: Decision | undefined): void {
  if (view.status !== 'AWAITING_CONFIRMATION')
    throw new Error(`refund ${view.workflowId} is ${view.status}, not awaiting confirmation`);
  // Two operators answering at once: the first decides, the second is told so (never both "ok").
  if (decided) throw new Error(`refund ${view.workflowId} was already ${decided.kind}ed by ${decided.by}`);
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

/**
 * The K-Wallet transfer saga: move money from one member's K-Wallet to another's
 * (transfer_to_account), once.
 *
 * Money rules this file keeps:
 * - The document gives the transfer no idempotency key, so a transfer whose answer was unclear
 *   (timeout after sending, 5xx, an answer we cannot read) is NEVER sent again. It is confirmed
 *   against history: the sender's and the recipient's rows carrying our reference and the amount,
 *   inside the time window since the send.
 * - History that cannot settle it (nothing found after a few looks, or rows that could be it
 *   without our reference) parks it: a person rechecks, or marks it transferred or failed.
 * - The transfer is sent again only when the activity says the request certainly never reached
 *   K-Link (`not-sent`); after a few such tries, nothing was sent and the transfer FAILED.
 * - A refusal (insufficient balance, unknown member) is FAILED: K-Link moved nothing.
 */
import { sleep, workflowInfo } from '@temporalio/workflow';
import type { FindMovementOutcome, KLinkActivities } from '../activities/klink';
import {
  KWALLET_TRANSFER_ACTIVITIES,
  KWALLET_TRANSFER_FINAL_STATUSES,
  kwalletTransferReference,
  type KWalletTransferInput,
  type KWalletTransferReviewAction,
  type KWalletTransferStatus,
  type KWalletTransferView,
} from './kwallet-transfer-definitions';
import type { ResolveReviewInput } from './saga-definitions';
import { sagaActivities, startSaga } from './saga-kernel';

/** Every review offers the same: look at history again, or record what a person found out. */
const REVIEW_ACTIONS: KWalletTransferReviewAction[] = ['recheck', 'mark-transferred', 'mark-failed'];
const DEFAULT_CONFIRM_DELAYS_SECONDS = [2, 10, 30];
/** Sends after `not-sent` (the request never reached K-Link), with the wait before each. */
const NOT_SENT_RETRY_MS = [2_000, 10_000, 30_000];

export async function kwalletTransferWorkflow(input: KWalletTransferInput): Promise<KWalletTransferView> {
  const { klinkTransfer, klinkFindTransfer } = sagaActivities<
    KLinkActivities,
    keyof typeof KWALLET_TRANSFER_ACTIVITIES
  >(KWALLET_TRANSFER_ACTIVITIES);

  const reference = kwalletTransferReference(input.transferId);
  const view: KWalletTransferView = {
    workflowId: workflowInfo().workflowId,
    provider: 'klink',
    status: 'SENDING',
    transferId: input.transferId,
    idMemberSend: input.idMemberSend,
    idMemberReceipt: input.idMemberReceipt,
    amount: input.amount,
    description: `${input.description} [${reference}]`,
    reference,
    timeline: [],
  };
  /** Just before the first send: history rows before it are not this transfer. */
  const notBefore = Date.now();

  const saga = startSaga<KWalletTransferStatus, KWalletTransferReviewAction, KWalletTransferView>({
    view,
    finalStatuses: KWALLET_TRANSFER_FINAL_STATUSES,
    // Anything unplanned (a send that timed out, history out of retries): money may have moved.
    unplannedActions: () => [...REVIEW_ACTIONS],
    applyResolution,
  });
  const park = (reason: string) => saga.park(reason, [...REVIEW_ACTIONS]);

  saga.tag('klink', input.transferId, input.amount);
  saga.setStatus(
    'SENDING',
    `transfer of ${input.amount} from ${input.idMemberSend} to ${input.idMemberReceipt} (${reference})`,
  );

  const findTransfer = () =>
    klinkFindTransfer({
      idMemberSend: input.idMemberSend,
      idMemberReceipt: input.idMemberReceipt,
      amount: input.amount,
      reference,
      notBefore,
    });

  /** Applies what history says; true once it settled the transfer (TRANSFERRED). */
  function applyHistory(found: FindMovementOutcome, source: string): boolean {
    if (found.outcome === 'found') {
      view.movement = found.movement;
      view.settledBy = 'history';
      saga.setStatus('TRANSFERRED', `${source}: history shows it at ${found.movement.datetime}`);
      return true;
    }
    if (found.outcome === 'inconclusive') view.candidates = found.candidates;
    return false;
  }

  async function applyResolution({
    action,
    operator,
    note,
  }: ResolveReviewInput<KWalletTransferReviewAction>): Promise<void> {
    const by = `by ${operator}: ${note}`;
    if (action === 'recheck') {
      const found = await findTransfer();
      if (!applyHistory(found, `recheck ${by}`)) park(`recheck ${by}: ${found.detail}; never sent again`);
      return;
    }
    view.settledBy = 'operator';
    if (action === 'mark-transferred') saga.setStatus('TRANSFERRED', `marked transferred ${by}`);
    else saga.setStatus('FAILED', `marked failed ${by}`);
  }

  /** An unclear send: looked up in history a few times, never sent again. */
  async function confirmByHistory(detail: string): Promise<void> {
    saga.setStatus('CONFIRMING', `answer unclear (${detail}): confirming by history, never sending again`);
    let last: FindMovementOutcome | undefined;
    for (const seconds of input.confirmDelaysSeconds ?? DEFAULT_CONFIRM_DELAYS_SECONDS) {
      await sleep(seconds * 1000);
      last = await findTransfer();
      if (applyHistory(last, 'confirmed by history')) return;
      // Rows that could be it will not become ours by waiting: a person looks now.
      if (last.outcome === 'inconclusive') break;
    }
    park(`history cannot settle it (${last?.detail ?? 'not looked up'}); the transfer is never sent twice`);
  }

  return saga.run(async () => {
    for (let attempt = 0; ; attempt++) {
      const sent = await klinkTransfer({
        idMemberSend: input.idMemberSend,
        idMemberReceipt: input.idMemberReceipt,
        amount: input.amount,
        description: view.description,
      });
      if (sent.outcome === 'not-sent' && attempt < NOT_SENT_RETRY_MS.length) {
        saga.note(`not sent (${sent.detail}); sending again`);
        await sleep(NOT_SENT_RETRY_MS[attempt]!);
        continue;
      }
      saga.answered();
      if (sent.outcome === 'moved') {
        view.settledBy = 'answer';
        saga.setStatus('TRANSFERRED', `K-Link: ${sent.message}`);
      } else if (sent.outcome === 'refused') {
        view.settledBy = 'answer';
        saga.setStatus('FAILED', `refused: ${sent.code} ${sent.message}; nothing moved`);
      } else if (sent.outcome === 'not-sent') {
        view.settledBy = 'answer';
        saga.setStatus('FAILED', `K-Link could not be reached (${sent.detail}); nothing was sent`);
      } else {
        await confirmByHistory(sent.detail);
      }
      return;
    }
  });
}

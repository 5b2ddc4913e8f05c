/**
 * One K-Wallet operation on the worker (see kwallet-operation-definitions.ts): a read, or the
 * voucher top-up, which is sent once and confirmed by history when its answer is unclear.
 */
import { ActivityFailure, sleep } from '@temporalio/workflow';
import type { KLinkActivities, KWalletSendOutcome } from '../activities/klink';
import {
  KWALLET_OPERATION_ACTIVITIES,
  type KWalletOperationInput,
  type KWalletOperationResult,
  type VoucherResult,
} from './kwallet-operation-definitions';
import { failureMessage, sagaActivities } from './saga-kernel';

const DEFAULT_CONFIRM_DELAYS_SECONDS = [2, 10, 30];
/** Sends after `not-sent` (the request never reached K-Link), with the wait before each. */
const NOT_SENT_RETRY_MS = [2_000, 10_000];

export async function kwalletOperationWorkflow(
  input: KWalletOperationInput,
): Promise<KWalletOperationResult> {
  const a = sagaActivities<KLinkActivities, keyof typeof KWALLET_OPERATION_ACTIVITIES>(
    KWALLET_OPERATION_ACTIVITIES,
  );
  switch (input.op) {
    case 'register-va':
      return a.klinkRegisterVa(input);
    case 'balance':
      return a.klinkBalance(input);
    case 'history':
      return a.klinkHistory(input);
    case 'voucher':
      return voucher(input, a);
  }
}

async function voucher(
  input: Extract<KWalletOperationInput, { op: 'voucher' }>,
  a: Pick<KLinkActivities, 'klinkVoucherTopUp' | 'klinkFindMovement'>,
): Promise<VoucherResult> {
  const notBefore = Date.now();
  const body = {
    voucherCode: input.voucherCode,
    idMemberReceipt: input.idMemberReceipt,
    amount: input.amount,
    description: `${input.description} [${input.reference}]`,
  };
  let sent: KWalletSendOutcome;
  for (let attempt = 0; ; attempt++) {
    try {
      sent = await a.klinkVoucherTopUp(body);
    } catch (err) {
      // The send timed out or its worker died: it may have reached K-Link.
      if (!(err instanceof ActivityFailure)) throw err;
      sent = { outcome: 'unclear', detail: err.cause?.message ?? err.message };
    }
    if (sent.outcome !== 'not-sent' || attempt >= NOT_SENT_RETRY_MS.length) break;
    await sleep(NOT_SENT_RETRY_MS[attempt]!);
  }
  if (sent.outcome === 'moved') return { outcome: 'topped-up', settledBy: 'answer', message: sent.message };
  if (sent.outcome === 'refused') return { outcome: 'refused', code: sent.code, message: sent.message };
  if (sent.outcome === 'not-sent')
    return { outcome: 'refused', code: 'NOT_SENT', message: `K-Link could not be reached: ${sent.detail}` };

  let detail = sent.detail;
  for (const seconds of input.confirmDelaysSeconds ?? DEFAULT_CONFIRM_DELAYS_SECONDS) {
    await sleep(seconds * 1000);
    let found;
    try {
      found = await a.klinkFindMovement({
        idMember: input.idMemberReceipt,
        direction: 'in',
        amount: input.amount,
        reference: input.reference,
        notBefore,
      });
    } catch (err) {
      // History unreadable: the top-up may have moved money. Say so, never a bare failure.
      if (!(err instanceof ActivityFailure)) throw err;
      return {
        outcome: 'unconfirmed',
        detail: `${detail}; history not readable: ${failureMessage(err)}`,
        candidates: [],
      };
    }
    if (found.outcome === 'found')
      return { outcome: 'topped-up', settledBy: 'history', movement: found.movement };
    detail = `answer unclear (${sent.detail}); ${found.detail}`;
    if (found.outcome === 'inconclusive')
      return { outcome: 'unconfirmed', detail, candidates: found.candidates };
  }
  return { outcome: 'unconfirmed', detail, candidates: [] };
}

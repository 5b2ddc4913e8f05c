/**
 * K-Wallet operations that are not sagas: register VA, balance, history (reads) and the voucher
 * top-up. They run as a short workflow so the K-Link credentials stay in the worker (the client,
 * the CLI and the gateway never hold them).
 *
 * The voucher top-up moves money and the document gives it no idempotency key, so it is sent at
 * most once per voucher code by the engine: the workflow id derives from the code (hashed, the
 * code is a bearer value), and a closed workflow is never started again. An unclear answer is
 * confirmed by the member's history, never sent again; one history cannot settle answers
 * `unconfirmed` for a person to check.
 */
import type { KLinkActivities, KWalletRead, Movement } from '../activities/klink';
import type { ActivityOptions } from '@temporalio/workflow';
import type { ActivityTable } from './saga-kernel';

export const KWALLET_OPERATION_WORKFLOW_TYPE = 'kwalletOperationWorkflow';

/** Reads: one workflow per call. */
export function kwalletReadWorkflowId(op: string, idMember: string, nonce: string): string {
  return `kwallet-${op}-${idMember}-${nonce}`;
}

/** The voucher top-up: one workflow per voucher code, so the engine never sends a code twice. */
export function kwalletVoucherWorkflowId(codeDigest: string): string {
  return `kwallet-voucher-${codeDigest}`;
}

export type KWalletOperationInput =
  | { op: 'register-va'; idMember: string; name: string; hp: string; email: string }
  | { op: 'balance'; idMember: string }
  | { op: 'history'; idMember: string; startDate?: string; endDate?: string }
  | {
      op: 'voucher';
      voucherCode: string;
      idMemberReceipt: string;
      amount: number;
      description: string;
      /** Written into the description so history can show the top-up as ours. */
      reference: string;
      /** Seconds before each history look after an unclear answer. Default [2, 10, 30]. */
      confirmDelaysSeconds?: number[];
    };

export type VoucherResult =
  | { outcome: 'topped-up'; settledBy: 'answer' | 'history'; message?: string; movement?: Movement }
  | { outcome: 'refused'; code: string; message: string }
  | { outcome: 'unconfirmed'; detail: string; candidates: Movement[] };

export type KWalletOperationResult =
  | Awaited<ReturnType<KLinkActivities['klinkRegisterVa']>>
  | Awaited<ReturnType<KLinkActivities['klinkBalance']>>
  | Awaited<ReturnType<KLinkActivities['klinkHistory']>>
  | VoucherResult;
export type { KWalletRead };

/** Reads are retried a little (the caller waits); the voucher send never (no idempotency key). */
const READ = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
} as const satisfies ActivityOptions;
export const KWALLET_OPERATION_ACTIVITIES = {
  klinkRegisterVa: READ,
  klinkBalance: READ,
  klinkHistory: READ,
  klinkVoucherTopUp: { startToCloseTimeout: '60 seconds', retry: { maximumAttempts: 1 } },
  klinkFindMovement: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
  },
} as const satisfies ActivityTable<KLinkActivities>;

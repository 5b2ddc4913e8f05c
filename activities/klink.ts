/**
 * K-Link activities: the escrow refund (request, accept) and K-Wallet pay, which later sagas
 * (PPOB funding) reuse. Business outcomes are returned as values; "try again" is thrown as a
 * retryable failure, and only where repeating the call is safe.
 *
 * Why repeating is safe here:
 * - asking for refund data moves no money;
 * - a repeated refund-accept answers "refund existing" (K-Link refunds an order once);
 * - pay carries an `id_order` K-Link keeps unique, and an ambiguous pay is settled by `reconcile`
 *   on that same id_order before anything else is tried, never by a pay with another id.
 *
 * K-Wallet transfer and voucher top-up carry no idempotency key in the document, so they are the
 * exception: each is sent at most once per activity call and never retried by Temporal (their
 * tables say maximumAttempts 1). An answer that does not say what happened is returned as
 * `unclear`, and the caller confirms it against the member's history (klinkFindTransfer,
 * klinkFindMovement); only `not-sent` (the request certainly never reached K-Link) may be sent again.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ZodError } from 'zod';
import { redactText } from '../common/redact';
import { ProviderProtocolError, ProviderRejection, ProviderTransportError } from '../providers/http/errors';
import type { KLinkClient } from '../providers/klink/client';
import { searchMovements, toMovement, wibDay, type Movement } from '../providers/klink/history';
import type { HistoryEntry } from '../providers/klink/schemas';
import { parseRefundExisting } from '../providers/klink/status';
import type { RefundCandidate } from '../workflows/klink-refund-definitions';

export type RefundRequestOutcome =
  | { outcome: 'candidates'; candidates: RefundCandidate[] }
  | { outcome: 'already-refunded'; idTrans: number; datetime?: string }
  /**
   * K-Link answered with a refusal its table classes needs-review (NOT_FOUND: it has no paid
   * order for this id_order and member): nothing can be refunded until a person finds where
   * the money is.
   */
  | { outcome: 'needs-review'; code: string; message: string }
  /**
   * What NOT_FOUND returned before the saga kernel. No longer returned: a result recorded then
   * may still be in a running refund's history, and the saga reads it (see klink-escrow-refund.ts).
   */
  | { outcome: 'nothing-to-refund'; message: string };

export type RefundAcceptOutcome =
  | { outcome: 'refunded' }
  | { outcome: 'already-refunded'; idTrans: number }
  | { outcome: 'refused'; code: string; message: string };

export interface KWalletPayInput {
  idMember: string;
  /** Integer rupiah. */
  amount: number;
  /** Unique at K-Link: derived once from the business key and never changed on retry. */
  idOrder: string;
  description: string;
}

export type KWalletPayOutcome =
  | { outcome: 'paid'; settledBy: 'pay' | 'reconcile' }
  /** Refused before any money moved (insufficient balance, unknown member, ...). */
  | { outcome: 'declined'; code: string; message: string }
  /** K-Link shows this id_order paid, but not as we asked (another member or amount). */
  | { outcome: 'conflict'; detail: string }
  /** Pay's outcome is unknown and reconcile does not show it (yet): ask again later, never pay again. */
  | { outcome: 'unknown'; detail: string };

export type { Movement };

/** A K-Wallet movement's send (transfer_to_account, voucher_saldo), sorted by what it means for the money. */
export type KWalletSendOutcome =
  | { outcome: 'moved'; message: string }
  /** K-Link answered fail: nothing moved. */
  | { outcome: 'refused'; code: string; message: string }
  /** The request certainly never reached K-Link (no connection, login failed, token refused before acting). */
  | { outcome: 'not-sent'; detail: string }
  /** K-Link may have acted (timeout after sending, 5xx, an answer we cannot read): confirm by history. */
  | { outcome: 'unclear'; detail: string };

export interface KWalletTransferInput {
  idMemberSend: string;
  idMemberReceipt: string;
  /** Integer rupiah. */
  amount: number;
  /** Sent as is; the saga puts its reference in it. */
  description: string;
}

export interface KWalletVoucherInput {
  voucherCode: string;
  idMemberReceipt: string;
  amount: number;
  description: string;
}

export interface FindMovementInput {
  idMember: string;
  direction: 'in' | 'out';
  amount: number;
  reference: string;
  /** Epoch ms just before the first send: the window starts here (less the clock allowance). */
  notBefore: number;
}

export type FindMovementOutcome =
  | { outcome: 'found'; movement: Movement; detail: string }
  | { outcome: 'not-found'; detail: string }
  /** Rows that could be it (same amount, no reference), or our reference more than once: a person decides. */
  | { outcome: 'inconclusive'; detail: string; candidates: Movement[] };

export interface FindTransferInput {
  idMemberSend: string;
  idMemberReceipt: string;
  amount: number;
  reference: string;
  notBefore: number;
}

/** A read's answer: the value, or K-Link's refusal (unknown member, ...) for the caller to show. */
export type KWalletRead<T> =
  { outcome: 'ok'; value: T } | { outcome: 'refused'; code: string; message: string };

/**
 * K-Link's clock and ours may differ: a row this far outside the window still counts. Ten
 * minutes is our choice (the document says nothing about K-Link's clock).
 */
const CLOCK_ALLOWANCE_MS = 10 * 60 * 1000;

export function createKLinkActivities(client: KLinkClient) {
  /** Reconcile, read as "is our pay there?". */
  async function settleByReconcile(input: KWalletPayInput, why: string): Promise<KWalletPayOutcome> {
    let found;
    try {
      found = await client.reconcile({ idOrder: input.idOrder });
    } catch (err) {
      throw retryable(err);
    }
    if (!found)
      return { outcome: 'unknown', detail: `${why}; reconcile does not show id_order ${input.idOrder}` };
    if (found.idMember !== input.idMember || found.credit !== input.amount) {
      return {
        outcome: 'conflict',
        detail: `id_order ${input.idOrder} is paid by ${found.idMember} for ${found.credit}, expected ${input.idMember} for ${input.amount}`,
      };
    }
    return { outcome: 'paid', settledBy: 'reconcile' };
  }

  /** Send a movement once and sort the outcome; see KWalletSendOutcome. */
  async function sendOnce(send: () => Promise<{ message: string }>): Promise<KWalletSendOutcome> {
    try {
      return { outcome: 'moved', message: (await send()).message };
    } catch (err) {
      if (err instanceof ProviderRejection) {
        if (err.outcomeClass === 'final')
          return { outcome: 'refused', code: err.code, message: err.providerMessage };
        // TOKEN_REJECTED twice: K-Link refused the session before acting.
        if (err.outcomeClass === 'retryable' && err.httpStatus < 500)
          return { outcome: 'not-sent', detail: redactText(err.message) };
        return { outcome: 'unclear', detail: redactText(err.message) };
      }
      if (err instanceof ProviderTransportError && (err.delivered === 'no' || err.operation === 'login'))
        return { outcome: 'not-sent', detail: redactText(err.message) };
      if (err instanceof ProviderTransportError || err instanceof ProviderProtocolError)
        return { outcome: 'unclear', detail: redactText(err.message) };
      // A request the client would not build (amount 0, a field zod refuses) was never sent.
      if (err instanceof RangeError || err instanceof ZodError)
        return { outcome: 'refused', code: 'INVALID_REQUEST', message: redactText(err.message) };
      // Anything else we did not plan for may have come after sending: never read as "nothing moved".
      return { outcome: 'unclear', detail: redactText(String(err)) };
    }
  }

  async function findMovement(input: FindMovementInput): Promise<FindMovementOutcome> {
    const notBefore = input.notBefore - CLOCK_ALLOWANCE_MS;
    let rows;
    try {
      ({ transactions: rows } = await client.history({
        idMember: input.idMember,
        startDate: wibDay(notBefore),
        endDate: '',
      }));
    } catch (err) {
      if (err instanceof ProviderRejection && err.outcomeClass === 'final')
        throw ApplicationFailure.nonRetryable(
          `history of ${input.idMember} refused: ${err.code} ${err.providerMessage}`,
          'HistoryRefused',
        );
      throw retryable(err);
    }
    const { ours, lookalikes } = searchMovements(rows, {
      direction: input.direction,
      amount: input.amount,
      reference: input.reference,
      notBefore,
      notAfter: Date.now() + CLOCK_ALLOWANCE_MS,
    });
    const what = `${input.direction === 'out' ? 'out of' : 'into'} ${input.idMember} of ${input.amount}`;
    // Our reference is decisive: other movements of the same amount are someone else's.
    if (ours.length === 1)
      return { outcome: 'found', movement: ours[0]!, detail: `history shows it at ${ours[0]!.datetime}` };
    if (ours.length > 1)
      return {
        outcome: 'inconclusive',
        detail: `history shows ${ours.length} movements ${what} with reference ${input.reference}`,
        candidates: [...ours, ...lookalikes],
      };
    if (lookalikes.length > 0)
      return {
        outcome: 'inconclusive',
        detail: `history shows ${lookalikes.length} movement(s) ${what} without reference ${input.reference}`,
        candidates: lookalikes,
      };
    return {
      outcome: 'not-found',
      detail: `history shows no movement ${what} with reference ${input.reference}`,
    };
  }

  /** K-Link's refusal of a read as a value; anything else is retried. */
  async function read<T>(what: string, fn: () => Promise<T>): Promise<KWalletRead<T>> {
    try {
      return { outcome: 'ok', value: await fn() };
    } catch (err) {
      if (err instanceof ProviderRejection && err.outcomeClass === 'final')
        return { outcome: 'refused', code: err.code, message: err.providerMessage };
      if (err instanceof RangeError)
        return { outcome: 'refused', code: 'INVALID_REQUEST', message: err.message };
      throw retryable(err, `${what}: `);
    }
  }

  return {
    async klinkRegisterVa(input: { idMember: string; name: string; hp: string; email: string }) {
      return read('register VA', () => client.registerVa(input));
    },

    async klinkBalance(input: { idMember: string }) {
      return read('balance', () => client.checkBalance(input));
    },

    async klinkHistory(input: { idMember: string; startDate?: string; endDate?: string }) {
      return read('history', async () => {
        const { transactions, message } = await client.history(input);
        return { message, movements: transactions.map(toMovementRow) };
      });
    },

    /** Sent once per call (maximumAttempts 1): see the module doc. */
    async klinkTransfer(input: KWalletTransferInput): Promise<KWalletSendOutcome> {
      return sendOnce(() => client.transfer(input));
    },

    /** Sent once per call (maximumAttempts 1): see the module doc. */
    async klinkVoucherTopUp(input: KWalletVoucherInput): Promise<KWalletSendOutcome> {
      return sendOnce(() => client.voucherTopUp(input));
    },

    /** One movement in one member's history: a voucher top-up's confirmation. */
    async klinkFindMovement(input: FindMovementInput): Promise<FindMovementOutcome> {
      return findMovement(input);
    },

    /**
     * A transfer is confirmed only when BOTH sides show it: out of the sender and into the
     * recipient, with our reference and the amount, in the window. The recipient's side is how
     * the destination is checked (a history row names no counterparty).
     */
    async klinkFindTransfer(input: FindTransferInput): Promise<FindMovementOutcome> {
      const common = { amount: input.amount, reference: input.reference, notBefore: input.notBefore };
      const sent = await findMovement({ ...common, idMember: input.idMemberSend, direction: 'out' });
      if (sent.outcome !== 'found') return sent;
      const received = await findMovement({ ...common, idMember: input.idMemberReceipt, direction: 'in' });
      if (received.outcome === 'found') return sent;
      return {
        outcome: 'inconclusive',
        detail: `the sender's history shows the transfer, the recipient's does not (${received.detail})`,
        candidates: [sent.movement, ...(received.outcome === 'inconclusive' ? received.candidates : [])],
      };
    },

    async klinkPay(input: KWalletPayInput): Promise<KWalletPayOutcome> {
      // An earlier attempt may have paid before its worker died or timed out: look first.
      if (Context.current().info.attempt > 1) {
        const settled = await settleByReconcile(input, 'retried pay');
        if (settled.outcome !== 'unknown') return settled;
      }
      try {
        await client.pay(input);
        return { outcome: 'paid', settledBy: 'pay' };
      } catch (err) {
        if (err instanceof ProviderRejection) {
          // ORDER_EXISTS: the id_order is ours, so it was our earlier attempt; reconcile says how.
          if (err.outcomeClass === 'already-done')
            return settleByReconcile(input, `K-Link says the id_order exists (${err.code})`);
          if (err.outcomeClass === 'final')
            return { outcome: 'declined', code: err.code, message: err.providerMessage };
          if (err.outcomeClass === 'retryable') throw retryable(err);
          return settleByReconcile(input, `pay outcome unknown (${err.code})`);
        }
        if (err instanceof ProviderTransportError && err.delivered === 'no') throw retryable(err);
        if (err instanceof ProviderTransportError || err instanceof ProviderProtocolError) {
          return settleByReconcile(input, `pay outcome unknown (${err.message})`);
        }
        throw err;
      }
    },

    async klinkReconcilePay(input: KWalletPayInput): Promise<KWalletPayOutcome> {
      return settleByReconcile(input, 'reconcile requested');
    },

    async klinkEscrowRefundRequest(input: {
      idOrder: string;
      idMember: string;
    }): Promise<RefundRequestOutcome> {
      try {
        const candidates = await client.escrowRefund(input);
        return {
          outcome: 'candidates',
          candidates: candidates.map((c) => ({
            idTrans: c.idTrans,
            idOrder: c.idOrder,
            idMember: c.idMember,
            amount: c.credit,
            description: c.description,
            datetime: c.datetime,
          })),
        };
      } catch (err) {
        if (err instanceof ProviderRejection) {
          // REFUND_EXISTING, the one already-done answer of a refund request.
          if (err.outcomeClass === 'already-done') {
            const existing = parseRefundExisting(err.providerMessage);
            if (existing?.orderId !== undefined && existing.orderId !== input.idOrder) {
              throw ApplicationFailure.nonRetryable(
                `K-Link answered "refund existing" for another order: ${err.providerMessage}`,
                'RefundMismatch',
              );
            }
            return {
              outcome: 'already-refunded',
              idTrans: Number(existing?.idTrans ?? NaN),
              datetime: existing?.datetime,
            };
          }
          if (err.outcomeClass === 'needs-review')
            return { outcome: 'needs-review', code: err.code, message: err.providerMessage };
          if (err.outcomeClass === 'final') {
            throw ApplicationFailure.nonRetryable(
              `refund request refused: ${err.code} ${err.providerMessage}`,
              'RefundRefused',
            );
          }
        }
        throw retryable(err);
      }
    },

    async klinkRefundAccept(input: {
      idOrder: string;
      idMember: string;
      idTrans: number;
      note: string;
    }): Promise<RefundAcceptOutcome> {
      try {
        const res = await client.refundAccept(input);
        if (res.outcome === 'refunded') return { outcome: 'refunded' };
        if (res.orderId !== undefined && res.orderId !== input.idOrder) {
          return {
            outcome: 'refused',
            code: 'REFUND_EXISTING_OTHER_ORDER',
            message: `refund existing names order ${res.orderId}`,
          };
        }
        return { outcome: 'already-refunded', idTrans: Number(res.idTrans ?? input.idTrans) };
      } catch (err) {
        // K-Link answered and refused (a business "fail", not a 5xx): repeating will not help.
        if (err instanceof ProviderRejection && err.httpStatus < 500 && err.outcomeClass !== 'retryable') {
          return { outcome: 'refused', code: err.code, message: err.providerMessage };
        }
        // Timeouts, resets, 5xx, an expired session twice: the accept is repeated as it was; if
        // the first one landed, K-Link answers "refund existing" and the money moved once.
        throw retryable(err);
      }
    },
  };
}

export type KLinkActivities = ReturnType<typeof createKLinkActivities>;

/**
 * For a worker without K-Link credentials: the same activities, each failing at once with a
 * clear, non-retryable reason, so a saga that needs K-Link parks for review instead of retrying.
 */
export function unconfiguredKLinkActivities(): KLinkActivities {
  const fail = async (): Promise<never> => {
    throw ApplicationFailure.nonRetryable(
      'K-Link is not configured on this worker: set KLINK_BASE_URL, KLINK_EMAIL and KLINK_PASSWORD',
      'ProviderNotConfigured',
    );
  };
  return {
    klinkRegisterVa: fail,
    klinkBalance: fail,
    klinkHistory: fail,
    klinkTransfer: fail,
    klinkVoucherTopUp: fail,
    klinkFindMovement: fail,
    klinkFindTransfer: fail,
    klinkPay: fail,
    klinkReconcilePay: fail,
    klinkEscrowRefundRequest: fail,
    klinkRefundAccept: fail,
  };
}

function retryable(err: unknown, prefix = ''): ApplicationFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.retryable(redactText(prefix + e.message), e.name);
}

/** A history row as callers see it: K-Link's fields plus direction and amount. */
function toMovementRow(row: HistoryEntry): Movement & { debit: number; credit: number } {
  return { ...toMovement(row), debit: row.debit, credit: row.credit };
}

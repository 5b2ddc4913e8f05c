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
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { redactText } from '../common/redact';
import { ProviderProtocolError, ProviderRejection, ProviderTransportError } from '../providers/http/errors';
import type { KLinkClient } from '../providers/klink/client';
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

  return {
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
  return { klinkPay: fail, klinkReconcilePay: fail, klinkEscrowRefundRequest: fail, klinkRefundAccept: fail };
}

function retryable(err: unknown): ApplicationFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.retryable(redactText(e.message), e.name);
}

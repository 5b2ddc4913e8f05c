/**
 * AliKassa activities: create a payment (pay-by-transfer), create a payout, and read either's
 * status. `order_id` is unique at AliKassa, so an unclear create is settled by a status call on
 * the same order_id, never by a create under a new one; a payout whose create stays unclear is
 * never created again by the engine (the saga asks a person).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { redactText } from '../common/redact';
import type { AliKassaClient } from '../providers/alikassa/client';
import { AliKassaInputError } from '../providers/alikassa/catalog';
import { ProviderProtocolError, ProviderRejection, ProviderTransportError } from '../providers/http/errors';
import type { ProviderState } from '../workflows/saga-definitions';

export interface AliKassaStatus {
  found: boolean;
  /**
   * What AliKassa's word means for the money (providers/alikassa/states.ts). Results recorded
   * before the kernel say 'succeeded' / 'needs-review' here: sagas read it with readAliKassaState.
   */
  state?: ProviderState;
  /** AliKassa's own word, kept for people (timeline, view). */
  status?: string;
  /** The order's amount as AliKassa holds it. Results recorded before partial payments were read hold the paid amount here. */
  amount?: number;
  /** What was actually paid (payment_amount), when AliKassa says. Absent in older results. */
  paymentAmount?: number;
  /** A partial payment (is_partial_payment, or less paid than the amount): never PAID. Absent in older results. */
  partial?: boolean;
  id?: string;
}

export type PayoutCreateOutcome =
  | { outcome: 'created'; id: string }
  /** Refused before anything happened (bad bank code, validation). */
  | { outcome: 'refused'; code: string; message: string }
  /** AliKassa may have it: confirm by status, never create again. */
  | { outcome: 'unclear'; detail: string };

export interface PayoutInput {
  orderId: string;
  amount: number;
  bankCode: string;
  accountNumber: string;
  firstName: string;
  lastName: string;
  notificationUrl?: string;
}

export function createAliKassaActivities(
  client: AliKassaClient | undefined,
  defaults: { payoutNotificationUrl?: string } = {},
) {
  const need = (): AliKassaClient => {
    if (!client)
      throw ApplicationFailure.nonRetryable(
        'AliKassa is not configured on this worker: set ALIKASSA_BASE_URL, ALIKASSA_ACCOUNT, ALIKASSA_PRIVATE_KEY, ALIKASSA_PASSPHRASE',
        'ProviderNotConfigured',
      );
    return client;
  };
  const status = async (kind: 'payment' | 'payout', orderId: string): Promise<AliKassaStatus> => {
    try {
      const s =
        kind === 'payment' ? await need().paymentStatus({ orderId }) : await need().payoutStatus({ orderId });
      return s
        ? {
            found: true,
            state: s.state,
            status: s.status,
            amount: s.amount,
            paymentAmount: s.paymentAmount,
            partial: s.partial,
            id: s.id,
          }
        : { found: false };
    } catch (err) {
      // A status call moves nothing: every unclear answer is simply asked again.
      if (err instanceof ApplicationFailure) throw err;
      throw ApplicationFailure.retryable(
        redactText(err instanceof Error ? err.message : String(err)),
        'AliKassaStatusUnavailable',
      );
    }
  };

  return {
    async alikassaPaymentStatus(input: { orderId: string }): Promise<AliKassaStatus> {
      return status('payment', input.orderId);
    },

    async alikassaPayoutStatus(input: { orderId: string }): Promise<AliKassaStatus> {
      return status('payout', input.orderId);
    },

    async alikassaCreatePayout(input: PayoutInput): Promise<PayoutCreateOutcome> {
      try {
        const created = await need().createPayout({
          orderId: input.orderId,
          amount: input.amount,
          customerCode: input.bankCode,
          number: input.accountNumber,
          firstName: input.firstName,
          lastName: input.lastName,
          notificationUrl: input.notificationUrl ?? defaults.payoutNotificationUrl,
        });
        return { outcome: 'created', id: created.id };
      } catch (err) {
        if (err instanceof AliKassaInputError)
          return { outcome: 'refused', code: 'INVALID_INPUT', message: err.message };
        if (err instanceof ProviderRejection) {
          if (err.code === 'ORDER_EXISTS')
            return { outcome: 'unclear', detail: 'AliKassa already has this order_id' };
          if (err.outcomeClass === 'final')
            return { outcome: 'refused', code: err.code, message: err.providerMessage };
          return { outcome: 'unclear', detail: err.message };
        }
        if (err instanceof ProviderTransportError && err.delivered === 'no') {
          throw ApplicationFailure.retryable(redactText(err.message), err.name);
        }
        if (err instanceof ProviderTransportError || err instanceof ProviderProtocolError)
          return { outcome: 'unclear', detail: redactText(err.message) };
        throw err;
      }
    },
  };
}

export type AliKassaActivities = ReturnType<typeof createAliKassaActivities>;

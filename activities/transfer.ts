/**
 * Creating a pay-by-transfer payment at K-Link (pay_service: VA, manual transfer, card page;
 * pay_service_midtrans: GoPay) or AliKassa (/v1/payment: a payment page). The order_id is unique at K-Link, so a create retried after an
 * unclear outcome cannot make a second payment: K-Link refuses it ("order_id exists") and the
 * saga then knows the payment exists but not its instructions.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { redactText } from '../common/redact';
import { ProviderProtocolError, ProviderRejection, ProviderTransportError } from '../providers/http/errors';
import type { AliKassaClient } from '../providers/alikassa/client';
import { AliKassaInputError } from '../providers/alikassa/catalog';
import type { KLinkClient } from '../providers/klink/client';
import type { MidtransActions, MidtransStatus } from '../providers/klink/midtrans-actions';
import type { TransferInput, TransferInstructions } from '../workflows/transfer-definitions';

export type TransferCreateOutcome =
  | {
      outcome: 'created';
      instructions: Omit<TransferInstructions, 'expiresAt'>;
      /** GoPay: Midtrans' get-status and cancel action URLs (for the engine, not the payer). */
      actions?: { statusUrl?: string; cancelUrl?: string };
    }
  | { outcome: 'refused'; code: string; message: string }
  /** The order exists at the provider (an earlier attempt created it) but its instructions are lost. */
  | { outcome: 'exists'; message: string };

/**
 * Midtrans' status of a GoPay charge. Results recorded before the kernel say 'cancelled' in
 * `state` (and a bare 'unknown' without a server key): sagas read it with readMidtransState.
 */
export type GopayStatus = MidtransStatus & { notConfigured?: true };

export function createTransferActivities(
  klink: KLinkClient | undefined,
  alikassa?: { client: AliKassaClient; notificationUrl?: string },
  midtrans?: MidtransActions,
) {
  async function createAliKassa(input: TransferInput): Promise<TransferCreateOutcome> {
    if (!alikassa)
      throw ApplicationFailure.nonRetryable(
        'AliKassa is not configured on this worker',
        'ProviderNotConfigured',
      );
    const [firstName, ...rest] = input.customer.fullname.trim().split(/\s+/);
    try {
      const created = await alikassa.client.createPayment({
        orderId: input.orderId,
        amount: input.amount + (input.payShip ?? 0),
        service: input.service ?? '',
        customerCode: input.customerCode ?? '',
        customerIp: input.customer.ip ?? '127.0.0.1',
        firstName: firstName ?? input.customer.fullname,
        lastName: rest.join(' ') || firstName || input.customer.fullname,
        notificationUrl: alikassa.notificationUrl,
      });
      return {
        outcome: 'created',
        instructions: {
          amountToPay: input.amount + (input.payShip ?? 0),
          redirectUrl: created.url,
          providerReference: created.id,
        },
      };
    } catch (err) {
      if (err instanceof AliKassaInputError)
        return { outcome: 'refused', code: 'INVALID_INPUT', message: err.message };
      if (err instanceof ProviderRejection && err.outcomeClass === 'final') {
        return { outcome: 'refused', code: err.code, message: err.providerMessage };
      }
      if (err instanceof ProviderTransportError && err.delivered === 'no')
        throw ApplicationFailure.retryable(redactText(err.message), err.name);
      // Unclear (5xx, timeout, "order_id taken"): AliKassa's own status on the same order_id decides.
      const found = await alikassa.client.paymentStatus({ orderId: input.orderId }).catch((e: unknown) => {
        throw ApplicationFailure.retryable(
          redactText(e instanceof Error ? e.message : String(e)),
          'AliKassaStatusUnavailable',
        );
      });
      if (found)
        return {
          outcome: 'exists',
          message: `AliKassa has order ${input.orderId} (${found.status}); its payment page link was not received`,
        };
      throw ApplicationFailure.retryable(
        `create unclear and AliKassa does not know order ${input.orderId}: creating again with the same order_id`,
        'AliKassaCreateUnclear',
      );
    }
  }

  return {
    async transferCreate(input: TransferInput): Promise<TransferCreateOutcome> {
      if (input.method === 'alikassa') return createAliKassa(input);
      if (!klink)
        throw ApplicationFailure.nonRetryable(
          'K-Link is not configured on this worker',
          'ProviderNotConfigured',
        );
      const common = {
        // rq_uuid is "unique per request"; a retry of the same create is the same request.
        rqUuid: `rq-${input.orderId}`,
        orderId: input.orderId,
        noHp: input.customer.phone,
        fullname: input.customer.fullname,
        email: input.customer.email,
        bankCode: input.bankCode ?? '',
        productCode: input.productCode ?? '',
        nominal: input.amount,
        payShip: input.payShip ?? 0,
      };
      try {
        if (input.method === 'klink-gopay') {
          const charge = await klink.payServiceMidtrans(common);
          return {
            outcome: 'created',
            instructions: {
              amountToPay: charge.grossAmount,
              qrUrl: charge.qrCode?.url,
              deeplinkUrl: charge.deeplink?.url,
              providerReference: charge.transactionId,
            },
            actions: { statusUrl: charge.status?.url, cancelUrl: charge.cancel?.url },
          };
        }
        const res = await klink.payService(common);
        if (res.kind === 'manual') {
          return {
            outcome: 'created',
            instructions: {
              amountToPay: res.totalBayar,
              norek: res.norek,
              kdPay: res.kdPay,
              kodeUnik: res.kodeUnik,
              providerReference: res.kdRef,
            },
          };
        }
        if (res.kind === 'redirect')
          return {
            outcome: 'created',
            instructions: { amountToPay: input.amount + (input.payShip ?? 0), redirectUrl: res.urlPay },
          };
        return {
          outcome: 'created',
          instructions: {
            amountToPay: res.totalBayar ?? input.amount + (input.payShip ?? 0),
            vaNumber: res.vaNumber,
            kdPay: res.kdPay,
            kodeUnik: res.kodeUnik,
          },
        };
      } catch (err) {
        if (err instanceof ProviderRejection) {
          if (err.code === 'ORDER_EXISTS') return { outcome: 'exists', message: err.providerMessage };
          if (err.outcomeClass === 'final')
            return { outcome: 'refused', code: err.code, message: err.providerMessage };
        }
        if (
          err instanceof ProviderRejection ||
          err instanceof ProviderTransportError ||
          err instanceof ProviderProtocolError
        ) {
          // Safe to repeat: the order_id is unique at K-Link (see the module doc).
          throw ApplicationFailure.retryable(redactText(err.message), err.name);
        }
        throw err;
      }
    },

    /**
     * GoPay: Midtrans' status for the charge, its transaction_status read in providers/klink/states.ts.
     * Without a server key nothing was asked: `notConfigured`, and the saga relies on the webhook.
     */
    async gopayStatus(input: { statusUrl: string }): Promise<GopayStatus> {
      if (!midtrans) return { state: 'unknown', notConfigured: true };
      try {
        return await midtrans.status(input.statusUrl);
      } catch (err) {
        // A status read moves nothing: asked again by Temporal.
        throw ApplicationFailure.retryable(
          redactText(err instanceof Error ? err.message : String(err)),
          'MidtransUnavailable',
        );
      }
    },

    /** GoPay at expiry: cancel the charge so a late payment cannot land; 'not-configured' without a server key. */
    async gopayCancel(input: {
      cancelUrl: string;
    }): Promise<'cancelled' | 'already-paid' | 'not-configured'> {
      if (!midtrans) return 'not-configured';
      try {
        return await midtrans.cancel(input.cancelUrl);
      } catch (err) {
        // Cancelling twice is harmless (a cancelled charge answers cancelled): retried.
        throw ApplicationFailure.retryable(
          redactText(err instanceof Error ? err.message : String(err)),
          'MidtransUnavailable',
        );
      }
    },
  };
}

export type TransferActivities = ReturnType<typeof createTransferActivities>;

/**
 * Prakerja activities: thin wrappers that call the provider client and turn its outcome into a
 * value the workflow can decide on. Business outcomes are returned, not thrown, so the workflow
 * reads them as data; only "try again" is thrown (as a retryable failure) and left to Temporal's
 * retry policy.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ProviderProtocolError, ProviderRejection, ProviderTransportError } from '../providers/http/errors';
import type { PrakerjaClient } from '../providers/prakerja/client';
import { redactText } from '../common/redact';

export interface AuthorizeActivityInput {
  paymentToken: string;
  otp: string;
  invoiceUrl: string;
  invoiceCode: string;
}

export type AuthorizeOutcome =
  | { outcome: 'authorized'; transactionCode: string; amount: number; providerStatus: string }
  /** ERRPLT40034: wrong OTP or bad token. Nothing was recorded. */
  | { outcome: 'otp-rejected'; code: string; message: string }
  /** ERRTRX40032 on a first attempt: the token cannot be claimed. Nothing was recorded by us. */
  | { outcome: 'token-unclaimable'; code: string; message: string }
  /** Prakerja may have recorded the purchase; we cannot tell. */
  | { outcome: 'ambiguous'; detail: string; code?: string }
  /** A refusal the documents do not list: final, code and message kept as they came. */
  | { outcome: 'refused'; code: string; message: string; httpStatus: number };

export type VoidOutcome =
  | { outcome: 'voided' | 'already-voided'; message: string }
  | { outcome: 'refused'; code: string; message: string; documented: boolean };

export function createPrakerjaActivities(client: PrakerjaClient) {
  return {
    async prakerjaAuthorize(input: AuthorizeActivityInput): Promise<AuthorizeOutcome> {
      // A retry (attempt > 1) follows an attempt that may have reached Prakerja before the worker
      // died or timed out: from then on "token already claimed" may be our own claim.
      const isRetry = Context.current().info.attempt > 1;
      try {
        const data = await client.authorize(input);
        return {
          outcome: 'authorized',
          transactionCode: data.transaction_code,
          amount: data.amount,
          providerStatus: data.status,
        };
      } catch (err) {
        if (err instanceof ProviderRejection) {
          if (err.code === 'ERRPLT40034')
            return { outcome: 'otp-rejected', code: err.code, message: err.providerMessage };
          if (err.code === 'ERRTRX40032') {
            return isRetry
              ? {
                  outcome: 'ambiguous',
                  code: err.code,
                  detail:
                    'token already claimed on a retried authorize: our earlier attempt may have claimed it',
                }
              : { outcome: 'token-unclaimable', code: err.code, message: err.providerMessage };
          }
          if (err.outcomeClass === 'retryable') throw retryable(err);
          if (err.outcomeClass === 'needs-review')
            return { outcome: 'ambiguous', code: err.code, detail: err.message };
          return {
            outcome: 'refused',
            code: err.code,
            message: err.providerMessage,
            httpStatus: err.httpStatus,
          };
        }
        if (err instanceof ProviderTransportError) {
          if (err.delivered === 'no') throw retryable(err);
          return { outcome: 'ambiguous', detail: err.message };
        }
        if (err instanceof ProviderProtocolError) return { outcome: 'ambiguous', detail: err.message };
        throw err;
      }
    },

    async prakerjaVoid(input: { invoiceCode: string; transactionCode: string }): Promise<VoidOutcome> {
      try {
        const res = await client.void(input);
        return { outcome: res.alreadyVoided ? 'already-voided' : 'voided', message: res.message };
      } catch (err) {
        // Void is idempotent (a repeat answers "already voided"), so every uncertain outcome is
        // retried by Temporal with the same request; the workflow bounds the attempts.
        if (err instanceof ProviderRejection && err.outcomeClass !== 'retryable') {
          return {
            outcome: 'refused',
            code: err.code,
            message: err.providerMessage,
            documented: err.documented,
          };
        }
        if (
          err instanceof ProviderRejection ||
          err instanceof ProviderTransportError ||
          err instanceof ProviderProtocolError
        ) {
          throw retryable(err);
        }
        throw err;
      }
    },
  };
}

export type PrakerjaActivities = ReturnType<typeof createPrakerjaActivities>;

/** For a worker without Prakerja credentials: fail at once and clearly, as the other providers do. */
export function unconfiguredPrakerjaActivities(): PrakerjaActivities {
  const fail = async (): Promise<never> => {
    throw ApplicationFailure.nonRetryable(
      'Prakerja is not configured on this worker: set PRAKERJA_BASE_URL, PRAKERJA_CLIENT_CODE and PRAKERJA_SIGN_KEY',
      'ProviderNotConfigured',
    );
  };
  return { prakerjaAuthorize: fail, prakerjaVoid: fail };
}

function retryable(err: Error): ApplicationFailure {
  return ApplicationFailure.retryable(redactText(err.message), err.name);
}

/**
 * Prakerja client: authorize (OTP + payment token) and void.
 *
 * Each call either returns the parsed success body or throws one of:
 * - ProviderRejection: the provider answered non-success; `outcomeClass` says what it means.
 * - ProviderTransportError: no answer (timeout, reset, refused); `delivered` says whether the
 *   provider may have acted.
 * - ProviderProtocolError: an answer we cannot read (a 2xx with a body not in the document).
 *
 * Authorize is not idempotent (a payment token is claimed once), so a 5xx (or a redirect) on
 * authorize is classified needs-review: the purchase may have been recorded. Void is idempotent
 * (a repeat answers "already voided"), so a 5xx on void is retryable.
 */
import {
  ProviderProtocolError,
  ProviderRejection,
  type OutcomeClass,
  type DocumentedError,
} from '../http/errors';
import { sendSignedRequest, type ProviderResponse } from '../http/signed-request';
import { PRAKERJA_AUTHORIZE_ERRORS, PRAKERJA_VOID_ERRORS, findDocumentedError } from './error-codes';
import { AuthorizeRequest, AuthorizeSuccess, ErrorBody, VoidRequest, VoidSuccess } from './schemas';
import { prakerjaHeaders } from './signature';

export const PRAKERJA_AUTHORIZE_PATH = '/api/v1/integration/payment/authorize';
export const PRAKERJA_VOID_PATH = '/api/v1/integration/payment/void';

export interface PrakerjaConfig {
  baseUrl: string;
  clientCode: string;
  signKey: string;
  timeoutMs: number;
  now?: () => number;
}

export interface AuthorizeInput {
  paymentToken: string;
  otp: string;
  invoiceUrl: string;
  invoiceCode: string;
}

export type AuthorizeResult = AuthorizeSuccess['data'];

export interface PrakerjaClient {
  authorize(input: AuthorizeInput): Promise<AuthorizeResult>;
  void(input: {
    invoiceCode: string;
    transactionCode: string;
  }): Promise<{ alreadyVoided: boolean; message: string }>;
}

export function createPrakerjaClient(config: PrakerjaConfig): PrakerjaClient {
  const now = config.now ?? Date.now;
  const creds = { clientCode: config.clientCode, signKey: config.signKey };

  return {
    async authorize(input) {
      const body: AuthorizeRequest = AuthorizeRequest.parse({
        otp: input.otp,
        invoice_url: input.invoiceUrl,
        invoice_code: input.invoiceCode,
      });
      const res = await sendSignedRequest({
        provider: 'prakerja',
        operation: 'authorize',
        baseUrl: config.baseUrl,
        method: 'POST',
        path: PRAKERJA_AUTHORIZE_PATH,
        body,
        sign: (req) => prakerjaHeaders(creds, req, input.paymentToken, now()),
        timeoutMs: config.timeoutMs,
        secrets: [config.signKey, input.paymentToken],
      });
      if (res.status >= 200 && res.status < 300) {
        const parsed = AuthorizeSuccess.safeParse(res.json);
        if (!parsed.success)
          throw new ProviderProtocolError('prakerja', 'authorize', res.status, parsed.error.message);
        return parsed.data.data;
      }
      // Only a 4xx is a refusal before acting; a 5xx or a redirect may follow a recorded purchase.
      const refusedBeforeActing = res.status >= 400 && res.status < 500;
      throw rejection(
        'authorize',
        res,
        PRAKERJA_AUTHORIZE_ERRORS,
        refusedBeforeActing ? 'final' : 'needs-review',
      );
    },

    async void(input) {
      const body: VoidRequest = VoidRequest.parse({
        invoice_code: input.invoiceCode,
        transaction_code: input.transactionCode,
      });
      const res = await sendSignedRequest({
        provider: 'prakerja',
        operation: 'void',
        baseUrl: config.baseUrl,
        method: 'POST',
        path: PRAKERJA_VOID_PATH,
        body,
        sign: (req) => prakerjaHeaders(creds, req, undefined, now()),
        timeoutMs: config.timeoutMs,
        secrets: [config.signKey],
      });
      if (res.status >= 200 && res.status < 300) {
        const parsed = VoidSuccess.safeParse(res.json);
        if (!parsed.success)
          throw new ProviderProtocolError('prakerja', 'void', res.status, parsed.error.message);
        return { alreadyVoided: false, message: parsed.data.message };
      }
      const err = rejection(
        'void',
        res,
        PRAKERJA_VOID_ERRORS,
        res.status >= 400 && res.status < 500 ? 'final' : 'retryable',
      );
      if (err.outcomeClass === 'already-done') return { alreadyVoided: true, message: err.providerMessage };
      throw err;
    },
  };
}

/**
 * Classify a non-2xx answer: a documented code gets its documented class; 429 is retryable (the
 * provider refused before acting); otherwise `fallback` (by status class: the caller knows whether
 * its call is idempotent). Undocumented codes keep the provider's code and message, never guessed.
 */
function rejection(
  operation: string,
  res: ProviderResponse,
  table: readonly DocumentedError[],
  fallback: OutcomeClass,
): ProviderRejection {
  const body = ErrorBody.safeParse(res.json);
  const code = body.success ? body.data.code : `HTTP_${res.status}`;
  const message = body.success ? body.data.message : res.text.slice(0, 200);
  const documented = findDocumentedError(table, code);
  const outcome: OutcomeClass = documented?.class ?? (res.status === 429 ? 'retryable' : fallback);
  return new ProviderRejection(
    'prakerja',
    operation,
    res.status,
    code,
    message,
    outcome,
    documented !== undefined,
  );
}

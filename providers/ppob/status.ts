/**
 * Every PPOB outcome the engine recognises, in ONE place: the transaction statuses and the
 * refusals with their classes.
 *
 * Statuses (document 1.2 and 2.1): what each word means for the money is in states.ts (pure, so
 * the saga reads it too); the table below says why. A word the document does not list is kept
 * as the provider wrote it, with state 'unknown': the purchase parks for a person.
 *
 * Refusals: the document shows none. The rows below are the wire contract agreed with the
 * sandbox (basis 'wire contract'), so `documented` is false for all of them, as for K-Link.
 *
 * The ambiguous answers (1xx, 3xx, 5xx, a 2xx that is not a transaction) leave the outcome
 * UNKNOWN: the provider may have recorded the purchase. For PPOB this is still 'retryable' for
 * every operation, because the caller re-sends the SAME refid and the document's own rule is that
 * a refid is never processed twice ("transaksi dengan refid sama tidak diproses dua kali"): the
 * re-send either creates the transaction once, or answers the existing one ("trx sebelumnya
 * ditemukan"). Re-sending never buys twice, and it is exactly how the outcome becomes known.
 */
import { ProviderRejection, type OutcomeClass } from '../http/errors';
import type { ProviderState } from '../../workflows/saga-definitions';
import { PPOB_STATES, type PpobStatus } from './states';

export type { PpobStatus } from './states';

export interface PpobStatusRow {
  status: PpobStatus;
  /** What the word means for the money (states.ts). */
  state: ProviderState;
  basis: string;
  meaning: string;
}

export const PPOB_STATUS_TABLE: Readonly<Record<PpobStatus, PpobStatusRow>> = {
  Waiting: {
    status: 'Waiting',
    state: PPOB_STATES.Waiting,
    basis: 'document 1.2 (the answer to a new request)',
    meaning:
      'Accepted, not yet sent to the operator: keep waiting for the report, or re-send the refid to ask.',
  },
  Pending: {
    status: 'Pending',
    state: PPOB_STATES.Pending,
    basis: 'document 1.2 and 2.1',
    meaning: 'Being processed by the operator (PLN, telco): keep waiting; it ends Success or Failed.',
  },
  Success: {
    status: 'Success',
    state: PPOB_STATES.Success,
    basis: 'document 2.1 (the report), and so a repeated-refid answer',
    meaning: 'Delivered: the sn is the voucher serial or token. For an inquiry: the bill was found.',
  },
  Failed: {
    status: 'Failed',
    state: PPOB_STATES.Failed,
    basis: 'document 1.2 and 2.1',
    meaning:
      'Not delivered and will not be: the purchase can be refunded. For an inquiry: no bill (unknown customer).',
  },
};

export type PpobOperation = 'topup' | 'inquiry' | 'payment';

export interface PpobRefusalRow {
  code: string;
  httpStatus: number;
  /** Matched against the refusal's message; the first matching row of its HTTP status wins. */
  message: RegExp;
  class: OutcomeClass;
  documented: false;
  basis: 'wire contract';
  example: string;
  meaning: string;
}

export const PPOB_REFUSALS: readonly PpobRefusalRow[] = [
  {
    code: 'AUTH_SIGNATURE',
    httpStatus: 401,
    message: /signature/i,
    class: 'final',
    documented: false,
    basis: 'wire contract',
    example: 'HTTP 401 {status:"Failed", message:"invalid signature"}',
    meaning:
      'The provider refused the Gw-signature before acting: PPOB_TOKEN (or PPOB_USERNAME) is wrong. Nothing was bought.',
  },
  {
    code: 'AUTH_DATETIME',
    httpStatus: 401,
    message: /date\s*time|datetime/i,
    class: 'final',
    documented: false,
    basis: 'wire contract',
    example: 'HTTP 401 {status:"Failed", message:"datetime out of range"}',
    meaning:
      "The provider refused the Gw-datetime before acting: the worker's clock, or PPOB_TIMEZONE, does not match the provider's. Nothing was bought.",
  },
  {
    code: 'AUTH_USER',
    httpStatus: 401,
    message: /user/i,
    class: 'final',
    documented: false,
    basis: 'wire contract',
    example: 'HTTP 401 {status:"Failed", message:"unknown user"}',
    meaning: 'The provider does not know Gw-username: PPOB_USERNAME is wrong or revoked. Nothing was bought.',
  },
  {
    code: 'AUTH_REFUSED',
    httpStatus: 401,
    message: /(?:)/,
    class: 'final',
    documented: false,
    basis: 'wire contract',
    example: 'HTTP 401 with another message',
    meaning:
      "A 401 whose message is none of the agreed ones: refused before acting; the provider's message is kept.",
  },
  {
    code: 'BAD_REQUEST',
    httpStatus: 400,
    message: /(?:)/,
    class: 'final',
    documented: false,
    basis: 'wire contract',
    example: 'HTTP 400 {status:"Failed", message:"dest"}',
    meaning:
      'The provider refused the request body before acting (the message names the field): a bug on our side. Nothing was bought.',
  },
];

/**
 * The class of an answer that does not say what happened, per operation: retryable for all three,
 * because the caller re-sends the same refid (see the module doc). Kept per operation so that a
 * future non-idempotent call has to decide.
 */
export const PPOB_AMBIGUOUS_CLASS: Readonly<Record<PpobOperation, OutcomeClass>> = {
  topup: 'retryable',
  inquiry: 'retryable',
  payment: 'retryable',
};

/**
 * The ProviderRejection for a non-2xx answer: 401 / 400 by the table; 408 and 429 retryable
 * (refused before acting, try later); any other 4xx final (refused before acting: a wrong URL or
 * method); 1xx / 3xx / 5xx the operation's ambiguous class. `message` must already be redacted.
 */
export function ppobRejection(
  operation: PpobOperation,
  httpStatus: number,
  message: string,
): ProviderRejection {
  const row = PPOB_REFUSALS.find((r) => r.httpStatus === httpStatus && r.message.test(message));
  if (row) return new ProviderRejection('ppob', operation, httpStatus, row.code, message, row.class, false);
  const outcome: OutcomeClass =
    httpStatus >= 400 && httpStatus < 500
      ? httpStatus === 408 || httpStatus === 429
        ? 'retryable'
        : 'final'
      : PPOB_AMBIGUOUS_CLASS[operation];
  return new ProviderRejection('ppob', operation, httpStatus, `HTTP_${httpStatus}`, message, outcome, false);
}

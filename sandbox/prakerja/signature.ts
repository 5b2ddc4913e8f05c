/**
 * Prakerja request authentication, written from the Prakerja API document (authorize / void
 * pages), deliberately independent of providers/prakerja: if our client's signer is wrong, the
 * sandbox must refuse it, not agree with itself.
 *
 * From the document:
 *   raw_signature = client_code + timestamp + method + endpoint [+ 'Payment ' + payment_token] + body
 *   signature     = hex(HMAC-SHA1(sign_key, raw_signature))
 * where timestamp is the `timestamp` header (unix seconds, "harus sama persis" with the one
 * signed), endpoint is the documented path (no host, no sandbox mount prefix), the Authorization
 * part is only on authorize, and body is the exact bytes sent. Here the body enters the HMAC as
 * raw bytes, never re-serialised, so a client that signs one spelling of the JSON and sends
 * another is refused as the real provider would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { PrakerjaError } from './state';

export const AUTHORIZE_ENDPOINT = '/api/v1/integration/payment/authorize';
export const VOID_ENDPOINT = '/api/v1/integration/payment/void';

/**
 * Refusals for authentication failures. The document says every endpoint may also answer the
 * "list error general response", but that list is not in the pages we have, so these codes and
 * messages are the sandbox's own invention in the documented {code, message, success:false} shape.
 */
export const AUTH_ERRORS = {
  clientCode: { status: 401, code: 'ERRPLT40101', message: 'Client code tidak valid.' },
  signature: { status: 401, code: 'ERRPLT40102', message: 'Signature tidak valid.' },
  timestamp: { status: 401, code: 'ERRPLT40103', message: 'Timestamp tidak valid.' },
  // A missing or malformed Authorization header on authorize: there is no token to check, which
  // is what the documented ERRPLT40034 means.
  paymentToken: { status: 400, code: 'ERRPLT40034', message: 'Token Payment tidak valid.' },
} as const satisfies Record<string, PrakerjaError>;

export interface SignatureInput {
  clientCode: string;
  /** The timestamp header exactly as sent. */
  timestamp: string;
  method: string;
  endpoint: string;
  /** authorize only: the token from `Authorization: Payment <token>`. */
  paymentToken?: string;
  rawBody: Buffer;
}

export function computeSignature(signKey: string, input: SignatureInput): string {
  const hmac = createHmac('sha1', Buffer.from(signKey, 'utf8'));
  hmac.update(input.clientCode + input.timestamp + input.method + input.endpoint, 'utf8');
  if (input.paymentToken !== undefined) hmac.update('Payment ' + input.paymentToken, 'utf8');
  hmac.update(input.rawBody);
  return hmac.digest('hex');
}

/** Constant-time, so response timing does not reveal how many leading characters of a forged signature were right. */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  if (a.length !== b.length) {
    // Still spend the comparison so a length mismatch is not measurably faster.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

export interface VerifyOptions {
  headers: IncomingHttpHeaders;
  endpoint: string;
  rawBody: Buffer;
  clientCode: string;
  signKey: string;
  nowMs: number;
  toleranceSeconds: number;
  /** authorize: the Authorization header carries the payment token and is part of the signature. */
  withPaymentToken: boolean;
}

export type VerifyResult = { ok: true; paymentToken?: string } | { ok: false; error: PrakerjaError };

/** Checks in the order a gateway would: who is calling, is the request fresh, then is it authentic. */
export function verifyPrakerjaRequest(opts: VerifyOptions): VerifyResult {
  const clientCode = singleHeader(opts.headers, 'client_code');
  if (!clientCode || clientCode !== opts.clientCode) return { ok: false, error: AUTH_ERRORS.clientCode };

  const timestamp = singleHeader(opts.headers, 'timestamp');
  if (!timestamp || !/^\d{1,15}$/.test(timestamp)) return { ok: false, error: AUTH_ERRORS.timestamp };
  const skewSeconds = Math.abs(opts.nowMs / 1000 - Number(timestamp));
  if (skewSeconds > opts.toleranceSeconds) return { ok: false, error: AUTH_ERRORS.timestamp };

  let paymentToken: string | undefined;
  if (opts.withPaymentToken) {
    const match = /^Payment (\S+)$/.exec(singleHeader(opts.headers, 'authorization') ?? '');
    if (!match) return { ok: false, error: AUTH_ERRORS.paymentToken };
    paymentToken = match[1];
  }

  const provided = singleHeader(opts.headers, 'signature');
  const expected = computeSignature(opts.signKey, {
    clientCode,
    timestamp,
    method: 'POST',
    endpoint: opts.endpoint,
    paymentToken,
    rawBody: opts.rawBody,
  });
  if (!provided || !signaturesEqual(expected, provided)) return { ok: false, error: AUTH_ERRORS.signature };

  return { ok: true, paymentToken };
}

/** A header sent twice arrives as an array or comma-joined: neither is a valid credential. */
function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

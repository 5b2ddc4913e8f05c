/**
 * Prakerja request signing, from the provider's document (authorize and void pages):
 *
 *   raw_signature = client_code + timestamp + method + endpoint [+ 'Payment ' + payment_token] + body
 *   signature     = hex(HMAC-SHA1(sign_key, raw_signature))
 *
 * `timestamp` is unix seconds and must be the same value as the `timestamp` header. The
 * `Payment <token>` part is present only for calls that carry the `Authorization: Payment <token>`
 * header (authorize); void signs without it. `body` is the exact JSON bytes sent (the document's
 * Python sample serializes with separators=(',', ':'), i.e. compact JSON, as JSON.stringify does).
 */
import { createHmac } from 'node:crypto';

export interface PrakerjaSignatureInput {
  clientCode: string;
  signKey: string;
  timestamp: string;
  method: string;
  endpoint: string;
  /** Present for authorize only. */
  paymentToken?: string;
  body: Buffer;
}

export function prakerjaSignature(input: PrakerjaSignatureInput): string {
  const prefix =
    input.clientCode +
    input.timestamp +
    input.method +
    input.endpoint +
    (input.paymentToken === undefined ? '' : `Payment ${input.paymentToken}`);
  return createHmac('sha1', input.signKey).update(prefix, 'utf8').update(input.body).digest('hex');
}

/** The headers of one attempt, with a fresh timestamp. */
export function prakerjaHeaders(
  creds: { clientCode: string; signKey: string },
  req: { method: string; path: string; body: Buffer },
  paymentToken: string | undefined,
  nowMs: number,
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const headers: Record<string, string> = {
    client_code: creds.clientCode,
    timestamp,
    signature: prakerjaSignature({
      ...creds,
      timestamp,
      method: req.method,
      endpoint: req.path,
      paymentToken,
      body: req.body,
    }),
  };
  if (paymentToken !== undefined) headers.Authorization = `Payment ${paymentToken}`;
  return headers;
}

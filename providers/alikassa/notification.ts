/**
 * AliKassa notifications (callbacks to `notification_endpoint_url`).
 *
 * The document promises them ("you will receive a notification about the payment status change",
 * sent "after the statuses are finalized") but shows neither body nor signature. Inferred design:
 *
 * - AliKassa POSTs JSON `{id, uuid?, order_id, payment_status, amount, type: 'payment' | 'payout'}`
 *   to the URL we gave;
 * - header `Sign` = base64 RSA-SHA256 (PKCS#1 v1.5) over the RAW body, made with ALIKASSA's own key
 *   (the mirror of how we sign requests); we verify it with AliKassa's public key from config
 *   (`ALIKASSA_PUBLIC_KEY`, a PEM or a path; load it once with loadAliKassaPublicKey);
 * - verification runs over the raw bytes as received: never over a re-serialization of the parsed
 *   JSON, whose bytes would differ (key order, escapes, spacing).
 *
 * A verified notification is only a hint: the receiver confirms it with a status call
 * (paymentStatus / payoutStatus on the same order_id) before money is believed. Signature,
 * key and document are all inferred here, and a status answer is the one thing we ask for ourselves.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  aliKassaAmount,
  aliKassaId,
  aliKassaState,
  aliKassaStatus,
  zodIssues,
  type AliKassaState,
} from './schemas';

export const ALIKASSA_SIGN_HEADER = 'sign';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** True only when `signHeader` is a valid AliKassa signature over exactly `rawBody`. Never throws. */
export function verifyAliKassaNotification(
  rawBody: Buffer,
  signHeader: string | undefined,
  publicKey: KeyObject,
): boolean {
  if (typeof signHeader !== 'string') return false;
  const sign = signHeader.trim();
  if (sign === '' || sign.length % 4 !== 0 || !BASE64.test(sign)) return false;
  try {
    return verify(
      'sha256',
      rawBody,
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(sign, 'base64'),
    );
  } catch {
    return false;
  }
}

export class AliKassaNotificationError extends Error {
  override readonly name = 'AliKassaNotificationError';
}

const NotificationBody = z
  .object({
    id: aliKassaId,
    uuid: z.string().nullish(),
    order_id: z.union([z.string().min(1).max(128), z.number()]).transform(String),
    payment_status: aliKassaStatus,
    amount: aliKassaAmount,
    type: z.enum(['payment', 'payout']),
  })
  .loose();

export interface AliKassaNotification {
  type: 'payment' | 'payout';
  id: string;
  uuid?: string;
  orderId: string;
  status: string;
  state: AliKassaState;
  /** Integer rupiah. */
  amount: number;
}

/** The notification body, validated (verify the signature first). Throws AliKassaNotificationError. */
export function parseAliKassaNotification(rawBody: Buffer): AliKassaNotification {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new AliKassaNotificationError('AliKassa notification is not JSON');
  }
  const r = NotificationBody.safeParse(json);
  if (!r.success) throw new AliKassaNotificationError(`AliKassa notification: ${zodIssues(r.error)}`);
  const b = r.data;
  return {
    type: b.type,
    id: b.id,
    uuid: b.uuid ?? undefined,
    orderId: b.order_id,
    status: b.payment_status,
    state: aliKassaState(b.payment_status),
    amount: b.amount,
  };
}

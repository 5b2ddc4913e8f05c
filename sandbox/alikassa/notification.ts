/**
 * How the simulated AliKassa signs its notifications, written here again (the sandbox never uses
 * providers/): the page "Verifying the signature of a notification"
 * (https://doc-merchant.alikassa.com/api/sign) has the receiver rebuild
 *
 *   json_encode(['type' => ..., 'id' => (int) ..., 'order_id' => ..., 'payment_status' => ...,
 *                'amount' => ..., 'payment_amount' => ..., 'commission_amount' => ...,
 *                'is_partial_payment' => ..., 'account' => ..., 'service' => ..., 'desc' => ...])
 *
 * from the GET parameters and check `sign` over it with the public half of AliKassa's "API
 * certificate for notifications". So the sender signs the same bytes: PHP json_encode with its
 * default flags. Here they are made from JSON.stringify (which already escapes `"`, `\` and the
 * control characters as PHP does) by escaping `/` and every UTF-16 code unit above U+007F, which
 * is what PHP adds by default.
 */
import { constants, sign, type KeyObject } from 'node:crypto';

export const NOTIFICATION_FIELDS = [
  'type',
  'id',
  'order_id',
  'payment_status',
  'amount',
  'payment_amount',
  'commission_amount',
  'is_partial_payment',
  'account',
  'service',
  'desc',
] as const;

export type SignHash = 'sha256' | 'sha1';

/** PHP json_encode's bytes for these fields (`id` an integer, a missing field null). */
export function phpSignedJson(params: ReadonlyMap<string, string>): string {
  const parts = NOTIFICATION_FIELDS.map((field) => {
    const value = params.get(field);
    const json =
      field === 'id'
        ? String(parseInt(value ?? '0', 10) || 0)
        : value === undefined
          ? 'null'
          : JSON.stringify(value)
              .replace(/\//g, '\\/')
              .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return `"${field}":${json}`;
  });
  return `{${parts.join(',')}}`;
}

export function signNotification(
  params: ReadonlyMap<string, string>,
  key: KeyObject,
  hash: SignHash,
): string {
  return sign(hash, Buffer.from(phpSignedJson(params), 'utf8'), {
    key,
    padding: constants.RSA_PKCS1_PADDING,
  }).toString('base64');
}

/** The parameters of a query string (the send-raw body, or a notification). */
export function queryParams(query: string): Map<string, string> {
  return new Map(new URLSearchParams(query));
}

/** The query string AliKassa sends: the fields in order, then `sign`. */
export function notificationQuery(fields: Record<string, string>, key: KeyObject, hash: SignHash): string {
  const params = new Map(Object.entries(fields));
  const query = new URLSearchParams([...params, ['sign', signNotification(params, key, hash)]]);
  return query.toString();
}

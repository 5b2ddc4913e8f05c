/**
 * AliKassa notifications (callbacks to `notification_endpoint_url`), as AliKassa's public page
 * "Verifying the signature of a notification" describes them:
 *   https://doc-merchant.alikassa.com/api/sign
 *   https://doc-merchant.alikassa.com/en/api/signature-check
 *
 * - An HTTP GET with query parameters: type (payment | payout), id, order_id, payment_status
 *   (wait / paid / cancel / fail, read in states.ts), amount, payment_amount, commission_amount,
 *   is_partial_payment, account, service, desc, and sign.
 * - `sign` = base64 RSA PKCS#1 v1.5 over PHP `json_encode` of those eleven fields, in that order,
 *   exactly as the page's PHP sample builds it:
 *     json_encode(['type' => $_GET['type'], 'id' => (int) $_GET['id'], 'order_id' => ...,
 *                  ..., 'desc' => $_GET['desc']])
 *   so `id` is an integer and every other field the string the query carried (a field absent
 *   from the query is PHP's null), encoded as json_encode does by default: `/` as `\/`, every
 *   non-ASCII character as \uXXXX (see php-json.ts). The Node sample on the English page builds
 *   the same array with JSON.stringify, whose bytes differ as soon as a value holds `/` or
 *   non-ASCII (a desc, an order_id); the PHP form is the one AliKassa's own server writes, so it
 *   is the one verified.
 * - The key is AliKassa's separate "API certificate for notifications" (its public.pem), not the
 *   merchant's request key: ALIKASSA_NOTIFICATION_PUBLIC_KEY. The hash is ALIKASSA_SIGN_HASH,
 *   the same setting as for requests (see signature.ts for the default and why).
 *
 * Read here (the page does not say): the query is decoded as PHP fills $_GET (`+` is a space,
 * percent-escapes are UTF-8); a parameter given twice is refused (PHP would keep the last, a
 * Node receiver the first: the two cannot both be right, so neither is guessed); parameters
 * other than the eleven are not signed and are ignored; an `id` that is not plain digits is
 * refused before verification (PHP's (int) cast of it is not worth imitating).
 * is_partial_payment is typed bool but arrives as a query string: "1" / "true" is true, "0" /
 * "false" / "" / absent is false, anything else is refused.
 *
 * A verified notification is only a hint: the receiver confirms it with a status call
 * (paymentStatus / payoutStatus on the same order_id) before money is believed.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { ProviderState } from '../../workflows/saga-definitions';
import { phpJsonEncode, type PhpJsonScalar } from './php-json';
import {
  aliKassaAmount,
  aliKassaFlag,
  aliKassaOptionalAmount,
  aliKassaStatus,
  isPartialPayment,
  zodIssues,
} from './schemas';
import { aliKassaVerify, DEFAULT_ALIKASSA_SIGN_HASH, type AliKassaSignHash } from './signature';
import { aliKassaProviderState } from './states';

/** The signed fields, in the order the page's sample puts them in the array. */
export const ALIKASSA_NOTIFICATION_FIELDS = [
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
export type AliKassaNotificationField = (typeof ALIKASSA_NOTIFICATION_FIELDS)[number];

/** The query parameter that carries the signature. */
export const ALIKASSA_SIGN_PARAM = 'sign';

export const ALIKASSA_NOTIFICATION_KINDS = ['payment', 'payout'] as const;
export type AliKassaNotificationKind = (typeof ALIKASSA_NOTIFICATION_KINDS)[number];

/** A notification refused: `status` is the HTTP answer (400 malformed, 401 signature). */
export class AliKassaNotificationError extends Error {
  override readonly name = 'AliKassaNotificationError';
  constructor(
    readonly status: 400 | 401,
    readonly reason: 'missingSignature' | 'badSignature' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

const malformed = (message: string) => new AliKassaNotificationError(400, 'malformed', message);

/** `+` is a space, then percent-decoding; a part with neither (most of them) is as it was. */
function decodeQueryPart(raw: string): string {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
}

/**
 * The query string's parameters, decoded as PHP fills $_GET. Throws AliKassaNotificationError
 * (400) for a malformed escape, invalid UTF-8 or a parameter given twice.
 */
export function parseNotificationQuery(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [rawKey, rawValue] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    let key: string;
    let value: string;
    try {
      key = decodeQueryPart(rawKey);
      value = decodeQueryPart(rawValue);
    } catch {
      throw malformed('a query parameter is not valid percent-encoded UTF-8');
    }
    if (params.has(key)) throw malformed(`query parameter ${JSON.stringify(key.slice(0, 40))} given twice`);
    params.set(key, value);
  }
  return params;
}

const ID = /^[0-9]{1,18}$/;

/**
 * The bytes AliKassa signs: json_encode of the eleven fields in order, `id` as an integer, an
 * absent field as null. Throws AliKassaNotificationError (400) when `id` is missing or not digits.
 */
export function aliKassaNotificationSignedBytes(params: ReadonlyMap<string, string>): Buffer {
  const id = params.get('id');
  if (id === undefined || !ID.test(id)) throw malformed('id must be an integer');
  const entries = ALIKASSA_NOTIFICATION_FIELDS.map((field): [string, PhpJsonScalar] => [
    field,
    // (int) "0042" is 42: BigInt keeps PHP's reading without a float on the way.
    field === 'id' ? BigInt(id) : (params.get(field) ?? null),
  ]);
  return Buffer.from(phpJsonEncode(entries), 'utf8');
}

/** True only when `sign` is AliKassa's signature over these parameters. Never throws. */
export function verifyAliKassaNotification(
  params: ReadonlyMap<string, string>,
  publicKey: KeyObject,
  hash: AliKassaSignHash = DEFAULT_ALIKASSA_SIGN_HASH,
): boolean {
  let bytes: Buffer;
  try {
    bytes = aliKassaNotificationSignedBytes(params);
  } catch {
    return false;
  }
  return aliKassaVerify(bytes, params.get(ALIKASSA_SIGN_PARAM), publicKey, hash);
}

const optionalText = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s === '' ? undefined : s));

const NotificationParams = z.object({
  type: z.enum(ALIKASSA_NOTIFICATION_KINDS),
  id: z.string().regex(ID),
  order_id: z.string().min(1).max(128),
  payment_status: aliKassaStatus,
  amount: aliKassaAmount,
  payment_amount: aliKassaOptionalAmount,
  commission_amount: aliKassaOptionalAmount,
  is_partial_payment: aliKassaFlag,
  account: optionalText,
  service: optionalText,
  desc: optionalText,
});

export interface AliKassaNotification {
  type: AliKassaNotificationKind;
  id: string;
  orderId: string;
  /** payment_status, trimmed and lower case. */
  status: string;
  state: ProviderState;
  /** The order's amount; integer rupiah. */
  amount: number;
  /** What was actually paid, when given; integer rupiah. */
  paymentAmount?: number;
  /** is_partial_payment, or payment_amount below amount. */
  partial: boolean;
  account?: string;
  service?: string;
  desc?: string;
}

/** The notification's fields, validated (verify the signature first). Throws AliKassaNotificationError (400). */
export function readAliKassaNotification(params: ReadonlyMap<string, string>): AliKassaNotification {
  const r = NotificationParams.safeParse(Object.fromEntries(params));
  if (!r.success) throw malformed(`AliKassa notification: ${zodIssues(r.error)}`);
  const n = r.data;
  return {
    type: n.type,
    id: BigInt(n.id).toString(),
    orderId: n.order_id,
    status: n.payment_status,
    state: aliKassaProviderState(n.payment_status),
    amount: n.amount,
    paymentAmount: n.payment_amount,
    partial: isPartialPayment(n.amount, n.payment_amount, n.is_partial_payment),
    account: n.account,
    service: n.service,
    desc: n.desc,
  };
}

/**
 * A notification as received (the raw query string, after `?`), checked in this order: a
 * readable query (400), a `sign` present (401), an integer id (400), the signature (401), the
 * fields (400). Throws AliKassaNotificationError; a returned notification is verified.
 */
export function checkAliKassaNotification(
  rawQuery: string,
  publicKey: KeyObject,
  hash: AliKassaSignHash = DEFAULT_ALIKASSA_SIGN_HASH,
): AliKassaNotification {
  const params = parseNotificationQuery(rawQuery);
  const sign = params.get(ALIKASSA_SIGN_PARAM);
  if (sign === undefined || sign.trim() === '')
    throw new AliKassaNotificationError(401, 'missingSignature', `missing ${ALIKASSA_SIGN_PARAM}`);
  const bytes = aliKassaNotificationSignedBytes(params);
  if (!aliKassaVerify(bytes, sign, publicKey, hash))
    throw new AliKassaNotificationError(401, 'badSignature', 'not verified');
  return readAliKassaNotification(params);
}

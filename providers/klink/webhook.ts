/**
 * What K-Link sends us: the settlement webhook (section 2d), the GoPay payment notification
 * (section 3d) and the finance report rows (section 3e), and the check of their signature.
 *
 * Signature (section 2d): header `x-servicepayment` = HMAC-SHA256(key = the PID K-Link's IT team
 * gives us, message = the body as K-Link sent it), hex, upper-cased (the document's own JS:
 * `digest('hex')` then `toUpperCase()`). It is checked on the raw bytes received, before any JSON
 * parsing: re-serializing would change spacing (the document's example mixes `"a": "b"` and
 * `"a":"b"`) and so the bytes the HMAC covers.
 *
 * Hex case: the header is decoded from hex into the 32 digest bytes and those are compared in
 * constant time, so a lower-case header is accepted too. That is safe: hex case carries no
 * information (anyone able to write the lower-case digest can upper-case it), and the document's
 * own check compares against a value it upper-cased itself, so an integrator's proxy or library
 * lower-casing the header must not turn a real payment into "not verified". Anything that is not
 * exactly 64 hex digits is refused (Buffer.from(hex) would silently drop a bad tail).
 *
 * Readings of the document:
 * - The GoPay notification (3d) shows "Header :" followed by what is plainly the body, and a
 *   "(jika autentikasinya gagal)" response: we read it as the same x-servicepayment scheme as 2d.
 * - The two settlement examples are labelled the wrong way round: the one "from multipayment"
 *   says transaction "mandiri_manual" with "-" in kd_pay's siblings, the one "from mandiri manual"
 *   says "multipayment" with values; the table says tot_bayar and norek are shown only for
 *   mandiri_manual. So nothing is inferred from `transaction`: "-" (or absence) means "not sent".
 * - The settlement table lists a `data` field the examples do not have: accepted, not required.
 * - Finance reporting (3e) says "endpoint disediakan oleh aplikasi client" and its field table is
 *   copied from 3d (datetime_start described as "status", ...): the query's fields are taken from
 *   the example, and the report rows from their example. The rows' `signature_key` is Midtrans'
 *   SHA-512, which only the Midtrans server key (K-Link's) can check: it is kept, not verified.
 * - The example datetimes have no zone; section 3 says transaction times are WIB (UTC+7).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { rupiah } from './schemas';
import { klinkWebhookState } from './states';

export const KLINK_SIGNATURE_HEADER = 'x-servicepayment';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * True when `headerValue` is the HMAC of exactly these bytes under `pidKey`. A missing or
 * malformed header is false. An empty key throws: a verifier with an empty key would accept a
 * body anyone signed with the empty key, so that is a configuration error, not a "no".
 */
export function verifyKLinkSignature(
  rawBody: Buffer,
  headerValue: string | undefined,
  pidKey: string,
): boolean {
  if (!pidKey) throw new Error('K-Link PID key is empty: refusing to verify with it');
  if (headerValue === undefined || !HEX_SHA256.test(headerValue)) return false;
  const expected = createHmac('sha256', pidKey).update(rawBody).digest();
  const got = Buffer.from(headerValue, 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** The header from node's IncomingHttpHeaders: a repeated header (an array) is refused, not guessed. */
export function kLinkSignatureHeader(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const v = headers[KLINK_SIGNATURE_HEADER];
  return typeof v === 'string' ? v : undefined;
}

// ---- bodies ------------------------------------------------------------------------------------------

/** "-" is the document's "not sent" placeholder (the multipayment example); so are absence, null and "". */
const notSent = (v: unknown): unknown => (v === '-' || v === '' || v === null ? undefined : v);
// A placeholder is mapped to absent before the value's own schema runs, not tried as a union
// branch first: a failed branch costs zod an issue with its message, and a real value failed
// all four placeholder branches on every webhook (about half the schema's cost per request).
const maybeText = z.preprocess(notSent, z.union([z.string(), z.number()]).transform(String).optional());
const maybeRupiah = z.preprocess(notSent, rupiah.optional());
const identifier = z.union([z.string().min(1), z.number().int()]).transform(String);

/** Section 2d: settlement of a pay_service payment (multipayment, mandiri_manual, ...). */
export const KLinkSettlementWebhook = z
  .object({
    status: z.string(),
    message: z.string().optional(),
    rq_uuid: z.string().min(1),
    rq_datetime: z.string(),
    order_id: identifier,
    kd_pay: maybeText,
    tot_bayar: maybeRupiah,
    norek: maybeText,
    // Optional: the signature example of 2d, itself a settlement body, has no `transaction`.
    transaction: z.string().optional(),
    data: z.unknown().optional(),
  })
  .loose()
  .transform((b) => ({
    status: b.status,
    /** "success" is the only status the document shows. */
    success: b.status.trim().toLowerCase() === 'success',
    /** What the word means: a word the document does not show is `unknown` (the saga parks). */
    state: klinkWebhookState(b.status),
    message: b.message,
    rqUuid: b.rq_uuid,
    rqDatetime: b.rq_datetime,
    orderId: b.order_id,
    kdPay: b.kd_pay,
    /** What was transferred (integer rupiah), when sent. */
    totBayar: b.tot_bayar,
    norek: b.norek,
    transaction: b.transaction,
  }));
export type KLinkSettlementWebhook = z.output<typeof KLinkSettlementWebhook>;

/** Section 3d: a GoPay (Midtrans) payment notification. */
export const KLinkGopayNotification = z
  .object({
    status: z.string(),
    message: z.string().optional(),
    id_trans: identifier,
    rq_datetime: z.string(),
    order_id: identifier,
    transaction: z.string(),
  })
  .loose()
  .transform((b) => ({
    status: b.status,
    success: b.status.trim().toLowerCase() === 'success',
    state: klinkWebhookState(b.status),
    message: b.message,
    idTrans: b.id_trans,
    rqDatetime: b.rq_datetime,
    orderId: b.order_id,
    transaction: b.transaction,
  }));
export type KLinkGopayNotification = z.output<typeof KLinkGopayNotification>;

/** Section 3e: the finance report query (datetime_start "" = no lower bound; transaction_status "all"). */
export const KLinkFinanceReportQuery = z.object({
  datetime_start: z.string(),
  datetime_end: z.string(),
  bank_code: z.string().min(1),
  transaction_status: z.string().min(1),
});
export type KLinkFinanceReportQuery = z.infer<typeof KLinkFinanceReportQuery>;

const FinanceReportRow = z
  .object({
    fraud_status: z.string().nullish(),
    notification_time: z.string().nullish(),
    va_numbers: z.unknown().optional(),
    bank_code: z.string(),
    order_id: identifier,
    status_code: z.union([z.string(), z.number()]).transform(String),
    gross_amount: rupiah,
    id: z.string(),
    signature_key: z.string().nullish(),
    inquiry_time: z.string().nullish(),
  })
  .loose()
  .transform((r) => ({
    id: r.id,
    orderId: r.order_id,
    bankCode: r.bank_code,
    statusCode: r.status_code,
    grossAmount: r.gross_amount,
    fraudStatus: r.fraud_status ?? undefined,
    notificationTime: r.notification_time ?? undefined,
    inquiryTime: r.inquiry_time ?? undefined,
    vaNumbers: r.va_numbers,
    /** Midtrans' signature; not verifiable without K-Link's Midtrans server key. */
    signatureKey: r.signature_key ?? undefined,
  }));

/** Section 3e: the report, an array of Midtrans transactions. */
export const KLinkFinanceReport = z.array(FinanceReportRow);
export type KLinkFinanceReport = z.output<typeof KLinkFinanceReport>;

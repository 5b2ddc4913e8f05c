/**
 * The PPOB wire shapes (zod 4): request bodies, the transaction answer of both endpoints, the
 * refusal body, and the report callback's query string.
 *
 * Readings of the scanned document ("1.2 Response", "2. Transaction Report"):
 * - The answer is `{code, destination, message, ref_id, sn, status, trx_id}` on both endpoints,
 *   also for a refid sent again (message "trx sebelumnya ditemukan", with the transaction's
 *   current state). ref_id and trx_id are numbers in the example; strings are accepted too.
 *   Extra fields are kept (`.loose()`).
 * - `status` lists Waiting, Pending, Failed in 1.2; Success appears in the report (2.1) and so
 *   in a repeated-refid answer. Read case-insensitively, written back in the document's case;
 *   another word is kept as written (its state is 'unknown', see states.ts).
 * - `sn` (the voucher serial / token) is '' until there is one: '' is read as absent.
 * - Inquiry answers are not in the document: status Success with the bill amount and the
 *   customer's name; its trx_id is the inquiry id /trx/payment takes. An unknown customer is
 *   status Failed with a message. The field that carries the bill amount is read by
 *   `readBillAmount` below, from the names public PPOB aggregators use (see there).
 * - Refusals before acting (decided): HTTP 401 / 400 with `{status:'Failed', message}`.
 * - The report is a GET with query `ref_id, status (Pending/Success/Failed), sn, code,
 *   destination`; the scan capitalises "Sn" and "Code" at the start of its list lines, so keys
 *   are matched case-insensitively (a lowercase key wins over another spelling).
 */
import { z } from 'zod';
import { ppobStatusWord, type PpobStatus } from './states';

// ---- requests -----------------------------------------------------------------------------------

/** `POST /trx/topup`, for prepaid purchases and inquiries alike. */
export interface PpobTopupRequest {
  code: string;
  dest: string;
  refid: number;
}

/**
 * `POST /trx/payment`. The document spells the inquiry id `ing_id`, a scan of "inq_id": both
 * keys are sent with the same value, the provider reads the one it knows (an extra JSON field is
 * the safe direction: a missing one would be a refused payment).
 */
export interface PpobPaymentRequest {
  inq_id: number | string;
  ing_id: number | string;
  refid: number;
}

// ---- shared pieces ------------------------------------------------------------------------------

/**
 * Waiting | Pending | Success | Failed in any case, written back in the document's spelling. A
 * word the document does not list is kept as the provider wrote it (trimmed, never empty): it
 * is an answer about our refid, not a broken one, and its state is 'unknown' (states.ts), so
 * the purchase parks at once instead of being asked again and again.
 */
export const PpobStatusSchema = z
  .string()
  .trim()
  .min(1, 'status is empty')
  .transform((s): string => ppobStatusWord(s) ?? s);

/** ref_id: our refid echoed, a JSON number or a digit string, read as a number. */
const RefidField = z
  .union([
    z.number().int().positive(),
    z
      .string()
      .trim()
      .regex(/^\d{1,15}$/, 'must be digits'),
  ])
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

/** trx_id: the provider's id, a number or a non-empty string, kept as its decimal text. */
const ProviderId = z.union([z.number().int().nonnegative(), z.string().trim().min(1)]).transform(String);

/** Text the provider may write as a number (a destination, an sn). */
const Text = z.union([z.string(), z.number()]).transform(String);

/** Integer rupiah: a number or a digit string ("155000", "155000.00"); never a fraction. */
export const RupiahSchema = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d+(\.0+)?$/, 'must be an integer rupiah amount'),
  ])
  .transform(Number)
  .pipe(z.number().int('must be an integer rupiah amount').nonnegative().max(Number.MAX_SAFE_INTEGER));

// ---- answers ------------------------------------------------------------------------------------

/** The transaction answer of /trx/topup and /trx/payment (also inquiries, also a repeated refid). */
export const PpobTransactionBody = z
  .object({
    code: Text.optional(),
    destination: Text.optional(),
    message: z.string().default(''),
    ref_id: RefidField,
    sn: Text.nullish(),
    status: PpobStatusSchema,
    trx_id: ProviderId,
  })
  .loose();
export type PpobTransactionBody = z.output<typeof PpobTransactionBody>;

// ---- the bill of an inquiry --------------------------------------------------------------------

/**
 * The fields that may carry an inquiry's bill amount, in the order they are read. The seed
 * document shows no inquiry answer, so these are the names public Indonesian PPOB aggregators
 * give the amount in their postpaid-inquiry ("cek tagihan", `inq-pasca`) answers:
 *
 * - `price`: IAK / mobilepulsa, "Total price that must be paid (nominal + admin fee)"
 *   (https://api.iak.id/api/postpaid/core/products/pln/inquiry,
 *   https://api.iak.id/api/postpaid/core/products/telco/inquiry); Digiflazz buyer API, "Harga yang
 *   akan dipotong dari deposit Anda", what the aggregator takes from the partner's deposit
 *   (https://developer.digiflazz.com/api/buyer/cek-tagihan); Digiflazz's seller side, "Total
 *   tagihan yang harus dibayar end user"
 *   (https://developer.digiflazz.com/api/seller/pascabayar/cek-tagihan). It is also what the
 *   sandbox answers.
 * - `amount`: Ayoconnect PPOB, the inquiry's total (bill plus `totalAdmin`; the payment request
 *   sends the same `amount` back) (https://docs.ppob.ayoconnect.id/docs/pln-postpaid,
 *   https://docs.payments.of.ayoconnect.id/reference/mobile-postpaid-pascabayar).
 * - `selling_price`: in both IAK and Digiflazz answers next to `price`, with opposite meanings
 *   (IAK: the partner's cost, price minus commission; Digiflazz: what the partner charges its
 *   client). Read only when `price` is absent: in both readings it is at least what the
 *   aggregator takes for the bill, so funding by it never takes less than the bill costs.
 *
 * `price` is read first: with IAK it is the payer's total, with Digiflazz the partner's cost,
 * so it never funds less than the aggregator charges. Not read as the bill: `nominal` (IAK and
 * Digiflazz seller: "Nominal tagihan tanpa biaya lain-lain", the bill WITHOUT the admin fee,
 * so funding by it would take less than the payment costs) and nested breakdowns
 * (`desc.detail[].nilai_tagihan`, per period).
 *
 * The first of these fields the answer carries decides: one that is present but unreadable (a
 * fraction, "Rp 155.000", 0) makes the amount unreadable rather than falling through to a field
 * that means something else.
 */
export const PPOB_BILL_AMOUNT_FIELDS = ['price', 'amount', 'selling_price'] as const;

/** The customer's name on a bill: `customer_name` (Digiflazz buyer, the sandbox), `tr_name` (IAK), `customerName` (Ayoconnect); pages as above. */
export const PPOB_CUSTOMER_NAME_FIELDS = ['customer_name', 'tr_name', 'customerName'] as const;

export type BillAmountReading =
  | { ok: true; amount: number; field: (typeof PPOB_BILL_AMOUNT_FIELDS)[number] }
  | { ok: false; problem: string };

/** The bill amount of an answer (integer rupiah, positive), or why none can be read. */
export function readBillAmount(body: Record<string, unknown>): BillAmountReading {
  const field = PPOB_BILL_AMOUNT_FIELDS.find((f) => body[f] !== undefined && body[f] !== null);
  if (field === undefined)
    return {
      ok: false,
      problem: `the answer names no bill amount (none of ${PPOB_BILL_AMOUNT_FIELDS.join(', ')})`,
    };
  const parsed = RupiahSchema.safeParse(body[field]);
  if (!parsed.success || parsed.data <= 0)
    return {
      ok: false,
      problem: `${field} ${JSON.stringify(body[field]).slice(0, 40)} is not a whole, positive rupiah amount`,
    };
  return { ok: true, amount: parsed.data, field };
}

/** The customer's name on a bill, if the answer gives one. */
export function readCustomerName(body: Record<string, unknown>): string | undefined {
  for (const f of PPOB_CUSTOMER_NAME_FIELDS) {
    const v = body[f];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** A refusal before acting: HTTP 401 / 400 `{status:'Failed', message}`. */
export const PpobRefusalBody = z
  .object({
    status: z.string().optional(),
    message: z.string(),
  })
  .loose();

// ---- report callback ----------------------------------------------------------------------------

export type PpobCallbackStatus = Exclude<PpobStatus, 'Waiting'>;

export interface PpobCallback {
  refid: number;
  status: PpobCallbackStatus;
  /** The voucher serial / token; undefined when absent or ''. */
  sn?: string;
  code?: string;
  destination?: string;
}

/** One query value: a string (a repeated key, which parses as an array, is refused). */
const QueryText = z.string().max(256).trim();
const optionalQueryText = QueryText.optional().transform((s) => (s ? s : undefined));

export const PpobCallbackQuery = z.object({
  ref_id: z
    .string({ error: 'required, digits' })
    .trim()
    .regex(/^\d{1,15}$/, 'must be 1 to 15 digits')
    .transform(Number)
    .pipe(z.number().int().positive('must not be 0')),
  status: z.string({ error: 'required: Pending, Success or Failed' }).transform((s, ctx) => {
    const status = ppobStatusWord(s);
    if (status && status !== 'Waiting') return status;
    ctx.addIssue({ code: 'custom', message: `"${s.slice(0, 32)}" is not Pending, Success or Failed` });
    return z.NEVER;
  }),
  sn: optionalQueryText,
  code: optionalQueryText,
  destination: optionalQueryText,
});

export class PpobCallbackError extends Error {
  override readonly name = 'PpobCallbackError';
  constructor(
    readonly fields: readonly string[],
    detail: string,
  ) {
    super(`PPOB callback rejected: ${detail}`);
  }
}

const CALLBACK_KEYS = ['ref_id', 'status', 'sn', 'code', 'destination'] as const;

/**
 * The report callback's query (`ref_id, status, sn, code, destination`), validated. Keys are
 * matched case-insensitively, the status value too. Throws PpobCallbackError naming every bad
 * field. The callback is unsigned: it is a hint to ask the provider, never proof of an outcome.
 */
export function parsePpobCallback(query: Record<string, unknown>): PpobCallback {
  const picked: Record<string, unknown> = {};
  for (const key of CALLBACK_KEYS) {
    if (Object.prototype.hasOwnProperty.call(query, key)) {
      picked[key] = query[key];
      continue;
    }
    const other = Object.keys(query).find((k) => k.toLowerCase() === key);
    if (other !== undefined) picked[key] = query[other];
  }
  const result = PpobCallbackQuery.safeParse(picked);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => i.path.map(String).join('.') || '(query)'))];
    throw new PpobCallbackError(fields, formatIssues(result.error));
  }
  const { ref_id, status, sn, code, destination } = result.data;
  return {
    refid: ref_id,
    status,
    ...(sn !== undefined ? { sn } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(destination !== undefined ? { destination } : {}),
  };
}

/** "field: message; field: message" for a zod error (paths of symbols too). */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}

/**
 * AliKassa amounts, statuses and the shapes of requests and answers.
 *
 * Amounts: the document types `amount` as `decimal (11.2)`: 11 digits of which 2 after the point,
 * so at most 9 integer digits (999 999 999 rupiah). paysaga holds integer rupiah end to end and
 * sends "150000.00", built from the integer with string operations, never through a float. Amounts
 * read back (status answers, notifications) may come as "150000.00", "150000" or 150000; a
 * non-zero fraction is refused, never rounded (the client turns it into a ProviderProtocolError).
 *
 * Statuses (`payment_status`): read in one place, states.ts (wait, paid, cancel, fail, from
 * AliKassa's public pages; any other word is `unknown`). The client and the notification carry
 * the engine state (ProviderState) next to the word.
 *
 * Partial payments: the status answers and notifications carry `amount` (the order's),
 * `payment_amount` (what was actually paid) and `is_partial_payment`. A payment is partial when
 * AliKassa says so or when payment_amount is above zero and below amount. payment_amount may be
 * absent or null (before anything was paid); then a paid payment's amount is taken to be
 * `amount`, and only is_partial_payment can make it partial.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

export class AliKassaAmountError extends Error {
  override readonly name = 'AliKassaAmountError';
}

/** The largest amount decimal(11.2) can carry: 9 integer digits. */
export const ALIKASSA_MAX_AMOUNT = 999_999_999;

/** "150000.00" from 150000. Throws AliKassaAmountError unless a positive integer of at most 9 digits. */
export function toAliKassaAmount(rupiah: number): string {
  if (
    typeof rupiah !== 'number' ||
    !Number.isSafeInteger(rupiah) ||
    rupiah < 1 ||
    rupiah > ALIKASSA_MAX_AMOUNT
  )
    throw new AliKassaAmountError(
      `amount must be an integer of rupiah from 1 to ${ALIKASSA_MAX_AMOUNT}, got ${String(rupiah)}`,
    );
  // String() of a safe integer is plain digits (no exponent), so this is exact.
  return `${String(rupiah)}.00`;
}

const DECIMAL = /^(\d{1,15})(?:\.(\d{1,2}))?$/;

/** Integer rupiah from "150000.00", "150000" or 150000. Throws AliKassaAmountError for fractions, negatives or garbage. */
export function parseAliKassaAmount(v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new AliKassaAmountError(`not an integer amount of rupiah: ${String(v)}`);
  }
  if (typeof v === 'string') {
    const m = DECIMAL.exec(v.trim());
    if (!m) throw new AliKassaAmountError(`not a decimal(11.2) amount: ${JSON.stringify(v.slice(0, 40))}`);
    if (m[2] !== undefined && /[^0]/.test(m[2]))
      throw new AliKassaAmountError(`amount has a fraction of a rupiah: ${JSON.stringify(v)}`);
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) throw new AliKassaAmountError(`amount too large: ${JSON.stringify(v)}`);
    return n;
  }
  throw new AliKassaAmountError(`not an amount: ${v === null ? 'null' : typeof v}`);
}

// ---- requests (validated before sending) -------------------------------------------------------

const orderId = z.string().min(1).max(128);
const personName = z.string().trim().min(1).max(100);
const url255 = z
  .string()
  .max(255)
  .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), 'must be an http(s) URL');

export const PaymentInput = z.object({
  orderId,
  amount: z.number(),
  service: z.string(),
  customerCode: z.string(),
  customerIp: z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address'),
  firstName: personName,
  lastName: personName,
  notificationUrl: url255.optional(),
  successRedirectUrl: url255.optional(),
  failRedirectUrl: url255.optional(),
});

export const PayoutInput = z.object({
  orderId,
  amount: z.number(),
  customerCode: z.string(),
  number: z.string().trim().min(1).max(100),
  firstName: personName,
  lastName: personName,
  notificationUrl: url255.optional(),
});

export const StatusInput = z.object({ orderId });

// ---- answers -----------------------------------------------------------------------------------

/** Ids come as numbers in the document (108465371); strings are accepted too. Kept as strings. */
export const aliKassaId = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\S{1,128}$/)])
  .transform(String);
export const aliKassaStatus = z
  .string()
  .min(1)
  .transform((s) => s.trim().toLowerCase());
export const aliKassaAmount = z.unknown().transform((v, ctx) => {
  try {
    return parseAliKassaAmount(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const PaymentCreatedBody = z
  .object({
    url: z.string().min(1),
    payment_status: aliKassaStatus,
    id: aliKassaId,
    uuid: z.string().min(1),
  })
  .loose();

export const PayoutCreatedBody = z
  .object({
    id: aliKassaId,
    payment_status: aliKassaStatus,
  })
  .loose();

/**
 * is_partial_payment: a JSON boolean in the status answers (`false` in the documented example);
 * PHP's query-string forms "1" / "0" / "" (and "true" / "false") are read too. Absent or null is
 * false (only payment_amount can then make the payment partial).
 */
export const aliKassaFlag = z
  .unknown()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v === false || v === 0 || v === '' || v === '0' || v === 'false')
      return false;
    if (v === true || v === 1 || v === '1' || v === 'true') return true;
    ctx.addIssue({ code: 'custom', message: `not a boolean: ${JSON.stringify(v)?.slice(0, 20)}` });
    return z.NEVER;
  });

/** An amount that may be absent, null or "" (payment_amount before anything was paid). */
export const aliKassaOptionalAmount = z
  .unknown()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v === '') return undefined;
    try {
      return parseAliKassaAmount(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/**
 * Partial: some but not all of the money arrived. AliKassa says so (is_partial_payment), or
 * payment_amount is above zero and below amount ("0.00" is how nothing-yet may be written).
 */
export function isPartialPayment(amount: number, paymentAmount: number | undefined, flag: boolean): boolean {
  return flag || (paymentAmount !== undefined && paymentAmount > 0 && paymentAmount < amount);
}

/** "Checking payment status" / "Checking payout status": the fields paysaga reads; the rest is kept out. */
export const StatusBody = z
  .object({
    id: aliKassaId,
    uuid: z.string().nullish(),
    order_id: z.union([z.string(), z.number()]).transform(String),
    payment_status: aliKassaStatus,
    amount: aliKassaAmount,
    payment_amount: aliKassaOptionalAmount,
    is_partial_payment: aliKassaFlag,
  })
  .loose();

/** Laravel's validation answer: {"message":"The given data was invalid.","errors":{"field":["..."]}}. */
export const ErrorBody = z
  .object({
    message: z.string().optional(),
    errors: z.record(z.string(), z.union([z.array(z.string()), z.string()])).optional(),
  })
  .loose();

export function zodIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

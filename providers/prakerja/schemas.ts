/**
 * zod schemas for every Prakerja request and response we send or read.
 *
 * Readings of the document a careful integrator has to make:
 * - authorize `invoice_code` is typed "integer" in the field table but the example answers
 *   "invoice-testing-ops-111": we send it as a string and accept either back.
 * - authorize `data.amount` is typed "string" in the table but the example is the number 20000:
 *   we accept both and keep it as an integer of rupiah (never a float).
 * - extra fields are accepted (`.loose()`): a provider adding a field must not break payments.
 */
import { z } from 'zod';

export const AuthorizeRequest = z.object({
  otp: z.string().regex(/^\d{4,8}$/, 'otp must be 4 to 8 digits'),
  invoice_url: z.url(),
  invoice_code: z.string().min(1),
});
export type AuthorizeRequest = z.infer<typeof AuthorizeRequest>;

const rupiah = z
  .union([z.number(), z.string().regex(/^\d+(\.0+)?$/)])
  .transform((v) => Number(v))
  .pipe(z.number().int().nonnegative());

export const AuthorizeSuccess = z
  .object({
    success: z.literal(true),
    message: z.string(),
    data: z
      .object({
        invoice_code: z.union([z.string(), z.number()]).transform(String),
        transaction_code: z.string().min(1),
        amount: rupiah,
        status: z.string(),
        prakerja_name: z.string().optional(),
      })
      .loose(),
  })
  .loose();
export type AuthorizeSuccess = z.infer<typeof AuthorizeSuccess>;

export const VoidRequest = z.object({
  invoice_code: z.string().min(1),
  transaction_code: z.string().min(1),
});
export type VoidRequest = z.infer<typeof VoidRequest>;

export const VoidSuccess = z.object({ success: z.literal(true), message: z.string() }).loose();

/** The error shape both documents show: {code, message, success:false}. */
export const ErrorBody = z
  .object({ success: z.literal(false), code: z.string(), message: z.string() })
  .loose();

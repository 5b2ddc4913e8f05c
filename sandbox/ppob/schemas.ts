/**
 * Request bodies of the two documented endpoints. The document sends refid as a JSON number
 * ("refid": 10327) and answers ref_id as a number; a digit string is accepted too. Either way the
 * idempotency key is its canonical decimal text, so 10327 and "10327" are the same transaction.
 */
import { z } from 'zod';

const positiveId = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be digits')])
  .transform((v) => (typeof v === 'number' ? v : Number(v)))
  .refine((n) => Number.isSafeInteger(n) && n > 0, 'must be a positive integer');

export const Refid = positiveId.transform((n) => String(n));

const text = z.string().refine((s) => s.trim().length > 0, 'must not be empty');

export const TopupBody = z.object({ code: text, dest: text, refid: Refid });
export type TopupBody = z.output<typeof TopupBody>;

/** The document spells the inquiry id `ing_id` (a scan of "inq_id"); both spellings are accepted. */
export const PaymentBody = z
  .object({ inq_id: positiveId.optional(), ing_id: positiveId.optional(), refid: Refid })
  .superRefine((body, ctx) => {
    if (body.inq_id === undefined && body.ing_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['inq_id'], message: 'required' });
    } else if (body.inq_id !== undefined && body.ing_id !== undefined && body.inq_id !== body.ing_id) {
      ctx.addIssue({ code: 'custom', path: ['inq_id'], message: 'inq_id and ing_id differ' });
    }
  })
  .transform((body) => ({ refid: body.refid, inq_id: (body.inq_id ?? body.ing_id)! }));
export type PaymentBody = z.output<typeof PaymentBody>;

/**
 * Request bodies as the document shows them. Strict where a lax simulator would let a client
 * bug through: amounts are decimal strings of whole rupiah (every example sends "90000"), ids
 * are strings (every example quotes them), and a body failing here is answered 400 naming the
 * first offending field.
 */
import { z } from 'zod';
import { parseWibBound } from './format';

const nonBlank = z.string().refine((s) => s.trim().length > 0, 'must not be empty');
/** Free text (description, note): required, may be empty. */
const text = z.string();

/**
 * "90000", also "90000.00" (the form K-Link writes balances in); never "2000.50", "-5", "1e5",
 * " 90000" or a JSON number. At most 15 digits, so the value is an exact integer.
 */
const WHOLE_RUPIAH = /^(?:0|[1-9]\d{0,14})(?:\.0{1,2})?$/;
const rupiah = z
  .string()
  .regex(WHOLE_RUPIAH, 'must be whole rupiah as a decimal string')
  .transform((s) => Number(s.split('.')[0]));
export const positiveRupiah = rupiah.refine((n) => n > 0, 'must be more than 0');
/** pay_ship may be "0" (no shipping). */
const anyRupiah = rupiah;

/** '' (no bound), "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", WIB. */
const historyBound = z
  .string()
  .refine(
    (s) => s === '' || parseWibBound(s, 'start') !== undefined,
    'must be YYYY-MM-DD, optionally with HH:MM:SS',
  );

const RQ_DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

export const LoginBody = z.object({ email: nonBlank, password: z.string() });

export const RegisterVaBody = z.object({
  id_member: nonBlank,
  name: nonBlank,
  hp: nonBlank,
  email: nonBlank,
});

export const CheckSaldoBody = z.object({ id_member: nonBlank });

export const HistoryBody = z.object({ id_member: nonBlank, startdate: historyBound, enddate: historyBound });

export const TransferBody = z.object({
  id_member_send: nonBlank,
  amount: positiveRupiah,
  description: text,
  id_member_receipt: nonBlank,
});

export const VoucherBody = z.object({
  voucher_code: nonBlank,
  amount: positiveRupiah,
  description: text,
  id_member_receipt: nonBlank,
});

export const PayBody = z.object({
  id_member: nonBlank,
  amount: positiveRupiah,
  id_order: nonBlank,
  description: text,
});

export const ReconcileBody = z.object({ id_order: nonBlank });

export const RefundBody = z.object({ id_order: nonBlank, id_member: nonBlank });

export const RefundAcceptBody = z.object({
  id_order: nonBlank,
  id_member: nonBlank,
  // The example sends "137" while escrow/refund lists 137: both are the same id.
  id_trans: z.union([z.string().regex(/^[1-9]\d{0,14}$/), z.number().int().positive()]).transform(Number),
  note: text,
});

/** "Send: Null": no body, null or an object (whose fields are ignored). */
export const ListBankBody = z.union([z.undefined(), z.null(), z.looseObject({})]);

export const ListBankMidtransBody = z.object({ nominal: positiveRupiah, pay_ship: anyRupiah });

export const PayServiceBody = z.object({
  rq_uuid: nonBlank,
  rq_datetime: z.string().regex(RQ_DATETIME, 'must be YYYY-MM-DD HH:MM:SS'),
  order_id: nonBlank,
  no_hp: nonBlank,
  fullname: nonBlank,
  email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
  bank_code: nonBlank,
  product_code: nonBlank,
  nominal: positiveRupiah,
  pay_ship: anyRupiah,
});
export type PayServiceBody = z.output<typeof PayServiceBody>;

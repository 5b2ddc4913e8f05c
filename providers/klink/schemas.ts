/**
 * zod schemas for every K-Link request we send and response we read (section 1 K-Wallet,
 * section 2 Service Payment VA/CC, section 3 GoPay via Midtrans). Webhook bodies are in
 * webhook.ts.
 *
 * Requests are the wire shape (snake_case, amounts as decimal strings built from integers).
 * Responses are parsed from the wire shape and transformed into camelCase values with integer
 * rupiah; they accept extra fields (`.loose()`): K-Link adding a field must not break payments.
 *
 * Readings of the document a careful integrator has to make (several examples were images and
 * are missing from the text we have):
 * - The login request and response examples are images: the request is {email, password} from
 *   the field table; the response is {status, message, Authorization} from its field table.
 * - Every response status is "success" | "fail" ("failed" in pay_service), and transfer_to_account
 *   spells it `stutas`: both spellings are read everywhere.
 * - history_transaction's `transaction` and reconcile's `data` are JSON carried inside a string
 *   (the document prints them unescaped, which is its rendering). We parse the string; an
 *   already-decoded array/object is accepted too (same meaning). The example's datetimes have
 *   spaces after the colons ("2021-06-17 22: 02: 04"), likely the PDF's rendering: datetimes are
 *   kept as K-Link's text, never reparsed.
 * - In history and reconcile, `debit` is money into the wallet and `credit` money out of it (the
 *   example balances only add up that way; a pay of 90000 shows as credit 90000).
 * - register_va's example closes one brace too many after `data`: `date` and `rq_uuid` may be
 *   top-level or inside `data`; both are read, and only object entries of `data` are banks.
 * - list_bank's response has no `status` in the example: a body with a `data` array is success.
 * - pay_service's request example is an image: its fields come from the variable table and are
 *   the same as pay_service_midtrans's example. Its three response examples (manual transfer,
 *   card redirect, VA) are images too: the manual fields (kd_pay, kd_ref, kode_unik, koneksi,
 *   pay_ship, total_bayar, total_belanja) and the redirect fields (url_pay, is_va) come from the
 *   variable tables, inside `data`. The VA variant has no table: it is is_va = 1, and its number
 *   is read from `va_number` (the name register_va uses), `no_va` or `norek`. kd_pay is NOT read
 *   as a VA number: showing a payer a wrong number loses their money, so a VA answer without a
 *   number is a ProviderProtocolError.
 * - pay_service_midtrans: the URLs in the example are wrapped across lines by the PDF; on the
 *   wire they are single strings. `permata_va_number` is in the variable table, not the example.
 */
import { z } from 'zod';
import { parseRupiah, RupiahFormatError } from './money';

// ---- building blocks ---------------------------------------------------------------------------

function toRupiah(v: unknown, ctx: z.core.$RefinementCtx): number {
  try {
    return parseRupiah(v);
  } catch (err) {
    ctx.issues.push({
      code: 'custom',
      message: err instanceof RupiahFormatError ? err.message : 'not an amount of rupiah',
      input: v,
    });
    return z.NEVER;
  }
}

/** Integer rupiah from "2000.00" | "2000" | 2000; anything else is an issue (the client makes it a ProviderProtocolError). */
export const rupiah = z.unknown().transform(toRupiah);

/** An optional amount: absent or null is undefined. */
const optionalRupiah = z
  .unknown()
  .optional()
  .transform((v, ctx) => (v === null || v === undefined ? undefined : toRupiah(v, ctx)));

/** Identifiers K-Link sends as numbers in one place and strings in another (id_trans 137 / "137"). */
const identifier = z.union([z.string(), z.number().int()]).transform(String);
const optionalIdentifier = z
  .union([z.string(), z.number().int()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v)));

/**
 * id_trans: a number in escrow/refund's answer (137), a string in refund-accept's request
 * ("137"). Kept as a number (K-Wallet's transaction id); a digit string is read the same way.
 */
const transId = z
  .union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9]\d{0,15}$/)])
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

/** A 0/1 flag ("1", 1, "0", 0; absent, null and "" read as 0: the document says only 1 means yes). */
const flag = z
  .union([z.literal('1'), z.literal(1), z.literal('0'), z.literal(0), z.literal('')])
  .nullish()
  .transform((v) => v === '1' || v === 1);

const text = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/** JSON carried inside a string (history's `transaction`, reconcile's `data`); a decoded value is accepted too. */
function jsonInString<T extends z.ZodType>(inner: T) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.issues.push({
        code: 'custom',
        message: 'a JSON string that does not parse',
        input: v.slice(0, 80),
      });
      return v;
    }
  }, inner);
}

// ---- the envelope every answer shares ---------------------------------------------------------

/** {status | stutas, message}: the part of every K-Link answer that says success or fail. */
export const Envelope = z
  .object({
    status: z.unknown().optional(),
    stutas: z.unknown().optional(),
    message: z.unknown().optional(),
  })
  .loose();

export type AnswerStatus = 'success' | 'fail' | 'absent' | 'unknown';

/** Read the status ("stutas" on transfer_to_account), case-insensitively; "failed" (pay_service) is fail. */
export function answerStatus(body: z.infer<typeof Envelope>): AnswerStatus {
  const raw = body.status ?? body.stutas;
  if (raw === undefined || raw === null) return 'absent';
  if (typeof raw !== 'string') return 'unknown';
  const s = raw.trim().toLowerCase();
  if (s === 'success') return 'success';
  if (s === 'fail' || s === 'failed') return 'fail';
  return 'unknown';
}

export function answerMessage(body: z.infer<typeof Envelope>): string {
  const m = body.message;
  if (typeof m === 'string') return m;
  if (m === undefined || m === null) return '';
  return JSON.stringify(m);
}

// ---- requests (wire shape) ---------------------------------------------------------------------

const nonEmpty = z.string().min(1);
/** Request amounts: decimal strings of whole rupiah, built by toRupiahString. */
const amountString = z.string().regex(/^\d+$/, 'amount must be a decimal string of whole rupiah');
/** "YYYY-MM-DD HH:MM:SS", as every rq_datetime in the document. */
const rqDatetime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'rq_datetime is YYYY-MM-DD HH:MM:SS');

export const LoginRequest = z.object({ email: nonEmpty, password: nonEmpty });
export const RegisterVaRequest = z.object({
  id_member: nonEmpty,
  name: nonEmpty,
  hp: nonEmpty,
  email: nonEmpty,
});
export const CheckSaldoRequest = z.object({ id_member: nonEmpty });
/** startdate / enddate: the example sends "" (no bound); the document gives no format, so the caller's text is sent as is. */
export const HistoryRequest = z.object({ id_member: nonEmpty, startdate: z.string(), enddate: z.string() });
/** The field table says `id_member_receip`; the body example says `id_member_receipt`: the example wins (the table's column is cut). */
export const TransferRequest = z.object({
  id_member_send: nonEmpty,
  amount: amountString,
  description: z.string(),
  id_member_receipt: nonEmpty,
});
export const VoucherRequest = z.object({
  voucher_code: nonEmpty,
  amount: amountString,
  description: z.string(),
  id_member_receipt: nonEmpty,
});
export const PayRequest = z.object({
  id_member: nonEmpty,
  amount: amountString,
  id_order: nonEmpty,
  description: z.string(),
});
export const ReconcileRequest = z.object({ id_order: nonEmpty });
export const EscrowRefundRequest = z.object({ id_order: nonEmpty, id_member: nonEmpty });
/** id_trans is a string in the example ("137") although escrow/refund answers it as a number. */
export const RefundAcceptRequest = z.object({
  id_order: nonEmpty,
  id_member: nonEmpty,
  id_trans: nonEmpty,
  note: z.string(),
});
/** list_bank: "Send: Null": an empty JSON object. */
export const ListBankRequest = z.object({});
export const PayServiceRequest = z.object({
  rq_uuid: nonEmpty,
  rq_datetime: rqDatetime,
  order_id: nonEmpty,
  no_hp: nonEmpty,
  fullname: nonEmpty,
  email: nonEmpty,
  bank_code: nonEmpty,
  product_code: nonEmpty,
  nominal: amountString,
  pay_ship: amountString,
});
export const ListBankMidtransRequest = z.object({ nominal: amountString, pay_ship: amountString });

// ---- responses -----------------------------------------------------------------------------------

export const LoginSuccess = z
  .object({ message: z.unknown().optional(), Authorization: z.string().min(1) })
  .loose()
  .transform((b) => ({ token: b.Authorization }));

const VaEntry = z
  .object({
    fee: optionalRupiah,
    total_amount: optionalRupiah,
    bank_code: z.string(),
    expiry_date_time: text,
    error_message: text,
    error_code: optionalIdentifier,
    amount: optionalRupiah,
    va_number: optionalIdentifier,
    description: text,
  })
  .loose()
  .transform((e) => ({
    bankCode: e.bank_code,
    vaNumber: e.va_number,
    /** "00" is success in the example; other codes mean this bank's VA was not created. */
    ok: e.error_code === '00' && e.va_number !== undefined && e.va_number !== '',
    errorCode: e.error_code,
    errorMessage: e.error_message,
    fee: e.fee,
    totalAmount: e.total_amount,
    amount: e.amount,
    expiryDateTime: e.expiry_date_time,
    description: e.description,
  }));
export type VirtualAccount = z.output<typeof VaEntry>;

export const RegisterVaSuccess = z
  .object({
    // Object entries are banks; string entries are `date` / `rq_uuid` when they sit inside data.
    data: z.record(z.string(), z.union([z.string(), z.number(), z.null(), VaEntry])),
    date: text,
    rq_uuid: text,
  })
  .loose()
  .transform((b) => {
    const accounts: VirtualAccount[] = [];
    for (const value of Object.values(b.data))
      if (value !== null && typeof value === 'object') accounts.push(value);
    const inData = (k: string) => (typeof b.data[k] === 'string' ? (b.data[k] as string) : undefined);
    return { accounts, date: b.date ?? inData('date'), rqUuid: b.rq_uuid ?? inData('rq_uuid') };
  });

export const CheckSaldoSuccess = z
  .object({ last_saldo: rupiah })
  .loose()
  .transform((b) => ({ balance: b.last_saldo }));

const HistoryEntry = z
  .object({
    credit: rupiah,
    debit: rupiah,
    description: z.string(),
    balance: rupiah,
    datetime: z.string(),
  })
  .loose();
export type HistoryEntry = z.output<typeof HistoryEntry>;

/** An empty history may come as "" or null from a PHP back end: read as no transactions. A missing field is not. */
export const HistorySuccess = z
  .object({
    transaction: z.union([
      z.union([z.literal(''), z.null()]).transform((): HistoryEntry[] => []),
      jsonInString(z.array(HistoryEntry)),
    ]),
  })
  .loose()
  .transform((b) => ({
    transactions: b.transaction.map((t) => ({
      datetime: t.datetime,
      description: t.description,
      debit: t.debit,
      credit: t.credit,
      balance: t.balance,
    })),
  }));

const ReconcileData = z
  .object({
    id_member: identifier,
    order_id: identifier,
    comm_code: text,
    datetime: z.string(),
    valuedate: text,
    description: text,
    debit: rupiah,
    credit: rupiah,
    balance: rupiah,
  })
  .loose()
  .transform((d) => ({
    idMember: d.id_member,
    orderId: d.order_id,
    commCode: d.comm_code,
    datetime: d.datetime,
    valueDate: d.valuedate,
    description: d.description,
    debit: d.debit,
    credit: d.credit,
    balance: d.balance,
  }));
export type ReconcileData = z.output<typeof ReconcileData>;

export const ReconcileSuccess = z
  .object({ data: jsonInString(ReconcileData) })
  .loose()
  .transform((b) => b.data);

const RefundCandidate = z
  .object({
    id_trans: transId,
    // Shown to an operator confirming the refund; absent or null reads as no description.
    description: z
      .string()
      .nullish()
      .transform((v) => v ?? ''),
    id_member: identifier,
    datetime: z.string(),
    credit: rupiah,
    id_order: identifier,
  })
  .loose()
  .transform((c) => ({
    idTrans: c.id_trans,
    description: c.description,
    idMember: c.id_member,
    datetime: c.datetime,
    credit: c.credit,
    idOrder: c.id_order,
  }));
export type RefundCandidate = z.output<typeof RefundCandidate>;

export const EscrowRefundSuccess = z
  .object({ data: z.array(RefundCandidate) })
  .loose()
  .transform((b) => b.data);

/** A bank from list_bank / list_bank_midtrans (the GoPay list has nulls where the VA list has "" and 0). */
const Bank = z
  .object({
    bankCode: z.string().min(1),
    bankDesc: text,
    bankDisplayNm: text,
    bank_pemilik: text,
    bankacc: optionalIdentifier,
    cabang: text,
    cara_bayar: text,
    charge_admin: optionalRupiah,
    charge_connectivity: optionalRupiah,
    id: optionalIdentifier,
    img_url: text,
    install_12: flag,
    install_6: flag,
    is_installment: flag,
    kategori: text,
    productCode: z.string().min(1),
    productName: text,
    status: flag,
    comm_code: text,
  })
  .loose()
  .transform((b) => ({
    bankCode: b.bankCode,
    productCode: b.productCode,
    description: b.bankDesc,
    displayName: b.bankDisplayNm,
    productName: b.productName,
    category: b.kategori,
    accountOwner: b.bank_pemilik,
    /** The bank account number; the example's 0 / null mean "none" but are kept as sent. */
    accountNumber: b.bankacc,
    branch: b.cabang,
    howToPay: b.cara_bayar,
    chargeAdmin: b.charge_admin,
    chargeConnectivity: b.charge_connectivity,
    id: b.id,
    imageUrl: b.img_url,
    installment6: b.install_6,
    installment12: b.install_12,
    isInstallment: b.is_installment,
    active: b.status,
    commCode: b.comm_code,
  }));
export type Bank = z.output<typeof Bank>;

export const ListBankSuccess = z
  .object({ data: z.array(Bank) })
  .loose()
  .transform((b) => b.data);

// ---- pay_service (manual transfer / card redirect / VA) -------------------------------------------

export type PayServiceResult =
  | {
      kind: 'manual';
      /** Payment code (kd_pay). */
      kdPay: string;
      kdRef?: string;
      /** Random 1..2000 added to the amount so K-Link can tell payers apart. */
      kodeUnik: number;
      /** What the payer must transfer (exactly: the unique code is how the transfer is matched). */
      totalBayar: number;
      totalBelanja: number;
      payShip?: number;
      /** Destination account, when sent (the settlement webhook carries `norek`). */
      norek?: string;
      connected?: boolean;
    }
  | { kind: 'redirect'; urlPay: string; isVa: boolean }
  | {
      kind: 'va';
      vaNumber: string;
      kdPay?: string;
      kdRef?: string;
      kodeUnik?: number;
      totalBayar?: number;
      totalBelanja?: number;
      payShip?: number;
      connected?: boolean;
    };

const PayServiceData = z
  .object({
    url_pay: text,
    is_va: flag,
    kd_pay: optionalIdentifier,
    kd_ref: optionalIdentifier,
    kode_unik: optionalRupiah,
    koneksi: z
      .union([z.literal('1'), z.literal(1), z.literal('0'), z.literal(0)])
      .nullish()
      .transform((v) => (v === null || v === undefined ? undefined : v === '1' || v === 1)),
    pay_ship: optionalRupiah,
    total_bayar: optionalRupiah,
    total_belanja: optionalRupiah,
    norek: optionalIdentifier,
    va_number: optionalIdentifier,
    no_va: optionalIdentifier,
  })
  .loose();
export type PayServiceData = z.output<typeof PayServiceData>;

/** `data` holds the result (the variable table); fields at the top level are read when there is no `data`. */
export const PayServiceSuccess = z
  .object({ data: PayServiceData.optional() })
  .loose()
  .transform((b, ctx) => {
    if (b.data) return b.data;
    const top = PayServiceData.safeParse(b);
    if (!top.success) {
      ctx.issues.push({ code: 'custom', message: 'no pay_service data', input: undefined });
      return z.NEVER;
    }
    return top.data;
  });

/** Decide the variant; a string saying why when the data fits none of them. */
export function payServiceVariant(d: PayServiceData): PayServiceResult | string {
  if (d.url_pay) return { kind: 'redirect', urlPay: d.url_pay, isVa: d.is_va };
  if (d.is_va) {
    const vaNumber = d.va_number || d.no_va || d.norek;
    if (!vaNumber) return 'a VA answer (is_va = 1) without a VA number';
    return {
      kind: 'va',
      vaNumber,
      kdPay: d.kd_pay,
      kdRef: d.kd_ref,
      kodeUnik: d.kode_unik,
      totalBayar: d.total_bayar,
      totalBelanja: d.total_belanja,
      payShip: d.pay_ship,
      connected: d.koneksi,
    };
  }
  if (!d.kd_pay || d.kode_unik === undefined || d.total_bayar === undefined || d.total_belanja === undefined)
    return 'neither url_pay, a VA, nor the manual transfer fields (kd_pay, kode_unik, total_bayar, total_belanja)';
  return {
    kind: 'manual',
    kdPay: d.kd_pay,
    kdRef: d.kd_ref,
    kodeUnik: d.kode_unik,
    totalBayar: d.total_bayar,
    totalBelanja: d.total_belanja,
    payShip: d.pay_ship,
    norek: d.norek,
    connected: d.koneksi,
  };
}

// ---- pay_service_midtrans (GoPay) -----------------------------------------------------------------

/** Just enough to read Midtrans' status code from any answer, success or not. */
export const MidtransStatusProbe = z
  .object({
    data: z
      .object({ status_code: z.union([z.string(), z.number()]).transform(String), status_message: text })
      .loose(),
  })
  .loose();

const MidtransAction = z
  .object({ name: z.string(), method: z.string(), url: z.string().min(1) })
  .loose()
  .transform((a) => ({ name: a.name, method: a.method.toUpperCase(), url: a.url }));
export type MidtransAction = z.output<typeof MidtransAction>;

export const MidtransChargeSuccess = z
  .object({
    data: z
      .object({
        status_code: z.union([z.string(), z.number()]).transform(String),
        transaction_id: z.string().min(1),
        order_id: identifier,
        gross_amount: rupiah,
        transaction_status: z.string(),
        transaction_time: text,
        payment_type: text,
        fraud_status: text,
        merchant_id: text,
        status_message: text,
        currency: text,
        bank_code: text,
        product_code: text,
        rq_uuid: text,
        nominal: optionalRupiah,
        pay_ship: optionalRupiah,
        permata_va_number: optionalIdentifier,
        actions: z.array(MidtransAction).default([]),
      })
      .loose(),
  })
  .loose()
  .transform(({ data: d }) => {
    const action = (name: string) => d.actions.find((a) => a.name === name);
    return {
      statusCode: d.status_code,
      transactionId: d.transaction_id,
      orderId: d.order_id,
      grossAmount: d.gross_amount,
      nominal: d.nominal,
      payShip: d.pay_ship,
      transactionStatus: d.transaction_status,
      transactionTime: d.transaction_time,
      paymentType: d.payment_type,
      fraudStatus: d.fraud_status,
      merchantId: d.merchant_id,
      statusMessage: d.status_message,
      currency: d.currency,
      bankCode: d.bank_code,
      productCode: d.product_code,
      rqUuid: d.rq_uuid,
      permataVaNumber: d.permata_va_number,
      /** The named actions the document shows (Midtrans' names); each with the HTTP method to use. */
      qrCode: action('generate-qr-code'),
      deeplink: action('deeplink-redirect'),
      status: action('get-status'),
      cancel: action('cancel'),
      /** Every action as sent, including names the document does not show. */
      actions: d.actions,
    };
  });
export type MidtransCharge = z.output<typeof MidtransChargeSuccess>;

/**
 * Validation of what callers send, at the edge (client library, CLI, gateway), so a bad request
 * is refused with a clear message before anything reaches Temporal. zod stays out of workflow code.
 */
import { z } from 'zod';
import { ALL_REVIEW_ACTIONS, ALL_STATUSES } from '../workflows/sagas';

/** Hosts an http invoiceUrl may name outside production: the developer's own machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The page Prakerja shows the payer: https only (a `javascript:` or `file:` URL would run or read
 * on the payer's side). Plain http only for a loopback host, and never with NODE_ENV=production.
 */
const InvoiceUrl = z.string().max(2048, 'invoiceUrl: at most 2048 characters').refine(isInvoiceUrl, {
  error: 'invoiceUrl: an https URL (http only for localhost or 127.0.0.1, outside production)',
});

function isInvoiceUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.protocol === 'https:') return url.hostname !== '';
  return (
    url.protocol === 'http:' && process.env.NODE_ENV !== 'production' && LOOPBACK_HOSTS.has(url.hostname)
  );
}

export const StartPrakerjaPaymentInput = z.object({
  // Becomes part of the workflow id, so only characters that are safe in ids and URLs.
  invoiceCode: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'invoiceCode: 1-64 of A-Z a-z 0-9 . _ -'),
  invoiceUrl: InvoiceUrl,
  paymentToken: z.string().min(8, 'paymentToken is required'),
  amount: z.number().int('amount must be whole rupiah').positive(),
  orderId: z.string().min(1).max(128),
  otpTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
  maxOtpAttempts: z.number().int().min(1).max(10).optional(),
  fulfilment: z
    .object({
      timeoutSeconds: z.number().int().min(1).max(3600).optional(),
      maxAttempts: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
});
export type StartPrakerjaPaymentInput = z.infer<typeof StartPrakerjaPaymentInput>;

export const OtpInput = z.object({ otp: z.string().regex(/^\d{4,8}$/, 'otp must be 4 to 8 digits') });

export const CancelInput = z.object({ reason: z.string().min(1).max(500) });

export const StartKLinkRefundInput = z.object({
  // Becomes part of the workflow id.
  idOrder: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'idOrder: 1-64 of A-Z a-z 0-9 . _ -'),
  idMember: z.string().min(1).max(64),
  expectedAmount: z.number().int('expectedAmount must be whole rupiah').positive(),
  note: z.string().min(5, 'note: why the money goes back (at least 5 characters)').max(500),
  confirmTimeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .optional(),
});
export type StartKLinkRefundInput = z.infer<typeof StartKLinkRefundInput>;

const operatorNote = {
  operator: z.string().min(1).max(128),
  note: z.string().min(5, 'note: say what you checked (at least 5 characters)').max(2000),
};
export const ConfirmRefundInput = z.object({ idTrans: z.number().int().positive(), ...operatorNote });
export const RejectRefundInput = z.object(operatorNote);

/**
 * The one review resolution, for every saga. The action must be one some saga offers; whether
 * this payment offers it now is the saga's validator's answer (a clear 409 otherwise).
 */
export const ResolveReviewInput = z.object({
  action: z.enum(ALL_REVIEW_ACTIONS as [string, ...string[]]),
  ...operatorNote,
  /** PPOB mark-succeeded: the serial number the provider confirmed. */
  sn: z.string().min(1).max(128).optional(),
});

export const StartPpobPurchaseInput = z
  .object({
    // Becomes part of the workflow id and of the refid's business key.
    orderId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'orderId: 1-64 of A-Z a-z 0-9 . _ -'),
    kind: z.enum(['prepaid', 'postpaid']),
    productCode: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'productCode: 1-32 of A-Z a-z 0-9 _ -'),
    destination: z.string().regex(/^[0-9A-Za-z-]{3,32}$/, 'destination: 3-32 digits or letters'),
    /**
     * Take the money from a K-Wallet member first. Prepaid: exactly `amount`. Postpaid: the bill
     * the inquiry finds (an `amount` given is not used), so it may be left out.
     */
    funding: z
      .object({
        idMember: z.string().min(1).max(64),
        amount: z.number().int('amount must be whole rupiah').positive().optional(),
      })
      .optional(),
    confirmTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    finalDeadlineSeconds: z
      .number()
      .int()
      .min(5)
      .max(7 * 86_400)
      .optional(),
    pollSeconds: z.number().int().min(1).max(600).optional(),
  })
  .refine((i) => i.kind === 'postpaid' || !i.funding || i.funding.amount !== undefined, {
    message: 'required for a prepaid purchase: the whole rupiah to take from the K-Wallet member',
    path: ['funding', 'amount'],
  });
export type StartPpobPurchaseInput = z.infer<typeof StartPpobPurchaseInput>;

export const ConfirmBillInput = z.object({
  accept: z.boolean(),
  operator: z.string().min(1).max(128).optional(),
});

export const StartTransferInput = z
  .object({
    orderId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'orderId: 1-64 of A-Z a-z 0-9 . _ -'),
    method: z.enum(['klink-va', 'klink-manual', 'klink-card', 'klink-gopay', 'alikassa']),
    amount: z.number().int('amount must be whole rupiah').positive(),
    payShip: z.number().int().nonnegative().optional(),
    customer: z.object({
      fullname: z.string().min(1).max(100),
      phone: z.string().regex(/^\+?\d{6,16}$/, 'customer.phone: 6-16 digits'),
      email: z.email(),
      ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    }),
    bankCode: z.string().min(1).max(32).optional(),
    productCode: z.string().min(1).max(64).optional(),
    service: z.string().min(1).max(100).optional(),
    customerCode: z.string().min(1).max(100).optional(),
    expirySeconds: z
      .number()
      .int()
      .min(10)
      .max(30 * 86_400)
      .optional(),
  })
  .refine((i) => i.method === 'alikassa' || (i.bankCode && i.productCode), {
    message: 'bankCode and productCode (from list_bank) are required for K-Link methods',
  });

export const StartPayoutInput = z.object({
  orderId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'orderId: 1-64 of A-Z a-z 0-9 . _ -'),
  amount: z.number().int('amount must be whole rupiah').positive(),
  bankCode: z.string().min(1).max(100),
  accountNumber: z.string().regex(/^\d{5,30}$/, 'accountNumber: 5-30 digits'),
  firstName: z.string().min(1).max(100),
  lastName: z.string().min(1).max(100),
  finalDeadlineSeconds: z
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .optional(),
  pollSeconds: z.number().int().min(1).max(3600).optional(),
});

// ---- K-Wallet (K-Link document section 1) ----

/** A K-Link member id; it becomes part of workflow ids, so only characters safe in ids and URLs. */
const kwalletMember = (field: string) =>
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, `${field}: 1-64 of A-Z a-z 0-9 . _ -`);
const kwalletAmount = z
  .number({ error: 'amount is required: whole rupiah, more than 0' })
  .int('amount must be whole rupiah')
  .positive('amount must be more than 0 rupiah')
  .max(Number.MAX_SAFE_INTEGER);
const kwalletDescription = z
  .string()
  .trim()
  .min(1, 'description is required')
  .max(200, 'description: at most 200 characters');
/** What history_transaction takes as a bound: a day, or a day and time (WIB). */
const historyBound = (field: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/, `${field}: YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" (WIB)`);

export const KWalletRegisterVaInput = z.object({
  idMember: kwalletMember('idMember'),
  name: z.string().trim().min(1, 'name is required').max(100),
  hp: z.string().regex(/^\+?\d{6,16}$/, 'hp: 6-16 digits'),
  email: z.email('email: not an email address'),
});

export const KWalletMemberInput = z.object({ idMember: kwalletMember('idMember') });

export const KWalletHistoryInput = z.object({
  idMember: kwalletMember('idMember'),
  startDate: historyBound('startDate').optional(),
  endDate: historyBound('endDate').optional(),
});

/** When an unclear K-Wallet answer is looked up in history again (seconds between looks). */
const ConfirmDelaysSeconds = z.array(z.number().int().min(0).max(3600)).min(1).max(10).optional();

export const KWalletVoucherInput = z.object({
  voucherCode: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'voucherCode: 1-64 of A-Z a-z 0-9 _ -'),
  idMember: kwalletMember('idMember'),
  amount: kwalletAmount,
  description: kwalletDescription,
  confirmDelaysSeconds: ConfirmDelaysSeconds,
});

export const StartKWalletTransferInput = z
  .object({
    // Becomes part of the workflow id and of the reference written into K-Link's history.
    transferId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'transferId: 1-64 of A-Z a-z 0-9 . _ -'),
    idMemberSend: kwalletMember('idMemberSend'),
    idMemberReceipt: kwalletMember('idMemberReceipt'),
    amount: kwalletAmount,
    description: kwalletDescription,
    confirmDelaysSeconds: ConfirmDelaysSeconds,
  })
  .refine((i) => i.idMemberSend !== i.idMemberReceipt, {
    message: 'idMemberReceipt: must differ from idMemberSend',
    path: ['idMemberReceipt'],
  });

// ---- Listing payments, and what the REST front reads from URLs ----

/** Text from a URL or a filter: no control characters (it reaches visibility queries and logs). */
const urlText = (field: string, max: number) =>
  z
    .string()
    .min(1, `${field}: required`)
    .max(max, `${field}: at most ${max} characters`)
    .regex(/^[^\p{C}]*$/u, `${field}: no control characters`);

const listProvider = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'provider: 1-64 of A-Z a-z 0-9 . _ - (e.g. prakerja)');
const listStatus = z.enum(ALL_STATUSES as [string, ...string[]], {
  error: "status: not a status of any saga (the README's state tables list them)",
});

/** The client's list filter (library and CLI): a limit below 1 is refused, not read as one row. */
export const ListFilterInput = z.strictObject({
  provider: listProvider.optional(),
  status: listStatus.optional(),
  orderId: urlText('orderId', 128).optional(),
  needsReview: z.boolean().optional(),
  limit: z.number().int('limit: a whole number').positive('limit: at least 1').optional(),
});

/** The most rows one REST list answers: a bound on what one request makes the gateway read. */
export const MAX_LIST_LIMIT = 1000;
const LIST_LIMIT_MESSAGE = `limit: a whole number from 1 to ${MAX_LIST_LIMIT}`;

/** `GET /v1/payments?provider=&status=&orderId=&needsReview=&limit=`: query text read into a ListFilter. */
export const ListPaymentsQuery = z.strictObject({
  provider: listProvider.optional(),
  status: listStatus.optional(),
  orderId: urlText('orderId', 128).optional(),
  needsReview: z
    .enum(['true', 'false'], { error: 'needsReview: true or false' })
    .transform((v) => v === 'true')
    .optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,7}$/, LIST_LIMIT_MESSAGE)
    .transform(Number)
    .pipe(z.number().min(1, LIST_LIMIT_MESSAGE).max(MAX_LIST_LIMIT, LIST_LIMIT_MESSAGE))
    .optional(),
});

/** `GET /v1/klink/members/:id/history?startDate=&endDate=`. */
export const KWalletHistoryQuery = z.strictObject({
  startDate: historyBound('startDate').optional(),
  endDate: historyBound('endDate').optional(),
});

/** A route that reads nothing from its query string refuses any parameter rather than ignore it. */
export const NoQuery = z.strictObject({});

/**
 * `:id` in a REST path: a workflow id. Ours are `<saga>-<key>`, but an unmatched report's key is
 * whatever the provider sent, so any printable text, bounded (Temporal refuses long ids).
 */
export const PaymentIdParams = z.strictObject({ id: urlText('id', 255) });

/** Thrown for input the engine refuses; its message is safe to show to the caller. */
export class PaysagaInputError extends Error {
  override readonly name: string = 'PaysagaInputError';
}

/** One issue as `field: message`; a message that already starts with its field keeps it once. */
export function issueText(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join('.') || 'input';
  return issue.message.startsWith(`${where}:`) ? issue.message : `${where}: ${issue.message}`;
}

export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new PaysagaInputError(result.error.issues.map(issueText).join('; '));
  return result.data;
}

/** The payment is not in a state that allows the request (e.g. an OTP for a completed payment). */
export class PaysagaConflictError extends PaysagaInputError {
  override readonly name = 'PaysagaConflictError';
}

/** The provider refused the request (an unknown member, a used voucher): nothing happened. */
export class ProviderRefusedError extends PaysagaInputError {
  override readonly name = 'ProviderRefusedError';
}

/** The provider could not be reached or answered nothing readable, after retries. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}

/**
 * Every K-Link outcome we recognise, classified for the sagas, in ONE table.
 *
 * K-Link has no error codes: a refusal is `{status:'fail', message:'<free text>'}` (HTTP 200, or
 * 400 for a malformed request, 401 for a rejected session). So each message we recognise gets a
 * stable code derived here (REFUND_EXISTING, ORDER_EXISTS, ...). Anything else is 'FAIL' with
 * K-Link's message kept, class final and documented:false: never guessed.
 *
 * GoPay via Midtrans (`pay_service_midtrans`) does carry codes, in `data.status_code`; the
 * document lists six. They are in the same table so there is one place to read how the engine
 * treats any answer.
 *
 * `documented` says whether the document itself shows the case. Most K-Link wordings are not in
 * the document (its failure examples were images or absent): they are the wire contract we
 * agreed with the sandbox, and `basis` says which.
 */
import { redactText } from '../../common/redact';
import { ProviderProtocolError, ProviderRejection, type OutcomeClass } from '../http/errors';
import type { ProviderResponse } from '../http/signed-request';
import { answerMessage, answerStatus, Envelope } from './schemas';

export type KLinkOperation =
  | 'login'
  | 'registerVa'
  | 'checkBalance'
  | 'history'
  | 'transfer'
  | 'voucherTopUp'
  | 'pay'
  | 'reconcile'
  | 'escrowRefund'
  | 'refundAccept'
  | 'listBank'
  | 'payService'
  | 'listBankMidtrans'
  | 'payServiceMidtrans';

/** 'pending' is the one non-refusal in the table: Midtrans 201, the payment was created and waits for the payer. */
export type KLinkOutcomeClass = OutcomeClass | 'pending';

export type KLinkMatch =
  /** A `status:'fail'` message; `operations` limits the row to those calls (absent: every call). */
  | { message: RegExp; operations?: readonly KLinkOperation[] }
  /** Midtrans `data.status_code` on pay_service_midtrans. */
  | { midtransStatusCode: string };

export interface KLinkOutcomeRow {
  code: string;
  match: KLinkMatch;
  class: KLinkOutcomeClass;
  documented: boolean;
  /** The wording the row was written from. */
  example: string;
  /** Where the wording comes from. */
  basis: 'document' | 'wire contract' | 'document case, wording inferred';
  /** What it means for the payment, in the operator's words. */
  meaning: string;
}

const REFUND_OPERATIONS: readonly KLinkOperation[] = ['escrowRefund', 'refundAccept'];
const PAYMENT_SERVICE_OPERATIONS: readonly KLinkOperation[] = ['payService', 'payServiceMidtrans'];

/** First matching row wins: specific business messages come before the broad token pattern. */
export const KLINK_OUTCOMES: readonly KLinkOutcomeRow[] = [
  {
    code: 'LOGIN_FAILED',
    match: { message: /(?:)/, operations: ['login'] },
    class: 'final',
    documented: false,
    example: 'HTTP 401 {status:"fail", message:"..."}',
    basis: 'wire contract',
    meaning:
      'K-Link refused the email/password (the credentials from K-Link EDP are wrong or revoked). Nothing was called; fix KLINK_EMAIL / KLINK_PASSWORD.',
  },
  {
    code: 'REFUND_EXISTING',
    match: { message: /refund\s*existing/i },
    class: 'already-done',
    documented: true,
    example:
      'refund existing, id_trans:323, order_id:123456789, member_id:idspaa001, datetime:2021-10-27 12:01:25!',
    basis: 'document',
    meaning:
      'The order was already refunded (id_trans, order id, member and time are in the message): counts as refunded.',
  },
  {
    code: 'ORDER_EXISTS',
    match: { message: /already\s*exist|duplicate|sudah\s*ada/i, operations: ['pay'] },
    class: 'already-done',
    documented: false,
    example: 'ID Order 123456789 already exists',
    basis: 'wire contract',
    meaning:
      'K-Link already has a payment with this id_order (the document says id_order must be unique). With an id_order derived from our own payment, it was our earlier attempt: confirm the amount with reconcile before counting it.',
  },
  {
    code: 'ORDER_EXISTS',
    match: { message: /already\s*exist|duplicate|sudah\s*ada/i, operations: PAYMENT_SERVICE_OPERATIONS },
    class: 'needs-review',
    documented: false,
    example: 'order_id klnu0197 already exists',
    basis: 'wire contract',
    meaning:
      'A payment request for this order_id already exists at K-Link, and this answer does not repeat its instructions (VA number, amount): a person checks which one the payer was shown.',
  },
  {
    code: 'INSUFFICIENT_BALANCE',
    match: { message: /saldo\s*tidak\s*(?:men)?cukup|insufficient/i },
    class: 'final',
    documented: false,
    example: 'Saldo tidak mencukupi',
    basis: 'wire contract',
    meaning: "The member's K-Wallet balance is below the amount: nothing was debited.",
  },
  {
    code: 'NOT_FOUND',
    match: { message: /not\s*found|tidak\s*ditemukan/i, operations: REFUND_OPERATIONS },
    class: 'needs-review',
    documented: false,
    example: 'data not found',
    basis: 'wire contract',
    meaning:
      'K-Link has no paid order with this id_order for this member (or no such id_trans), so it cannot refund it: a person must find where the money is.',
  },
  {
    code: 'NOT_FOUND',
    match: { message: /not\s*found|tidak\s*ditemukan/i },
    class: 'final',
    documented: false,
    example: 'ID Order 123 not found',
    basis: 'wire contract',
    meaning:
      'K-Link does not know the order or member. On reconcile the client answers "not found" (undefined) instead of failing.',
  },
  {
    code: 'BANK_CODE_INVALID',
    match: {
      message: /(?:bank|product)[\s_]*code|kode\s*(?:bank|produk)|bank\s*(?:tidak|not)\b|list\s*bank/i,
      operations: PAYMENT_SERVICE_OPERATIONS,
    },
    class: 'final',
    documented: true,
    example: 'bank_code tidak sesuai dengan list bank (the document names the case; its example is an image)',
    basis: 'document case, wording inferred',
    meaning: 'The bank_code or product_code is not one list_bank offers: no payment was created.',
  },
  {
    code: 'TOKEN_REJECTED',
    match: { message: /token|unauthori[sz]ed|session/i },
    class: 'retryable',
    documented: false,
    example: 'HTTP 401 {status:"fail", message:"Token expired"}',
    basis: 'wire contract',
    meaning:
      'K-Link refused the session token before acting. The client logs in again and resends once; a second refusal is this error (retry later).',
  },
  {
    code: 'MIDTRANS_WAITING_PAYMENT',
    match: { midtransStatusCode: '201' },
    class: 'pending',
    documented: true,
    example: '201 "Waiting for Payment" (transaction_status "pending")',
    basis: 'document',
    meaning: 'The GoPay payment was created and waits for the payer: the create call succeeded.',
  },
  {
    code: 'MIDTRANS_ACCESS_DENIED',
    match: { midtransStatusCode: '401' },
    class: 'final',
    documented: true,
    example: '401 "Access denied due to unauthorized transaction, please check client or server key"',
    basis: 'document',
    meaning:
      "Midtrans refused K-Link's own keys: nothing was created, and retrying cannot help until K-Link fixes its configuration. Not our session token.",
  },
  {
    code: 'MIDTRANS_ORDER_ID_USED',
    match: { midtransStatusCode: '406' },
    class: 'already-done',
    documented: true,
    example: '406 "order_id has been paid and utilized, please use another order ID"',
    basis: 'document',
    meaning:
      'Midtrans says this order_id was already paid and used: the payment we asked to create exists (with an order_id derived from our own payment, it is ours). This answer carries no transaction id or actions: confirm the payment by the notification webhook before delivering.',
  },
  {
    code: 'MIDTRANS_PARTNER_UNAVAILABLE',
    match: { midtransStatusCode: '503' },
    class: 'retryable',
    documented: true,
    example: '503 "Bank/partner is experiencing connection issue."',
    basis: 'document',
    meaning: 'GoPay/the bank could not be reached; Midtrans did not create the payment. Retry later.',
  },
  {
    code: 'MIDTRANS_DO_NOT_HONOR',
    match: { midtransStatusCode: '05' },
    class: 'final',
    documented: true,
    example: '05 "Do not honor"',
    basis: 'document',
    meaning: 'The issuer declined the transaction: nothing to pay.',
  },
  {
    code: 'MIDTRANS_GENERIC_ERROR',
    match: { midtransStatusCode: '900' },
    class: 'needs-review',
    documented: true,
    example: '900 "GENERIC_SERVICE_ERROR"',
    basis: 'document',
    meaning:
      'Midtrans failed without saying whether the payment was created: a blind retry could create a second one for the order. A person checks Midtrans.',
  },
];

/** The row the client uses when a session token is refused twice. */
export const KLINK_TOKEN_REJECTED: KLinkOutcomeRow = KLINK_OUTCOMES.find((r) => r.code === 'TOKEN_REJECTED')!;

/** What a `status:'fail'` message or an unknown Midtrans code is read as when no row matches. */
export interface KLinkClassification {
  code: string;
  class: KLinkOutcomeClass;
  documented: boolean;
  meaning: string;
}

const UNRECOGNISED_FAIL: KLinkClassification = {
  code: 'FAIL',
  class: 'final',
  documented: false,
  meaning: "A refusal K-Link's document does not describe: its message is kept as is.",
};

/** Classify a `status:'fail'` (or 'failed') message for `operation`. Unrecognised messages are 'FAIL', final. */
export function classifyFailMessage(operation: KLinkOperation, message: string): KLinkClassification {
  for (const row of KLINK_OUTCOMES) {
    if (!('message' in row.match)) continue;
    if (row.match.operations && !row.match.operations.includes(operation)) continue;
    if (row.match.message.test(message)) return row;
  }
  return UNRECOGNISED_FAIL;
}

/**
 * Classify a Midtrans `status_code`. An unknown code is needs-review, not final: unlike a K-Link
 * 'fail' (a refusal), an unknown Midtrans code does not tell us that no payment was created.
 */
export function classifyMidtransStatusCode(statusCode: string): KLinkClassification {
  const row = KLINK_OUTCOMES.find(
    (r) => 'midtransStatusCode' in r.match && r.match.midtransStatusCode === statusCode,
  );
  return (
    row ?? {
      code: `MIDTRANS_${statusCode.replace(/[^0-9A-Za-z]/g, '_')}`,
      class: 'needs-review',
      documented: false,
      meaning: 'A Midtrans status code the document does not list: whether a payment was created is unknown.',
    }
  );
}

/**
 * The class of an answer that does not say what happened (5xx, a redirect, a 2xx we cannot read)
 * per operation. Money-moving calls that K-Link does not document as idempotent may have moved the
 * money: needs-review. Reads, and calls whose repeat cannot move money twice, are retryable.
 */
export const KLINK_AMBIGUOUS_CLASS: Readonly<Record<KLinkOperation, OutcomeClass>> = {
  login: 'retryable',
  // Registering the same member again returns that member's VAs (the numbers derive from the member).
  registerVa: 'retryable',
  checkBalance: 'retryable',
  history: 'retryable',
  transfer: 'needs-review',
  voucherTopUp: 'needs-review',
  pay: 'needs-review',
  // Keyed by id_order; the document gives it no side effect beyond settling that one order.
  reconcile: 'retryable',
  // The refund request only shows what would be refunded; the money moves at refund-accept.
  escrowRefund: 'retryable',
  refundAccept: 'needs-review',
  listBank: 'retryable',
  // Creating a payment moves no money, but the document does not say a repeat for the same
  // order_id returns the first one: a second VA / kode_unik could be issued. A person decides.
  payService: 'needs-review',
  listBankMidtrans: 'retryable',
  payServiceMidtrans: 'needs-review',
};

/** The fields of a "refund existing" message. Each is present when the message carries it (the document's wording carries all four). */
export interface RefundExisting {
  idTrans?: string;
  orderId?: string;
  memberId?: string;
  datetime?: string;
}

/**
 * Parse "refund existing, id_trans:323, order_id:123456789, member_id:idspaa001,
 * datetime:2021-10-27 12:01:25!" into its fields, tolerant of spacing and line breaks around the
 * separators. Returns undefined when the message is not a "refund existing" message.
 */
export function parseRefundExisting(message: string): RefundExisting | undefined {
  if (!/refund\s*existing/i.test(message)) return undefined;
  const field = (name: string): string | undefined => {
    const m = new RegExp(`${name}\\s*:\\s*([^,!\\s]+)`, 'i').exec(message);
    return m?.[1];
  };
  // The datetime holds a space (and, in the document's rendering, sometimes spaces after the
  // colons): it runs to the next comma, "!" or the end, and is kept as K-Link wrote it, trimmed.
  const dt = /datetime\s*:\s*([^,!]*[^,!\s])/i.exec(message);
  return {
    idTrans: field('id[_\\s]?trans'),
    orderId: field('order[_\\s]?id'),
    memberId: field('member[_\\s]?id'),
    datetime: dt?.[1],
  };
}

// ---- reading an HTTP answer ---------------------------------------------------------------------

/** K-Link answered: success (with its body) or a business refusal (with its message). */
export type KLinkAnswer =
  | { kind: 'success'; httpStatus: number; body: Record<string, unknown> }
  | { kind: 'fail'; httpStatus: number; message: string; body: Record<string, unknown> };

export interface ReadOptions {
  /** list_bank answers {data:[...]} with no status at all: a body without one is success. */
  statusOptional?: boolean;
  /** Values to mask in any message we keep (password, session tokens). */
  secrets: ReadonlyArray<string | undefined>;
}

/**
 * Sort an HTTP answer into success / fail, or throw:
 * - 2xx with status success (or none, where allowed) -> success; status fail/failed -> fail.
 * - 4xx with a {status:'fail', message} body -> fail (K-Link's 400 for a malformed request, 401
 *   for a rejected session): refused before acting.
 * - 4xx without that body -> ProviderRejection HTTP_<status>, final (429: retryable).
 * - 1xx/3xx/5xx -> ProviderRejection HTTP_<status> with the operation's ambiguous class: the
 *   request may have been acted on (infrastructure failed around it), whatever the body says.
 * - 2xx we cannot read -> ProviderProtocolError (a 200 with an unknown body may still mean K-Link acted).
 */
export function readAnswer(operation: KLinkOperation, res: ProviderResponse, opts: ReadOptions): KLinkAnswer {
  const env = isObject(res.json) ? Envelope.safeParse(res.json) : undefined;
  const body = env?.success ? env.data : undefined;
  const status = body ? answerStatus(body) : 'absent';
  if (res.status >= 200 && res.status < 300) {
    if (!body)
      throw new ProviderProtocolError(
        'klink',
        operation,
        res.status,
        `not a JSON object: ${snippet(res, opts)}`,
      );
    if (status === 'success' || (status === 'absent' && opts.statusOptional))
      return { kind: 'success', httpStatus: res.status, body };
    if (status === 'fail')
      return { kind: 'fail', httpStatus: res.status, message: answerMessage(body), body };
    throw new ProviderProtocolError(
      'klink',
      operation,
      res.status,
      `status is neither success nor fail: ${snippet(res, opts)}`,
    );
  }
  if (res.status >= 400 && res.status < 500) {
    if (body && status === 'fail')
      return { kind: 'fail', httpStatus: res.status, message: answerMessage(body), body };
    throw new ProviderRejection(
      'klink',
      operation,
      res.status,
      `HTTP_${res.status}`,
      body ? redactText(answerMessage(body), opts.secrets) : snippet(res, opts),
      res.status === 429 ? 'retryable' : 'final',
      false,
    );
  }
  throw new ProviderRejection(
    'klink',
    operation,
    res.status,
    `HTTP_${res.status}`,
    body ? redactText(answerMessage(body), opts.secrets) : snippet(res, opts),
    KLINK_AMBIGUOUS_CLASS[operation],
    false,
  );
}

/** The ProviderRejection for a fail answer, classified by the table. 'pending' never reaches here (it is not a refusal). */
export function failRejection(
  operation: KLinkOperation,
  answer: { httpStatus: number; message: string },
  classification: KLinkClassification,
  secrets: ReadonlyArray<string | undefined>,
): ProviderRejection {
  const outcome: OutcomeClass = classification.class === 'pending' ? 'needs-review' : classification.class;
  return new ProviderRejection(
    'klink',
    operation,
    answer.httpStatus,
    classification.code,
    redactText(answer.message, secrets),
    outcome,
    classification.documented,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function snippet(res: ProviderResponse, opts: ReadOptions): string {
  const text = res.text.length > 200 ? `${res.text.slice(0, 200)}...` : res.text;
  return redactText(text === '' ? '(empty body)' : text, opts.secrets);
}

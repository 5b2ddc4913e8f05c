/**
 * K-Link service-payment client: K-Wallet (register VA, balance, history, transfer, voucher,
 * pay, reconcile, escrow refund + accept), Service Payment VA/CC (list bank, pay_service) and
 * GoPay via Midtrans (list_bank_midtrans, pay_service_midtrans).
 *
 * Each call either returns a typed value (camelCase, integer rupiah) or throws one of:
 * - ProviderRejection (provider 'klink'): K-Link refused. K-Link has no error codes, so `code` is
 *   derived from its message by the table in status.ts ('FAIL' when unrecognised, message kept)
 *   and `outcomeClass` says what it means for the payment.
 * - ProviderTransportError: no answer; `delivered` says whether K-Link may have acted.
 * - ProviderProtocolError: an answer we cannot read (bad JSON-in-a-string, a fraction of a
 *   rupiah, a missing field): ambiguous, since a 2xx may still mean K-Link acted.
 *
 * Sessions: every call takes the token from the shared KLinkSession. A rejected token (HTTP 401,
 * or HTTP 200 `fail` whose message speaks of a token / session / unauthorized: the document does
 * not say how K-Link signals it, so both are read as the same refusal) is invalidated and the
 * call is sent ONCE more after a fresh login. That is safe even for pay: a refused token is a
 * refusal before acting. A second refusal is ProviderRejection TOKEN_REJECTED (retryable).
 *
 * Answers that do not say what happened (5xx, redirects) take the operation's class from
 * status.ts: needs-review for the money-moving calls K-Link does not document as idempotent
 * (pay, transfer, voucher, refund-accept, and the two payment creations), retryable for reads.
 *
 * Paths: the document prints a second name for four endpoints (voucher_saldo_kwallet,
 * kwallet/reconcile, listbank, pay_service_new) under the first. We call the first name and, only
 * when it answers 404, the second once: the document names both, and a 404 is a refusal before
 * acting (no route, nothing done), so resending is safe even for money-moving calls.
 */
import { z } from 'zod';
import { ProviderProtocolError, ProviderRejection } from '../http/errors';
import { sendSignedRequest, type ProviderResponse } from '../http/signed-request';
import { toRupiahString } from './money';
import {
  CheckSaldoRequest,
  CheckSaldoSuccess,
  EscrowRefundRequest,
  EscrowRefundSuccess,
  HistoryRequest,
  HistorySuccess,
  ListBankMidtransRequest,
  ListBankRequest,
  ListBankSuccess,
  MidtransChargeSuccess,
  MidtransStatusProbe,
  PayRequest,
  PayServiceRequest,
  PayServiceSuccess,
  ReconcileRequest,
  ReconcileSuccess,
  RefundAcceptRequest,
  RegisterVaRequest,
  RegisterVaSuccess,
  TransferRequest,
  VoucherRequest,
  payServiceVariant,
  type Bank,
  type HistoryEntry,
  type MidtransCharge,
  type PayServiceResult,
  type ReconcileData,
  type RefundCandidate,
  type VirtualAccount,
} from './schemas';
import { KLinkSession } from './session';
import {
  classifyFailMessage,
  classifyMidtransStatusCode,
  failRejection,
  parseRefundExisting,
  readAnswer,
  type KLinkAnswer,
  type KLinkOperation,
  type RefundExisting,
  KLINK_TOKEN_REJECTED,
} from './status';

export type {
  Bank,
  HistoryEntry,
  MidtransCharge,
  PayServiceResult,
  ReconcileData,
  RefundCandidate,
  VirtualAccount,
};
export type { RefundExisting };

type CallOperation = Exclude<KLinkOperation, 'login'>;

/** Paths per operation: the first name, and the second the document also prints (tried on 404 only). */
export const KLINK_PATHS: Readonly<Record<CallOperation, { path: string; altPath?: string }>> = {
  registerVa: { path: '/api/kwallet/register_va' },
  checkBalance: { path: '/api/kwallet/check_saldo' },
  history: { path: '/api/kwallet/history_transaction' },
  transfer: { path: '/api/kwallet/transfer_to_account' },
  voucherTopUp: { path: '/api/kwallet/voucher_saldo', altPath: '/api/kwallet/voucher_saldo_kwallet' },
  pay: { path: '/api/kwallet/pay' },
  reconcile: { path: '/api/kwallet/reconcile/reconcile', altPath: '/api/kwallet/reconcile' },
  escrowRefund: { path: '/api/escrow/refund' },
  refundAccept: { path: '/api/escrow/refund-accept' },
  listBank: { path: '/api/list_bank', altPath: '/api/listbank' },
  payService: { path: '/api/pay_service', altPath: '/api/pay_service_new' },
  listBankMidtrans: { path: '/api/list_bank_midtrans' },
  payServiceMidtrans: { path: '/api/pay_service_midtrans' },
};

export interface KLinkConfig {
  baseUrl: string;
  email: string;
  password: string;
  timeoutMs: number;
  /** Share one session between clients (one login per process); by default the client makes its own. */
  session?: KLinkSession;
  /** Clock for the default rq_datetime (tests). */
  now?: () => number;
}

// ---- inputs and results ---------------------------------------------------------------------------

export interface RegisterVaInput {
  idMember: string;
  name: string;
  hp: string;
  email: string;
}
export interface RegisterVaResult {
  message: string;
  /** One entry per bank; `ok` is false for a bank whose VA was not created (error_code other than "00"). */
  accounts: VirtualAccount[];
  date?: string;
  rqUuid?: string;
}

export interface HistoryInput {
  idMember: string;
  /** Sent as given; "" (the default) means no bound, as the document's example. */
  startDate?: string;
  endDate?: string;
}

export interface TransferInput {
  idMemberSend: string;
  idMemberReceipt: string;
  /** Integer rupiah. */
  amount: number;
  description: string;
}

export interface VoucherInput {
  voucherCode: string;
  idMemberReceipt: string;
  /** Integer rupiah. */
  amount: number;
  description: string;
}

export interface PayInput {
  idMember: string;
  /** Integer rupiah. */
  amount: number;
  /** Unique at K-Link: derive it from the payment so a repeat is recognised (ORDER_EXISTS). */
  idOrder: string;
  description: string;
}

export interface RefundAcceptInput {
  idOrder: string;
  idMember: string;
  /** From escrowRefund's candidate (a number there); sent as a decimal string, as the document's example. */
  idTrans: number | string;
  note: string;
}

export type RefundAcceptResult =
  | { outcome: 'refunded'; message: string }
  | ({ outcome: 'already-refunded'; message: string } & RefundExisting);

export interface PayServiceInput {
  /** Unique per request ("harus dikirim unik, setiap kali request"): derive it from the payment attempt. */
  rqUuid: string;
  /** "YYYY-MM-DD HH:MM:SS"; default: now in WIB (UTC+7), the zone section 3 names. */
  rqDatetime?: string;
  orderId: string;
  noHp: string;
  fullname: string;
  email: string;
  /** bankCode / productCode from listBank (or listBankMidtrans). */
  bankCode: string;
  productCode: string;
  /** Integer rupiah: the purchase total, and the shipping cost (0 for none). */
  nominal: number;
  payShip: number;
}

/** Refused with "refund existing": the parsed fields of K-Link's message are on `existing`. */
export class KLinkRefundExistingError extends ProviderRejection {
  constructor(
    base: ProviderRejection,
    readonly existing: RefundExisting,
  ) {
    super(
      base.provider,
      base.operation,
      base.httpStatus,
      base.code,
      base.providerMessage,
      base.outcomeClass,
      base.documented,
    );
  }
}

export interface KLinkClient {
  readonly session: KLinkSession;
  registerVa(input: RegisterVaInput): Promise<RegisterVaResult>;
  checkBalance(input: { idMember: string }): Promise<{ balance: number; message: string }>;
  history(input: HistoryInput): Promise<{ transactions: HistoryEntry[]; message: string }>;
  transfer(input: TransferInput): Promise<{ message: string }>;
  voucherTopUp(input: VoucherInput): Promise<{ message: string }>;
  pay(input: PayInput): Promise<{ message: string }>;
  /** The order's payment as K-Link recorded it, or undefined when K-Link does not know the order. */
  reconcile(input: { idOrder: string }): Promise<ReconcileData | undefined>;
  /** What refundAccept would refund; throws KLinkRefundExistingError (already-done) when it was refunded. */
  escrowRefund(input: { idOrder: string; idMember: string }): Promise<RefundCandidate[]>;
  refundAccept(input: RefundAcceptInput): Promise<RefundAcceptResult>;
  listBank(): Promise<Bank[]>;
  payService(input: PayServiceInput): Promise<PayServiceResult & { message: string }>;
  listBankMidtrans(input: { nominal: number; payShip: number }): Promise<Bank[]>;
  payServiceMidtrans(input: PayServiceInput): Promise<MidtransCharge & { message: string }>;
}

// ---- the client ---------------------------------------------------------------------------------

export function createKLinkClient(config: KLinkConfig): KLinkClient {
  const session =
    config.session ??
    new KLinkSession({
      baseUrl: config.baseUrl,
      email: config.email,
      password: config.password,
      timeoutMs: config.timeoutMs,
    });
  const now = config.now ?? Date.now;

  function send(
    operation: CallOperation,
    path: string,
    body: unknown,
    token: string,
  ): Promise<ProviderResponse> {
    return sendSignedRequest({
      provider: 'klink',
      operation,
      baseUrl: config.baseUrl,
      method: 'POST',
      path,
      body,
      sign: () => ({ Authorization: token }),
      timeoutMs: config.timeoutMs,
      secrets: [config.password, token],
    });
  }

  async function sendByName(
    operation: CallOperation,
    body: unknown,
    token: string,
  ): Promise<ProviderResponse> {
    const { path, altPath } = KLINK_PATHS[operation];
    const res = await send(operation, path, body, token);
    // Second name on 404 only: see the module doc.
    if (res.status === 404 && altPath) return send(operation, altPath, body, token);
    return res;
  }

  /** Send with the session's token; on a rejected token, log in again and resend once. */
  async function exchange(
    operation: CallOperation,
    body: unknown,
  ): Promise<{ res: ProviderResponse; secrets: string[] }> {
    const first = await session.token();
    const res = await sendByName(operation, body, first);
    if (tokenRejection(operation, res) === undefined) return { res, secrets: [config.password, first] };
    session.invalidate(first);
    const second = await session.token();
    const again = await sendByName(operation, body, second);
    const secrets = [config.password, first, second];
    const refused = tokenRejection(operation, again);
    if (refused !== undefined)
      throw failRejection(
        operation,
        { httpStatus: again.status, message: refused },
        KLINK_TOKEN_REJECTED,
        secrets,
      );
    return { res: again, secrets };
  }

  /**
   * Exchange, then sort the answer: a success is parsed with `schema`; a fail goes to `onFail`
   * when given (it returns a value or throws), else it is thrown as a classified ProviderRejection.
   */
  async function call<S extends z.ZodType, F = never>(
    operation: CallOperation,
    body: unknown,
    schema: S,
    opts: { statusOptional?: boolean; onFail?: (answer: FailAnswer, secrets: string[]) => F } = {},
  ): Promise<
    | { failed: false; value: z.output<S>; message: string; httpStatus: number }
    | { failed: true; value: F; message: string; httpStatus: number }
  > {
    const { res, secrets } = await exchange(operation, body);
    const answer = readAnswer(operation, res, { statusOptional: opts.statusOptional, secrets });
    if (answer.kind === 'fail') {
      if (!opts.onFail)
        throw failRejection(operation, answer, classifyFailMessage(operation, answer.message), secrets);
      return {
        failed: true,
        value: opts.onFail(answer, secrets),
        message: answer.message,
        httpStatus: res.status,
      };
    }
    return {
      failed: false,
      value: parseSuccess(operation, answer, schema),
      message: messageOf(answer),
      httpStatus: res.status,
    };
  }

  return {
    session,

    async registerVa(input) {
      const body = RegisterVaRequest.parse({
        id_member: input.idMember,
        name: input.name,
        hp: input.hp,
        email: input.email,
      });
      const { value, message } = await call('registerVa', body, RegisterVaSuccess);
      return { message, ...value };
    },

    async checkBalance(input) {
      const body = CheckSaldoRequest.parse({ id_member: input.idMember });
      const { value, message } = await call('checkBalance', body, CheckSaldoSuccess);
      return { balance: value.balance, message };
    },

    async history(input) {
      const body = HistoryRequest.parse({
        id_member: input.idMember,
        startdate: input.startDate ?? '',
        enddate: input.endDate ?? '',
      });
      const { value, message } = await call('history', body, HistorySuccess);
      return { transactions: value.transactions, message };
    },

    async transfer(input) {
      const body = TransferRequest.parse({
        id_member_send: input.idMemberSend,
        amount: positiveAmount(input.amount, 'amount'),
        description: input.description,
        id_member_receipt: input.idMemberReceipt,
      });
      const { message } = await call('transfer', body, z.unknown());
      return { message };
    },

    async voucherTopUp(input) {
      const body = VoucherRequest.parse({
        voucher_code: input.voucherCode,
        amount: positiveAmount(input.amount, 'amount'),
        description: input.description,
        id_member_receipt: input.idMemberReceipt,
      });
      const { message } = await call('voucherTopUp', body, z.unknown());
      return { message };
    },

    async pay(input) {
      const body = PayRequest.parse({
        id_member: input.idMember,
        amount: positiveAmount(input.amount, 'amount'),
        id_order: input.idOrder,
        description: input.description,
      });
      const { message } = await call('pay', body, z.unknown());
      return { message };
    },

    async reconcile(input) {
      const body = ReconcileRequest.parse({ id_order: input.idOrder });
      const result = await call('reconcile', body, ReconcileSuccess, {
        // "ID Order 123 not found" is an answer to the question, not an error.
        onFail: (answer, secrets) => {
          const c = classifyFailMessage('reconcile', answer.message);
          if (c.code === 'NOT_FOUND') return undefined;
          throw failRejection('reconcile', answer, c, secrets);
        },
      });
      return result.value;
    },

    async escrowRefund(input) {
      const body = EscrowRefundRequest.parse({ id_order: input.idOrder, id_member: input.idMember });
      const { value } = await call('escrowRefund', body, EscrowRefundSuccess, {
        onFail: (answer, secrets) => {
          const rejection = failRejection(
            'escrowRefund',
            answer,
            classifyFailMessage('escrowRefund', answer.message),
            secrets,
          );
          const existing = parseRefundExisting(answer.message);
          throw existing ? new KLinkRefundExistingError(rejection, existing) : rejection;
        },
      });
      return value;
    },

    async refundAccept(input) {
      const body = RefundAcceptRequest.parse({
        id_order: input.idOrder,
        id_member: input.idMember,
        id_trans: String(input.idTrans),
        note: input.note,
      });
      const result = await call('refundAccept', body, z.unknown(), {
        // "refund existing, id_trans:..., ..." on a repeat: the refund we asked for is done.
        onFail: (answer, secrets): RefundAcceptResult => {
          const existing = parseRefundExisting(answer.message);
          if (existing) return { outcome: 'already-refunded', message: answer.message, ...existing };
          throw failRejection(
            'refundAccept',
            answer,
            classifyFailMessage('refundAccept', answer.message),
            secrets,
          );
        },
      });
      return result.failed ? result.value : { outcome: 'refunded', message: result.message };
    },

    async listBank() {
      const { value } = await call('listBank', ListBankRequest.parse({}), ListBankSuccess, {
        statusOptional: true,
      });
      return value;
    },

    async payService(input) {
      const body = PayServiceRequest.parse(payServiceBody(input, now));
      const { value, message, httpStatus } = await call('payService', body, PayServiceSuccess);
      const variant = payServiceVariant(value);
      if (typeof variant === 'string')
        throw new ProviderProtocolError('klink', 'payService', httpStatus, variant);
      return { ...variant, message };
    },

    async listBankMidtrans(input) {
      const body = ListBankMidtransRequest.parse({
        nominal: positiveAmount(input.nominal, 'nominal'),
        pay_ship: toRupiahString(input.payShip),
      });
      const { value } = await call('listBankMidtrans', body, ListBankSuccess, { statusOptional: true });
      return value;
    },

    async payServiceMidtrans(input) {
      const body = PayServiceRequest.parse(payServiceBody(input, now));
      const { res, secrets } = await exchange('payServiceMidtrans', body);
      const answer = readAnswer('payServiceMidtrans', res, { secrets });
      // Midtrans' status_code decides when it is there (success or fail alike); a fail without
      // one is a K-Link refusal, classified by its message.
      const probe = MidtransStatusProbe.safeParse(answer.body);
      if (!probe.success) {
        if (answer.kind === 'fail')
          throw failRejection(
            'payServiceMidtrans',
            answer,
            classifyFailMessage('payServiceMidtrans', answer.message),
            secrets,
          );
        throw new ProviderProtocolError(
          'klink',
          'payServiceMidtrans',
          res.status,
          'success without data.status_code',
        );
      }
      const classification = classifyMidtransStatusCode(probe.data.data.status_code);
      if (classification.class !== 'pending') {
        const message = probe.data.data.status_message || messageOf(answer);
        throw failRejection(
          'payServiceMidtrans',
          { httpStatus: res.status, message },
          classification,
          secrets,
        );
      }
      if (answer.kind === 'fail')
        throw new ProviderProtocolError(
          'klink',
          'payServiceMidtrans',
          res.status,
          'status fail with Midtrans status_code 201 (created)',
        );
      return {
        ...parseSuccess('payServiceMidtrans', answer, MidtransChargeSuccess),
        message: messageOf(answer),
      };
    },
  };
}

type FailAnswer = Extract<KLinkAnswer, { kind: 'fail' }>;

function parseSuccess<S extends z.ZodType>(
  operation: CallOperation,
  answer: Extract<KLinkAnswer, { kind: 'success' }>,
  schema: S,
): z.output<S> {
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success)
    throw new ProviderProtocolError('klink', operation, answer.httpStatus, describeIssues(parsed.error));
  return parsed.data;
}

/** Paths and messages only: zod issues carry no input values, so nothing from the body leaks. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}

function messageOf(answer: KLinkAnswer): string {
  return answer.kind === 'fail'
    ? answer.message
    : typeof answer.body.message === 'string'
      ? answer.body.message
      : '';
}

/**
 * The token-refused message when `res` is K-Link refusing the session (HTTP 401, or a `fail`
 * whose message is about the token); undefined otherwise. On pay_service_midtrans a fail that
 * carries a Midtrans status_code is Midtrans speaking (its 401 is about K-Link's server key), not
 * a refused session.
 */
function tokenRejection(operation: CallOperation, res: ProviderResponse): string | undefined {
  const json = typeof res.json === 'object' && res.json !== null ? (res.json as Record<string, unknown>) : {};
  const message = typeof json.message === 'string' ? json.message : '';
  if (res.status === 401) return message || 'HTTP 401';
  if (res.status >= 500 || res.status < 200) return undefined;
  const status = json.status ?? json.stutas;
  if (typeof status !== 'string' || !/^fail(ed)?$/i.test(status.trim())) return undefined;
  if (operation === 'payServiceMidtrans' && MidtransStatusProbe.safeParse(json).success) return undefined;
  return classifyFailMessage(operation, message).code === 'TOKEN_REJECTED' ? message : undefined;
}

/** Request amounts that must be more than zero (K-Link moves no zero payments). */
function positiveAmount(n: number, field: string): string {
  if (n === 0) throw new RangeError(`${field} must be more than 0 rupiah`);
  return toRupiahString(n);
}

const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

/** "YYYY-MM-DD HH:MM:SS" in WIB (UTC+7, no daylight saving). */
export function wibDateTime(ms: number): string {
  return new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

function payServiceBody(input: PayServiceInput, now: () => number) {
  return {
    rq_uuid: input.rqUuid,
    rq_datetime: input.rqDatetime ?? wibDateTime(now()),
    order_id: input.orderId,
    no_hp: input.noHp,
    fullname: input.fullname,
    email: input.email,
    bank_code: input.bankCode,
    product_code: input.productCode,
    nominal: positiveAmount(input.nominal, 'nominal'),
    pay_ship: toRupiahString(input.payShip),
  };
}

/**
 * HTTP face of the K-Link simulator, mounted under /klink (base URL http://host:port/klink):
 * K-Wallet (document section 1), the payment service with VA / manual transfer / card
 * (section 2) and GoPay through Midtrans (section 3). Written from the document only, never
 * from providers/: a client bug must fail a test, not agree with itself.
 *
 * Wire rules every endpoint shares:
 * - All POST with JSON; `Authorization: <token from /auth/login>` (no scheme) on all but login,
 *   else 401 {status:'fail', message}.
 * - Business outcomes are HTTP 200 with status 'success' | 'fail' (transfer_to_account spells
 *   the key `stutas`, as the document does; the payment service says 'failed', as its table does).
 * - Malformed JSON or a body failing its schema: 400 {status:'fail', message: '<field>'}.
 * - Each endpoint takes at most one armed fault per request, route 'klink.<endpoint>', matched
 *   against the body's fields.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { FaultRegistry, SimulatedExchange, SimulatedResponse } from '../faults';
import {
  LIST_BANK,
  LIST_BANK_MIDTRANS,
  MIDTRANS_API,
  MIDTRANS_MERCHANT_ID,
  MIDTRANS_PRODUCT_CODES,
  MIDTRANS_STATUS,
  type MidtransStatusCode,
} from './catalog';
import { parseWibBound, rupiahDecimal, wibCompact, wibDate, wibDateTime } from './format';
import { MSG, reconcileDone, serviceOrderExists } from './messages';
import {
  CheckSaldoBody,
  HistoryBody,
  ListBankBody,
  ListBankMidtransBody,
  LoginBody,
  PayBody,
  PayServiceBody,
  ReconcileBody,
  RefundAcceptBody,
  RefundBody,
  RegisterVaBody,
  TransferBody,
  VoucherBody,
} from './schemas';
import type { ServiceOrder } from './service-orders';
import { KLINK_ENDPOINTS, type KLinkEndpoint, type KLinkState, type Movement } from './state';

/** Every path, first the document's main name, then its second name where it shows one. */
export const KLINK_PATHS: Readonly<Record<KLinkEndpoint, readonly string[]>> = {
  login: ['/auth/login'],
  register_va: ['/api/kwallet/register_va'],
  check_saldo: ['/api/kwallet/check_saldo'],
  history_transaction: ['/api/kwallet/history_transaction'],
  transfer_to_account: ['/api/kwallet/transfer_to_account'],
  voucher_saldo: ['/api/kwallet/voucher_saldo', '/api/kwallet/voucher_saldo_kwallet'],
  pay: ['/api/kwallet/pay'],
  reconcile: ['/api/kwallet/reconcile/reconcile', '/api/kwallet/reconcile'],
  refund: ['/api/escrow/refund'],
  'refund-accept': ['/api/escrow/refund-accept'],
  list_bank: ['/api/list_bank', '/api/listbank'],
  pay_service: ['/api/pay_service', '/api/pay_service_new'],
  list_bank_midtrans: ['/api/list_bank_midtrans'],
  pay_service_midtrans: ['/api/pay_service_midtrans'],
};

export const klinkFaultRoute = (endpoint: KLinkEndpoint): string => `klink.${endpoint}`;

/**
 * The sandbox's own credentials, used when none are configured (SANDBOX_KLINK_* unset): they only
 * open this simulator, never K-Link. The PID key signs settlement webhooks (x-servicepayment,
 * HMAC-SHA256), which a later issue sends.
 */
export const KLINK_SANDBOX_DEFAULTS = {
  email: 'sandbox@k-link.test',
  password: 'klink-sandbox-password',
  pidKey: 'klink-sandbox-pid-key',
} as const;

export interface KLinkRoutesOptions {
  state: KLinkState;
  faults: FaultRegistry;
  /** The one account /auth/login accepts ("request di Tim EDP K-Link"). */
  email: string;
  password: string;
  now: () => number;
  /**
   * Where the GoPay actions' qr-code, get-status and cancel URLs point: `${midtransBaseUrl}/midtrans/v2/...`
   * (the sandbox's own Midtrans routes). Unset: Midtrans' sandbox host, MIDTRANS_API.
   */
  midtransBaseUrl?: string;
}

type Run<S extends z.ZodType> = (body: z.output<S>, request: FastifyRequest) => SimulatedResponse;

export const klinkRoutes: FastifyPluginAsync<KLinkRoutesOptions> = async (app, opts) => {
  const { state, faults } = opts;
  const midtransApi =
    opts.midtransBaseUrl === undefined
      ? MIDTRANS_API
      : `${opts.midtransBaseUrl.replace(/\/+$/, '')}/midtrans`;
  faults.declareRoutes(...KLINK_ENDPOINTS.map(klinkFaultRoute));

  const serve = (endpoint: KLinkEndpoint, exchange: (request: FastifyRequest) => SimulatedExchange) => {
    for (const path of KLINK_PATHS[endpoint]) {
      app.post(path, async (request, reply) => {
        const fault = faults.takeFault(klinkFaultRoute(endpoint), bodyFields(request));
        return faults.serveWithFault(fault, request, reply, exchange(request), { errorBody: injectedError });
      });
    }
  };

  /**
   * Arrival = the call counter, the token check and per-order request counters (so a test sees
   * a slow request arrive before it commits); processing = body validation and the rules.
   */
  const authed =
    <S extends z.ZodType>(
      endpoint: KLinkEndpoint,
      schema: S,
      run: Run<S>,
      onArrival?: (request: FastifyRequest) => void,
    ) =>
    (request: FastifyRequest): SimulatedExchange => ({
      receive: () => {
        state.countCall(endpoint);
        const token = request.headers.authorization;
        if (!state.tokenValid(typeof token === 'string' ? token : undefined)) {
          return { status: 401, body: { status: 'fail', message: MSG.unauthorized } };
        }
        onArrival?.(request);
        return undefined;
      },
      process: () => {
        const body = validate(schema, request);
        return body.ok ? run(body.value, request) : body.response;
      },
    });

  // ---- a. login ----

  serve('login', (request) => ({
    receive: () => {
      state.countCall('login');
      return undefined;
    },
    process: () => {
      const body = validate(LoginBody, request);
      if (!body.ok) return body.response;
      // Both compared, whatever the first says, so timing does not tell which one was wrong.
      const emailOk = secretEquals(body.value.email, opts.email);
      const passwordOk = secretEquals(body.value.password, opts.password);
      if (!emailOk || !passwordOk) return { status: 401, body: { status: 'fail', message: MSG.loginFailed } };
      return ok({ status: 'success', message: MSG.loginSuccess, Authorization: state.issueToken() });
    },
  }));

  // ---- section 1: K-Wallet ----

  serve(
    'register_va',
    authed('register_va', RegisterVaBody, (body) => {
      const member = state.registerVa(body);
      const expiry = wibDateTime(state.vaExpiry(member) ?? 0);
      const now = opts.now();
      const data = Object.fromEntries(
        Object.entries(member.va?.numbers ?? {}).map(([bankCode, vaNumber]) => [
          bankCode,
          {
            fee: '0.00',
            total_amount: '0.00',
            bank_code: bankCode,
            expiry_date_time: expiry,
            error_message: 'Success',
            error_code: '00',
            amount: 0,
            va_number: vaNumber,
            description: '',
          },
        ]),
      );
      // rq_uuid as in the example "idspaaa025-20210729110329-30": member, request time, a number.
      return ok({
        status: 'success',
        message: MSG.vaCreated,
        data,
        date: wibDateTime(now),
        rq_uuid: `${member.id_member}-${wibCompact(now)}-${randomInt(1, 100)}`,
      });
    }),
  );

  serve(
    'check_saldo',
    authed('check_saldo', CheckSaldoBody, (body) => {
      const member = state.member(body.id_member);
      if (!member) return fail(MSG.memberNotFound);
      return ok({ status: 'success', message: MSG.saldoShown, last_saldo: rupiahDecimal(member.balance) });
    }),
  );

  serve(
    'history_transaction',
    authed('history_transaction', HistoryBody, (body) => {
      const from = body.startdate === '' ? undefined : parseWibBound(body.startdate, 'start');
      const to = body.enddate === '' ? undefined : parseWibBound(body.enddate, 'end');
      const rows = state.history(body.id_member, from, to);
      if (!rows) return fail(MSG.memberNotFound);
      const transaction = rows.map((row) => ({
        credit: rupiahDecimal(row.credit),
        debit: rupiahDecimal(row.debit),
        description: row.entry.description,
        balance: rupiahDecimal(row.balance),
        datetime: wibDateTime(row.entry.at),
      }));
      // The document sends the list as JSON inside a string; so does the sandbox.
      return ok({ status: 'success', message: MSG.saldoShown, transaction: JSON.stringify(transaction) });
    }),
  );

  serve(
    'transfer_to_account',
    authed('transfer_to_account', TransferBody, (body) => {
      const outcome = state.transfer({
        from: body.id_member_send,
        to: body.id_member_receipt,
        amount: body.amount,
        description: body.description,
      });
      // `stutas`, not `status`: the document's spelling, in success and failure alike.
      return ok({ stutas: outcome.ok ? 'success' : 'fail', message: outcome.message });
    }),
  );

  serve(
    'voucher_saldo',
    authed('voucher_saldo', VoucherBody, (body) =>
      answer(
        state.voucher({
          voucher_code: body.voucher_code,
          amount: body.amount,
          description: body.description,
          id_member: body.id_member_receipt,
        }),
      ),
    ),
  );

  serve(
    'pay',
    authed(
      'pay',
      PayBody,
      (body) => answer(state.pay(body)),
      (request) => state.countPayRequest(stringField(request, 'id_order')),
    ),
  );

  serve(
    'reconcile',
    authed('reconcile', ReconcileBody, (body) => {
      const outcome = state.reconcile(body.id_order);
      if (!outcome.ok) return fail(outcome.message);
      const { pay, balanceAfter } = outcome;
      const data = {
        id_member: pay.id_member,
        order_id: pay.id_order,
        comm_code: 'SYSTEM',
        datetime: wibDateTime(pay.at),
        valuedate: wibDate(pay.at),
        description: pay.description,
        debit: '0.00',
        credit: rupiahDecimal(pay.amount),
        balance: rupiahDecimal(balanceAfter),
      };
      return ok({ status: 'success', message: reconcileDone(pay.id_order), data: JSON.stringify(data) });
    }),
  );

  serve(
    'refund',
    authed('refund', RefundBody, (body) => {
      const outcome = state.refundInquiry(body.id_order, body.id_member);
      if (!outcome.ok) return fail(outcome.message);
      return ok({ data: outcome.rows, status: 'success', message: MSG.refundInquiry });
    }),
  );

  serve(
    'refund-accept',
    authed(
      'refund-accept',
      RefundAcceptBody,
      (body) => answer(state.refundAccept(body)),
      () => state.countRefundAcceptRequest(),
    ),
  );

  // ---- section 2: payment service (VA, manual transfer, card) ----

  serve(
    'list_bank',
    authed('list_bank', ListBankBody, () =>
      ok({ status: 'success', data: LIST_BANK.map((product) => product.row) }),
    ),
  );

  serve(
    'pay_service',
    authed('pay_service', PayServiceBody, (body, request) => {
      const ofBank = LIST_BANK.filter((p) => p.row.bankCode === body.bank_code);
      if (ofBank.length === 0) return failed(MSG.bankCodeUnknown);
      const product = ofBank.find((p) => p.row.productCode === body.product_code);
      if (!product) return failed(MSG.productCodeUnknown);
      if (state.orders.has(body.order_id)) return failed(serviceOrderExists(body.order_id));
      const order = state.orders.createPayServiceOrder(body, product);
      const redirectBase = `${request.protocol}://${request.host}${app.prefix}`;
      return ok({
        status: 'success',
        message: MSG.paymentRequested,
        data: payServiceData(order, redirectBase),
      });
    }),
  );

  // The page a card payment's url_pay redirects to: the real one is the bank's; this one only
  // shows the order, so a demo's redirect lands somewhere.
  app.get('/multipayment/:order_id', async (request, reply) => {
    const { order_id } = request.params as { order_id: string };
    const order = state.orders.get(order_id);
    if (!order || order.variant !== 'card')
      return reply.code(404).send({ status: 'fail', message: MSG.notFound });
    return {
      order_id: order.order_id,
      total_bayar: String(order.total_bayar),
      status: order.status,
    };
  });

  // ---- section 3: GoPay through Midtrans ----

  serve(
    'list_bank_midtrans',
    authed('list_bank_midtrans', ListBankMidtransBody, () =>
      ok({ status: 'success', data: LIST_BANK_MIDTRANS }),
    ),
  );

  serve(
    'pay_service_midtrans',
    authed('pay_service_midtrans', PayServiceBody, (body, request) => {
      if (!(body.bank_code in MIDTRANS_PRODUCT_CODES)) return failed(MSG.bankCodeUnknown);
      if (!MIDTRANS_PRODUCT_CODES[body.bank_code]!.includes(body.product_code)) {
        return failed(MSG.productCodeUnknown);
      }
      const dataInput = echoInput(request);
      // A test's armed status_code first; otherwise a used order_id is Midtrans' own 406.
      const refusal =
        state.orders.takeMidtransFailure(body.order_id) ??
        (state.orders.has(body.order_id) ? '406' : undefined);
      if (refusal) {
        return ok({
          status: 'failed',
          message: MIDTRANS_STATUS[refusal],
          data_input: dataInput,
          data: midtransStatus(refusal, body),
        });
      }
      const order = state.orders.createMidtransOrder(body);
      return ok({
        status: 'success',
        message: MSG.paymentRequested,
        data_input: dataInput,
        data: midtransData(order, dataInput, midtransApi),
      });
    }),
  );

  // Fastify's own refusals (wrong content type, body too large) in K-Link's shape; an unknown
  // path or a method other than POST is a 404 in the same shape.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(400).send({ status: 'fail', message: error.code ?? error.message });
    }
    request.log.error({ err: error }, 'klink simulator failed');
    return reply.code(500).send({ status: 'fail', message: 'Internal server error' });
  });
  app.setNotFoundHandler((_request, reply: FastifyReply) =>
    reply.code(404).send({ status: 'fail', message: MSG.notFound }),
  );
};

// ---- responses ----

function ok(body: unknown): SimulatedResponse {
  return { status: 200, body };
}

function fail(message: string): SimulatedResponse {
  return ok({ status: 'fail', message });
}

/** The payment service's failure word, per its variable table ("jika gagal tertulis 'failed'"). */
function failed(message: string): SimulatedResponse {
  return ok({ status: 'failed', message });
}

function answer(outcome: Movement): SimulatedResponse {
  return ok({ status: outcome.ok ? 'success' : 'fail', message: outcome.message });
}

function injectedError(_status: number): unknown {
  return { status: 'fail', message: MSG.injectedFault };
}

/**
 * pay_service's data per variant, from the variable tables (the example responses were images):
 * money and codes as strings like the document's webhook ("kd_pay":"174", "tot_bayar":"474765"),
 * the 0/1 flags is_va and koneksi as numbers.
 */
function payServiceData(order: ServiceOrder, redirectBase: string): Record<string, unknown> {
  const totals = {
    pay_ship: String(order.pay_ship),
    total_bayar: String(order.total_bayar),
    total_belanja: String(order.nominal),
  };
  switch (order.variant) {
    case 'va':
      return {
        is_va: 1,
        va_number: order.va_number,
        kd_pay: order.kd_pay,
        kd_ref: order.kd_ref,
        koneksi: 1,
        ...totals,
      };
    case 'manual':
      return {
        is_va: 0,
        kd_pay: order.kd_pay,
        kd_ref: order.kd_ref,
        kode_unik: String(order.kode_unik),
        koneksi: 1,
        norek: order.norek,
        ...totals,
      };
    case 'card':
      return { url_pay: `${redirectBase}/multipayment/${encodeURIComponent(order.order_id)}`, is_va: 0 };
    case 'midtrans':
      throw new Error(`order ${order.order_id} is a Midtrans order, not a pay_service one`);
  }
}

const ECHOED_FIELDS = [
  'rq_datetime',
  'nominal',
  'bank_code',
  'order_id',
  'fullname',
  'product_code',
  'rq_uuid',
  'no_hp',
  'pay_ship',
  'email',
] as const;

/** data_input: the request's documented fields exactly as sent (the example echoes "1500" as "1500"). */
function echoInput(request: FastifyRequest): Record<string, string> {
  return Object.fromEntries(ECHOED_FIELDS.map((field) => [field, stringField(request, field) ?? '']));
}

type OrderKeys = Pick<PayServiceBody, 'order_id' | 'rq_uuid' | 'bank_code' | 'product_code'>;

function midtransStatus(code: MidtransStatusCode, body: OrderKeys): Record<string, unknown> {
  return {
    status_code: code,
    status_message: MIDTRANS_STATUS[code],
    order_id: body.order_id,
    rq_uuid: body.rq_uuid,
    bank_code: body.bank_code,
    product_code: body.product_code,
  };
}

/** The document's success data: a GoPay transaction waiting for payment, with its four actions. */
function midtransData(
  order: ServiceOrder,
  input: Record<string, string>,
  api: string,
): Record<string, unknown> {
  const id = order.transaction_id!;
  const callback = encodeURIComponent(`someapps://callback?order_id=${order.order_id}`);
  return {
    ...input,
    ...midtransStatus('201', order),
    fraud_status: 'accept',
    gross_amount: rupiahDecimal(order.total_bayar),
    transaction_time: wibDateTime(order.created_at),
    actions: [
      { url: `${api}/v2/gopay/${id}/qr-code`, name: 'generate-qr-code', method: 'GET' },
      {
        url: `gojek://gopay/merchanttransfer?tref=${order.kd_ref}&amount=${order.total_bayar}&activity=GP:RR&callback_url=${callback}`,
        name: 'deeplink-redirect',
        method: 'GET',
      },
      { url: `${api}/v2/${id}/status`, name: 'get-status', method: 'GET' },
      { url: `${api}/v2/${id}/cancel`, name: 'cancel', method: 'POST' },
    ],
    currency: 'IDR',
    payment_type: 'gopay',
    transaction_status: 'pending',
    merchant_id: MIDTRANS_MERCHANT_ID,
    transaction_id: id,
  };
}

// ---- request helpers ----

function validate<S extends z.ZodType>(
  schema: S,
  request: FastifyRequest,
): { ok: true; value: z.output<S> } | { ok: false; response: SimulatedResponse } {
  // An empty body is no body (list_bank is sent with none); other unreadable JSON is refused.
  const empty = (request.rawBody?.length ?? 0) === 0;
  if (request.jsonError !== null && !empty) return { ok: false, response: badRequest('body') };
  const parsed = schema.safeParse(request.jsonError !== null ? undefined : request.body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, response: badRequest(issue && issue.path.length > 0 ? issue.path.join('.') : 'body') };
}

function badRequest(field: string): SimulatedResponse {
  return { status: 400, body: { status: 'fail', message: field } };
}

function bodyFields(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** A body field as text when it is readable at all (counters and data_input; validation is separate). */
function stringField(request: FastifyRequest, field: string): string | undefined {
  const value = bodyFields(request)[field];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function secretEquals(provided: string, expected: string): boolean {
  const a = Buffer.from(provided, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * AliKassa ("Payment solution ID 2") client: create a payment (`POST /v1/payment`), create a payout
 * (`POST /v1/payout`), and ask their status, through the shared signed-request layer (the body is
 * serialized once; `Account` and `Sign` are computed per attempt over those exact bytes, with the
 * hash of ALIKASSA_SIGN_HASH: see signature.ts).
 *
 * From the seed document:
 * - request fields, `decimal (11.2)` amounts, `order_id` (≤ 128, "must be unique"), the services
 *   and bank codes (see catalog.ts), the create answers (payment: url, payment_status "wait", id,
 *   uuid; payout: id, payment_status), and a 400 `{message, errors}` validation answer.
 * - "When creating, always wait, check the payment status via the API or wait for a notification":
 *   a create never settles a payment by itself; its answer is `wait`.
 *
 * From AliKassa's public pages (the seed points to them without including them):
 * - "Checking payment status", https://doc-merchant.alikassa.com/payment/check/status (and
 *   https://doc-merchant.alikassa.com/en/payments/check-payment-status): `POST /v1/payment/status`,
 *   signed like every request, body `order_id` or `id` ("You must pass order_id or id": paysaga
 *   passes its order_id). Answer: order_id, id, url, payment_status (wait / paid / cancel / fail,
 *   read in states.ts), amount, payment_amount (the amount actually paid), card_mask,
 *   hold_amount, commission_amount, service_code, account balances, ...
 * - "Checking payout status", https://doc-merchant.alikassa.com/payout/check/status:
 *   `POST /v1/payout/status`, the same request; the answer adds is_partial_payment, e.g.
 *   {"payment_status":"paid","id":100000536,"order_id":"6422494","amount":"300.00",
 *   "payment_amount":"300.00","is_partial_payment":false,...}.
 * - A partial payment (is_partial_payment, or payment_amount below amount) is `partial: true`
 *   in the result, with both amounts: the sagas park it for a person, never PAID.
 *
 * Inferred (no page shows these), all in one place:
 * - A status call for an order AliKassa does not know answers HTTP 404 `{message}`, returned as
 *   `undefined`. An answer whose order_id is not ours is refused as a protocol error, never taken
 *   as ours. The payment page's answer is not shown to carry is_partial_payment; it is read
 *   wherever present, and payment_amount below amount is partial either way.
 * - A repeated order_id: answered 400 or 409 (or 422) whose message (or `errors.order_id`) says the
 *   order_id is taken / exists. Laravel words it "The order id has already been taken.", so both
 *   "order_id" and "order id" are matched. Code ORDER_EXISTS, class already-done: the order exists
 *   at AliKassa, and the caller settles it by a status call on the SAME order_id; it must never
 *   create again under a new order_id (that could pay or pay out twice).
 * - 400 otherwise: VALIDATION, final (nothing created), with the first field errors in the message.
 *   422 (Laravel's own validation status) with the same body is read the same way.
 *   401/403: AUTH, final (bad Account or Sign; nothing created).
 * - 5xx, 429, other unexpected statuses and unreadable error bodies: for a create the request may
 *   have been acted on, so the class is needs-review (the caller settles it by status on the same
 *   order_id); for a status call nothing moves, so it is retryable. A 2xx whose body is not the
 *   expected shape is a ProviderProtocolError (ambiguous for a create; the caller may retry a
 *   status call). A 404 on a create (the route itself missing) is final: nothing was routed.
 * - The signature covers the exact bytes sent. The document's PHP sample signs `json_encode($data)`;
 *   we assume AliKassa verifies the raw body it received, not a re-encoding (PHP escapes "/" in
 *   URLs, JSON.stringify does not: a re-encoding verifier would refuse bodies carrying URLs).
 * - Ids are returned as strings (the document shows numbers; strings are accepted too).
 * - The optional notification_endpoint_id / success_redirect_id / fail_redirect_id (cabinet ids)
 *   are not used: paysaga sends URLs.
 */
import { type KeyObject } from 'node:crypto';
import { ProviderProtocolError, ProviderRejection, type OutcomeClass } from '../http/errors';
import { sendSignedRequest, type ProviderResponse } from '../http/signed-request';
import { ALIKASSA_PAYOUT_SERVICE, AliKassaInputError, checkPaymentCode, checkPayoutCode } from './catalog';
import type { ProviderState } from '../../workflows/saga-definitions';
import {
  AliKassaAmountError,
  ErrorBody,
  isPartialPayment,
  PaymentCreatedBody,
  PaymentInput,
  PayoutCreatedBody,
  PayoutInput,
  StatusBody,
  StatusInput,
  toAliKassaAmount,
  zodIssues,
} from './schemas';
import { aliKassaHeaders, DEFAULT_ALIKASSA_SIGN_HASH, type AliKassaSignHash } from './signature';
import { aliKassaProviderState } from './states';
import type { z } from 'zod';

export const ALIKASSA_PAYMENT_PATH = '/v1/payment';
export const ALIKASSA_PAYOUT_PATH = '/v1/payout';
export const ALIKASSA_PAYMENT_STATUS_PATH = '/v1/payment/status';
export const ALIKASSA_PAYOUT_STATUS_PATH = '/v1/payout/status';

const PROVIDER = 'alikassa';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AliKassaConfig {
  baseUrl: string;
  /** The merchant account uuid (header `Account`). */
  account: string;
  /** Loaded once with loadAliKassaKey. */
  privateKey: KeyObject;
  timeoutMs: number;
  /** ALIKASSA_SIGN_HASH; default sha256 (see signature.ts for why). */
  signHash?: AliKassaSignHash;
}

export interface CreatePaymentInput {
  orderId: string;
  /** Integer rupiah. */
  amount: number;
  service: string;
  customerCode: string;
  customerIp: string;
  firstName: string;
  lastName: string;
  notificationUrl?: string;
  successRedirectUrl?: string;
  failRedirectUrl?: string;
}

export interface CreatePayoutInput {
  orderId: string;
  /** Integer rupiah. */
  amount: number;
  customerCode: string;
  /** Recipient account number. */
  number: string;
  firstName: string;
  lastName: string;
  notificationUrl?: string;
}

export interface AliKassaPaymentCreated {
  id: string;
  uuid: string;
  /** Where to send the payer. */
  url: string;
  /** payment_status as answered (trimmed, lower case); `wait` per the document. */
  status: string;
  state: ProviderState;
}

export interface AliKassaPayoutCreated {
  id: string;
  status: string;
  state: ProviderState;
}

export interface AliKassaStatusResult {
  id: string;
  uuid?: string;
  orderId: string;
  status: string;
  state: ProviderState;
  /** The order's amount as AliKassa holds it (integer rupiah): the caller compares it with the order. */
  amount: number;
  /** What was actually paid (payment_amount), when AliKassa says; integer rupiah. */
  paymentAmount?: number;
  /** is_partial_payment, or payment_amount below amount: never to be read as paid in full. */
  partial: boolean;
}

export interface AliKassaClient {
  createPayment(input: CreatePaymentInput): Promise<AliKassaPaymentCreated>;
  createPayout(input: CreatePayoutInput): Promise<AliKassaPayoutCreated>;
  /** undefined when AliKassa knows no payment with this order_id. */
  paymentStatus(input: { orderId: string }): Promise<AliKassaStatusResult | undefined>;
  /** undefined when AliKassa knows no payout with this order_id. */
  payoutStatus(input: { orderId: string }): Promise<AliKassaStatusResult | undefined>;
}

type Kind = 'create' | 'status';

export function createAliKassaClient(config: AliKassaConfig): AliKassaClient {
  if (!UUID.test(config.account)) throw new Error('AliKassa account must be the account uuid');
  if (config.privateKey.type !== 'private')
    throw new Error('AliKassa privateKey must be a private KeyObject');
  const signHash = config.signHash ?? DEFAULT_ALIKASSA_SIGN_HASH;

  async function call(
    operation: string,
    path: string,
    body: Record<string, unknown>,
  ): Promise<ProviderResponse> {
    return sendSignedRequest({
      provider: PROVIDER,
      operation,
      baseUrl: config.baseUrl,
      method: 'POST',
      path,
      body,
      sign: ({ body: bytes }) => aliKassaHeaders(config.account, bytes, config.privateKey, signHash),
      timeoutMs: config.timeoutMs,
      secrets: [config.account],
    });
  }

  async function status(
    operation: string,
    path: string,
    input: { orderId: string },
  ): Promise<AliKassaStatusResult | undefined> {
    const { orderId } = validate(StatusInput, input);
    const res = await call(operation, path, { order_id: orderId });
    if (res.status === 404) return undefined;
    const b = readOk(operation, 'status', res, StatusBody);
    if (b.order_id !== orderId)
      throw new ProviderProtocolError(
        PROVIDER,
        operation,
        res.status,
        `answer is about order_id ${JSON.stringify(b.order_id)}, not ${JSON.stringify(orderId)}`,
      );
    return {
      id: b.id,
      uuid: b.uuid ?? undefined,
      orderId: b.order_id,
      status: b.payment_status,
      state: aliKassaProviderState(b.payment_status),
      amount: b.amount,
      paymentAmount: b.payment_amount,
      partial: isPartialPayment(b.amount, b.payment_amount, b.is_partial_payment),
    };
  }

  return {
    async createPayment(input) {
      const v = validate(PaymentInput, input);
      const service = v.service;
      const customerCode = checkPaymentCode(service, v.customerCode);
      const res = await call('createPayment', ALIKASSA_PAYMENT_PATH, {
        amount: amount(v.amount),
        order_id: v.orderId,
        service,
        customer_ip: v.customerIp,
        customer_code: customerCode,
        customer_first_name: v.firstName,
        customer_last_name: v.lastName,
        notification_endpoint_url: v.notificationUrl,
        success_redirect_url: v.successRedirectUrl,
        fail_redirect_url: v.failRedirectUrl,
      });
      const b = readOk('createPayment', 'create', res, PaymentCreatedBody);
      return {
        id: b.id,
        uuid: b.uuid,
        url: b.url,
        status: b.payment_status,
        state: aliKassaProviderState(b.payment_status),
      };
    },

    async createPayout(input) {
      const v = validate(PayoutInput, input);
      const customerCode = checkPayoutCode(v.customerCode);
      const res = await call('createPayout', ALIKASSA_PAYOUT_PATH, {
        amount: amount(v.amount),
        order_id: v.orderId,
        service: ALIKASSA_PAYOUT_SERVICE,
        number: v.number,
        customer_code: customerCode,
        customer_first_name: v.firstName,
        customer_last_name: v.lastName,
        notification_endpoint_url: v.notificationUrl,
      });
      const b = readOk('createPayout', 'create', res, PayoutCreatedBody);
      return { id: b.id, status: b.payment_status, state: aliKassaProviderState(b.payment_status) };
    },

    paymentStatus: (input) => status('paymentStatus', ALIKASSA_PAYMENT_STATUS_PATH, input),
    payoutStatus: (input) => status('payoutStatus', ALIKASSA_PAYOUT_STATUS_PATH, input),
  };
}

function validate<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new AliKassaInputError(first?.path.join('.') || 'input', zodIssues(r.error));
  }
  return r.data;
}

function amount(rupiah: number): string {
  try {
    return toAliKassaAmount(rupiah);
  } catch (err) {
    if (err instanceof AliKassaAmountError) throw new AliKassaInputError('amount', err.message);
    throw err;
  }
}

/** The parsed 2xx body, or the classified refusal (see module doc). */
function readOk<T extends z.ZodType>(
  operation: string,
  kind: Kind,
  res: ProviderResponse,
  schema: T,
): z.output<T> {
  if (res.status >= 200 && res.status < 300) {
    const parsed = schema.safeParse(res.json);
    if (!parsed.success)
      throw new ProviderProtocolError(PROVIDER, operation, res.status, zodIssues(parsed.error));
    return parsed.data;
  }
  throw classify(operation, kind, res);
}

const ORDER_ID = /order[_ ]id/i;
const TAKEN = /taken|exist|already|duplicate|unique/i;

function classify(operation: string, kind: Kind, res: ProviderResponse): ProviderRejection {
  const parsed = ErrorBody.safeParse(res.json);
  const body = parsed.success ? parsed.data : undefined;
  const message = body?.message ?? res.text.slice(0, 200);
  const fieldErrors = Object.entries(body?.errors ?? {}).map(
    ([field, msgs]) => [field, Array.isArray(msgs) ? msgs : [msgs]] as const,
  );
  const reject = (code: string, text: string, cls: OutcomeClass, documented: boolean) =>
    new ProviderRejection(PROVIDER, operation, res.status, code, text, cls, documented);

  if (kind === 'create' && (res.status === 400 || res.status === 409 || res.status === 422)) {
    const orderIdErrors = fieldErrors.find(([f]) => f === 'order_id')?.[1] ?? [];
    const taken = (ORDER_ID.test(message) && TAKEN.test(message)) || orderIdErrors.some((m) => TAKEN.test(m));
    if (taken) return reject('ORDER_EXISTS', orderIdErrors[0] ?? message, 'already-done', false);
  }
  if ((res.status === 400 || res.status === 422) && body) {
    const first = fieldErrors
      .slice(0, 3)
      .map(([f, msgs]) => `${f}: ${msgs[0] ?? ''}`)
      .join('; ');
    return reject('VALIDATION', first ? `${message} (${first})` : message, 'final', true);
  }
  if (res.status === 401 || res.status === 403) return reject('AUTH', message, 'final', false);
  if (kind === 'create' && res.status === 404) return reject('HTTP_404', message, 'final', false);
  // 5xx, 429, redirects, an unreadable 400 and every other status.
  return reject(`HTTP_${res.status}`, message, kind === 'create' ? 'needs-review' : 'retryable', false);
}

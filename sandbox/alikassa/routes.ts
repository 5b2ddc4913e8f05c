/**
 * The AliKassa simulator ("Payment solution ID 2"), mounted at /alikassa:
 *   POST /v1/payment          create a payment (hosted page)      -> {url, payment_status, id, uuid, success_redirect_url}
 *   POST /v1/payout           create a payout                     -> {id, payment_status}
 *   POST /v1/payment/status   {order_id} or {id}  -> {order_id, id, url, payment_status, amount, payment_amount, is_partial_payment, ...}
 *   POST /v1/payout/status    {order_id} or {id}  -> {order_id, id, payment_status, amount, payment_amount, is_partial_payment, ...}
 * The status calls and their answers follow AliKassa's public pages "Checking payment status"
 * (https://doc-merchant.alikassa.com/payment/check/status) and "Checking payout status"
 * (https://doc-merchant.alikassa.com/payout/check/status): words wait / paid / cancel / fail.
 *
 * Every request carries `Account` (the merchant account uuid) and `Sign` = base64 RSA PKCS#1 v1.5
 * (hash: signHash, ALIKASSA_SIGN_HASH) over the raw body, checked with the merchant's public key:
 * a bad or missing one is 401 {message}. Validation follows the parameter tables and answers Laravel's shape
 * 400 {message: 'The given data was invalid.', errors: {field: [...]}}; a repeated order_id (per
 * kind) is one of those errors, as on the real service ("Your id must be unique").
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultRegistry, SimulatedResponse } from '../faults';
import { PAYMENT_SERVICES, PAYOUT_CODES, PAYOUT_SERVICE, PAYOUT_UNDER_MAINTENANCE } from './catalog';
import { isPartial, paymentAmount, type AliKassaLifecycle } from './lifecycle';
import type { SignHash } from './notification';
import type { AliKassaState } from './state';

export const ALIKASSA_SANDBOX_DEFAULTS = {
  account: '00000000-0000-4000-8000-a11ka55a0001',
  payoutMs: 1000,
} as const;

export const ALIKASSA_FAULT_ROUTES = ['alikassa.payment', 'alikassa.payout', 'alikassa.status'] as const;

export interface AliKassaRoutesOptions {
  state: AliKassaState;
  lifecycle: AliKassaLifecycle;
  faults: FaultRegistry;
  account: string;
  merchantPublicKey: string;
  signHash: SignHash;
  publicBaseUrl?: string;
}

const INVALID = 'The given data was invalid.';
/** decimal(11.2): up to 9 integer digits, up to 2 decimals. */
const DECIMAL_11_2 = /^\d{1,9}(\.\d{1,2})?$/;

type Errors = Record<string, string[]>;
type Body = Record<string, unknown>;

function invalid(errors: Errors): SimulatedResponse {
  return { status: 400, body: { message: INVALID, errors } };
}

/** Laravel's attribute name: order_id -> "order id". */
function label(field: string): string {
  return field.replace(/_/g, ' ');
}

class Checker {
  readonly errors: Errors = {};
  constructor(private readonly body: Body) {}

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  /** A required string of at most `max` characters; returns it when valid. */
  string(field: string, max: number | undefined, required = true): string | undefined {
    const v = this.body[field];
    if (v === undefined || v === null || v === '') {
      if (required) this.add(field, `The ${label(field)} field is required.`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(field, `The ${label(field)} must be a string.`);
      return undefined;
    }
    if (max !== undefined && v.length > max) {
      this.add(field, `The ${label(field)} may not be greater than ${max} characters.`);
      return undefined;
    }
    return v;
  }

  /** decimal(11.2), > 0; returned normalised to two decimals. */
  amount(): string | undefined {
    const v = this.body.amount;
    if (v === undefined || v === null || v === '') {
      this.add('amount', 'The amount field is required.');
      return undefined;
    }
    const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v : '';
    if (!DECIMAL_11_2.test(text)) {
      this.add('amount', 'The amount format is invalid.');
      return undefined;
    }
    if (Number(text) <= 0) {
      this.add('amount', 'The amount must be greater than 0.');
      return undefined;
    }
    return Number(text).toFixed(2);
  }

  integer(field: string): void {
    const v = this.body[field];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isInteger(v))
      this.add(field, `The ${label(field)} must be an integer.`);
  }

  ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}

export const aliKassaRoutes: FastifyPluginAsync<AliKassaRoutesOptions> = async (app, opts) => {
  const { state, lifecycle, faults } = opts;
  const publicKey: KeyObject = createPublicKey(opts.merchantPublicKey);
  faults.declareRoutes(...ALIKASSA_FAULT_ROUTES);

  /** undefined when Account and Sign are right; else the 401. */
  const authenticate = (request: FastifyRequest): SimulatedResponse | undefined => {
    const account = request.headers.account;
    if (typeof account !== 'string' || account !== opts.account) {
      return { status: 401, body: { message: 'Invalid account.' } };
    }
    const signHeader = request.headers.sign;
    if (typeof signHeader !== 'string' || signHeader.trim() === '') {
      return { status: 401, body: { message: 'Sign header is required.' } };
    }
    let valid: boolean;
    try {
      valid = verify(
        opts.signHash,
        request.rawBody ?? Buffer.alloc(0),
        { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.from(signHeader.trim(), 'base64'),
      );
    } catch {
      valid = false;
    }
    return valid ? undefined : { status: 401, body: { message: 'Invalid sign.' } };
  };

  const bodyOf = (request: FastifyRequest): Body | undefined => {
    const body = request.body as unknown;
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Body) : undefined;
  };

  const notJson = (): SimulatedResponse => invalid({ body: ['The request body must be a JSON object.'] });

  const orderIdOf = (request: FastifyRequest): string | undefined => {
    const v = bodyOf(request)?.order_id;
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  };

  const publicBase = (request: FastifyRequest): string =>
    (opts.publicBaseUrl ?? `${request.protocol}://${request.headers.host ?? '127.0.0.1'}`).replace(
      /\/+$/,
      '',
    );

  const errorBody = () => ({ message: 'Server Error' });

  app.post('/v1/payment', async (request, reply) => {
    const fault = faults.takeFault('alikassa.payment', { order_id: orderIdOf(request) });
    let auth: SimulatedResponse | undefined;
    return faults.serveWithFault(
      fault,
      request,
      reply,
      {
        receive: () => (auth = authenticate(request)),
        process: () => {
          if (auth) return auth;
          const body = bodyOf(request);
          if (!body) return notJson();
          const c = new Checker(body);
          const amount = c.amount();
          const orderId = c.string('order_id', 128);
          const service = c.string('service', 100);
          if (service !== undefined && !(service in PAYMENT_SERVICES)) {
            c.add('service', 'The selected service is invalid.');
          }
          const code = c.string('customer_code', 100);
          if (code !== undefined && service !== undefined && !PAYMENT_SERVICES[service]?.includes(code)) {
            c.add('customer_code', 'The selected customer code is invalid.');
          }
          const ip = c.string('customer_ip', undefined);
          if (ip !== undefined && isIP(ip) === 0)
            c.add('customer_ip', 'The customer ip must be a valid IP address.');
          c.string('customer_first_name', 255);
          c.string('customer_last_name', 255);
          for (const f of ['success_redirect_url', 'fail_redirect_url', 'notification_endpoint_url']) {
            c.string(f, 255, false);
          }
          for (const f of ['success_redirect_id', 'fail_redirect_id', 'notification_endpoint_id'])
            c.integer(f);
          if (orderId !== undefined) {
            state.countCreate('payment', orderId);
            if (state.hasPayment(orderId)) c.add('order_id', 'The order id has already been taken.');
          }
          if (!c.ok()) return invalid(c.errors);
          const payment = state.createPayment({
            order_id: orderId!,
            amount: amount!,
            service: service!,
            customer_code: code!,
          });
          return {
            status: 200,
            body: {
              url: `${publicBase(request)}/alikassa/pay/${payment.uuid}`,
              payment_status: payment.payment_status,
              id: payment.id,
              uuid: payment.uuid,
              success_redirect_url: null,
            },
          };
        },
      },
      { errorBody },
    );
  });

  app.post('/v1/payout', async (request, reply) => {
    const fault = faults.takeFault('alikassa.payout', { order_id: orderIdOf(request) });
    let auth: SimulatedResponse | undefined;
    return faults.serveWithFault(
      fault,
      request,
      reply,
      {
        receive: () => (auth = authenticate(request)),
        process: () => {
          if (auth) return auth;
          const body = bodyOf(request);
          if (!body) return notJson();
          const c = new Checker(body);
          const amount = c.amount();
          const orderId = c.string('order_id', 128);
          const service = c.string('service', 100);
          if (service !== undefined && service !== PAYOUT_SERVICE) {
            c.add('service', 'The selected service is invalid.');
          }
          const number = c.string('number', 100);
          const code = c.string('customer_code', 100);
          if (code !== undefined && !PAYOUT_CODES.includes(code)) {
            c.add('customer_code', 'The selected customer code is invalid.');
          }
          c.string('customer_first_name', 100);
          c.string('customer_last_name', 100);
          c.string('notification_endpoint_url', 255, false);
          c.integer('notification_endpoint_id');
          if (orderId !== undefined) {
            state.countCreate('payout', orderId);
            if (state.hasPayout(orderId)) c.add('order_id', 'The order id has already been taken.');
          }
          if (!c.ok()) return invalid(c.errors);
          const payout = state.createPayout(
            { order_id: orderId!, amount: amount!, service: service!, customer_code: code!, number: number! },
            PAYOUT_UNDER_MAINTENANCE.has(code!),
          );
          lifecycle.payoutCreated(payout);
          return { status: 200, body: { id: payout.id, payment_status: payout.payment_status } };
        },
      },
      { errorBody },
    );
  });

  const status = (kind: 'payment' | 'payout') => async (request: FastifyRequest, reply: FastifyReply) => {
    const fault = faults.takeFault('alikassa.status', { order_id: orderIdOf(request), kind });
    let auth: SimulatedResponse | undefined;
    return faults.serveWithFault(
      fault,
      request,
      reply,
      {
        receive: () => (auth = authenticate(request)),
        process: () => {
          if (auth) return auth;
          const body = bodyOf(request);
          if (!body) return notJson();
          // "You must pass order_id or id."
          const c = new Checker(body);
          const orderId = c.string('order_id', 128, false);
          // The page types id "string (128)"; the id AliKassa answered is a number: both are taken.
          const id = typeof body.id === 'number' ? String(body.id) : c.string('id', 128, false);
          if (orderId === undefined && id === undefined)
            c.add('order_id', 'The order id field is required when id is not present.');
          if (!c.ok()) return invalid(c.errors);
          const notFound = { status: 404, body: { message: 'Not found' } };
          if (kind === 'payment') {
            const p = orderId !== undefined ? state.payment(orderId) : state.paymentById(Number(id));
            if (!p || (id !== undefined && String(p.id) !== id)) return notFound;
            return {
              status: 200,
              body: {
                order_id: p.order_id,
                id: p.id,
                url: `${publicBase(request)}/alikassa/pay/${p.uuid}`,
                payment_status: p.payment_status,
                amount: p.amount,
                payment_amount: paymentAmount(p),
                is_partial_payment: isPartial(p),
                commission_amount: '0.00',
                service_code: p.service,
              },
            };
          }
          const p = orderId !== undefined ? state.payout(orderId) : state.payoutById(Number(id));
          if (!p || (id !== undefined && String(p.id) !== id)) return notFound;
          return {
            status: 200,
            body: {
              payment_status: p.payment_status,
              id: p.id,
              order_id: p.order_id,
              amount: p.amount,
              payment_amount: p.payment_status === 'paid' ? p.amount : '0.00',
              is_partial_payment: false,
              commission_amount: '0.00',
              service_code: p.service,
            },
          };
        },
      },
      { errorBody },
    );
  };
  app.post('/v1/payment/status', status('payment'));
  app.post('/v1/payout/status', status('payout'));

  // The hosted payment page the create answer links to: a plain page, paid through control.
  app.get('/pay/:uuid', async (request, reply) => {
    const { uuid } = request.params as { uuid: string };
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><title>AliKassa sandbox</title><p>AliKassa sandbox payment ${encodeURIComponent(uuid)}</p>`,
      );
  });
};

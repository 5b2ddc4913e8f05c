/**
 * HTTP face of the PPOB aggregator simulator, mounted under /ppob (base URL http://host:port/ppob):
 * POST /trx/topup (prepaid purchases and inquiries) and POST /trx/payment (postpaid), from the
 * aggregator's document. Written from the document only, never from providers/.
 *
 * Wire rules:
 * - Gw-username / Gw-datetime / Gw-signature on both (signature.ts), else 401 {status:'Failed', message}.
 * - Malformed JSON or a body failing its schema: 400 {status:'Failed', message: '<field>'}.
 * - Every accepted request is HTTP 200 with {code, destination, message, ref_id, sn, status,
 *   trx_id, price} (+ customer_name for bills); an inquiry's amount goes under the key the
 *   control API chose (/_control/ppob/inquiry-amount: `price` unless told, or none).
 * - A refid seen before, on either endpoint, is never processed again: the answer is that
 *   transaction's current state with 'trx sebelumnya ditemukan'.
 * - Faults 'ppob.topup' / 'ppob.payment', matched on refid, dest, code (topup) or refid, inq_id
 *   and the inquiry's dest (payment).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { FaultRegistry, SimulatedExchange, SimulatedResponse } from '../faults';
import { postpaidProduct } from './catalog';
import type { PpobLifecycle } from './lifecycle';
import { MSG } from './messages';
import { PaymentBody, Refid, TopupBody } from './schemas';
import { verifyPpobRequest } from './signature';
import type { PpobState, PpobTransaction } from './state';

export const PPOB_FAULT_ROUTES = { topup: 'ppob.topup', payment: 'ppob.payment' } as const;

/**
 * The sandbox's own credentials and timings, used when none are configured: they only open this
 * simulator, never a real aggregator.
 */
export const PPOB_SANDBOX_DEFAULTS = {
  username: 'ppob-sandbox',
  token: 'ppob-sandbox-token',
  timeZone: 'Asia/Jakarta',
  skewSeconds: 300,
  pendingMs: 300,
  finalMs: 1500,
  callbackAttempts: 4,
  callbackRetryMs: 200,
  callbackTimeoutMs: 2000,
} as const;

export interface PpobRoutesOptions {
  state: PpobState;
  lifecycle: PpobLifecycle;
  faults: FaultRegistry;
  username: string;
  token: string;
  timeZone: string;
  skewSeconds: number;
  now: () => number;
}

export const ppobRoutes: FastifyPluginAsync<PpobRoutesOptions> = async (app, opts) => {
  const { state, lifecycle, faults } = opts;
  faults.declareRoutes(PPOB_FAULT_ROUTES.topup, PPOB_FAULT_ROUTES.payment);

  const exchange = (request: FastifyRequest, process: () => SimulatedResponse): SimulatedExchange => ({
    receive: () => {
      const auth = verifyPpobRequest({
        headers: request.headers,
        username: opts.username,
        token: opts.token,
        nowMs: opts.now(),
        timeZone: opts.timeZone,
        skewSeconds: opts.skewSeconds,
      });
      if (!auth.ok) return { status: 401, body: { status: 'Failed', message: auth.message } };
      const refid = Refid.safeParse(bodyFields(request).refid);
      if (refid.success) state.countRequest(refid.data);
      return undefined;
    },
    process,
  });

  app.post('/trx/topup', async (request, reply) => {
    const fault = faults.takeFault(PPOB_FAULT_ROUTES.topup, bodyFields(request));
    return faults.serveWithFault(
      fault,
      request,
      reply,
      exchange(request, () => {
        const body = validate(TopupBody, request);
        if (!body.ok) return body.response;
        const { refid, code, dest } = body.value;
        const previous = state.find(refid);
        if (previous) return answer(previous, MSG.previousFound, state.inquiryAmountField());
        const trx = postpaidProduct(code)
          ? state.createInquiry({ refid, code, dest })
          : state.createPrepaid({ refid, code, dest });
        lifecycle.schedule(trx);
        return answer(trx, trx.note, state.inquiryAmountField());
      }),
      { errorBody: injectedError },
    );
  });

  app.post('/trx/payment', async (request, reply) => {
    const fields = bodyFields(request);
    const inqId = Number(fields.inq_id ?? fields.ing_id);
    const inquiry = Number.isSafeInteger(inqId) ? state.byTrxId(inqId) : undefined;
    const fault = faults.takeFault(PPOB_FAULT_ROUTES.payment, {
      dest: inquiry?.dest,
      code: inquiry?.code,
      ...fields,
    });
    return faults.serveWithFault(
      fault,
      request,
      reply,
      exchange(request, () => {
        const body = validate(PaymentBody, request);
        if (!body.ok) return body.response;
        const previous = state.find(body.value.refid);
        if (previous) return answer(previous, MSG.previousFound, state.inquiryAmountField());
        const trx = state.createPayment(body.value);
        lifecycle.schedule(trx);
        return answer(trx, trx.note, state.inquiryAmountField());
      }),
      { errorBody: injectedError },
    );
  });
};

/**
 * The document's answer, HTTP 200 whatever the status. An inquiry's bill goes under the key the
 * control API chose (`price` by default, none at all when null); other answers carry `price`.
 */
function answer(trx: PpobTransaction, message: string, inquiryAmountKey: string | null): SimulatedResponse {
  const amountKey = trx.kind === 'inquiry' ? inquiryAmountKey : 'price';
  return {
    status: 200,
    body: {
      code: trx.code,
      destination: trx.dest,
      message,
      ref_id: Number(trx.refid),
      sn: trx.sn,
      status: trx.status,
      trx_id: trx.trx_id,
      ...(amountKey !== null ? { [amountKey]: trx.price } : {}),
      ...(trx.customer_name !== null ? { customer_name: trx.customer_name } : {}),
    },
  };
}

function injectedError(): unknown {
  return { status: 'Failed', message: MSG.injectedFault };
}

function validate<S extends z.ZodType>(
  schema: S,
  request: FastifyRequest,
): { ok: true; value: z.output<S> } | { ok: false; response: SimulatedResponse } {
  if (request.jsonError !== null) return { ok: false, response: badRequest('body') };
  const parsed = schema.safeParse(request.body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, response: badRequest(issue && issue.path.length > 0 ? issue.path.join('.') : 'body') };
}

function badRequest(field: string): SimulatedResponse {
  return { status: 400, body: { status: 'Failed', message: field } };
}

function bodyFields(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

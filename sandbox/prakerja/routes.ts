/**
 * HTTP face of the Prakerja simulator: the two documented endpoints (mounted under /prakerja,
 * so the base URL is http://host:port/prakerja) and its control routes (under
 * /_control/prakerja). Every answer, success or error, has the documented shape.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ControlRequestError, parseControlBody } from '../control-routes';
import type { FaultRegistry, SimulatedExchange, SimulatedResponse } from '../faults';
import { AUTHORIZE_ENDPOINT, VOID_ENDPOINT, verifyPrakerjaRequest } from './signature';
import { VOID_REFUSAL_NAMES, type PrakerjaError, type PrakerjaState } from './state';

export const PRAKERJA_FAULT_ROUTES = { authorize: 'prakerja.authorize', void: 'prakerja.void' } as const;

export interface PrakerjaRoutesOptions {
  state: PrakerjaState;
  faults: FaultRegistry;
  clientCode: string;
  signKey: string;
  timestampToleranceSeconds: number;
  now: () => number;
}

const nonBlank = (s: string) => s.trim().length > 0;
const requiredString = z.string().refine(nonBlank, 'must not be empty');
// The document's table says invoice_code is an integer, its example sends a string: accept both,
// keep it as a string (the success body returns it as a string).
const invoiceCode = z.union([requiredString, z.number().int().nonnegative()]).transform(String);

const AuthorizeBody = z.object({
  otp: requiredString,
  invoice_url: requiredString,
  invoice_code: invoiceCode,
});
const VoidBody = z.object({ invoice_code: invoiceCode, transaction_code: requiredString });

export const prakerjaRoutes: FastifyPluginAsync<PrakerjaRoutesOptions> = async (app, opts) => {
  const { state, faults } = opts;
  faults.declareRoutes(PRAKERJA_FAULT_ROUTES.authorize, PRAKERJA_FAULT_ROUTES.void);

  const authenticate = (request: FastifyRequest, endpoint: string, withPaymentToken: boolean) =>
    verifyPrakerjaRequest({
      headers: request.headers,
      endpoint,
      rawBody: request.rawBody ?? Buffer.alloc(0),
      clientCode: opts.clientCode,
      signKey: opts.signKey,
      nowMs: opts.now(),
      toleranceSeconds: opts.timestampToleranceSeconds,
      withPaymentToken,
    });

  // Arrival = authentication and the request counter (a request "reaches Prakerja" once it is
  // authentic); processing = body validation and the documented rules.
  const authorize = (request: FastifyRequest): SimulatedExchange => {
    let paymentToken = '';
    return {
      receive: () => {
        const auth = authenticate(request, AUTHORIZE_ENDPOINT, true);
        if (!auth.ok) return prakerjaError(auth.error);
        paymentToken = auth.paymentToken ?? '';
        state.countAuthorizeRequest(invoiceCodeOf(request.body));
        return undefined;
      },
      process: () => {
        const body = validate(AuthorizeBody, request);
        if (!body.ok) return body.response;
        const outcome = state.authorize({
          paymentToken,
          otp: body.value.otp,
          invoiceCode: body.value.invoice_code,
          invoiceUrl: body.value.invoice_url,
        });
        if (!outcome.ok) return prakerjaError(outcome.error);
        const tx = outcome.transaction;
        return {
          status: 200,
          body: {
            success: true,
            message: 'Pelatihan berhasil dibeli.',
            data: {
              invoice_code: tx.invoice_code,
              transaction_code: tx.transaction_code,
              amount: tx.amount,
              status: tx.status,
              prakerja_name: tx.prakerja_name,
            },
          },
        };
      },
    };
  };

  const voidTransaction = (request: FastifyRequest): SimulatedExchange => ({
    receive: () => {
      const auth = authenticate(request, VOID_ENDPOINT, false);
      if (!auth.ok) return prakerjaError(auth.error);
      state.countVoidRequest(invoiceCodeOf(request.body));
      return undefined;
    },
    process: () => {
      const body = validate(VoidBody, request);
      if (!body.ok) return body.response;
      const outcome = state.void({
        invoiceCode: body.value.invoice_code,
        transactionCode: body.value.transaction_code,
      });
      if (!outcome.ok) return prakerjaError(outcome.error);
      return { status: 200, body: { success: true, message: 'Transaksi berhasil dibatalkan.' } };
    },
  });

  app.post(AUTHORIZE_ENDPOINT, async (request, reply) => {
    const fault = faults.takeFault(PRAKERJA_FAULT_ROUTES.authorize, faultFields(request));
    return faults.serveWithFault(fault, request, reply, authorize(request), { errorBody: injectedError });
  });

  app.post(VOID_ENDPOINT, async (request, reply) => {
    const fault = faults.takeFault(PRAKERJA_FAULT_ROUTES.void, faultFields(request));
    return faults.serveWithFault(fault, request, reply, voidTransaction(request), {
      errorBody: injectedError,
    });
  });

  // Fastify's own refusals (wrong content type, body too large, unknown path) in Prakerja's shape,
  // so a client parsing {code, message, success} never meets a format the provider would not send.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return sendError(reply, invalidRequest(error.message));
    }
    request.log.error({ err: error }, 'prakerja simulator failed');
    return sendError(reply, { status: 500, code: 'ERRPLT50001', message: 'Terjadi kesalahan pada sistem.' });
  });
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, { status: 404, code: 'ERRPLT40400', message: 'Endpoint tidak ditemukan.' }),
  );
};

export interface PrakerjaControlOptions {
  state: PrakerjaState;
}

/** Mounted at /_control/prakerja. Tokens and OTPs appear only in the POST /tokens answer. */
export const prakerjaControlRoutes: FastifyPluginAsync<PrakerjaControlOptions> = async (app, { state }) => {
  const CreateToken = z.object({
    amount: z.number().int().positive(),
    prakerja_name: requiredString.optional(),
    otp: requiredString.optional(),
  });
  const RefuseVoid = z.object({ invoice_code: invoiceCode, refusal: z.enum(VOID_REFUSAL_NAMES) });
  const Backdate = z.object({ invoice_code: invoiceCode, days: z.number().positive() });

  // Stands in for Prakerja's "send OTP" step: the participant would receive the OTP by SMS.
  app.post('/tokens', async (request, reply) => {
    const token = state.createToken(parseControlBody(CreateToken, request));
    return reply.code(201).send({
      payment_token: token.payment_token,
      otp: token.otp,
      amount: token.amount,
      prakerja_name: token.prakerja_name,
    });
  });

  app.post('/refuse-void', async (request) => {
    const { invoice_code, refusal } = parseControlBody(RefuseVoid, request);
    return { invoice_code, refusal, ...state.refuseVoid(invoice_code, refusal) };
  });

  app.post('/backdate', async (request) => {
    const { invoice_code, days } = parseControlBody(Backdate, request);
    const updated = state.backdate(invoice_code, days);
    if (updated === 0)
      throw new ControlRequestError(`no transaction for invoice_code '${invoice_code}'`, 404);
    return { invoice_code, days, updated };
  });

  app.get('/stats', async () => state.stats());

  app.get('/transactions', async (request) => {
    const query = z.object({ invoice_code: z.string().optional() }).safeParse(request.query);
    if (!query.success) throw new ControlRequestError('invalid invoice_code query parameter');
    return state.transactions(query.data.invoice_code);
  });
};

function prakerjaError(error: PrakerjaError): SimulatedResponse {
  return { status: error.status, body: { code: error.code, message: error.message, success: false } };
}

function sendError(reply: FastifyReply, error: PrakerjaError): FastifyReply {
  const { status, body } = prakerjaError(error);
  return reply.code(status).send(body);
}

/**
 * Schema failures and unreadable JSON. Like the auth refusals, this code is the sandbox's own: the
 * document refers to a general error list it does not include.
 */
function invalidRequest(what: string): PrakerjaError {
  return { status: 400, code: 'ERRPLT40001', message: `Request tidak valid: ${what}` };
}

/** Injected 5xx in the documented error shape, with a code no real response uses. */
function injectedError(status: number): unknown {
  return { code: `ERRSBX${status}01`, message: 'Gangguan sistem (fault sandbox).', success: false };
}

function validate<T extends z.ZodType>(
  schema: T,
  request: FastifyRequest,
): { ok: true; value: z.output<T> } | { ok: false; response: SimulatedResponse } {
  if (request.jsonError !== null) {
    return { ok: false, response: prakerjaError(invalidRequest('body bukan JSON yang valid')) };
  }
  const parsed = schema.safeParse(request.body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  return { ok: false, response: prakerjaError(invalidRequest(field)) };
}

/** The invoice a request is about, when it is readable at all: used for counters and fault matching. */
function invoiceCodeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>).invoice_code;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.length > 0) return value;
  return undefined;
}

function faultFields(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/**
 * The PPOB simulator's control routes, mounted at /_control/ppob: decide how transactions end,
 * how their reports (callbacks) misbehave, where reports go, what inquiry answers name the bill
 * amount, and see the books and counters.
 * Faults on the two endpoints go through the shared /_control/faults ('ppob.topup',
 * 'ppob.payment'); /_control/reset empties this simulator too.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ControlRequestError, parseControlBody } from '../control-routes';
import { POSTPAID_PRODUCTS, PREPAID_PRODUCTS } from './catalog';
import type { PpobLifecycle } from './lifecycle';
import { Refid } from './schemas';
import { CALLBACK_MODES, PPOB_OUTCOMES, type PpobState } from './state';

export interface PpobControlOptions {
  state: PpobState;
  lifecycle: PpobLifecycle;
}

const count = z.number().int().positive().max(1_000_000);

const OutcomeBody = z
  .object({
    refid: Refid.optional(),
    dest: z.string().min(1).optional(),
    outcome: z.enum(PPOB_OUTCOMES),
    failAfterPending: z.boolean().optional(),
    count: count.optional(),
  })
  .refine((b) => b.refid === undefined || b.dest === undefined, {
    message: 'give refid or dest, not both',
    path: ['refid'],
  });

const CallbacksBody = z.object({
  mode: z.enum(CALLBACK_MODES),
  delayMs: z.number().int().nonnegative().max(600_000).optional(),
  count: count.optional(),
  refid: Refid.optional(),
});

const InquiryAmountBody = z.object({
  /** A JSON key such as price or amount; null: inquiry answers carry no amount at all. */
  field: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,39}$/, 'a JSON key')
    .nullable(),
});

const CallbackUrlBody = z.object({
  url: z.url({ protocol: /^https?$/ }),
});

export const ppobControlRoutes: FastifyPluginAsync<PpobControlOptions> = async (
  app,
  { state, lifecycle },
) => {
  /**
   * With a refid that already has an unfinished transaction: that transaction ends so (201 is for
   * armed rules, 200 for an applied one). Otherwise armed for the next `count` (default 1) new
   * purchases or payments matching refid / dest / anything.
   */
  app.post('/outcome', async (request, reply) => {
    const body = parseControlBody(OutcomeBody, request);
    const failAfterPending = body.failAfterPending ?? true;
    const existing = body.refid === undefined ? undefined : state.find(body.refid);
    if (existing) {
      if (existing.kind === 'inquiry' || (existing.status !== 'Waiting' && existing.status !== 'Pending')) {
        throw new ControlRequestError(
          `transaction for refid ${existing.refid} is already ${existing.status}`,
          409,
        );
      }
      state.setOutcome(existing, body.outcome, failAfterPending);
      lifecycle.schedule(existing);
      return reply.code(200).send({ applied: 'transaction', transaction: state.list(existing.refid)[0] });
    }
    const rule = state.armOutcome({
      ...(body.refid !== undefined ? { refid: body.refid } : {}),
      ...(body.dest !== undefined ? { dest: body.dest } : {}),
      outcome: body.outcome,
      failAfterPending,
      remaining: body.refid !== undefined ? 1 : (body.count ?? 1),
    });
    return reply.code(201).send({ applied: 'armed', rule });
  });

  /**
   * With a refid: that transaction's reports (now if it exists, else when it is created). With a
   * count: the next `count` new transactions. Neither: every new transaction from now on, until
   * set back to 'normal' (which also drops armed rules without a refid).
   */
  app.post('/callbacks', async (request, reply) => {
    const body = parseControlBody(CallbacksBody, request);
    if (body.mode === 'delay' && body.delayMs === undefined) {
      throw new ControlRequestError('invalid delayMs: required for mode delay');
    }
    const plan = { mode: body.mode, delayMs: body.delayMs ?? 0 };
    const existing = body.refid === undefined ? undefined : state.find(body.refid);
    if (existing) {
      state.setCallbackPlan(existing, plan);
      return reply.code(200).send({ applied: 'transaction', refid: existing.refid, ...plan });
    }
    if (body.refid !== undefined || body.count !== undefined) {
      const rule = state.armCallbacks({
        ...(body.refid !== undefined ? { refid: body.refid } : {}),
        ...plan,
        remaining: body.refid !== undefined ? 1 : body.count!,
      });
      return reply.code(201).send({ applied: 'armed', rule });
    }
    state.setDefaultCallbacks(plan);
    return reply.code(200).send({ applied: 'default', ...plan });
  });

  app.get('/callbacks', async () => state.rules());

  /**
   * The key inquiry answers carry the bill amount under (aggregators name it differently), or
   * null for answers without any amount. Back to `price` on /_control/reset.
   */
  app.post('/inquiry-amount', async (request) => {
    const { field } = parseControlBody(InquiryAmountBody, request);
    state.setInquiryAmountField(field);
    return { field };
  });

  app.get('/inquiry-amount', async () => ({ field: state.inquiryAmountField() }));

  app.post('/callback-url', async (request) => {
    const { url } = parseControlBody(CallbackUrlBody, request);
    state.setCallbackUrl(url);
    return { url };
  });

  app.get('/callback-url', async () => ({ url: lifecycle.callbackUrl() ?? null }));

  app.get('/stats', async () => state.stats());

  app.get('/transactions', async (request) => {
    const query = z.object({ refid: Refid.optional() }).safeParse(request.query);
    if (!query.success) throw new ControlRequestError('invalid refid query parameter');
    return state.list(query.data.refid);
  });

  app.get('/catalog', async () => ({ prepaid: PREPAID_PRODUCTS, postpaid: POSTPAID_PRODUCTS }));
};

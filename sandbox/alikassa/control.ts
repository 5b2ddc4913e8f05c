/**
 * AliKassa's control routes, mounted at /_control/alikassa: the customer pays (less than the
 * amount: a partial payment), the payment expires (cancel) or fails (fail), arm a payout's
 * outcome, see the counters. Amounts here are JSON integers of rupiah.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ControlRequestError, parseControlBody } from '../control-routes';
import type { AliKassaLifecycle } from './lifecycle';
import { PAYOUT_OUTCOMES, type AliKassaState } from './state';

export interface AliKassaControlOptions {
  state: AliKassaState;
  lifecycle: AliKassaLifecycle;
}

const id = z.string().refine((s) => s.trim().length > 0, 'must not be empty');
const Pay = z.object({
  order_id: id,
  amount: z.number().int().positive().max(999_999_999).optional(),
  late: z.boolean().optional(),
});
const End = z.object({ order_id: id });
const PayoutOutcome = z.object({ order_id: id.optional(), outcome: z.enum(PAYOUT_OUTCOMES) });

export const aliKassaControlRoutes: FastifyPluginAsync<AliKassaControlOptions> = async (
  app,
  { state, lifecycle },
) => {
  // The customer pays (status paid; less than asked is partial; late pays a cancelled or failed payment).
  app.post('/pay', async (request) => {
    const { order_id, amount, late } = parseControlBody(Pay, request);
    const outcome = lifecycle.pay(
      order_id,
      amount === undefined ? undefined : amount.toFixed(2),
      late ?? false,
    );
    if (!outcome.ok) throw new ControlRequestError(outcome.message, outcome.status);
    return outcome.value;
  });

  // The payment page expired unpaid (status cancel), or the bank failed the payment (status fail).
  for (const [path, status] of [
    ['/expire', 'cancel'],
    ['/fail', 'fail'],
  ] as const) {
    app.post(path, async (request) => {
      const { order_id } = parseControlBody(End, request);
      const outcome = lifecycle.end(order_id, status);
      if (!outcome.ok) throw new ControlRequestError(outcome.message, outcome.status);
      return outcome.value;
    });
  }

  // The next payout (for order_id, or any) ends with this outcome.
  app.post('/payout-outcome', async (request, reply) => {
    const { order_id, outcome } = parseControlBody(PayoutOutcome, request);
    return reply.code(201).send(state.armPayoutOutcome(order_id, outcome));
  });

  app.get('/stats', async () => state.stats());

  app.get('/orders/:kind/:orderId', async (request) => {
    const { kind, orderId } = request.params as { kind: string; orderId: string };
    const record =
      kind === 'payment' ? state.payment(orderId) : kind === 'payout' ? state.payout(orderId) : undefined;
    if (!record) throw new ControlRequestError(`no AliKassa ${kind} '${orderId}'`, 404);
    return record;
  });
};

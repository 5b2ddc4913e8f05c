/**
 * K-Link's control routes, mounted at /_control/klink: arrange members and money, see the books
 * and the counters, expire sessions, and make pay_service_midtrans answer a documented failure.
 * Amounts here are JSON integers of rupiah (this is the sandbox's API, not K-Link's wire).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ControlRequestError, parseControlBody } from '../control-routes';
import { MIDTRANS_FAILURE_CODES } from './catalog';
import { ESCROW } from './ledger';
import type { KLinkState } from './state';
import type { KLinkWebhooks } from './webhooks';

export interface KLinkControlOptions {
  state: KLinkState;
  /** Settlement / GoPay webhooks; without it customer-pays is not offered. */
  webhooks?: KLinkWebhooks;
}

const id = z.string().refine((s) => s.trim().length > 0, 'must not be empty');
const rupiah = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const SetMember = z.object({ id_member: id, balance: rupiah.optional() });
const VaDeposit = z.object({ va_number: id, amount: rupiah.positive() });
const CustomerPays = z.object({
  order_id: id,
  amount: rupiah.positive().optional(),
  late: z.boolean().optional(),
});
const MidtransFailure = z.object({
  status_code: z.enum(MIDTRANS_FAILURE_CODES),
  order_id: id.optional(),
  count: z.number().int().positive().optional(),
});

export const klinkControlRoutes: FastifyPluginAsync<KLinkControlOptions> = async (
  app,
  { state, webhooks },
) => {
  // Creates the member if new; with `balance`, sets it exactly (SEED makes up the difference, in the journal).
  app.post('/members', async (request, reply) => {
    const { id_member, balance } = parseControlBody(SetMember, request);
    const result = state.setMember(id_member, balance);
    return reply.code(result.created ? 201 : 200).send({ id_member, ...result });
  });

  app.get('/members/:id', async (request) => {
    const { id: idMember } = request.params as { id: string };
    const member = state.member(idMember);
    if (!member) throw new ControlRequestError(`no member '${idMember}'`, 404);
    return {
      id_member: member.id_member,
      balance: member.balance,
      name: member.name,
      hp: member.hp,
      email: member.email,
      va_numbers: member.va?.numbers ?? null,
    };
  });

  // A customer paid into one of a member's K-Wallet VAs (BANK -> member).
  app.post('/va-deposits', async (request, reply) => {
    const { va_number, amount } = parseControlBody(VaDeposit, request);
    const deposit = state.vaDeposit(va_number, amount);
    if (!deposit) throw new ControlRequestError(`no member has VA '${va_number}'`, 404);
    return reply.code(201).send({
      id_member: deposit.id_member,
      bank_code: deposit.bank_code,
      id_trans: deposit.entry.id,
      balance: state.balanceOf(deposit.id_member),
    });
  });

  app.get('/ledger', async () => {
    const audit = state.ledger.audit();
    return {
      entries: state.ledger.allEntries(),
      balances: state.ledger.allBalances(),
      balanced: audit.balanced,
      problems: audit.problems,
      escrow: state.ledger.balance(ESCROW),
    };
  });

  app.get('/stats', async () => state.stats());

  app.post('/expire-tokens', async () => ({ expired: state.expireTokens() }));

  // Payment-service orders (pay_service and pay_service_midtrans), for the settlement webhooks to come.
  app.get('/orders', async (request) => {
    const query = z.object({ order_id: z.string().optional() }).safeParse(request.query);
    if (!query.success) throw new ControlRequestError('invalid order_id query parameter');
    return state.orders.list(query.data.order_id);
  });

  // The next pay_service_midtrans (for order_id, or any) answers this documented status_code, `count` times.
  app.post('/midtrans-failures', async (request, reply) => {
    const { status_code, order_id, count } = parseControlBody(MidtransFailure, request);
    return reply.code(201).send(state.orders.armMidtransFailure(status_code, order_id, count ?? 1));
  });

  app.get('/midtrans-failures', async () => state.orders.midtransFailureList());

  // The customer pays a pay_service / pay_service_midtrans order (default: exactly what it asked):
  // BANK or MIDTRANS -> MERCHANT in the books, the order settled, the signed webhook sent.
  app.post('/customer-pays', async (request, reply) => {
    if (!webhooks) throw new ControlRequestError('K-Link webhooks are not configured', 404);
    const { order_id, amount, late } = parseControlBody(CustomerPays, request);
    const outcome = webhooks.customerPays(order_id, amount, late ?? false);
    if (!outcome.ok) throw new ControlRequestError(outcome.message, outcome.status);
    return reply.code(201).send({
      order_id,
      amount: outcome.order.paid?.amount,
      late: outcome.order.paid?.late,
      id_trans: outcome.id_trans,
      webhook: outcome.webhook,
      body: outcome.body,
      webhooks: outcome.webhooks,
    });
  });
};

/**
 * Midtrans' side of a GoPay charge, as far as the actions of pay_service_midtrans reach it:
 * mounted under /midtrans, so with klink.midtransBaseUrl set the get-status and cancel actions
 * K-Link hands out are callable against the sandbox itself.
 *
 *   GET  /midtrans/v2/:id/status   the charge's transaction_status
 *   POST /midtrans/v2/:id/cancel   cancel a pending charge (412 once it is paid)
 *
 * :id is the Midtrans transaction_id of a pay_service_midtrans order. Authentication as Midtrans
 * does it: HTTP Basic, username = the server key, empty password. Status codes are strings in
 * the body (Midtrans' style), and the HTTP status matches them for errors.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { MIDTRANS_MERCHANT_ID } from './catalog';
import { rupiahDecimal, wibDateTime } from './format';
import type { ServiceOrder } from './service-orders';
import type { KLinkState } from './state';

export interface MidtransRoutesOptions {
  state: KLinkState;
  /** The server key Basic auth must carry as username. */
  serverKey: string;
}

const ACCESS_DENIED = { status_code: '401', status_message: 'Access denied' } as const;
const NOT_FOUND = { status_code: '404', status_message: "Transaction doesn't exist." } as const;
const CANNOT_MODIFY = {
  status_code: '412',
  status_message: 'Merchant cannot modify the status of the transaction',
} as const;

export const midtransRoutes: FastifyPluginAsync<MidtransRoutesOptions> = async (
  app,
  { state, serverKey },
) => {
  /** The authenticated request's order, or undefined after the refusal was sent. */
  const orderOf = (request: FastifyRequest, reply: FastifyReply): ServiceOrder | undefined => {
    if (!authorized(request.headers.authorization, serverKey)) {
      void reply.code(401).send(ACCESS_DENIED);
      return undefined;
    }
    const { id } = request.params as { id: string };
    const order = state.orders.byTransactionId(id);
    if (!order) void reply.code(404).send(NOT_FOUND);
    return order;
  };

  app.get('/v2/:id/status', async (request, reply) => {
    const order = orderOf(request, reply);
    if (!order) return reply;
    return reply.code(200).send(statusBody(order));
  });

  app.post('/v2/:id/cancel', async (request, reply) => {
    const order = orderOf(request, reply);
    if (!order) return reply;
    if (order.status === 'settled' || order.status === 'failed' || order.paid) {
      return reply.code(412).send(CANNOT_MODIFY);
    }
    // Cancelling a cancelled charge answers the same as the first time.
    const cancelled = order.status === 'cancelled' ? order : state.orders.markCancelled(order.order_id);
    return reply
      .code(200)
      .send({ ...statusBody(cancelled), status_message: 'Success, transaction is canceled' });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply
        .code(error.statusCode)
        .send({ status_code: String(error.statusCode), status_message: error.message });
    }
    request.log.error({ err: error }, 'midtrans simulator failed');
    return reply.code(500).send({ status_code: '500', status_message: 'Internal server error' });
  });
  app.setNotFoundHandler((_request, reply: FastifyReply) => reply.code(404).send(NOT_FOUND));
};

/** Midtrans' transaction_status and body status_code for the order's state. */
function midtransState(order: ServiceOrder): { status_code: string; transaction_status: string } {
  if (order.status === 'settled' || order.paid)
    return { status_code: '200', transaction_status: 'settlement' };
  if (order.status === 'cancelled') return { status_code: '200', transaction_status: 'cancel' };
  if (order.status === 'failed') return { status_code: '202', transaction_status: 'deny' };
  return { status_code: '201', transaction_status: 'pending' };
}

function statusBody(order: ServiceOrder): Record<string, unknown> {
  const { status_code, transaction_status } = midtransState(order);
  return {
    status_code,
    status_message: 'Success, transaction is found',
    transaction_id: order.transaction_id,
    order_id: order.order_id,
    merchant_id: MIDTRANS_MERCHANT_ID,
    gross_amount: rupiahDecimal(order.total_bayar),
    currency: 'IDR',
    payment_type: 'gopay',
    transaction_time: wibDateTime(order.created_at),
    transaction_status,
    fraud_status: 'accept',
  };
}

/** `Authorization: Basic base64(serverKey + ':')`: the key as username, the password empty. */
function authorized(header: string | undefined, serverKey: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const keyOk = secretEquals(decoded.slice(0, colon), serverKey);
  return keyOk && decoded.slice(colon + 1) === '';
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

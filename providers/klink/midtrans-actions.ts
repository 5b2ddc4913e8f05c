/**
 * The Midtrans "actions" K-Link returns with a GoPay charge (section 3c): `get-status` and
 * `cancel` are Midtrans API URLs, authenticated the Midtrans way (HTTP Basic, username = the
 * server key, empty password). The document does not say who holds that key; paysaga calls the
 * actions only when MIDTRANS_SERVER_KEY is configured, and otherwise relies on the webhook and
 * lets an unpaid GoPay charge expire at Midtrans by itself.
 */
import { z } from 'zod';
import { sendSignedRequest } from '../http/signed-request';
import { ProviderProtocolError } from '../http/errors';
import type { ProviderState } from '../../workflows/saga-definitions';
import { parseRupiah } from './money';
import { midtransState } from './states';

const StatusBody = z
  .object({
    status_code: z.union([z.string(), z.number()]).transform(String),
    transaction_status: z.string().optional(),
    status_message: z.string().optional(),
    gross_amount: z.union([z.string(), z.number()]).optional(),
  })
  .loose();

export interface MidtransStatus {
  /** What transaction_status means for the money (states.ts); unknown for a word not listed. */
  state: ProviderState;
  transactionStatus?: string;
  grossAmount?: number;
}

export interface MidtransActions {
  status(url: string): Promise<MidtransStatus>;
  /** 'already-paid' when Midtrans refuses because the customer has paid (412). */
  cancel(url: string): Promise<'cancelled' | 'already-paid'>;
}

export function createMidtransActions(config: { serverKey: string; timeoutMs: number }): MidtransActions {
  const authorization = `Basic ${Buffer.from(`${config.serverKey}:`).toString('base64')}`;
  async function call(operation: string, method: 'GET' | 'POST', url: string) {
    const target = new URL(url);
    const res = await sendSignedRequest({
      provider: 'midtrans',
      operation,
      baseUrl: target.origin,
      method,
      path: target.pathname,
      body: method === 'POST' ? {} : undefined,
      sign: () => ({ Authorization: authorization }),
      timeoutMs: config.timeoutMs,
      secrets: [config.serverKey, authorization],
    });
    const parsed = StatusBody.safeParse(res.json);
    if (!parsed.success)
      throw new ProviderProtocolError(
        'midtrans',
        operation,
        res.status,
        `HTTP ${res.status}: unexpected body`,
      );
    return { http: res.status, body: parsed.data };
  }
  return {
    async status(url) {
      const { http, body } = await call('get-status', 'GET', url);
      if (http >= 400)
        throw new ProviderProtocolError(
          'midtrans',
          'get-status',
          http,
          `${body.status_code} ${body.status_message ?? ''}`,
        );
      return {
        state: midtransState(body.transaction_status),
        transactionStatus: body.transaction_status,
        grossAmount: body.gross_amount === undefined ? undefined : parseRupiah(body.gross_amount),
      };
    },
    async cancel(url) {
      const { http, body } = await call('cancel', 'POST', url);
      if (http === 412 || body.status_code === '412') return 'already-paid';
      if (http >= 400)
        throw new ProviderProtocolError(
          'midtrans',
          'cancel',
          http,
          `${body.status_code} ${body.status_message ?? ''}`,
        );
      return 'cancelled';
    },
  };
}

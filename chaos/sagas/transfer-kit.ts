/**
 * What the transfer and payout chaos modules share: the shapes the sandbox's control API answers
 * with for K-Link's payment-service orders, AliKassa's payments and payouts and the webhook
 * sender's records (read from sandbox/klink/service-orders.ts, sandbox/klink/ledger.ts,
 * sandbox/alikassa/state.ts and sandbox/webhooks.ts), how a payer or operator waits for a
 * payment's view, and how a webhook is replayed or forged through the sandbox's sender.
 */
import { ALIKASSA_SANDBOX_DEFAULTS } from '../../sandbox/alikassa/routes';
import { unmatchedReportWorkflowId } from '../../workflows/unmatched-report';
import { GatewayError, type DriveContext, type Http } from '../types';

// ---- the sandbox's books, as its control API answers ----

/** GET /_control/klink/orders: one pay_service / pay_service_midtrans order. */
export interface KLinkServiceOrder {
  order_id: string;
  variant: 'va' | 'manual' | 'card' | 'midtrans';
  rq_uuid: string;
  rq_datetime: string;
  nominal: number;
  pay_ship: number;
  /** What the customer must pay (a manual transfer's kode_unik included). */
  total_bayar: number;
  kd_pay: string;
  kode_unik: number | null;
  norek: string | null;
  transaction_id: string | null;
  status: 'pending' | 'settled' | 'failed' | 'cancelled';
  created_at: number;
  paid?: { amount: number; at: number; id_trans: number; late: boolean } | null;
  cancelled_at?: number | null;
}

/** GET /_control/klink/ledger: the journal (only what these modules read). */
export interface KLinkLedger {
  entries: Array<{
    id: number;
    at: number;
    kind: string;
    description: string;
    id_order: string | null;
    lines: Array<{ account: string; debit: number; credit: number }>;
  }>;
}

/** GET /_control/alikassa/orders/payment/:orderId. */
export interface AliKassaPaymentRecord {
  id: number;
  order_id: string;
  /** Decimal strings, "150000.00". */
  amount: string;
  paid_amount: string | null;
  service: string;
  payment_status: 'wait' | 'paid' | 'cancel' | 'fail';
  late: boolean;
  desc: string;
}

/** GET /_control/alikassa/orders/payout/:orderId. */
export interface AliKassaPayoutRecord {
  id: number;
  order_id: string;
  amount: string;
  service: string;
  customer_code: string;
  payment_status: 'wait' | 'paid' | 'cancel' | 'fail';
  outcome: 'paid' | 'cancel' | 'fail';
}

/** GET /_control/alikassa/stats: create requests (refused ones too) and the record's status, per order. */
export interface AliKassaStats {
  payments: { byOrder: Record<string, { creates: number; status: string | null }> };
  payouts: { byOrder: Record<string, { creates: number; status: string | null }> };
}

/** GET /_control/webhooks: every webhook the sandbox sent (or held, or dropped). */
export interface WebhookRecord {
  id: string;
  name: string;
  simulator: 'klink' | 'alikassa';
  orderId: string | null;
  mode: string;
  state: string;
  delivered: boolean;
  body: string;
}
export interface WebhookStats {
  webhooks: WebhookRecord[];
}

/** The settlement journal entries K-Link made for an order (control customer-pays). */
export const isSettlement = (e: KLinkLedger['entries'][number]) =>
  e.id_order !== null && e.description.startsWith('Settlement ');

/** AliKassa's decimal string as integer rupiah (the engine's unit). */
export const rupiahOf = (decimal: string | null | undefined): number | undefined =>
  decimal === null || decimal === undefined ? undefined : Math.round(Number(decimal));

/** A control GET that answers 404 for what the sandbox does not have: undefined then. */
export async function controlOrAbsent<T>(http: Http, path: string): Promise<T | undefined> {
  try {
    return await http.control<T>(path);
  } catch (err) {
    if (err instanceof Error && /-> HTTP 404\b/.test(err.message)) return undefined;
    throw err;
  }
}

// ---- the engine's side ----

/** The fields of a payment's view these modules read. */
export interface ViewLike {
  status?: string;
  review?: { reason: string; actions: string[] };
  webhooks?: Array<{ provider: string; reference: string; status: string }>;
  paidAmount?: number;
  providerId?: string;
  providerStatus?: string;
  reports?: Array<{ reference?: string; status: string; amount?: number }>;
}

/** GET /v1/payments/:id; undefined when the engine has no such payment (404). */
export async function viewOf(
  http: Http,
  workflowId: string,
  retryForMs = 20_000,
): Promise<ViewLike | undefined> {
  try {
    return await http.gateway<ViewLike>(
      'GET',
      `/payments/${encodeURIComponent(workflowId)}`,
      undefined,
      retryForMs,
    );
  } catch (err) {
    if (err instanceof GatewayError && err.status === 404) return undefined;
    throw err;
  }
}

/** The unmatched report the gateway filed for money on this key, if it filed one. */
export const reportOf = (http: Http, provider: string, key: string) =>
  viewOf(http, unmatchedReportWorkflowId(provider, key), 60_000);

/**
 * Polls a payment's view (as a payer's app would) until its status is one of `wanted` or one of
 * `stopAt`, or `withinMs` passed. Returns the last view seen (undefined if none). A read that
 * fails (the gateway restarting) is simply tried again.
 */
export async function waitForStatus(
  ctx: DriveContext,
  workflowId: string,
  wanted: readonly string[],
  withinMs: number,
  stopAt: readonly string[] = [],
): Promise<ViewLike | undefined> {
  const until = Date.now() + withinMs;
  let last: ViewLike | undefined;
  for (;;) {
    try {
      last = (await viewOf(ctx.http, workflowId, Math.max(1_000, until - Date.now()))) ?? last;
    } catch {
      // No answer this time: the next look may have one.
    }
    const status = last?.status ?? '';
    if (wanted.includes(status) || stopAt.includes(status) || Date.now() >= until) return last;
    await ctx.sleep(1_000);
  }
}

/** A message for a mark: short, one line. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

// ---- webhooks: the real ones, replayed; forged ones ----

/** Where each webhook the sandbox sends is posted at the gateway (sandbox/klink/webhooks.ts, alikassa/lifecycle.ts). */
export const WEBHOOK_PATHS: Record<string, string> = {
  'klink.settlement': '/webhooks/klink/settlement',
  'klink.gopay': '/webhooks/klink/gopay',
  'alikassa.payment': '/webhooks/alikassa/payment',
  'alikassa.payout': '/webhooks/alikassa/payout',
};

/** The sandbox's first delivered webhook of this kind for this order, once there is one. */
export async function deliveredWebhook(
  ctx: DriveContext,
  orderId: string,
  name: string,
  withinMs: number,
): Promise<WebhookRecord | undefined> {
  const until = Date.now() + withinMs;
  for (;;) {
    const stats = await ctx.http.control<WebhookStats>('webhooks');
    const found = stats.webhooks.find((w) => w.orderId === orderId && w.name === name && w.delivered);
    if (found || Date.now() >= until) return found;
    await ctx.sleep(1_000);
  }
}

/**
 * What send-raw needs to send the same webhook again, signed validly: a K-Link body as it was;
 * an AliKassa query without its `sign` (send-raw signs the parameters again, as AliKassa did).
 */
export function replayBody(record: WebhookRecord): string {
  if (record.simulator !== 'alikassa') return record.body;
  const params = new URLSearchParams(record.body);
  params.delete('sign');
  return params.toString();
}

/**
 * The provider's own reference for a webhook, as the gateway derives it (gateway/webhooks.ts):
 * a settlement's rq_uuid, a GoPay notification's id_trans, AliKassa's `<id>-<status>`.
 */
export function webhookReference(record: Pick<WebhookRecord, 'name' | 'body'>): string | undefined {
  try {
    if (record.name === 'klink.settlement')
      return String((JSON.parse(record.body) as { rq_uuid: unknown }).rq_uuid);
    if (record.name === 'klink.gopay')
      return String((JSON.parse(record.body) as { id_trans: unknown }).id_trans);
    const q = new URLSearchParams(record.body);
    const id = q.get('id');
    const status = q.get('payment_status');
    return id && status ? `${id}-${status}` : undefined;
  } catch {
    return undefined;
  }
}

export const FORGED_SIGNS = ['other-key', 'bad', 'none'] as const;
export type ForgedSign = (typeof FORGED_SIGNS)[number];

/** An AliKassa notification's fields, in the order AliKassa sends them (its `sign` added by send-raw). */
export function aliKassaQuery(fields: {
  type: 'payment' | 'payout';
  id: number | string;
  orderId: string;
  status: string;
  amount: string;
  paymentAmount: string;
  service: string;
  desc: string;
}): string {
  return new URLSearchParams([
    ['type', fields.type],
    ['id', String(fields.id)],
    ['order_id', fields.orderId],
    ['payment_status', fields.status],
    ['amount', fields.amount],
    ['payment_amount', fields.paymentAmount],
    ['commission_amount', '0.00'],
    ['is_partial_payment', '0'],
    // The sandbox's merchant account: an attacker who saw one genuine notification knows it.
    ['account', ALIKASSA_SANDBOX_DEFAULTS.account],
    ['service', fields.service],
    ['desc', fields.desc],
  ]).toString();
}

/** send-raw: a hand-made webhook through the sandbox's sender, signed as asked. */
export function sendRaw(
  http: Http,
  raw: {
    simulator: 'klink' | 'alikassa';
    path: string;
    body: string;
    sign: ForgedSign | 'valid';
    orderId?: string;
  },
) {
  return http.control<{ webhooks: string[] }>('webhooks/send-raw', raw);
}

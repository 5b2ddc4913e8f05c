/**
 * Pay by transfer under faults: a customer pays (or does not, or too late, or too little) at
 * K-Link (VA, manual transfer, card page, GoPay) or AliKassa, and only a verified webhook tells
 * the engine. Around its own payments this module also forges webhooks (another key, a tampered
 * signature, none), replays genuine ones, and has an operator resolve a review at the moment the
 * payment's webhook arrives.
 *
 * Reconcile reads K-Link's payment-service orders and journal and AliKassa's payments, and holds
 * each payment to its status: PAID means the full amount arrived exactly once; EXPIRED or FAILED
 * means nothing arrived, or what arrived is kept in an unmatched report for an operator
 * (workflows/unmatched-report.ts); money for an order no payment carries is lost unless such a
 * report holds it. A forged webhook must never make a payment PAID, and a replayed one must
 * never be filed again or change what the payment said.
 */
import {
  TRANSFER_METHODS,
  transferWorkflowId,
  type TransferMethod,
} from '../../workflows/transfer-definitions';
import type { Rng } from '../random';
import {
  GatewayError,
  type ChaosSaga,
  type DriveContext,
  type EndedPayment,
  type Finding,
  type Http,
  type Payment,
} from '../types';
import {
  aliKassaQuery,
  controlOrAbsent,
  deliveredWebhook,
  errorText,
  FORGED_SIGNS,
  isSettlement,
  replayBody,
  reportOf,
  rupiahOf,
  sendRaw,
  waitForStatus,
  webhookReference,
  WEBHOOK_PATHS,
  type AliKassaPaymentRecord,
  type AliKassaStats,
  type KLinkLedger,
  type KLinkServiceOrder,
  type ViewLike,
  type WebhookRecord,
  type WebhookStats,
} from './transfer-kit';
import { inBatches, safeId, weighted } from './drive-kit';
import { ALIKASSA_PRODUCT, KLINK_PRODUCTS } from '../../scripts/demo';

/** What happens to one payment; the weights below make the mix. */
export type TransferVariant =
  /** Paid as asked: PAID. */
  | 'paid'
  /** Paid as asked, then its delivered webhook sent again, validly signed. */
  | 'replay'
  /** Parked (or waiting), then an operator resolves it as the customer's payment arrives. */
  | 'race'
  /** Never paid: EXPIRED. */
  | 'expire'
  /** Never paid, and a forged "paid" webhook sent for it (or for an order nobody created). */
  | 'forged'
  /** Paid after it expired: EXPIRED, and an unmatched report keeps the money. */
  | 'late'
  /** A manual transfer without its kode_unik, an AliKassa partial payment: NEEDS_REVIEW. */
  | 'short'
  /** AliKassa ends the payment itself (page expired, bank failed it): EXPIRED. */
  | 'provider-ends';

/** Mostly the happy path; every branch the demo shows, and the faults only this module makes. */
const COMMON_WEIGHTS: ReadonlyArray<readonly [TransferVariant, number]> = [
  ['paid', 55],
  ['replay', 9],
  ['race', 8],
  ['expire', 7],
  ['forged', 8],
  ['late', 7],
];
const METHOD_WEIGHTS: Partial<Record<TransferMethod, ReadonlyArray<readonly [TransferVariant, number]>>> = {
  'klink-manual': [['short', 10]],
  alikassa: [
    ['short', 8],
    ['provider-ends', 6],
  ],
};

const CUSTOMERS = [
  { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' },
  { fullname: 'Siti Aminah', phone: '081298765432', email: 'siti@example.test' },
  { fullname: 'Agus Wibowo', phone: '085711223344', email: 'agus@example.test' },
];

/** Variants that never pay in time expire soon (the input's minimum is 10 s). */
const SHORT_EXPIRY: readonly TransferVariant[] = ['expire', 'forged', 'late', 'provider-ends'];
/** Marks reconcile reads. */
export const MARK = {
  forged: 'forged',
  replayed: 'replayed',
  race: 'operator-race',
  /** The operator's mark-paid was accepted: a short amount is then the operator's decision. */
  markedPaid: 'review-accepted:mark-paid',
} as const;

export const providerOf = (method: string): 'klink' | 'alikassa' =>
  method === 'alikassa' ? 'alikassa' : 'klink';

export const pickVariant = (rng: Rng, method: TransferMethod): TransferVariant =>
  weighted(rng, [...COMMON_WEIGHTS, ...(METHOD_WEIGHTS[method] ?? [])]);

// ---- drive ----

interface Started {
  ctx: DriveContext;
  payment: Payment;
  method: TransferMethod;
  orderId: string;
  amount: number;
}

async function drive(ctx: DriveContext, methodName: string): Promise<Payment> {
  if (!(TRANSFER_METHODS as readonly string[]).includes(methodName))
    throw new Error(`transfer: no method '${methodName}' (one of ${TRANSFER_METHODS.join(', ')})`);
  const method = methodName as TransferMethod;
  const variant = pickVariant(ctx.rng, method);
  const orderId = safeId('CH-TR-', ctx.id);
  const amount = ctx.rng.int(10, 500) * 1_000;
  // Paid variants still expire within a minute: a webhook the campaign drops ends it EXPIRED, not waiting.
  const expirySeconds = SHORT_EXPIRY.includes(variant) ? ctx.rng.int(10, 15) : ctx.rng.int(40, 55);
  const payment: Payment = {
    saga: 'transfer',
    method,
    workflowId: transferWorkflowId(orderId),
    refs: { orderId, provider: providerOf(method), amount, variant, expirySeconds },
    marks: [],
  };
  const body = {
    orderId,
    method,
    amount,
    customer: ctx.rng.pick(CUSTOMERS),
    ...(method === 'alikassa' ? ALIKASSA_PRODUCT : KLINK_PRODUCTS[method]),
    expirySeconds,
  };
  let status: string | undefined;
  try {
    status = (await ctx.http.gateway<{ workflowId: string; status: string }>('POST', '/transfers', body))
      .status;
  } catch (err) {
    payment.startError = errorText(err);
    return payment;
  }
  const t: Started = { ctx, payment, method, orderId, amount };
  try {
    if (status !== 'AWAITING_PAYMENT') {
      const view = await waitForStatus(ctx, payment.workflowId, ['AWAITING_PAYMENT'], 30_000, [
        'PAID',
        'EXPIRED',
        'FAILED',
        'NEEDS_REVIEW',
      ]);
      status = view?.status;
    }
    // No instructions, no payer: a customer pays only what the merchant showed.
    if (status !== 'AWAITING_PAYMENT') {
      payment.marks.push(`not-paid: the payment was ${status ?? 'not visible'} instead of AWAITING_PAYMENT`);
      return payment;
    }
    await VARIANTS[variant](t);
  } catch (err) {
    payment.marks.push(`error: ${errorText(err)}`);
  }
  return payment;
}

const VARIANTS: Record<TransferVariant, (t: Started) => Promise<void>> = {
  paid: async (t) => {
    await t.ctx.sleep(t.ctx.rng.int(200, 3_000));
    await customerPays(t);
  },
  replay: async (t) => {
    await t.ctx.sleep(t.ctx.rng.int(200, 2_000));
    if (!(await customerPays(t))) return;
    await replay(t);
  },
  race: (t) => operatorRace(t),
  expire: async (t) => {
    await t.ctx.sleep(t.ctx.rng.int(500, 3_000));
  },
  forged: async (t) => {
    await t.ctx.sleep(t.ctx.rng.int(200, 2_000));
    await forge(t);
  },
  late: async (t) => {
    const expirySeconds = Number(t.payment.refs.expirySeconds);
    const view = await waitForStatus(
      t.ctx,
      t.payment.workflowId,
      ['EXPIRED'],
      expirySeconds * 1_000 + 25_000,
      ['PAID', 'FAILED', 'NEEDS_REVIEW'],
    );
    if (view?.status !== 'EXPIRED') {
      t.payment.marks.push(`late-pay-skipped: the payment was ${view?.status ?? 'not visible'}, not EXPIRED`);
      return;
    }
    await t.ctx.sleep(t.ctx.rng.int(200, 1_500));
    await customerPays(t, { late: true });
  },
  short: async (t) => {
    await t.ctx.sleep(t.ctx.rng.int(200, 2_000));
    // Manual: the price without its kode_unik. AliKassa: part of it (a partial payment).
    const amount = t.method === 'alikassa' ? t.ctx.rng.int(1, t.amount / 1_000 - 1) * 1_000 : t.amount;
    await customerPays(t, { amount });
  },
  'provider-ends': async (t) => {
    await t.ctx.sleep(t.ctx.rng.int(200, 2_000));
    const how = t.ctx.rng.chance(0.5) ? 'expire' : 'fail';
    t.payment.marks.push(`alikassa-${how}`);
    await t.ctx.http.control(`alikassa/${how}`, { order_id: t.orderId }).catch((err: unknown) => {
      t.payment.marks.push(`alikassa-${how}-refused: ${errorText(err)}`);
    });
  },
};

/** The customer pays at the provider (default: exactly what was asked); its simulator then notifies. */
async function customerPays(t: Started, more: { amount?: number; late?: boolean } = {}): Promise<boolean> {
  const path = t.method === 'alikassa' ? 'alikassa/pay' : 'klink/customer-pays';
  try {
    await t.ctx.http.control(path, { order_id: t.orderId, ...more });
    t.payment.marks.push(`customer-paid${more.amount ? ` ${more.amount}` : ''}${more.late ? ' late' : ''}`);
    return true;
  } catch (err) {
    t.payment.marks.push(`customer-pay-refused: ${errorText(err)}`);
    return false;
  }
}

/**
 * A genuine webhook delivered again, validly signed: once the payment is PAID and the sandbox
 * shows the webhook delivered, its very bytes (an AliKassa query re-signed over the same fields)
 * go out once or twice more.
 */
async function replay(t: Started): Promise<void> {
  const view = await waitForStatus(t.ctx, t.payment.workflowId, ['PAID'], 25_000, [
    'EXPIRED',
    'FAILED',
    'NEEDS_REVIEW',
  ]);
  // Only a PAID payment's webhook is replayed: PAID is final, so nothing may change it after.
  if (view?.status !== 'PAID') {
    t.payment.marks.push(`replay-skipped: the payment was ${view?.status ?? 'not visible'}, not PAID`);
    return;
  }
  const name =
    t.method === 'alikassa'
      ? 'alikassa.payment'
      : t.method === 'klink-gopay'
        ? 'klink.gopay'
        : 'klink.settlement';
  const record = await deliveredWebhook(t.ctx, t.orderId, name, 10_000);
  const reference = record && webhookReference(record);
  if (!record || !reference) {
    t.payment.marks.push(`replay-skipped: no delivered ${name} webhook`);
    return;
  }
  t.payment.refs.replayedReference = reference;
  t.payment.refs.replayedAtStatus = view.status;
  t.payment.marks.push(MARK.replayed);
  t.ctx.fault('webhook-replayed');
  const copies = t.ctx.rng.int(1, 2);
  for (let i = 0; i < copies; i++) {
    await t.ctx.sleep(t.ctx.rng.int(100, 1_500));
    await sendRaw(t.ctx.http, {
      simulator: record.simulator,
      path: WEBHOOK_PATHS[name]!,
      body: replayBody(record),
      sign: 'valid',
      orderId: t.orderId,
    });
  }
}

/**
 * A "paid" webhook the customer never earned: for this (unpaid) order, with every field right
 * but the signature (another key, a tampered one, none); sometimes for an order nobody created.
 */
async function forge(t: Started): Promise<void> {
  const sign = t.ctx.rng.pick(FORGED_SIGNS);
  const ghost = t.ctx.rng.chance(0.3);
  const orderId = ghost ? safeId('CH-GHOST-', t.ctx.id) : t.orderId;
  const raw =
    t.method === 'alikassa' ? await forgedAliKassa(t, orderId, ghost) : await forgedKLink(t, orderId, ghost);
  t.payment.marks.push(MARK.forged);
  t.payment.refs.forgedSign = sign;
  if (ghost) t.payment.refs.ghostOrderId = orderId;
  t.ctx.fault('webhook-forged');
  await sendRaw(t.ctx.http, { ...raw, sign, orderId });
}

async function forgedKLink(t: Started, orderId: string, ghost: boolean) {
  const [order] = ghost
    ? []
    : await t.ctx.http.control<KLinkServiceOrder[]>(`klink/orders?order_id=${encodeURIComponent(orderId)}`);
  const rqDatetime = order?.rq_datetime ?? new Date().toISOString().replace('T', ' ').slice(0, 19);
  if (t.method === 'klink-gopay') {
    return {
      simulator: 'klink' as const,
      path: WEBHOOK_PATHS['klink.gopay']!,
      body: JSON.stringify({
        status: 'success',
        message: 'transaction success!',
        id_trans: String(t.ctx.rng.int(900_000, 999_999)),
        rq_datetime: rqDatetime,
        order_id: orderId,
        transaction: 'gopay',
      }),
    };
  }
  return {
    simulator: 'klink' as const,
    path: WEBHOOK_PATHS['klink.settlement']!,
    body: JSON.stringify({
      status: 'success',
      message: 'transaction success!',
      rq_uuid: order?.rq_uuid ?? orderId,
      rq_datetime: rqDatetime,
      order_id: orderId,
      kd_pay: order?.kd_pay ?? String(t.ctx.rng.int(1, 999)),
      tot_bayar: String(order?.total_bayar ?? t.amount),
      norek: order?.norek ?? '-',
      transaction:
        t.method === 'klink-manual' ? 'mandiri_manual' : t.method === 'klink-card' ? 'multipayment' : 'va',
    }),
  };
}

async function forgedAliKassa(t: Started, orderId: string, ghost: boolean) {
  const record = ghost
    ? undefined
    : await controlOrAbsent<AliKassaPaymentRecord>(
        t.ctx.http,
        `alikassa/orders/payment/${encodeURIComponent(orderId)}`,
      );
  const amount = record?.amount ?? `${t.amount}.00`;
  return {
    simulator: 'alikassa' as const,
    path: WEBHOOK_PATHS['alikassa.payment']!,
    body: aliKassaQuery({
      type: 'payment',
      id: record?.id ?? t.ctx.rng.int(108_000_000, 108_999_999),
      orderId,
      status: 'paid',
      amount,
      paymentAmount: amount,
      service: record?.service ?? ALIKASSA_PRODUCT.service,
      desc: record?.desc ?? `Pembayaran pesanan ${orderId}`,
    }),
  };
}

/**
 * An operator resolves a review at the moment the customer's payment webhook arrives. K-Link
 * payments are first parked by a validly signed webhook with a word the engine does not know (it
 * parks, still listening for the payment); the operator then picks one of the actions the review
 * offers while the customer pays. AliKassa has nothing to park on (its status call decides every
 * word): there the operator's mark-paid races a payment still waiting, and is refused (409).
 */
async function operatorRace(t: Started): Promise<void> {
  const { ctx, payment } = t;
  let actions = ['mark-paid'];
  if (t.method !== 'alikassa') {
    await holdByUnknownWord(t);
    const view = await waitForStatus(ctx, payment.workflowId, ['NEEDS_REVIEW'], 10_000, [
      'PAID',
      'EXPIRED',
      'FAILED',
    ]);
    if (view?.status === 'NEEDS_REVIEW' && view.review?.actions.length) actions = view.review.actions;
    else payment.marks.push(`race-not-parked: ${view?.status ?? 'no view'}`);
  }
  const action = ctx.rng.pick(actions);
  payment.marks.push(MARK.race);
  ctx.fault('operator-race');
  const operator = async () => {
    await ctx.sleep(ctx.rng.int(0, 300));
    try {
      await ctx.http.gateway('POST', `/payments/${payment.workflowId}/review`, {
        action,
        operator: 'chaos-operator',
        note: `checked the bank statement: ${action}`,
      });
      payment.marks.push(`review-accepted:${action}`);
    } catch (err) {
      // 409: not in review (any more): the webhook won the race, as it may.
      payment.marks.push(
        err instanceof GatewayError ? `review-refused:${err.status}` : `review-error: ${errorText(err)}`,
      );
    }
  };
  const customer = async () => {
    await ctx.sleep(ctx.rng.int(0, 300));
    await customerPays(t);
  };
  await Promise.all([operator(), customer()]);
}

/** A genuine-looking K-Link webhook (valid signature) with a word the engine does not know: it parks. */
async function holdByUnknownWord(t: Started): Promise<void> {
  const [order] = await t.ctx.http.control<KLinkServiceOrder[]>(
    `klink/orders?order_id=${encodeURIComponent(t.orderId)}`,
  );
  if (!order) return;
  const gopay = t.method === 'klink-gopay';
  const body = gopay
    ? {
        status: 'processing',
        message: 'in process',
        id_trans: `hold-${order.kd_pay}`,
        rq_datetime: order.rq_datetime,
        order_id: t.orderId,
        transaction: 'gopay',
      }
    : {
        status: 'processing',
        message: 'in process',
        rq_uuid: `hold-${order.rq_uuid}`,
        rq_datetime: order.rq_datetime,
        order_id: t.orderId,
        kd_pay: order.kd_pay,
        tot_bayar: '-',
        norek: order.norek ?? '-',
      };
  t.payment.marks.push('held-by-unknown-word');
  await sendRaw(t.ctx.http, {
    simulator: 'klink',
    path: WEBHOOK_PATHS[gopay ? 'klink.gopay' : 'klink.settlement']!,
    body: JSON.stringify(body),
    sign: 'valid',
    orderId: t.orderId,
  });
}

// ---- reconcile ----

/** What one provider's books say about one order. */
export interface OrderMoney {
  provider: 'klink' | 'alikassa';
  /** The provider has the order at all. */
  known: boolean;
  /** Payments that arrived for it (K-Link: settlement entries; AliKassa: 0 or 1). */
  paidCount: number;
  paidAmount?: number;
  /** What the provider asked the customer for. */
  asked?: number;
  late?: boolean;
  /** The book entries, for the finding's detail. */
  seen: string;
}

/** Everything reconcile reads from the sandbox, once. */
export interface TransferBooks {
  klinkOrders: Map<string, KLinkServiceOrder>;
  /** Settlement journal entries by order id. */
  settlements: Map<string, number[]>;
  aliKassa: Map<string, AliKassaPaymentRecord>;
  aliKassaStats: AliKassaStats;
  webhooks: WebhookRecord[];
}

export async function readTransferBooks(http: Http, payments: readonly Payment[]): Promise<TransferBooks> {
  const [orders, ledger, aliKassaStats, webhookStats] = await Promise.all([
    http.control<KLinkServiceOrder[]>('klink/orders'),
    http.control<KLinkLedger>('klink/ledger'),
    http.control<AliKassaStats>('alikassa/stats'),
    // Only for the findings' detail (was the webhook dropped?): not worth failing reconcile for.
    http.control<WebhookStats>('webhooks').catch(() => ({ webhooks: [] })),
  ]);
  const settlements = new Map<string, number[]>();
  for (const e of ledger.entries.filter(isSettlement))
    settlements.set(e.id_order!, [...(settlements.get(e.id_order!) ?? []), e.id]);
  const aliOrders = new Set([
    ...payments.filter((p) => providerOf(p.method) === 'alikassa').map((p) => String(p.refs.orderId)),
    ...Object.keys(aliKassaStats.payments.byOrder),
  ]);
  const aliKassa = new Map<string, AliKassaPaymentRecord>();
  await inBatches([...aliOrders], async (orderId) => {
    const r = await controlOrAbsent<AliKassaPaymentRecord>(
      http,
      `alikassa/orders/payment/${encodeURIComponent(orderId)}`,
    );
    if (r) aliKassa.set(orderId, r);
  });
  return {
    klinkOrders: new Map(orders.map((o) => [o.order_id, o])),
    settlements,
    aliKassa,
    aliKassaStats,
    webhooks: webhookStats.webhooks,
  };
}

export function orderMoney(
  books: TransferBooks,
  provider: 'klink' | 'alikassa',
  orderId: string,
): OrderMoney {
  if (provider === 'alikassa') {
    const r = books.aliKassa.get(orderId);
    if (!r) return { provider, known: false, paidCount: 0, seen: `AliKassa has no payment '${orderId}'` };
    const paid = r.payment_status === 'paid';
    return {
      provider,
      known: true,
      paidCount: paid ? 1 : 0,
      paidAmount: paid ? rupiahOf(r.paid_amount) : undefined,
      asked: rupiahOf(r.amount),
      late: r.late,
      seen: `AliKassa payment ${r.id} ${r.payment_status}, amount ${r.amount}, paid ${r.paid_amount ?? '-'}${r.late ? ' (late)' : ''}`,
    };
  }
  const o = books.klinkOrders.get(orderId);
  const entries = books.settlements.get(orderId) ?? [];
  if (!o)
    return {
      provider,
      known: false,
      paidCount: entries.length,
      seen: `K-Link has no order '${orderId}'${entries.length ? `, yet settlements ${entries.join(', ')}` : ''}`,
    };
  return {
    provider,
    known: true,
    paidCount: Math.max(entries.length, o.paid ? 1 : 0),
    paidAmount: o.paid?.amount,
    asked: o.total_bayar,
    late: o.paid?.late,
    seen: `K-Link ${o.variant} order ${o.status}, total_bayar ${o.total_bayar}, paid ${o.paid ? `${o.paid.amount}${o.paid.late ? ' late' : ''} (id_trans ${o.paid.id_trans})` : '-'}, settlements [${entries.join(', ')}]`,
  };
}

/** The webhooks the sandbox sent for an order, for a finding's detail (a dropped one explains a loss). */
function webhooksSeen(books: TransferBooks, orderId: string): string {
  const mine = books.webhooks.filter((w) => w.orderId === orderId);
  return mine.length === 0
    ? 'no webhook records'
    : `webhooks: ${mine.map((w) => `${w.name} ${w.mode}/${w.state}`).join(', ')}`;
}

/**
 * Money a provider took and never told anyone about, at a moment no engine could ask: a known
 * limit, counted apart, never a loss the engine could have avoided. Both conditions hold:
 * - the provider never sent a webhook for the order (every record dropped at the provider);
 * - nothing could be asked: K-Link gives no status call for VA, manual and card orders; and once
 *   a payment has ended (checked by the status call at expiry where there is one, the GoPay
 *   charge cancelled at Midtrans), money arriving later is news only a webhook brings.
 * A webhook that was sent and failed, or a paid-in-time GoPay or AliKassa payment (their status
 * calls are asked before expiry), stays a loss.
 */
function providerSilent(p: EndedPayment, books: TransferBooks, orderId: string): boolean {
  if (p.status !== 'EXPIRED') return false;
  const sent = books.webhooks.filter((w) => w.orderId === orderId);
  if (sent.length === 0 || !sent.every((w) => w.state === 'dropped')) return false;
  return WEBHOOK_ONLY_METHODS.has(p.method) || orderMoney(books, providerOf(p.method), orderId).late === true;
}
const WEBHOOK_ONLY_METHODS = new Set(['klink-va', 'klink-manual', 'klink-card']);

/** A report holds money for an operator: it exists, and says something. */
const reportHolds = (report: ViewLike | undefined) =>
  !!report &&
  (report.status === 'NEEDS_REVIEW' || report.status === 'RESOLVED') &&
  (report.reports?.length ?? 0) > 0;

const reportKey = (provider: string, orderId: string) => `${provider}:${orderId}`;

/** The orders reconcile must ask the gateway about (its unmatched reports): money without a PAID or parked payment, replays, ghosts. */
function reportsNeeded(books: TransferBooks, payments: readonly EndedPayment[]): Array<[string, string]> {
  const wanted: Array<[string, string]> = [];
  const mine = new Set(payments.map((p) => String(p.refs.orderId)));
  for (const p of payments) {
    const provider = providerOf(p.method);
    const orderId = String(p.refs.orderId);
    const paid = orderMoney(books, provider, orderId).paidCount > 0;
    if (
      (paid && p.status !== 'PAID' && p.status !== 'NEEDS_REVIEW') ||
      p.refs.replayedReference !== undefined
    )
      wanted.push([provider, orderId]);
    if (p.refs.ghostOrderId !== undefined) wanted.push([provider, String(p.refs.ghostOrderId)]);
  }
  for (const orderId of orphanOrders(books, mine)) wanted.push([orphanProvider(books, orderId), orderId]);
  return wanted;
}

/** Orders with money at a provider that no payment of the campaign carries. */
function orphanOrders(books: TransferBooks, mine: Set<string>): string[] {
  const klink = [...books.klinkOrders.values()].filter((o) => o.paid).map((o) => o.order_id);
  const settledOnly = [...books.settlements.keys()].filter((id) => !books.klinkOrders.has(id));
  const ali = [...books.aliKassa.values()].filter((r) => r.payment_status === 'paid').map((r) => r.order_id);
  return [...new Set([...klink, ...settledOnly, ...ali])].filter((id) => !mine.has(id));
}
const orphanProvider = (books: TransferBooks, orderId: string) =>
  books.aliKassa.has(orderId) ? 'alikassa' : 'klink';

/** Checks one payment against its provider's books and the reports the gateway filed. */
export function judgeTransfer(
  p: EndedPayment,
  books: TransferBooks,
  reports: ReadonlyMap<string, ViewLike | undefined>,
): Finding[] {
  const provider = providerOf(p.method);
  const orderId = String(p.refs.orderId);
  const money = orderMoney(books, provider, orderId);
  const report = reports.get(reportKey(provider, orderId));
  const findings: Finding[] = [];
  const find = (invariant: Finding['invariant'], what: string) =>
    findings.push({
      invariant,
      workflowId: p.workflowId,
      detail: `${p.method} order ${orderId}: ${what}; ${money.seen}`,
    });

  if (money.paidCount > 1)
    find(
      'double-moved',
      `the customer's money arrived ${money.paidCount} times for one payment (${p.status ?? 'no payment'})`,
    );
  findings.push(...judgeForgery(p, provider, reports));
  const held = reportHolds(report);
  if (p.status === undefined) {
    // No execution (the campaign counts that): money that arrived anyway must be kept in a report.
    if (p.startError && money.paidCount > 0 && !held)
      find('lost', `the start failed (${p.startError}) yet money arrived and no unmatched report holds it`);
    return findings;
  }
  if (p.status === 'PAID') {
    if (money.paidCount === 0)
      find(
        p.marks.includes(MARK.forged) ? 'forged-accepted' : 'lost',
        p.marks.includes(MARK.forged)
          ? `PAID, but the customer never paid: a forged webhook (${p.refs.forgedSign}) was taken`
          : 'PAID, but the provider shows no payment',
      );
    else if (money.paidAmount !== money.asked && !p.marks.includes(MARK.markedPaid))
      find(
        'lost',
        `PAID, but ${money.paidAmount} arrived of the ${money.asked} asked and no operator accepted it`,
      );
  } else if ((p.status === 'EXPIRED' || p.status === 'FAILED') && money.paidCount > 0 && !held) {
    find(
      providerSilent(p, books, orderId) ? 'provider-silent' : 'lost',
      `${p.status}, but ${money.paidAmount ?? 'money'} arrived${money.late ? ' (late)' : ''} and no unmatched report holds it (${report ? `report ${report.status}, ${report.reports?.length ?? 0} reports` : 'no report'}); ${webhooksSeen(books, orderId)}${p.marks.length ? `; marks: ${p.marks.join(', ')}` : ''}`,
    );
  }
  return findings;
}

/** A forged webhook must have changed nothing; a replayed one must not be filed again nor change the status. */
function judgeForgery(
  p: EndedPayment,
  provider: 'klink' | 'alikassa',
  reports: ReadonlyMap<string, ViewLike | undefined>,
): Finding[] {
  const findings: Finding[] = [];
  const ghost = p.refs.ghostOrderId;
  if (ghost !== undefined && reports.get(reportKey(provider, String(ghost))))
    findings.push({
      invariant: 'forged-accepted',
      workflowId: p.workflowId,
      detail: `a forged webhook (${p.refs.forgedSign}) for order ${ghost}, which nobody created, was filed as an unmatched report`,
    });
  const reference = p.refs.replayedReference;
  if (reference === undefined) return findings;
  const counted = (p.view as ViewLike | undefined)?.webhooks?.some((w) => w.reference === reference);
  const report = reports.get(reportKey(provider, String(p.refs.orderId)));
  if (counted && report?.reports?.some((r) => r.reference === reference))
    findings.push({
      invariant: 'forged-accepted',
      workflowId: p.workflowId,
      detail: `webhook ${reference} was counted by the payment, and its replay was filed again as unmatched report (${report.status})`,
    });
  if (p.refs.replayedAtStatus !== p.status && p.status !== undefined)
    findings.push({
      invariant: 'forged-accepted',
      workflowId: p.workflowId,
      detail: `the payment was ${p.refs.replayedAtStatus} when webhook ${reference} was replayed, and ended ${p.status}`,
    });
  return findings;
}

/** Money for an order no payment of the campaign carries: lost, unless a report keeps it. */
function judgeOrphans(
  books: TransferBooks,
  payments: readonly EndedPayment[],
  reports: ReadonlyMap<string, ViewLike | undefined>,
): Finding[] {
  const mine = new Set(payments.map((p) => String(p.refs.orderId)));
  return orphanOrders(books, mine)
    .filter((orderId) => !reportHolds(reports.get(reportKey(orphanProvider(books, orderId), orderId))))
    .map((orderId) => ({
      invariant: 'lost' as const,
      detail: `money arrived for order ${orderId}, which no payment of the campaign carries, and no unmatched report holds it; ${orderMoney(books, orphanProvider(books, orderId), orderId).seen}`,
    }));
}

async function reconcile(http: Http, payments: EndedPayment[]): Promise<Finding[]> {
  const books = await readTransferBooks(http, payments);
  const reports = new Map<string, ViewLike | undefined>();
  await inBatches(reportsNeeded(books, payments), async ([provider, orderId]) => {
    reports.set(reportKey(provider, orderId), await reportOf(http, provider, orderId));
  });
  return [
    ...payments.flatMap((p) => judgeTransfer(p, books, reports)),
    ...judgeOrphans(books, payments, reports),
  ];
}

export const transferChaos: ChaosSaga = {
  saga: 'transfer',
  methods: TRANSFER_METHODS,
  drive,
  reconcile,
};

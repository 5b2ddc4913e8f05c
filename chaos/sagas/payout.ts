/**
 * AliKassa payouts under faults: a backend pays an amount out to a bank account; the bank pays
 * it (most), or fails or cancels it, or the bank is under maintenance. Around its own payouts
 * this module forges a "paid" notification for a payout the bank fails, and replays a genuine
 * notification once the payout is PAID_OUT.
 *
 * Reconcile reads AliKassa's payouts: PAID_OUT means exactly one payout for the order, paid, of
 * the amount asked; FAILED means none was paid (nor is still on its way); a paid payout no
 * payment carries is lost. AliKassa refuses a second create for an order_id ("has already been
 * taken", sandbox/alikassa/routes.ts), so one order cannot hold two payouts there: a payout paid
 * twice could only appear under another order id, which the orphan check finds. Its stats count
 * create requests, refused ones included, and are quoted in the findings.
 */
import { payoutWorkflowId } from '../../workflows/payout-definitions';
import {
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
  replayBody,
  reportOf,
  rupiahOf,
  sendRaw,
  waitForStatus,
  webhookReference,
  WEBHOOK_PATHS,
  type AliKassaPayoutRecord,
  type AliKassaStats,
  type ViewLike,
} from './transfer-kit';
import { inBatches, safeId, weighted } from './drive-kit';

export type PayoutVariant =
  /** Paid out. */
  | 'paid'
  /** The bank fails it (armed outcome fail): FAILED. */
  | 'fail'
  /** AliKassa cancels it (armed outcome cancel): FAILED. */
  | 'cancel'
  /** A bank under maintenance (BSI): AliKassa takes it and it fails. */
  | 'maintenance'
  /** The bank fails it, and a forged "paid" notification is sent for it. */
  | 'forged'
  /** Paid out, then its genuine notification sent again, validly signed. */
  | 'replay';

const WEIGHTS: ReadonlyArray<readonly [PayoutVariant, number]> = [
  ['paid', 66],
  ['fail', 12],
  ['cancel', 4],
  ['maintenance', 4],
  ['forged', 7],
  ['replay', 7],
];
/** Working payment_card_idr codes (sandbox/alikassa/catalog.ts); BSI is the one under maintenance. */
const BANKS = ['PMTB', 'BCASB', 'BMI', 'BRISB', 'BSM', 'BTN'];
const PAYEES = [
  { firstName: 'Siti', lastName: 'Aminah' },
  { firstName: 'Budi', lastName: 'Santoso' },
  { firstName: 'Dewi', lastName: 'Lestari' },
];
const PAYOUT_SERVICE = 'payment_card_idr';

export const PAYOUT_MARK = { forged: 'forged', replayed: 'replayed' } as const;

async function drive(ctx: DriveContext, method: string): Promise<Payment> {
  const variant = weighted(ctx.rng, WEIGHTS);
  const orderId = safeId('CH-PO-', ctx.id);
  const amount = ctx.rng.int(10, 500) * 1_000;
  const bankCode = variant === 'maintenance' ? 'BSI' : ctx.rng.pick(BANKS);
  const payment: Payment = {
    saga: 'payout',
    method,
    workflowId: payoutWorkflowId(orderId),
    refs: { orderId, amount, variant, bankCode },
    marks: [],
  };
  const outcome =
    variant === 'fail' || variant === 'forged' ? 'fail' : variant === 'cancel' ? 'cancel' : undefined;
  try {
    if (outcome) await ctx.http.control('alikassa/payout-outcome', { order_id: orderId, outcome });
  } catch (err) {
    payment.marks.push(`outcome-not-armed: ${errorText(err)}`);
  }
  try {
    await ctx.http.gateway('POST', '/alikassa/payouts', {
      orderId,
      amount,
      bankCode,
      accountNumber: String(ctx.rng.int(10_000_000, 99_999_999)) + String(ctx.rng.int(10, 99)),
      ...ctx.rng.pick(PAYEES),
      pollSeconds: 1,
      // Not final by then (AliKassa down longer): a person is asked, never left waiting.
      finalDeadlineSeconds: 45,
    });
  } catch (err) {
    payment.startError = errorText(err);
    return payment;
  }
  try {
    if (variant === 'forged') await forge(ctx, payment);
    if (variant === 'replay') await replay(ctx, payment);
  } catch (err) {
    payment.marks.push(`error: ${errorText(err)}`);
  }
  return payment;
}

/** A "paid" notification for a payout the bank is failing, signed with anything but AliKassa's key. */
async function forge(ctx: DriveContext, payment: Payment): Promise<void> {
  const orderId = String(payment.refs.orderId);
  await ctx.sleep(ctx.rng.int(100, 1_500));
  const record = await controlOrAbsent<AliKassaPayoutRecord>(
    ctx.http,
    `alikassa/orders/payout/${encodeURIComponent(orderId)}`,
  );
  const amount = record?.amount ?? `${payment.refs.amount}.00`;
  const sign = ctx.rng.pick(FORGED_SIGNS);
  payment.marks.push(PAYOUT_MARK.forged);
  payment.refs.forgedSign = sign;
  ctx.fault('webhook-forged');
  await sendRaw(ctx.http, {
    simulator: 'alikassa',
    path: WEBHOOK_PATHS['alikassa.payout']!,
    body: aliKassaQuery({
      type: 'payout',
      id: record?.id ?? ctx.rng.int(108_000_000, 108_999_999),
      orderId,
      status: 'paid',
      amount,
      paymentAmount: amount,
      service: PAYOUT_SERVICE,
      desc: `Payout ${orderId} to ${record?.customer_code ?? payment.refs.bankCode}`,
    }),
    sign,
    orderId,
  });
}

/** Once PAID_OUT and its notification delivered, the same notification again (re-signed over the same fields). */
async function replay(ctx: DriveContext, payment: Payment): Promise<void> {
  const orderId = String(payment.refs.orderId);
  const view = await waitForStatus(ctx, payment.workflowId, ['PAID_OUT'], 30_000, ['FAILED', 'NEEDS_REVIEW']);
  if (view?.status !== 'PAID_OUT') {
    payment.marks.push(`replay-skipped: the payout was ${view?.status ?? 'not visible'}, not PAID_OUT`);
    return;
  }
  const record = await deliveredWebhook(ctx, orderId, 'alikassa.payout', 10_000);
  const reference = record && webhookReference(record);
  if (!record || !reference) {
    payment.marks.push('replay-skipped: no delivered alikassa.payout notification');
    return;
  }
  payment.refs.replayedReference = reference;
  payment.refs.replayedAtStatus = view.status;
  payment.marks.push(PAYOUT_MARK.replayed);
  ctx.fault('webhook-replayed');
  for (let i = ctx.rng.int(1, 2); i > 0; i--) {
    await ctx.sleep(ctx.rng.int(100, 1_500));
    await sendRaw(ctx.http, {
      simulator: 'alikassa',
      path: WEBHOOK_PATHS['alikassa.payout']!,
      body: replayBody(record),
      sign: 'valid',
      orderId,
    });
  }
}

// ---- reconcile ----

export interface PayoutBooks {
  stats: AliKassaStats;
  payouts: Map<string, AliKassaPayoutRecord>;
}

export async function readPayoutBooks(http: Http, payments: readonly Payment[]): Promise<PayoutBooks> {
  const stats = await http.control<AliKassaStats>('alikassa/stats');
  const orders = new Set([
    ...payments.map((p) => String(p.refs.orderId)),
    ...Object.keys(stats.payouts.byOrder),
  ]);
  const payouts = new Map<string, AliKassaPayoutRecord>();
  await inBatches([...orders], async (orderId) => {
    const r = await controlOrAbsent<AliKassaPayoutRecord>(
      http,
      `alikassa/orders/payout/${encodeURIComponent(orderId)}`,
    );
    if (r) payouts.set(orderId, r);
  });
  return { stats, payouts };
}

function seen(books: PayoutBooks, orderId: string): string {
  const r = books.payouts.get(orderId);
  const creates = books.stats.payouts.byOrder[orderId]?.creates ?? 0;
  return r
    ? `AliKassa payout ${r.id} ${r.payment_status} (outcome ${r.outcome}), amount ${r.amount}, ${creates} create request(s)`
    : `AliKassa has no payout '${orderId}' (${creates} create request(s))`;
}

/** Checks one payout against AliKassa's record for its order. */
export function judgePayout(p: EndedPayment, books: PayoutBooks, report: ViewLike | undefined): Finding[] {
  const orderId = String(p.refs.orderId);
  const r = books.payouts.get(orderId);
  const findings: Finding[] = [];
  const find = (invariant: Finding['invariant'], what: string) =>
    findings.push({
      invariant,
      workflowId: p.workflowId,
      detail: `payout ${orderId} of ${p.refs.amount}: ${what}; ${seen(books, orderId)}`,
    });
  const paid = r?.payment_status === 'paid';
  const forged = p.marks.includes(PAYOUT_MARK.forged);

  if (p.status === undefined) {
    if (p.startError && paid)
      find('lost', `the start failed (${p.startError}) yet AliKassa paid a payout out`);
  } else if (p.status === 'PAID_OUT') {
    if (!paid)
      find(
        forged ? 'forged-accepted' : 'lost',
        forged
          ? `PAID_OUT on a forged notification (${p.refs.forgedSign}), AliKassa never paid`
          : 'PAID_OUT, but AliKassa paid nothing out',
      );
    else if (rupiahOf(r.amount) !== Number(p.refs.amount))
      find('lost', `PAID_OUT, but AliKassa paid out ${r.amount}`);
  } else if (p.status === 'FAILED') {
    if (paid) find('lost', 'FAILED, but AliKassa paid it out');
    else if (r?.payment_status === 'wait') find('lost', 'FAILED, but AliKassa is still paying it out (wait)');
  }
  const reference = p.refs.replayedReference;
  const view = p.view as ViewLike | undefined;
  // The payout holds AliKassa's id and last word: a notification of that word is one it counted.
  const counted = view?.providerId !== undefined && `${view.providerId}-${view.providerStatus}` === reference;
  if (counted && report?.reports?.some((x) => x.reference === reference))
    find(
      'forged-accepted',
      `notification ${reference} was counted by the payout and its replay was filed as unmatched report (${report.status})`,
    );
  if (reference !== undefined && p.status !== undefined && p.status !== p.refs.replayedAtStatus)
    find(
      'forged-accepted',
      `the payout was ${p.refs.replayedAtStatus} when notification ${reference} was replayed, and ended ${p.status}`,
    );
  return findings;
}

/** Payouts AliKassa paid for orders no payment of the campaign carries. */
function judgeOrphans(books: PayoutBooks, payments: readonly EndedPayment[]): Finding[] {
  const mine = new Set(payments.map((p) => String(p.refs.orderId)));
  return [...books.payouts.values()]
    .filter((r) => r.payment_status === 'paid' && !mine.has(r.order_id))
    .map((r) => ({
      invariant: 'lost' as const,
      detail: `AliKassa paid out ${r.amount} for order ${r.order_id}, which no payout of the campaign carries; ${seen(books, r.order_id)}`,
    }));
}

async function reconcile(http: Http, payments: EndedPayment[]): Promise<Finding[]> {
  const books = await readPayoutBooks(http, payments);
  const reports = new Map<string, ViewLike | undefined>();
  await inBatches(
    payments.filter((p) => p.refs.replayedReference !== undefined),
    async (p) =>
      void reports.set(p.workflowId, await reportOf(http, 'alikassa-payout', String(p.refs.orderId))),
  );
  return [
    ...payments.flatMap((p) => judgePayout(p, books, reports.get(p.workflowId))),
    ...judgeOrphans(books, payments),
  ];
}

export const payoutChaos: ChaosSaga = {
  saga: 'payout',
  methods: ['bank-payout'],
  drive,
  reconcile,
};

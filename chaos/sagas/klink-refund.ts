/**
 * The fault campaign's K-Link escrow refund module: a shop that has a member pay an order into
 * escrow and then asks for the refund (with the amount it expects back, right or not), the
 * operator who confirms or rejects a refund whose data did not match (sometimes two operators at
 * once), and a refund for an order K-Link never saw.
 *
 * Its books: K-Link's journal (GET /_control/klink/ledger). A refund is one entry of kind
 * 'refund' moving the order's pay back out of ESCROW into the member's wallet; a payment's status
 * says whether one may exist, and reconcile checks that exactly that many do.
 */
import { createKLinkClient, type KLinkClient } from '../../providers/klink/client';
import { klinkRefundWorkflowId } from '../../workflows/klink-refund-definitions';
import type { Rng } from '../random';
import { describeError, safeId, tryCall, weightedKey } from './drive-kit';
import {
  type ChaosSaga,
  type DriveContext,
  type EndedPayment,
  type Finding,
  type Http,
  type Payment,
} from '../types';

/** What the shop and the operator do to one refund. */
export const KLINK_REFUND_VARIANTS = [
  'matches',
  'differs-confirmed',
  'differs-rejected',
  'operator-race',
  'unknown-order',
] as const;
export type KLinkRefundVariant = (typeof KLINK_REFUND_VARIANTS)[number];

const VARIANT_WEIGHTS: Record<KLinkRefundVariant, number> = {
  matches: 0.6,
  'differs-confirmed': 0.14,
  'differs-rejected': 0.1,
  'operator-race': 0.08,
  'unknown-order': 0.08,
};

/** Every order id of this module starts so: the journal is shared with other sagas' escrow. */
export const ORDER_PREFIX = 'CHAOS-KR-';
/** Long enough for a slowed operator to answer, short enough that an unanswered one ends in time. */
const CONFIRM_TIMEOUT_SECONDS = 40;
/** How long the operator watches for the refund to ask for them. */
const AWAIT_OPERATOR_MS = 30_000;
const ESCROW = 'ESCROW';
const memberAccount = (idMember: string) => `member:${idMember}`;

/** GET /_control/klink/ledger (sandbox/klink/control.ts; entries as in sandbox/klink/ledger.ts). */
export interface KLinkLedger {
  entries: JournalEntry[];
  balances: Record<string, number>;
  balanced: boolean;
  problems: string[];
  escrow: number;
}
export interface JournalEntry {
  id: number;
  at: number;
  kind: string;
  description: string;
  id_order: string | null;
  lines: { account: string; debit: number; credit: number }[];
}

interface RefundView {
  status: string;
  candidates?: { idTrans: number; amount: number }[];
}

export const pickVariant = (rng: Rng): KLinkRefundVariant => weightedKey(rng, VARIANT_WEIGHTS);

/** One shop client per K-Link login: a login per payment would be a shop nobody writes. */
const shops = new Map<string, KLinkClient>();
function shopFor(ctx: DriveContext): KLinkClient {
  const key = `${ctx.klink.baseUrl} ${ctx.klink.email}`;
  let shop = shops.get(key);
  if (!shop) {
    shop = createKLinkClient({ ...ctx.klink, timeoutMs: 10_000 });
    shops.set(key, shop);
  }
  return shop;
}

/**
 * The member pays the order into escrow, as the shop does it: an unclear pay is settled by asking
 * K-Link (reconcile) before paying again, since id_order is unique there. True once it is paid.
 */
async function payIntoEscrow(ctx: DriveContext, payment: Payment, amount: number): Promise<boolean> {
  const shop = shopFor(ctx);
  const idOrder = String(payment.refs.idOrder);
  const idMember = String(payment.refs.idMember);
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      await shop.pay({ idMember, amount, idOrder, description: 'Konsultasi dokter' });
      return true;
    } catch (err) {
      payment.marks.push(`pay:error:${describeError(err)}`);
    }
    await ctx.sleep(ctx.rng.int(500, 2_000));
    try {
      if (await shop.reconcile({ idOrder })) return true;
    } catch (err) {
      payment.marks.push(`pay-reconcile:error:${describeError(err)}`);
    }
  }
  return false;
}

/** Polls the refund's view until it leaves REQUESTING (or the operator gives up watching). */
async function awaitDecision(ctx: DriveContext, payment: Payment): Promise<RefundView | undefined> {
  const giveUpAt = Date.now() + AWAIT_OPERATOR_MS;
  while (Date.now() < giveUpAt) {
    const view = await tryCall(payment, 'status', () =>
      ctx.http.gateway<RefundView>('GET', `/payments/${payment.workflowId}`, undefined, 20_000),
    );
    if (view && view.status !== 'REQUESTING') return view;
    await ctx.sleep(1_000);
  }
  payment.marks.push('operator:never-asked');
  return undefined;
}

type Decision = 'confirm' | 'reject';

function decide(ctx: DriveContext, payment: Payment, view: RefundView, decision: Decision, who: string) {
  const path = `/refunds/${payment.workflowId}/${decision}`;
  const idTrans = view.candidates?.[0]?.idTrans;
  if (decision === 'confirm' && idTrans === undefined) {
    payment.marks.push(`${who}:no-candidate`);
    return Promise.resolve(undefined);
  }
  const body =
    decision === 'confirm'
      ? { idTrans, operator: who, note: 'checked the order with the shop' }
      : { operator: who, note: 'amount not agreed with the shop' };
  return tryCall(payment, `${who}:${decision}`, () => ctx.http.gateway('POST', path, body));
}

/** The operator reads candidates and mismatch, then decides; in a race, two operators at once. */
async function operate(ctx: DriveContext, payment: Payment, variant: KLinkRefundVariant): Promise<void> {
  const view = await awaitDecision(ctx, payment);
  if (!view || view.status !== 'AWAITING_CONFIRMATION') {
    if (view) payment.marks.push(`operator:found-${view.status}`);
    return;
  }
  await ctx.sleep(ctx.rng.int(200, 1_500));
  if (variant === 'operator-race') {
    ctx.fault('operator-race');
    const second: Decision = ctx.rng.chance(0.5) ? 'confirm' : 'reject';
    payment.refs.race = `confirm+${second}`;
    await Promise.all([
      decide(ctx, payment, view, 'confirm', 'ana'),
      decide(ctx, payment, view, second, 'budi'),
    ]);
    return;
  }
  await decide(ctx, payment, view, variant === 'differs-confirmed' ? 'confirm' : 'reject', 'ana');
}

/** What the shop expects back: the paid amount, or (a data-entry slip) something else. */
function expectedAmount(rng: Rng, variant: KLinkRefundVariant, paid: number): number {
  if (variant === 'matches' || variant === 'unknown-order') return paid;
  const delta = rng.int(1, 9) * 1_000;
  return rng.chance(0.5) ? paid - delta : paid + delta;
}

async function drive(ctx: DriveContext, method: string): Promise<Payment> {
  const variant = pickVariant(ctx.rng);
  const id = safeId('', ctx.id);
  const idOrder = `${ORDER_PREFIX}${id}`;
  const idMember = `CHAOS-KRM-${id}`;
  const paid = ctx.rng.int(2, 20) * 10_000;
  const payment: Payment = {
    saga: 'klinkRefund',
    method,
    workflowId: klinkRefundWorkflowId(idOrder),
    refs: { idOrder, idMember, paidAmount: 0, variant },
    marks: [],
  };

  if (variant !== 'unknown-order') {
    try {
      await ctx.http.control('klink/members', { id_member: idMember, balance: paid + 50_000 });
    } catch (err) {
      return { ...payment, startError: `sandbox set-up failed, nothing started: ${describeError(err)}` };
    }
    if (await payIntoEscrow(ctx, payment, paid)) payment.refs.paidAmount = paid;
    else payment.marks.push('pay:not-in-escrow');
    await ctx.sleep(ctx.rng.int(100, 1_000));
  }

  const expected = expectedAmount(ctx.rng, variant, paid);
  payment.refs.expectedAmount = expected;
  const start = () =>
    ctx.http.gateway('POST', '/klink/refunds', {
      idOrder,
      idMember,
      expectedAmount: expected,
      note: 'dokter tidak sedang standby',
      confirmTimeoutSeconds: CONFIRM_TIMEOUT_SECONDS,
    });
  try {
    // A backend that double-submits its refund request must still get one refund.
    if (variant === 'matches' && ctx.rng.chance(0.15)) {
      payment.marks.push('start-twice');
      await Promise.all([start(), start()]);
    } else await start();
  } catch (err) {
    return { ...payment, startError: describeError(err) };
  }

  if (variant === 'differs-confirmed' || variant === 'differs-rejected' || variant === 'operator-race')
    await operate(ctx, payment, variant);
  return payment;
}

// ---- reconcile ----

/** An entry moving `amount` out of one account into another: [from, to, amount], or undefined. */
function movement(entry: JournalEntry): { from: string; to: string; amount: number } | undefined {
  const from = entry.lines.filter((l) => l.credit > 0);
  const to = entry.lines.filter((l) => l.debit > 0);
  if (from.length !== 1 || to.length !== 1) return undefined;
  return { from: from[0]!.account, to: to[0]!.account, amount: from[0]!.credit };
}

const entryText = (e: JournalEntry) => {
  const m = movement(e);
  return `#${e.id} ${e.kind} ${m ? `${m.from}->${m.to} ${m.amount}` : JSON.stringify(e.lines)}`;
};

interface OrderBooks {
  pays: JournalEntry[];
  refunds: JournalEntry[];
}

/** One refund's books, checked against its status. */
export function checkPayment(p: EndedPayment, books: OrderBooks): Finding[] {
  const findings: Finding[] = [];
  const found = (invariant: Finding['invariant'], detail: string) =>
    findings.push({ invariant, workflowId: p.workflowId, detail: `order ${p.refs.idOrder}: ${detail}` });
  const seen = `journal [${[...books.pays, ...books.refunds].map(entryText).join('; ') || 'nothing'}]`;
  const { refunds } = books;

  // Never allowed, whatever the status (NEEDS_REVIEW included).
  if (refunds.length > 1)
    found('double-moved', `${refunds.length} refunds out of escrow for one order: ${seen}`);
  for (const refund of refunds) checkRefundShape(refund, p, books.pays, (detail) => found('lost', detail));

  if (p.status === undefined) {
    if (p.startError && refunds.length > 0)
      found('lost', `start never answered (${p.startError}) yet escrow was refunded: ${seen}`);
    return findings;
  }
  if (p.status === 'REFUNDED' && refunds.length === 0) {
    const paid = books.pays.map((e) => movement(e)?.amount ?? 0).reduce((a, b) => a + b, 0);
    found('lost', `REFUNDED but K-Link never moved the ${paid} back out of escrow: ${seen}`);
  }
  if (p.status === 'NOT_REFUNDED' && refunds.length > 0)
    found('lost', `NOT_REFUNDED but K-Link refunded the member: ${seen}`);
  // NEEDS_REVIEW may hold either state (one refund or none); running ones are the campaign's.
  return findings;
}

/** A refund must give the order's pay back, whole, to the member who paid it, out of escrow. */
function checkRefundShape(
  refund: JournalEntry,
  p: EndedPayment,
  pays: JournalEntry[],
  lost: (detail: string) => void,
): void {
  const m = movement(refund);
  const pay = pays.length === 1 ? movement(pays[0]!) : undefined;
  const member = memberAccount(String(p.refs.idMember));
  if (!m || m.from !== ESCROW || m.to !== member)
    lost(`refund ${entryText(refund)} is not ${ESCROW}->${member}`);
  else if (!pay) lost(`refund ${entryText(refund)} with ${pays.length} pays into escrow for the order`);
  else if (m.amount !== pay.amount) lost(`refund ${entryText(refund)} is not the ${pay.amount} paid`);
}

/** Refunds of this module's orders (by prefix) that no payment of the campaign asked for. */
export function checkOrphans(payments: EndedPayment[], entries: JournalEntry[]): Finding[] {
  const ours = new Set(payments.map((p) => String(p.refs.idOrder)));
  return entries
    .filter((e) => e.kind === 'refund' && e.id_order?.startsWith(ORDER_PREFIX) && !ours.has(e.id_order))
    .map((e) => ({
      invariant: 'lost' as const,
      detail: `escrow refund ${entryText(e)} for order ${e.id_order}, which no refund of the campaign has`,
    }));
}

async function reconcile(http: Http, payments: EndedPayment[]): Promise<Finding[]> {
  const ledger = await http.control<KLinkLedger>('klink/ledger');
  const byOrder = new Map<string, OrderBooks>();
  for (const entry of ledger.entries) {
    if (!entry.id_order || (entry.kind !== 'pay' && entry.kind !== 'refund')) continue;
    const books = byOrder.get(entry.id_order) ?? { pays: [], refunds: [] };
    (entry.kind === 'pay' ? books.pays : books.refunds).push(entry);
    byOrder.set(entry.id_order, books);
  }
  const findings = payments.flatMap((p) =>
    checkPayment(p, byOrder.get(String(p.refs.idOrder)) ?? { pays: [], refunds: [] }),
  );
  return [...findings, ...checkOrphans(payments, ledger.entries)];
}

export const klinkRefundChaos: ChaosSaga = {
  saga: 'klinkRefund',
  methods: ['escrow'],
  drive,
  reconcile,
};

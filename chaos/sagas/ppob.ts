/**
 * The campaign's PPOB purchases: prepaid top-ups and postpaid bills, funded from a K-Wallet
 * member (id_order `ppob-<orderId>`), as a backend and its caller would make them; afterwards the
 * provider's transactions and K-Wallet's journal must show exactly what each purchase's status says.
 *
 * Faults only this module can make, on its own purchases:
 * - the provider's report (callback) dropped or sent three times (the sandbox's callback rules,
 *   armed for the purchase's refid): the saga polls, and believes the provider, not the report;
 * - a forged report through the gateway, with a wrong secret in the URL, claiming Success for a
 *   purchase the provider will fail: the gateway must refuse it and the purchase end REFUNDED;
 * - an operator race: a bill accepted and declined at the same moment; one decides, once.
 *
 * Provider outcomes are armed by refid (derived from the workflow id exactly as the client does),
 * never by destination: postpaid customer numbers are shared by every bill of the run.
 */
import { deriveRefid, inquiryRefidOf } from '../../providers/ppob/refid';
import { POSTPAID_PRODUCTS, PREPAID_PRODUCTS } from '../../sandbox/ppob/catalog';
import type { JournalEntry } from '../../sandbox/klink/ledger';
import type { PpobTransaction } from '../../sandbox/ppob/state';
import { ppobWorkflowId, PPOB_FINAL_STATUSES } from '../../workflows/ppob-definitions';
import { NEEDS_REVIEW } from '../../workflows/saga-definitions';
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
  describeEntries,
  memberBalance,
  memberMovement,
  readKWalletLedger,
  type KWalletLedger,
} from './kwallet-books';
import { weighted } from './drive-kit';

export const PREPAID_VARIANTS = [
  'success',
  'failed',
  'pending-then-success',
  'pending-then-failed',
  'pending-past-deadline',
  'forged-success',
  'unfunded',
  'balance-short',
] as const;
export type PrepaidVariant = (typeof PREPAID_VARIANTS)[number];

export const POSTPAID_VARIANTS = ['accept', 'accept-then-failed', 'decline', 'race', 'walk-away'] as const;
export type PostpaidVariant = (typeof POSTPAID_VARIANTS)[number];

const PREPAID_MIX: ReadonlyArray<readonly [PrepaidVariant, number]> = [
  ['success', 55],
  ['failed', 12],
  ['pending-then-success', 7],
  ['pending-then-failed', 6],
  ['pending-past-deadline', 4],
  ['forged-success', 7],
  ['unfunded', 4],
  ['balance-short', 5],
];

const POSTPAID_MIX: ReadonlyArray<readonly [PostpaidVariant, number]> = [
  ['accept', 60],
  ['accept-then-failed', 12],
  ['decline', 12],
  ['race', 11],
  ['walk-away', 5],
];

/** Chance of a callback fault (drop or duplicate) on a purchase, whatever its variant. */
const CALLBACK_FAULT_CHANCE = 0.12;
/** The shortest wait the start accepts: a purchase left pending parks quickly. */
const SHORT_DEADLINE_SECONDS = 5;
/** Long enough for any purchase in a healthy run, short enough to end within the settle time. */
const FINAL_DEADLINE_SECONDS = 45;
/** The shortest bill confirmation the start accepts: a caller who walks away is CANCELLED soon. */
const WALK_AWAY_CONFIRM_SECONDS = 10;
const CONFIRM_SECONDS = 40;
/** How long drive() waits for the purchase to reach a step (a bill, the provider's transaction). */
const STEP_WAIT_MS = 30_000;

const SETTLED = new Set<string>([...PPOB_FINAL_STATUSES, NEEDS_REVIEW]);

export const ppobChaos: ChaosSaga = {
  saga: 'ppob',
  methods: ['prepaid', 'postpaid'],
  drive: (ctx, method) => (method === 'postpaid' ? drivePostpaid(ctx) : drivePrepaid(ctx)),
  reconcile: async (http, payments) => checkPpobBooks(await readPpobBooks(http), payments),
};

// ---- drive: shared ----

/** A purchase before it starts: the ids everything else derives from. */
interface Purchase {
  payment: Payment;
  orderId: string;
  refid: number;
}

function newPurchase(ctx: DriveContext, kind: 'prepaid' | 'postpaid', variant: string): Purchase {
  const orderId = `PPOB-${ctx.id}`;
  const workflowId = ppobWorkflowId(orderId);
  // The client's own derivation (client/paysaga-client.ts): known even if the start never answers.
  const refid = deriveRefid(workflowId);
  const refs: Payment['refs'] = { orderId, refid: String(refid) };
  if (kind === 'postpaid') refs.inquiryRefid = String(inquiryRefidOf(refid));
  return {
    orderId,
    refid,
    payment: { saga: 'ppob', method: kind, workflowId, refs, marks: [`variant:${variant}`] },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A funded member of this purchase, with `balance` to spend. */
async function fundMember(ctx: DriveContext, p: Purchase, balance: number): Promise<string> {
  const idMember = `PPOB-M-${ctx.id}`;
  await ctx.http.control('klink/members', { id_member: idMember, balance });
  p.payment.refs.idMember = idMember;
  p.payment.refs.opening = balance;
  return idMember;
}

/** Sometimes the provider's reports for this refid are dropped or sent three times. */
async function maybeCallbackFault(ctx: DriveContext, p: Purchase): Promise<void> {
  if (!ctx.rng.chance(CALLBACK_FAULT_CHANCE)) return;
  const mode = ctx.rng.chance(0.5) ? 'drop' : 'duplicate';
  await ctx.http.control('ppob/callbacks', { mode, refid: String(p.refid) });
  p.payment.marks.push(`callback-${mode}`);
  ctx.fault(mode === 'drop' ? 'callback-drop' : 'callback-duplicate');
}

/** How this purchase ends at the provider, armed before the refid is ever sent. */
async function armOutcome(
  ctx: DriveContext,
  p: Purchase,
  outcome: 'failed' | 'pending-forever',
): Promise<void> {
  await ctx.http.control('ppob/outcome', {
    refid: String(p.refid),
    outcome,
    failAfterPending: ctx.rng.chance(0.7),
  });
}

/** The start; false (and startError set) when it was never answered. */
async function start(ctx: DriveContext, p: Purchase, body: Record<string, unknown>): Promise<boolean> {
  try {
    await ctx.http.gateway('POST', '/ppob/purchases', { orderId: p.orderId, pollSeconds: 1, ...body });
    return true;
  } catch (err) {
    p.payment.startError = err instanceof GatewayError ? `HTTP ${err.status}: ${err.message}` : message(err);
    return false;
  }
}

/** Runs a set-up step; a failure is a start error (nothing was started). */
async function setUp(p: Purchase, step: () => Promise<unknown>): Promise<boolean> {
  try {
    await step();
    return true;
  } catch (err) {
    p.payment.startError = `set-up failed: ${message(err)}`;
    p.payment.marks.push('set-up-failed');
    return false;
  }
}

// ---- drive: prepaid ----

const SELLABLE = PREPAID_PRODUCTS.filter((x) => x.failsWith === undefined);
const OUT_OF_STOCK = PREPAID_PRODUCTS.find((x) => x.failsWith !== undefined)!;

function prepaidDestination(ctx: DriveContext, code: string): string {
  const digits = (n: number) => Array.from({ length: n }, () => String(ctx.rng.int(0, 9))).join('');
  return code.startsWith('PLN') ? `14${digits(9)}` : `0812${digits(8)}`;
}

/** One prepaid purchase; `variant` is drawn from the mix unless a test names it. */
export async function drivePrepaid(
  ctx: DriveContext,
  variant: PrepaidVariant = weighted(ctx.rng, PREPAID_MIX),
): Promise<Payment> {
  const p = newPurchase(ctx, 'prepaid', variant);
  // Failed at the provider: sometimes the product that is always out of stock, else armed.
  const outOfStock = variant === 'failed' && ctx.rng.chance(0.3);
  const product = outOfStock ? OUT_OF_STOCK : ctx.rng.pick(SELLABLE);
  const destination = prepaidDestination(ctx, product.code);
  Object.assign(p.payment.refs, { productCode: product.code, destination, amount: product.price });

  const ready = await setUp(p, async () => {
    if (variant === 'failed' && !outOfStock) await armOutcome(ctx, p, 'failed');
    if (variant === 'forged-success') await armOutcome(ctx, p, 'failed');
    if (variant.startsWith('pending-')) await armOutcome(ctx, p, 'pending-forever');
    await maybeCallbackFault(ctx, p);
  });
  if (!ready) return p.payment;

  let funding: { idMember: string; amount: number } | undefined;
  if (variant !== 'unfunded') {
    const balance =
      variant === 'balance-short'
        ? ctx.rng.int(0, product.price - 1)
        : product.price + ctx.rng.int(0, 100) * 1_000;
    const funded = await setUp(p, async () => {
      funding = { idMember: await fundMember(ctx, p, balance), amount: product.price };
    });
    if (!funded) return p.payment;
  }

  await ctx.sleep(ctx.rng.int(0, 500));
  const started = await start(ctx, p, {
    kind: 'prepaid',
    productCode: product.code,
    destination,
    ...(funding ? { funding } : {}),
    finalDeadlineSeconds:
      variant === 'pending-past-deadline' ? SHORT_DEADLINE_SECONDS : FINAL_DEADLINE_SECONDS,
  });
  if (!started) return p.payment;

  if (variant === 'pending-then-success' || variant === 'pending-then-failed')
    await settleWhilePending(ctx, p, variant === 'pending-then-success' ? 'success' : 'failed');
  if (variant === 'forged-success') await forgeSuccess(ctx, p, product.code, destination);
  return p.payment;
}

/** Waits for the provider's transaction (Pending for good), then makes the provider decide. */
async function settleWhilePending(ctx: DriveContext, p: Purchase, outcome: 'success' | 'failed') {
  const seen = await waitForTransaction(ctx, p.refid);
  if (!seen) {
    // Never submitted in time (a fault held it): it parks at its deadline, which reconcile allows.
    p.payment.marks.push('pending-not-seen: outcome not applied');
    return;
  }
  await ctx.sleep(ctx.rng.int(300, 3_000));
  try {
    await ctx.http.control('ppob/outcome', { refid: String(p.refid), outcome });
    p.payment.marks.push(`provider-decided:${outcome}`);
  } catch (err) {
    p.payment.marks.push(`provider-decide-failed: ${message(err)}`);
  }
}

/** Polls the provider's books until our refid has a transaction, or STEP_WAIT_MS. */
async function waitForTransaction(ctx: DriveContext, refid: number): Promise<boolean> {
  const giveUpAt = Date.now() + STEP_WAIT_MS;
  while (Date.now() < giveUpAt) {
    try {
      const found = await ctx.http.control<PpobTransaction[]>(`ppob/transactions?refid=${refid}`);
      if (found.some((t) => t.kind !== 'inquiry')) return true;
    } catch {
      // The sandbox answers its control API even under faults; a miss is retried.
    }
    await ctx.sleep(500);
  }
  return false;
}

/**
 * An attacker who guessed the callback's shape but not its secret: a report saying Success (with
 * a serial) for a purchase the provider will fail, sent as the provider sends reports (GET, the
 * fields in the query string). The gateway must refuse it; the answer is recorded for reconcile.
 */
async function forgeSuccess(ctx: DriveContext, p: Purchase, code: string, destination: string) {
  await ctx.sleep(ctx.rng.int(100, 1_500));
  const secret = `forged${ctx.rng.int(100_000, 999_999)}`;
  const query = new URLSearchParams({
    ref_id: String(p.refid),
    status: 'Success',
    sn: String(ctx.rng.int(1e15, 9e15)),
    code,
    destination,
  });
  const url = `${ctx.gatewayUrl}/callbacks/ppob/${secret}?${query.toString()}`;
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const res = await ctx.http.raw('GET', url);
      p.payment.marks.push(`forged-success:http=${res.status}`);
      ctx.fault('webhook-forged');
      return;
    } catch (err) {
      // The gateway may be restarting: an attacker tries again.
      if (attempt === 5) p.payment.marks.push(`forged-success:unsent (${message(err)})`);
      else await ctx.sleep(1_000);
    }
  }
}

// ---- drive: postpaid ----

interface PpobViewLike {
  status: string;
  bill?: { amount: number };
}

/** One postpaid bill; `variant` is drawn from the mix unless a test names it. */
export async function drivePostpaid(
  ctx: DriveContext,
  variant: PostpaidVariant = weighted(ctx.rng, POSTPAID_MIX),
): Promise<Payment> {
  const p = newPurchase(ctx, 'postpaid', variant);
  const product = ctx.rng.pick(POSTPAID_PRODUCTS);
  const destination = ctx.rng.pick(Object.keys(product.bills));
  Object.assign(p.payment.refs, { productCode: product.code, destination });

  const ready = await setUp(p, async () => {
    if (variant === 'accept-then-failed') await armOutcome(ctx, p, 'failed');
    await maybeCallbackFault(ctx, p);
    // Enough for the biggest bill of the catalog, whichever this one is.
    await fundMember(ctx, p, 1_500_000 + ctx.rng.int(0, 100) * 1_000);
  });
  if (!ready) return p.payment;

  await ctx.sleep(ctx.rng.int(0, 500));
  const started = await start(ctx, p, {
    kind: 'postpaid',
    productCode: product.code,
    destination,
    funding: { idMember: p.payment.refs.idMember },
    confirmTimeoutSeconds: variant === 'walk-away' ? WALK_AWAY_CONFIRM_SECONDS : CONFIRM_SECONDS,
    finalDeadlineSeconds: FINAL_DEADLINE_SECONDS,
  });
  if (!started || variant === 'walk-away') return p.payment;

  const status = await waitForStatus(ctx, p.payment.workflowId, 'AWAITING_CONFIRMATION');
  if (status !== 'AWAITING_CONFIRMATION') {
    // A fault (inquiry out of retries) parked it, or it is still on its way: nobody to answer.
    p.payment.marks.push(`bill-not-shown:${status ?? 'not found'}`);
    return p.payment;
  }
  // The caller reads the bill.
  await ctx.sleep(ctx.rng.int(200, 2_000));
  if (variant === 'race') await raceBill(ctx, p);
  else await decideBill(ctx, p, variant !== 'decline');
  return p.payment;
}

/** The HTTP status the gateway answered a bill decision ('error: …' when none). */
async function billAnswer(
  ctx: DriveContext,
  p: Purchase,
  accept: boolean,
  operator: string,
): Promise<string> {
  try {
    await ctx.http.gateway('POST', `/purchases/${p.payment.workflowId}/bill`, { accept, operator });
    return '200';
  } catch (err) {
    // 409: the bill was already decided (a retried call, or the race's other side): normal.
    return err instanceof GatewayError ? String(err.status) : `error: ${message(err)}`;
  }
}

async function decideBill(ctx: DriveContext, p: Purchase, accept: boolean): Promise<void> {
  const answer = await billAnswer(ctx, p, accept, 'chaos-caller');
  p.payment.marks.push(`bill-${accept ? 'accept' : 'decline'}:${answer}`);
}

/** An operator declines the bill while the caller accepts it: the first decides, once. */
async function raceBill(ctx: DriveContext, p: Purchase): Promise<void> {
  ctx.fault('operator-race');
  const [accept, decline] = await Promise.all([
    // Either may arrive first.
    ctx.sleep(ctx.rng.int(0, 30)).then(() => billAnswer(ctx, p, true, 'chaos-caller')),
    ctx.sleep(ctx.rng.int(0, 30)).then(() => billAnswer(ctx, p, false, 'chaos-operator')),
  ]);
  p.payment.marks.push(`race:accept=${accept},decline=${decline}`);
}

/** Polls the payment until it is `wanted` or settled; its last status (undefined: never seen). */
async function waitForStatus(ctx: DriveContext, workflowId: string, wanted: string) {
  const giveUpAt = Date.now() + STEP_WAIT_MS;
  let status: string | undefined;
  for (let i = 0; Date.now() < giveUpAt; i++) {
    try {
      const view = await ctx.http.gateway<PpobViewLike>(
        'GET',
        `/payments/${workflowId}`,
        undefined,
        Math.max(1_000, giveUpAt - Date.now()),
      );
      status = view.status;
      if (status === wanted || SETTLED.has(status)) return status;
    } catch (err) {
      if (!(err instanceof GatewayError)) return status;
    }
    await ctx.sleep(Math.min(300 * (i + 1), 2_000));
  }
  return status;
}

// ---- reconcile ----

export interface PpobBooks {
  transactions: PpobTransaction[];
  ledger: KWalletLedger;
}

export async function readPpobBooks(http: Http): Promise<PpobBooks> {
  const [transactions, ledger] = await Promise.all([
    http.control<PpobTransaction[]>('ppob/transactions'),
    readKWalletLedger(http),
  ]);
  return { transactions, ledger };
}

/** The K-Wallet id_order a purchase's funding uses (workflows/ppob-purchase.ts). */
export function fundingOrderOf(orderId: string): string {
  return `ppob-${orderId}`;
}

/** The K-Wallet id_orders of this module's purchases start so (orderId PPOB-<id>). */
const FUNDING_PREFIX = fundingOrderOf('PPOB-');

/** What the books hold for one purchase. */
interface PurchaseBooks {
  /** The refid's purchase or bill payment transactions (never an inquiry). */
  provider: PpobTransaction[];
  inquiry?: PpobTransaction;
  debits: JournalEntry[];
  refunds: JournalEntry[];
}

function booksOf(books: PpobBooks, payment: EndedPayment): PurchaseBooks {
  const refid = String(payment.refs.refid);
  const inquiryRefid =
    payment.refs.inquiryRefid === undefined ? undefined : String(payment.refs.inquiryRefid);
  const order = fundingOrderOf(String(payment.refs.orderId));
  const mine = books.ledger.entries.filter((e) => e.id_order === order);
  return {
    provider: books.transactions.filter((t) => t.refid === refid && t.kind !== 'inquiry'),
    inquiry: books.transactions.find((t) => t.refid === inquiryRefid && t.kind === 'inquiry'),
    debits: mine.filter((e) => e.kind === 'pay'),
    refunds: mine.filter((e) => e.kind === 'refund'),
  };
}

function describeTransactions(trxs: readonly PpobTransaction[]): string {
  return trxs.length === 0
    ? 'none'
    : trxs.map((t) => `trx ${t.trx_id} ${t.kind} ${t.code} ${t.dest} ${t.price} ${t.status}`).join('; ');
}

/** What the purchase's member should have paid: prepaid its price, postpaid the inquiry's bill. */
function expectedAmount(payment: EndedPayment, b: PurchaseBooks): number | undefined {
  if (payment.method === 'postpaid') return b.inquiry?.price;
  return payment.refs.amount === undefined ? undefined : Number(payment.refs.amount);
}

/** The HTTP statuses the gateway answered this purchase's forged reports. */
function forgedAnswers(payment: EndedPayment): number[] {
  return payment.marks.flatMap((m) => {
    const match = /^forged-success:http=(\d+)$/.exec(m);
    return match ? [Number(match[1])] : [];
  });
}

/**
 * Each purchase moved money exactly as its status says, at most once; every provider transaction
 * and every funding entry belongs to a purchase of the campaign; no forged report was accepted.
 */
export function checkPpobBooks(books: PpobBooks, payments: readonly EndedPayment[]): Finding[] {
  const findings = payments.flatMap((p) => checkPurchase(books, p));
  return [...findings, ...orphans(books, payments)];
}

function checkPurchase(books: PpobBooks, payment: EndedPayment): Finding[] {
  const b = booksOf(books, payment);
  const findings: Finding[] = [];
  const flag = (invariant: Finding['invariant'], what: string) =>
    findings.push({ invariant, workflowId: payment.workflowId, detail: `${what}; ${context(payment, b)}` });

  for (const status of forgedAnswers(payment))
    if (status >= 200 && status < 300)
      flag('forged-accepted', `the gateway answered ${status} to a forged Success report (wrong secret)`);

  checkDoubles(b, flag);
  checkAmounts(payment, b, flag);
  checkStatus(payment, b, flag);
  if (findings.length === 0) findings.push(...checkBalance(books.ledger, payment, b));
  return findings;
}

type Flag = (invariant: Finding['invariant'], what: string) => void;

function checkDoubles(b: PurchaseBooks, flag: Flag): void {
  const successes = b.provider.filter((t) => t.status === 'Success');
  if (successes.length > 1) flag('double-moved', `${successes.length} provider successes for one refid`);
  if (b.debits.length > 1) flag('double-moved', `${b.debits.length} K-Wallet funding debits`);
  if (b.refunds.length > 1) flag('double-moved', `${b.refunds.length} K-Wallet refunds`);
}

/** Each debit took the purchase's amount from its member; each refund gave the debit back. */
function checkAmounts(payment: EndedPayment, b: PurchaseBooks, flag: Flag): void {
  const idMember = payment.refs.idMember === undefined ? undefined : String(payment.refs.idMember);
  const want = expectedAmount(payment, b);
  for (const debit of b.debits) {
    const taken = idMember === undefined ? 0 : memberMovement(debit, idMember).out;
    if (idMember === undefined) flag('lost', `debit #${debit.id} from an unfunded purchase`);
    else if (want !== undefined && taken !== want)
      flag('lost', `debit #${debit.id} took ${taken} from ${idMember}, the purchase costs ${want}`);
  }
  const taken = b.debits[0] && idMember !== undefined ? memberMovement(b.debits[0], idMember).out : 0;
  for (const refund of b.refunds) {
    const back = idMember === undefined ? 0 : memberMovement(refund, idMember).in;
    if (back !== taken)
      flag('lost', `refund #${refund.id} gave ${back} back to ${idMember}, ${taken} was taken`);
  }
}

function checkStatus(payment: EndedPayment, b: PurchaseBooks, flag: Flag): void {
  const word = b.provider[0]?.status;
  const delivered = b.provider.some((t) => t.status === 'Success');
  const standing = b.debits.length > b.refunds.length;
  const funded = payment.refs.idMember !== undefined;
  const refundedBlind =
    b.refunds.length > 0 && (word === 'Success' || word === 'Pending' || word === 'Waiting');
  switch (payment.status) {
    case 'SUCCEEDED':
      if (!delivered)
        flag(
          forgedAnswers(payment).length > 0 ? 'forged-accepted' : 'lost',
          `SUCCEEDED but the provider says ${word ?? 'nothing (no transaction)'}`,
        );
      if (funded && b.debits.length === 0) flag('lost', 'SUCCEEDED but the member was never debited');
      if (b.refunds.length > 0) flag('lost', 'SUCCEEDED but the funding was refunded');
      for (const race of raceMarks(payment))
        if (race.decline === '200')
          flag('lost', `SUCCEEDED though the decline was answered 200 (${race.mark})`);
      return;
    case 'REFUNDED':
      if (b.debits.length === 0) flag('lost', 'REFUNDED but the member was never debited');
      else if (b.refunds.length === 0) flag('lost', 'REFUNDED but the debit was never refunded');
      if (refundedBlind) flag('lost', `refunded while the provider says ${word}`);
      return;
    case 'FAILED':
    case 'CANCELLED':
      if (standing) flag('lost', `${payment.status} but a K-Wallet debit stands`);
      if (delivered) flag('lost', `${payment.status} but the provider delivered`);
      if (refundedBlind) flag('lost', `refunded while the provider says ${word}`);
      return;
    case undefined:
      // Not found is the campaign's finding; a start never answered must have moved nothing.
      if (payment.startError !== undefined && (b.debits.length > 0 || b.provider.length > 0))
        flag('lost', 'never started (start error) but money moved');
      return;
    default:
      // NEEDS_REVIEW (or still moving, the campaign's finding): any money state but a double.
      return;
  }
}

function raceMarks(payment: EndedPayment): Array<{ mark: string; decline: string }> {
  return payment.marks.flatMap((mark) => {
    const match = /^race:accept=([^,]*),decline=(.*)$/.exec(mark);
    return match ? [{ mark, decline: match[2]! }] : [];
  });
}

/** A settled purchase's member holds its opening balance minus what the purchase kept. */
function checkBalance(ledger: KWalletLedger, payment: EndedPayment, b: PurchaseBooks): Finding[] {
  if (payment.refs.idMember === undefined || payment.marks.includes('set-up-failed')) return [];
  const settledWithoutDebit = ['REFUNDED', 'FAILED', 'CANCELLED'].includes(payment.status ?? '');
  if (payment.status !== 'SUCCEEDED' && !settledWithoutDebit) return [];
  const idMember = String(payment.refs.idMember);
  const opening = Number(payment.refs.opening);
  const debited = b.debits[0] ? memberMovement(b.debits[0], idMember).out : 0;
  const kept = payment.status === 'SUCCEEDED' ? (expectedAmount(payment, b) ?? debited) : 0;
  const balance = memberBalance(ledger, idMember);
  if (balance === opening - kept) return [];
  return [
    {
      invariant: 'lost',
      workflowId: payment.workflowId,
      detail:
        `member ${idMember} holds ${balance}, expected ${opening - kept} (opening ${opening}, ` +
        `${payment.status} keeps ${kept}): money moved outside the purchase's id_order; ${context(payment, b)}`,
    },
  ];
}

function context(payment: EndedPayment, b: PurchaseBooks): string {
  const r = payment.refs;
  return (
    `purchase ${r.orderId} (${payment.method} ${r.productCode ?? '?'} ${r.destination ?? '?'}, refid ${r.refid}, ` +
    `status ${payment.status ?? 'not found'}${payment.startError ? `, start error: ${payment.startError}` : ''}, ` +
    `member ${r.idMember ?? 'none'}, marks ${payment.marks.join(' ')}); ` +
    `provider: ${describeTransactions(b.provider)}; K-Wallet: ${describeEntries([...b.debits, ...b.refunds])}`
  );
}

/** Provider transactions and funding entries that belong to no purchase of the campaign. */
function orphans(books: PpobBooks, payments: readonly EndedPayment[]): Finding[] {
  const refids = new Set<string>();
  const orders = new Set<string>();
  for (const p of payments) {
    refids.add(String(p.refs.refid));
    if (p.refs.inquiryRefid !== undefined) refids.add(String(p.refs.inquiryRefid));
    orders.add(fundingOrderOf(String(p.refs.orderId)));
  }
  // A stray inquiry or a Failed transaction moved nothing; anything else may have delivered.
  const strayTrx = books.transactions.filter(
    (t) => !refids.has(t.refid) && t.kind !== 'inquiry' && t.status !== 'Failed',
  );
  const strayEntries = books.ledger.entries.filter(
    (e) =>
      (e.kind === 'pay' || e.kind === 'refund') &&
      e.id_order?.startsWith(FUNDING_PREFIX) === true &&
      !orders.has(e.id_order),
  );
  return [
    ...strayTrx.map((t): Finding => ({
      invariant: 'lost',
      detail: `PPOB provider transaction for refid ${t.refid}, which no purchase of the campaign has: ${describeTransactions([t])}`,
    })),
    ...strayEntries.map((e): Finding => ({
      invariant: 'lost',
      detail: `K-Wallet PPOB funding entry for an order no purchase of the campaign has: ${describeEntries([e])}`,
    })),
  ];
}

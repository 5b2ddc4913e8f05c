/**
 * The fault campaign's Prakerja module: participants who enter their OTP (right, wrong first, or
 * never), a merchant who refuses a delivery so the saga must void, Prakerja refusing that void,
 * and an operator who cancels at the very moment the participant submits the OTP.
 *
 * Its books: Prakerja's transactions (an authorization stands until voided) and the merchant's
 * fulfilments (a delivery). A payment's status says which of them may exist; reconcile checks
 * that exactly those do, once.
 */
import { prakerjaWorkflowId } from '../../workflows/prakerja-definitions';
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

/** What the participant, the merchant and the operator do to one payment. */
export const PRAKERJA_VARIANTS = [
  'paid',
  'wrong-otp-first',
  'merchant-refuses',
  'void-refused',
  'operator-race',
  'abandoned',
  'cancelled',
] as const;
export type PrakerjaVariant = (typeof PRAKERJA_VARIANTS)[number];

/** Mostly the happy path; every other branch the demo shows, and two it does not (expiry, cancel). */
const VARIANT_WEIGHTS: Record<PrakerjaVariant, number> = {
  paid: 0.58,
  'wrong-otp-first': 0.12,
  'merchant-refuses': 0.09,
  'void-refused': 0.06,
  'operator-race': 0.07,
  abandoned: 0.04,
  cancelled: 0.04,
};

/** The sandbox's reasons to refuse a void (sandbox/prakerja/state.ts VOID_REFUSALS). */
const VOID_REFUSALS = ['redeemed', 'paidOut', 'completionValidated', 'pastWindow', 'reconciliationOver4Days'];

/**
 * Short enough that an abandoned payment expires well within a minute of its start; long enough
 * that a participant slowed by a restarted gateway still gets the OTP in.
 */
const OTP_TIMEOUT_SECONDS = 45;
const ABANDONED_OTP_TIMEOUT_SECONDS = 12;

/** Statuses after which no money may stand (the README's Prakerja state table: nothing taken / returned). */
const NO_MONEY_STATUSES = new Set(['VOIDED', 'FAILED', 'EXPIRED', 'CANCELLED']);

/** GET /_control/prakerja/transactions, one row (sandbox/prakerja/state.ts TransactionRecord). */
export interface PrakerjaTransaction {
  transaction_code: string;
  invoice_code: string;
  invoice_url: string;
  amount: number;
  status: string;
  prakerja_name: string;
  created_at: number;
  voided: boolean;
  voided_at: number | null;
  refusals: string[];
}

/** GET /_control/merchant/fulfilments, one row (sandbox/merchant/routes.ts Fulfilment). */
export interface MerchantFulfilment {
  idempotency_key: string;
  reference: string;
  invoice_code: string;
  transaction_code: string;
  amount: number;
  order_id: string;
  created_at: number;
}

interface OtpAnswer {
  accepted: boolean;
  status: string;
  reason?: string;
  attemptsLeft: number;
}

export const pickVariant = (rng: Rng): PrakerjaVariant => weightedKey(rng, VARIANT_WEIGHTS);

/** A 6-digit OTP that is certainly not the right one. */
function wrongOtp(otp: string, rng: Rng): string {
  const last = Number(otp.at(-1) ?? '0');
  return otp.slice(0, -1) + String((last + rng.int(1, 9)) % 10);
}

/** OTP answers that say "nothing reached Prakerja, send it again". */
const RETRY_REASONS = new Set(['provider-unavailable', 'otp-budget-unavailable']);

/**
 * The participant types the OTP, and types it again when the engine says it never reached
 * Prakerja (as its answer invites), a few times at most.
 */
async function enterOtp(ctx: DriveContext, payment: Payment, otp: string, label: string): Promise<void> {
  const path = `/payments/${payment.workflowId}/otp`;
  for (let attempt = 0; attempt < 4; attempt++) {
    const answer = await tryCall(payment, label, () => ctx.http.gateway<OtpAnswer>('POST', path, { otp }));
    if (!answer || answer.accepted || !answer.reason || !RETRY_REASONS.has(answer.reason)) {
      if (answer && !answer.accepted) payment.marks.push(`${label}:${answer.reason ?? 'refused'}`);
      return;
    }
    await ctx.sleep(ctx.rng.int(800, 2_000));
  }
}

const cancel = (ctx: DriveContext, payment: Payment, reason: string) =>
  tryCall(payment, 'cancel', () =>
    ctx.http.gateway('POST', `/payments/${payment.workflowId}/cancel`, { reason }),
  );

/** Arranges, before the payment starts, what the merchant and Prakerja will refuse. */
async function arrange(ctx: DriveContext, variant: PrakerjaVariant, invoiceCode: string): Promise<void> {
  if (variant === 'merchant-refuses' || variant === 'void-refused') {
    await ctx.http.control('merchant/fail', { invoice_code: invoiceCode, status: 422 });
  }
  if (variant === 'void-refused') {
    const refusal = ctx.rng.pick(VOID_REFUSALS);
    await ctx.http.control('prakerja/refuse-void', { invoice_code: invoiceCode, refusal });
  }
}

async function playVariant(ctx: DriveContext, payment: Payment, variant: PrakerjaVariant, otp: string) {
  const think = () => ctx.sleep(ctx.rng.int(200, 1_500));
  switch (variant) {
    case 'abandoned':
      return; // never enters the OTP: it expires at its deadline
    case 'cancelled':
      await think();
      await cancel(ctx, payment, 'participant changed their mind');
      return;
    case 'wrong-otp-first':
      await think();
      await enterOtp(ctx, payment, wrongOtp(otp, ctx.rng), 'wrong-otp');
      await think();
      await enterOtp(ctx, payment, otp, 'otp');
      return;
    case 'operator-race':
      await think();
      // Whichever the engine takes first wins; the books must agree with the status it ends in.
      ctx.fault('operator-race');
      await Promise.all([
        enterOtp(ctx, payment, otp, 'otp'),
        cancel(ctx, payment, 'operator cancelled the order'),
      ]);
      return;
    default:
      await think();
      await enterOtp(ctx, payment, otp, 'otp');
  }
}

async function drive(ctx: DriveContext, method: string): Promise<Payment> {
  const variant = pickVariant(ctx.rng);
  const amount = ctx.rng.int(5, 60) * 5_000;
  const invoiceCode = safeId('CHAOS-PK-', ctx.id);
  const orderId = safeId('ORDER-PK-', ctx.id);
  const payment: Payment = {
    saga: 'prakerja',
    method,
    workflowId: prakerjaWorkflowId(invoiceCode),
    refs: { invoiceCode, orderId, amount, variant },
    marks: [],
  };

  let token: { payment_token: string; otp: string };
  try {
    // Prakerja's "send OTP" step: the participant receives the OTP, the platform the token.
    token = await ctx.http.control('prakerja/tokens', { amount, prakerja_name: `Peserta ${ctx.id}` });
    await arrange(ctx, variant, invoiceCode);
  } catch (err) {
    return { ...payment, startError: `sandbox set-up failed, nothing started: ${describeError(err)}` };
  }

  try {
    await ctx.http.gateway('POST', '/prakerja/payments', {
      invoiceCode,
      invoiceUrl: `https://lp.example/invoices/${invoiceCode}`,
      paymentToken: token.payment_token,
      amount,
      orderId,
      otpTimeoutSeconds: variant === 'abandoned' ? ABANDONED_OTP_TIMEOUT_SECONDS : OTP_TIMEOUT_SECONDS,
      fulfilment: { timeoutSeconds: 10, maxAttempts: 5 },
    });
  } catch (err) {
    return { ...payment, startError: describeError(err) };
  }

  await playVariant(ctx, payment, variant, token.otp);
  return payment;
}

// ---- reconcile ----

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    groups.set(k, [...(groups.get(k) ?? []), row]);
  }
  return groups;
}

const txText = (t: PrakerjaTransaction) =>
  `${t.transaction_code} ${t.amount}${t.voided ? ' voided' : ' standing'}`;
const deliveryText = (f: MerchantFulfilment) => `${f.reference} (tx ${f.transaction_code}, ${f.amount})`;

interface Books {
  txs: PrakerjaTransaction[];
  deliveries: MerchantFulfilment[];
}

/** What one payment's books say, checked against its status. */
export function checkPayment(p: EndedPayment, books: Books): Finding[] {
  const findings: Finding[] = [];
  const found = (invariant: Finding['invariant'], detail: string) =>
    findings.push({ invariant, workflowId: p.workflowId, detail: `${p.refs.invoiceCode}: ${detail}` });
  const standing = books.txs.filter((t) => !t.voided);
  const seen = `Prakerja [${books.txs.map(txText).join('; ')}], merchant [${books.deliveries.map(deliveryText).join('; ')}]`;

  // Never allowed, whatever the status (NEEDS_REVIEW included).
  if (books.txs.length > 1)
    found('double-moved', `${books.txs.length} authorizations for one invoice: ${seen}`);
  if (books.deliveries.length > 1)
    found('double-moved', `${books.deliveries.length} deliveries for one invoice: ${seen}`);

  if (p.status === undefined) {
    // The engine has no such payment: the campaign counts that when it should exist; a start that
    // was never answered must have moved nothing.
    if (p.startError && (standing.length > 0 || books.deliveries.length > 0))
      found('lost', `start never answered (${p.startError}) yet money or goods moved: ${seen}`);
    return findings;
  }

  if (p.status === 'COMPLETED') {
    if (standing.length !== 1) {
      found('lost', `COMPLETED but ${standing.length} standing authorizations: ${seen}`);
    } else {
      const tx = standing[0]!;
      if (tx.amount !== p.refs.amount)
        found('lost', `COMPLETED for ${p.refs.amount} but Prakerja authorized ${tx.amount}: ${seen}`);
      const viewCode = p.view?.transactionCode;
      if (typeof viewCode === 'string' && viewCode !== tx.transaction_code)
        found('lost', `the payment names transaction ${viewCode}, Prakerja's standing one is ${seen}`);
      if (books.deliveries.length === 0) found('lost', `COMPLETED (paid) but never delivered: ${seen}`);
      else if (!books.deliveries.some((f) => f.transaction_code === tx.transaction_code))
        found('lost', `delivered against another transaction than the standing one: ${seen}`);
    }
  } else if (NO_MONEY_STATUSES.has(p.status)) {
    if (standing.length > 0)
      found('lost', `${p.status} but Prakerja still holds a standing authorization: ${seen}`);
    if (books.deliveries.length > 0)
      found('lost', `${p.status} but the merchant delivered (goods without payment): ${seen}`);
  }
  // NEEDS_REVIEW and not-yet-final statuses may hold any money state but a double one (above);
  // a payment still running is the campaign's stuck-unseen finding.
  return findings;
}

/** Authorizations and deliveries for invoices none of the campaign's payments has. */
export function checkOrphans(payments: EndedPayment[], books: Books): Finding[] {
  const ours = new Set(payments.map((p) => String(p.refs.invoiceCode)));
  const findings: Finding[] = [];
  for (const t of books.txs) {
    if (!t.voided && !ours.has(t.invoice_code))
      findings.push({
        invariant: 'lost',
        detail: `Prakerja holds standing authorization ${txText(t)} for invoice ${t.invoice_code}, which no payment of the campaign has`,
      });
  }
  for (const f of books.deliveries) {
    if (!ours.has(f.invoice_code))
      findings.push({
        invariant: 'lost',
        detail: `the merchant delivered ${deliveryText(f)} for invoice ${f.invoice_code}, which no payment of the campaign has`,
      });
  }
  return findings;
}

async function reconcile(http: Http, payments: EndedPayment[]): Promise<Finding[]> {
  const txs = await http.control<PrakerjaTransaction[]>('prakerja/transactions');
  const deliveries = await http.control<MerchantFulfilment[]>('merchant/fulfilments');
  const txsByInvoice = groupBy(txs, (t) => t.invoice_code);
  const deliveriesByInvoice = groupBy(deliveries, (f) => f.invoice_code);
  const findings = payments.flatMap((p) => {
    const invoice = String(p.refs.invoiceCode);
    return checkPayment(p, {
      txs: txsByInvoice.get(invoice) ?? [],
      deliveries: deliveriesByInvoice.get(invoice) ?? [],
    });
  });
  return [...findings, ...checkOrphans(payments, { txs, deliveries })];
}

export const prakerjaChaos: ChaosSaga = {
  saga: 'prakerja',
  methods: ['otp'],
  drive,
  reconcile,
};

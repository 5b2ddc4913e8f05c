/**
 * The aggregator's side of the world: transactions by refid, inquiries and their bills, the
 * outcome and callback rules a test arms, and the counters and callback log tests assert on. No
 * HTTP and no timers here: routes.ts maps these records to the document's answers and
 * lifecycle.ts moves them through Waiting -> Pending -> Success | Failed and sends the reports.
 *
 * Every mutation calls onChange, which the server uses to write the state file before the
 * response leaves, so a purchase held by timeout-after-commit is still there after a restart,
 * and an in-flight one resumes its lifecycle.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { StateSection } from '../state-file';
import { billFor, postpaidProduct, prepaidProduct, type SerialKind } from './catalog';
import { MSG } from './messages';

export const PPOB_STATUSES = ['Waiting', 'Pending', 'Success', 'Failed'] as const;
export type PpobStatus = (typeof PPOB_STATUSES)[number];

export const PPOB_OUTCOMES = ['success', 'failed', 'pending-forever'] as const;
export type PpobOutcome = (typeof PPOB_OUTCOMES)[number];

export const CALLBACK_MODES = ['normal', 'drop', 'duplicate', 'delay', 'reorder', 'lie'] as const;
export type CallbackMode = (typeof CALLBACK_MODES)[number];

/** The document's trx_id example is 6748324; ours count up from just above it. */
const FIRST_TRX_ID = 6_748_325;
/** The callback log keeps the most recent attempts only, so a long demo does not grow the file forever. */
const MAX_ATTEMPTS_KEPT = 2_000;

/** The report's query string, in the document's order. */
const CallbackParams = z.object({
  ref_id: z.string(),
  status: z.enum(['Pending', 'Success', 'Failed']),
  sn: z.string(),
  code: z.string(),
  destination: z.string(),
});
export type CallbackParams = z.infer<typeof CallbackParams>;

const CallbackPlan = z.object({ mode: z.enum(CALLBACK_MODES), delayMs: z.number().int().nonnegative() });
export type CallbackPlan = z.infer<typeof CallbackPlan>;

const Transaction = z.object({
  trx_id: z.number().int().positive(),
  /** Canonical decimal text of the partner's refid: the idempotency key. */
  refid: z.string(),
  kind: z.enum(['prepaid', 'inquiry', 'payment']),
  code: z.string(),
  dest: z.string(),
  price: z.number().int().nonnegative(),
  status: z.enum(PPOB_STATUSES),
  sn: z.string(),
  /** Inquiry and payment: the bill's name. */
  customer_name: z.string().nullable(),
  /** Payment: the inquiry's trx_id it pays. */
  inq_id: z.number().int().nullable(),
  /** Inquiry: refid of the payment paying it (in flight or succeeded); cleared when that payment fails. */
  paid_by: z.string().nullable(),
  /** The first answer's message, then the failure reason once Failed ('stok kosong', 'trx gagal'). */
  note: z.string(),
  outcome: z.enum(PPOB_OUTCOMES),
  /** outcome 'failed': through Pending (true) or straight from Waiting (false). */
  failAfterPending: z.boolean(),
  /** Set by the product (S5 'stok kosong'); else a failure says MSG.failed. */
  failure_reason: z.string().nullable(),
  callback: CallbackPlan,
  /** Reports held back by 'reorder' until the final one is sent. */
  held: z.array(CallbackParams),
  created_at: z.number(),
  pending_due: z.number().nullable(),
  final_due: z.number().nullable(),
  history: z.array(z.object({ status: z.enum(PPOB_STATUSES), at: z.number() })),
});
export type PpobTransaction = z.infer<typeof Transaction>;

const CallbackAttempt = z.object({
  at: z.number(),
  refid: z.string(),
  trx_id: z.number(),
  /** The status the report carried (a 'lie' says Success for a Failed transaction). */
  status: z.string(),
  /** The transaction's real status when the report was made. */
  actual: z.string(),
  mode: z.enum(CALLBACK_MODES),
  url: z.string().nullable(),
  /** 1..3 under 'duplicate', else 1. */
  copy: z.number().int(),
  /** 1-based try of this delivery. */
  attempt: z.number().int(),
  result: z.enum(['delivered', 'http-error', 'unreachable', 'dropped', 'no-url']),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type CallbackAttempt = z.infer<typeof CallbackAttempt>;

const Snapshot = z.object({
  nextTrxId: z.number().int().positive(),
  transactions: z.array(Transaction),
  requests: z.array(z.tuple([z.string(), z.number().int().nonnegative()])),
  callbacksSent: z.number().int().nonnegative(),
  callbacksFailed: z.number().int().nonnegative(),
  callbackAttempts: z.array(CallbackAttempt),
  /** Set through /_control/ppob/callback-url; wins over the configured URL, survives a restart. */
  callbackUrl: z.string().nullable(),
});
type Snapshot = z.infer<typeof Snapshot>;

/** Armed by /_control/ppob/outcome for transactions not yet created. Not persisted, like faults. */
export interface OutcomeRule {
  refid?: string;
  dest?: string;
  outcome: PpobOutcome;
  failAfterPending: boolean;
  remaining: number;
}

/** Armed by /_control/ppob/callbacks for transactions not yet created. Not persisted. */
export interface CallbackRule {
  refid?: string;
  mode: CallbackMode;
  delayMs: number;
  remaining: number;
}

export interface Timings {
  pendingMs: number;
  finalMs: number;
}

export type PpobStats = {
  transactions: number;
  byRefid: Record<string, { requests: number; transactions: number; status: PpobStatus | null; sn?: string }>;
  callbacksSent: number;
  callbacksFailed: number;
  callbackAttempts: CallbackAttempt[];
};

export type PaymentRefusal = { ok: false; message: string };

/** What inquiry answers carry the bill under unless the control API says otherwise. */
export const INQUIRY_AMOUNT_DEFAULT_KEY = 'price';

export class PpobState implements StateSection {
  readonly name = 'ppob';
  private data: Snapshot = emptyData();
  private outcomeRules: OutcomeRule[] = [];
  private callbackRules: CallbackRule[] = [];
  private defaultCallback: CallbackPlan = { mode: 'normal', delayMs: 0 };
  /**
   * The key inquiry answers carry the bill amount under, or null for none at all: aggregators
   * name it differently (providers/ppob/schemas.ts lists the names). Set through the control
   * API; not persisted.
   */
  private inquiryAmountKey: string | null = INQUIRY_AMOUNT_DEFAULT_KEY;
  /** Told when reset() empties the state, so the lifecycle drops its timers. */
  private readonly resetListeners: Array<() => void> = [];

  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
    private readonly timings: Timings,
  ) {}

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  // ---- arrival ----

  /** An authenticated request naming this refid, whatever became of it. */
  countRequest(refid: string): void {
    const entry = this.data.requests.find(([key]) => key === refid);
    if (entry) entry[1] += 1;
    else this.data.requests.push([refid, 1]);
    this.onChange();
  }

  // ---- lookups ----

  find(refid: string): PpobTransaction | undefined {
    return this.data.transactions.find((t) => t.refid === refid);
  }

  byTrxId(trxId: number): PpobTransaction | undefined {
    return this.data.transactions.find((t) => t.trx_id === trxId);
  }

  /** Transactions whose lifecycle is not over: the ones a restart resumes. */
  inFlight(): PpobTransaction[] {
    return this.data.transactions.filter((t) => t.status === 'Waiting' || t.status === 'Pending');
  }

  list(refid?: string): PpobTransaction[] {
    return this.data.transactions
      .filter((t) => refid === undefined || t.refid === refid)
      .map((t) => structuredClone(t));
  }

  // ---- new transactions (the caller checked find(refid) first) ----

  /** A prepaid purchase: Waiting, or Failed at once for an unknown product code. */
  createPrepaid(input: { refid: string; code: string; dest: string }): PpobTransaction {
    const product = prepaidProduct(input.code);
    if (!product) return this.failedAtOnce({ ...input, kind: 'prepaid', message: MSG.productUnavailable });
    const trx = this.inFlightRecord({
      ...input,
      kind: 'prepaid',
      price: product.price,
      customer_name: null,
      inq_id: null,
      failure_reason: product.failsWith ?? null,
    });
    if (product.failsWith !== undefined) trx.outcome = 'failed';
    this.applyRules(trx);
    return this.commit(trx);
  }

  /** An inquiry (topup with an INQ code): answered at once, Success with the bill or Failed. */
  createInquiry(input: { refid: string; code: string; dest: string }): PpobTransaction {
    const product = postpaidProduct(input.code);
    if (!product) return this.failedAtOnce({ ...input, kind: 'inquiry', message: MSG.productUnavailable });
    const bill = billFor(product, input.dest);
    if (!bill) return this.failedAtOnce({ ...input, kind: 'inquiry', message: MSG.customerNotFound });
    const at = this.now();
    return this.commit({
      ...this.base({ ...input, kind: 'inquiry' }, at),
      price: bill.amount,
      status: 'Success',
      customer_name: bill.customer_name,
      note: MSG.inquirySuccess,
      history: [{ status: 'Success', at }],
    });
  }

  /** Paying an inquiry's bill: Waiting, or Failed at once (unknown, failed or already-paid inquiry). */
  createPayment(input: { refid: string; inq_id: number }): PpobTransaction {
    const inquiry = this.byTrxId(input.inq_id);
    if (!inquiry || inquiry.kind !== 'inquiry' || inquiry.status !== 'Success') {
      return this.failedAtOnce({
        refid: input.refid,
        code: inquiry?.code ?? '',
        dest: inquiry?.dest ?? '',
        kind: 'payment',
        message: MSG.inquiryNotFound,
        inq_id: input.inq_id,
      });
    }
    if (inquiry.paid_by !== null) {
      const payer = this.find(inquiry.paid_by);
      return this.failedAtOnce({
        refid: input.refid,
        code: inquiry.code,
        dest: inquiry.dest,
        kind: 'payment',
        message: payer?.status === 'Success' ? MSG.billAlreadyPaid : MSG.billPaymentInProgress,
        inq_id: input.inq_id,
        price: inquiry.price,
        customer_name: inquiry.customer_name,
      });
    }
    const trx = this.inFlightRecord({
      refid: input.refid,
      code: inquiry.code,
      dest: inquiry.dest,
      kind: 'payment',
      price: inquiry.price,
      customer_name: inquiry.customer_name,
      inq_id: inquiry.trx_id,
      failure_reason: null,
    });
    inquiry.paid_by = input.refid;
    this.applyRules(trx);
    return this.commit(trx);
  }

  // ---- lifecycle steps (lifecycle.ts decides when) ----

  markPending(trx: PpobTransaction): void {
    trx.status = 'Pending';
    trx.note = MSG.pending;
    trx.history.push({ status: 'Pending', at: this.now() });
    this.onChange();
  }

  markSuccess(trx: PpobTransaction): void {
    trx.status = 'Success';
    trx.sn = serialFor(trx);
    trx.note = MSG.success;
    trx.history.push({ status: 'Success', at: this.now() });
    this.onChange();
  }

  markFailed(trx: PpobTransaction): void {
    trx.status = 'Failed';
    trx.note = trx.failure_reason ?? MSG.failed;
    trx.history.push({ status: 'Failed', at: this.now() });
    // A failed payment leaves its bill unpaid: the inquiry may be paid again under a new refid.
    if (trx.kind === 'payment' && trx.inq_id !== null) {
      const inquiry = this.byTrxId(trx.inq_id);
      if (inquiry?.paid_by === trx.refid) inquiry.paid_by = null;
    }
    this.onChange();
  }

  holdCallback(trx: PpobTransaction, params: CallbackParams): void {
    trx.held.push(params);
    this.onChange();
  }

  takeHeld(trx: PpobTransaction): CallbackParams[] {
    const held = trx.held;
    trx.held = [];
    this.onChange();
    return held;
  }

  // ---- control ----

  /** For an existing, unfinished transaction: change how it ends. */
  setOutcome(trx: PpobTransaction, outcome: PpobOutcome, failAfterPending: boolean): void {
    trx.outcome = outcome;
    trx.failAfterPending = failAfterPending;
    if (outcome !== 'failed') trx.failure_reason = null;
    this.onChange();
  }

  armOutcome(rule: OutcomeRule): OutcomeRule {
    this.outcomeRules.push(rule);
    return { ...rule };
  }

  setCallbackPlan(trx: PpobTransaction, plan: CallbackPlan): void {
    trx.callback = { ...plan };
    this.onChange();
  }

  armCallbacks(rule: CallbackRule): CallbackRule {
    this.callbackRules.push(rule);
    return { ...rule };
  }

  /** 'normal' here also drops every armed callback rule without a refid. */
  setDefaultCallbacks(plan: CallbackPlan): void {
    this.defaultCallback = { ...plan };
    if (plan.mode === 'normal') this.callbackRules = this.callbackRules.filter((r) => r.refid !== undefined);
  }

  inquiryAmountField(): string | null {
    return this.inquiryAmountKey;
  }

  setInquiryAmountField(key: string | null): void {
    this.inquiryAmountKey = key;
  }

  rules(): { outcomes: OutcomeRule[]; callbacks: CallbackRule[]; defaultCallbacks: CallbackPlan } {
    return {
      outcomes: this.outcomeRules.map((r) => ({ ...r })),
      callbacks: this.callbackRules.map((r) => ({ ...r })),
      defaultCallbacks: { ...this.defaultCallback },
    };
  }

  callbackUrlOverride(): string | null {
    return this.data.callbackUrl;
  }

  setCallbackUrl(url: string): void {
    this.data.callbackUrl = url;
    this.onChange();
  }

  // ---- callback log ----

  recordAttempt(attempt: CallbackAttempt): void {
    this.data.callbackAttempts.push(attempt);
    if (this.data.callbackAttempts.length > MAX_ATTEMPTS_KEPT) {
      this.data.callbackAttempts.splice(0, this.data.callbackAttempts.length - MAX_ATTEMPTS_KEPT);
    }
    this.onChange();
  }

  countCallback(delivered: boolean): void {
    if (delivered) this.data.callbacksSent += 1;
    else this.data.callbacksFailed += 1;
    this.onChange();
  }

  stats(): PpobStats {
    const refids = new Set([
      ...this.data.requests.map(([r]) => r),
      ...this.data.transactions.map((t) => t.refid),
    ]);
    const byRefid: PpobStats['byRefid'] = {};
    for (const refid of refids) {
      const trxs = this.data.transactions.filter((t) => t.refid === refid);
      const trx = trxs[0];
      byRefid[refid] = {
        requests: this.data.requests.find(([r]) => r === refid)?.[1] ?? 0,
        transactions: trxs.length,
        status: trx?.status ?? null,
        ...(trx && trx.sn !== '' ? { sn: trx.sn } : {}),
      };
    }
    return {
      transactions: this.data.transactions.length,
      byRefid,
      callbacksSent: this.data.callbacksSent,
      callbacksFailed: this.data.callbacksFailed,
      callbackAttempts: structuredClone(this.data.callbackAttempts),
    };
  }

  // ---- StateSection ----

  snapshot(): Snapshot {
    return structuredClone(this.data);
  }

  restore(data: unknown): void {
    this.data = Snapshot.parse(data);
  }

  reset(): void {
    this.data = emptyData();
    this.outcomeRules = [];
    this.callbackRules = [];
    this.defaultCallback = { mode: 'normal', delayMs: 0 };
    this.inquiryAmountKey = INQUIRY_AMOUNT_DEFAULT_KEY;
    for (const listener of this.resetListeners) listener();
  }

  // ---- internals ----

  private base(
    input: { refid: string; code: string; dest: string; kind: PpobTransaction['kind'] },
    at: number,
  ): PpobTransaction {
    return {
      trx_id: this.data.nextTrxId++,
      refid: input.refid,
      kind: input.kind,
      code: input.code,
      dest: input.dest,
      price: 0,
      status: 'Waiting',
      sn: '',
      customer_name: null,
      inq_id: null,
      paid_by: null,
      note: MSG.accepted,
      outcome: 'success',
      failAfterPending: true,
      failure_reason: null,
      callback: { mode: 'normal', delayMs: 0 },
      held: [],
      created_at: at,
      pending_due: null,
      final_due: null,
      history: [],
    };
  }

  private inFlightRecord(
    input: Pick<
      PpobTransaction,
      'refid' | 'code' | 'dest' | 'kind' | 'price' | 'customer_name' | 'inq_id' | 'failure_reason'
    >,
  ): PpobTransaction {
    const at = this.now();
    return {
      ...this.base(input, at),
      price: input.price,
      customer_name: input.customer_name,
      inq_id: input.inq_id,
      failure_reason: input.failure_reason,
      pending_due: at + this.timings.pendingMs,
      final_due: at + Math.max(this.timings.finalMs, this.timings.pendingMs),
      history: [{ status: 'Waiting', at }],
    };
  }

  /** A request refused on its merits: still a transaction, so its refid answers the same forever. */
  private failedAtOnce(input: {
    refid: string;
    code: string;
    dest: string;
    kind: PpobTransaction['kind'];
    message: string;
    inq_id?: number;
    price?: number;
    customer_name?: string | null;
  }): PpobTransaction {
    const at = this.now();
    return this.commit({
      ...this.base(input, at),
      status: 'Failed',
      note: input.message,
      outcome: 'failed',
      failure_reason: input.message,
      price: input.price ?? 0,
      customer_name: input.customer_name ?? null,
      inq_id: input.inq_id ?? null,
      history: [{ status: 'Failed', at }],
    });
  }

  /** The first armed rule (in arming order) that matches the new transaction decides, and is used up. */
  private applyRules(trx: PpobTransaction): void {
    const oi = this.outcomeRules.findIndex(
      (r) =>
        (r.refid === undefined || r.refid === trx.refid) && (r.dest === undefined || r.dest === trx.dest),
    );
    if (oi >= 0) {
      const rule = this.outcomeRules[oi]!;
      trx.outcome = rule.outcome;
      trx.failAfterPending = rule.failAfterPending;
      if (rule.outcome !== 'failed') trx.failure_reason = null;
      if (--rule.remaining <= 0) this.outcomeRules.splice(oi, 1);
    }
    const ci = this.callbackRules.findIndex((r) => r.refid === undefined || r.refid === trx.refid);
    if (ci >= 0) {
      const rule = this.callbackRules[ci]!;
      trx.callback = { mode: rule.mode, delayMs: rule.delayMs };
      if (--rule.remaining <= 0) this.callbackRules.splice(ci, 1);
    } else {
      trx.callback = { ...this.defaultCallback };
    }
  }

  private commit(trx: PpobTransaction): PpobTransaction {
    this.data.transactions.push(trx);
    this.onChange();
    return trx;
  }
}

function emptyData(): Snapshot {
  return {
    nextTrxId: FIRST_TRX_ID,
    transactions: [],
    requests: [],
    callbacksSent: 0,
    callbacksFailed: 0,
    callbackAttempts: [],
    callbackUrl: null,
  };
}

/** A voucher serial (16 digits), PLN's 20-digit token, or a postpaid payment reference (16 digits). */
export function serialFor(trx: Pick<PpobTransaction, 'kind' | 'code'>): string {
  const kind: SerialKind =
    trx.kind === 'payment' ? 'reference' : (prepaidProduct(trx.code)?.serial ?? 'voucher');
  return randomDigits(kind === 'pln-token' ? 20 : 16);
}

function randomDigits(length: number): string {
  let out = String(randomInt(1, 10));
  while (out.length < length) out += String(randomInt(0, 10));
  return out;
}

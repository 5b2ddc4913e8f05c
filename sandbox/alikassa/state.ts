/**
 * AliKassa's side of the world: payments (deposits through its hosted page) and payouts, each
 * keyed by the merchant's order_id (unique per kind), their statuses, armed payout outcomes and
 * the counters tests assert on. No HTTP here. Every mutation calls onChange (the server writes
 * the state file there, before the response leaves).
 *
 * Amounts are kept as AliKassa's decimal(11.2) strings, normalised to two decimals ("1000.00").
 *
 * Statuses are AliKassa's public words (wait, paid, cancel, fail: "Checking payment status",
 * https://doc-merchant.alikassa.com/payment/check/status). A payment paid with less than its
 * amount is `paid` with is_partial_payment (our reading: the pages list the flag beside the
 * status, not a status of its own). State files written when the simulator said `success` are
 * read with it as `paid`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { StateSection } from '../state-file';

export const PAYMENT_STATUSES = ['wait', 'paid', 'cancel', 'fail'] as const;
export const PAYOUT_STATUSES = ['wait', 'paid', 'cancel', 'fail'] as const;
export const PAYOUT_OUTCOMES = ['paid', 'cancel', 'fail'] as const;
export type PayoutOutcome = (typeof PAYOUT_OUTCOMES)[number];

/** A status as stored; `success` is how state files of the earlier simulator say paid. */
const stored = <T extends readonly [string, ...string[]]>(words: T) =>
  z.preprocess((v) => (v === 'success' ? 'paid' : v), z.enum(words));

const Payment = z.object({
  id: z.number().int().positive(),
  uuid: z.string(),
  order_id: z.string(),
  amount: z.string(),
  /** What the customer paid (control pay); null until then. May differ from amount. */
  paid_amount: z.string().nullable(),
  service: z.string(),
  customer_code: z.string(),
  payment_status: stored(PAYMENT_STATUSES),
  late: z.boolean(),
  /** The payer's description of the payment, notified as `desc`. */
  desc: z.string().default(''),
  created_at: z.number(),
  updated_at: z.number(),
});
export type AliKassaPayment = z.infer<typeof Payment>;

const Payout = z.object({
  id: z.number().int().positive(),
  order_id: z.string(),
  amount: z.string(),
  service: z.string(),
  customer_code: z.string(),
  number: z.string(),
  payment_status: stored(PAYOUT_STATUSES),
  /** The outcome decided at creation (armed control, or a bank under maintenance). */
  outcome: stored(PAYOUT_OUTCOMES),
  created_at: z.number(),
  updated_at: z.number(),
});
export type AliKassaPayout = z.infer<typeof Payout>;

const Armed = z.object({ order_id: z.string().nullable(), outcome: stored(PAYOUT_OUTCOMES) });
type Armed = z.infer<typeof Armed>;

const Counters = z.object({ creates: z.number().int() });

const Snapshot = z.object({
  lastId: z.number().int().nonnegative(),
  payments: z.array(z.tuple([z.string(), Payment])),
  payouts: z.array(z.tuple([z.string(), Payout])),
  paymentCreates: z.array(z.tuple([z.string(), Counters])),
  payoutCreates: z.array(z.tuple([z.string(), Counters])),
  armed: z.array(Armed),
});
type Snapshot = z.infer<typeof Snapshot>;

/** The document's example payment id is 108465371: ids start near there, so they look real. */
const FIRST_ID = 108_465_370;

export interface AliKassaStats {
  payments: { byOrder: Record<string, { creates: number; status: string | null }> };
  payouts: { byOrder: Record<string, { creates: number; status: string | null }> };
}

export class AliKassaState implements StateSection {
  readonly name = 'alikassa';
  private lastId = FIRST_ID;
  private payments = new Map<string, AliKassaPayment>();
  private payouts = new Map<string, AliKassaPayout>();
  private paymentCreates = new Map<string, { creates: number }>();
  private payoutCreates = new Map<string, { creates: number }>();
  private armed: Armed[] = [];

  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  /** An authenticated create request naming this order_id, whatever its outcome. */
  countCreate(kind: 'payment' | 'payout', orderId: string): void {
    const map = kind === 'payment' ? this.paymentCreates : this.payoutCreates;
    const counters = map.get(orderId) ?? { creates: 0 };
    counters.creates += 1;
    map.set(orderId, counters);
    this.onChange();
  }

  hasPayment(orderId: string): boolean {
    return this.payments.has(orderId);
  }

  hasPayout(orderId: string): boolean {
    return this.payouts.has(orderId);
  }

  createPayment(
    input: Pick<AliKassaPayment, 'order_id' | 'amount' | 'service' | 'customer_code'>,
  ): AliKassaPayment {
    const at = this.now();
    const payment: AliKassaPayment = {
      ...input,
      id: this.nextId(),
      uuid: randomUUID(),
      paid_amount: null,
      payment_status: 'wait',
      late: false,
      desc: `Pembayaran pesanan ${input.order_id} — AliKassa/sandbox`,
      created_at: at,
      updated_at: at,
    };
    this.payments.set(payment.order_id, payment);
    this.onChange();
    return structuredClone(payment);
  }

  /** The outcome is taken from the armed list now, so a restart does not change it. */
  createPayout(
    input: Pick<AliKassaPayout, 'order_id' | 'amount' | 'service' | 'customer_code' | 'number'>,
    forcedFail: boolean,
  ): AliKassaPayout {
    const at = this.now();
    const armed = this.takeArmed(input.order_id);
    const payout: AliKassaPayout = {
      ...input,
      id: this.nextId(),
      payment_status: 'wait',
      outcome: forcedFail ? 'fail' : (armed ?? 'paid'),
      created_at: at,
      updated_at: at,
    };
    this.payouts.set(payout.order_id, payout);
    this.onChange();
    return structuredClone(payout);
  }

  payment(orderId: string): AliKassaPayment | undefined {
    const p = this.payments.get(orderId);
    return p && structuredClone(p);
  }

  paymentById(id: number): AliKassaPayment | undefined {
    const p = [...this.payments.values()].find((x) => x.id === id);
    return p && structuredClone(p);
  }

  payoutById(id: number): AliKassaPayout | undefined {
    const p = [...this.payouts.values()].find((x) => x.id === id);
    return p && structuredClone(p);
  }

  payout(orderId: string): AliKassaPayout | undefined {
    const p = this.payouts.get(orderId);
    return p && structuredClone(p);
  }

  pendingPayouts(): AliKassaPayout[] {
    return [...this.payouts.values()]
      .filter((p) => p.payment_status === 'wait')
      .map((p) => structuredClone(p));
  }

  /** The customer paid (possibly late, possibly another amount, less being partial): status paid. */
  markPaymentPaid(orderId: string, paidAmount: string, late: boolean): AliKassaPayment {
    const payment = this.payments.get(orderId)!;
    payment.payment_status = 'paid';
    payment.paid_amount = paidAmount;
    payment.late = late;
    payment.updated_at = this.now();
    this.onChange();
    return structuredClone(payment);
  }

  /** The page expired (cancel) or the payment failed at the bank (fail). */
  markPaymentEnded(orderId: string, status: 'cancel' | 'fail'): AliKassaPayment {
    const payment = this.payments.get(orderId)!;
    payment.payment_status = status;
    payment.updated_at = this.now();
    this.onChange();
    return structuredClone(payment);
  }

  finishPayout(orderId: string): AliKassaPayout | undefined {
    const payout = this.payouts.get(orderId);
    if (!payout || payout.payment_status !== 'wait') return undefined;
    payout.payment_status = payout.outcome;
    payout.updated_at = this.now();
    this.onChange();
    return structuredClone(payout);
  }

  /** The next payout (for order_id, or any) ends this way. */
  armPayoutOutcome(orderId: string | undefined, outcome: PayoutOutcome): Armed {
    const armed = { order_id: orderId ?? null, outcome };
    this.armed.push(armed);
    this.onChange();
    return { ...armed };
  }

  stats(): AliKassaStats {
    const view = <T extends { payment_status: string }>(
      creates: Map<string, { creates: number }>,
      records: Map<string, T>,
    ) => {
      const byOrder: Record<string, { creates: number; status: string | null }> = {};
      for (const key of new Set([...creates.keys(), ...records.keys()])) {
        byOrder[key] = {
          creates: creates.get(key)?.creates ?? 0,
          status: records.get(key)?.payment_status ?? null,
        };
      }
      return { byOrder };
    };
    return {
      payments: view(this.paymentCreates, this.payments),
      payouts: view(this.payoutCreates, this.payouts),
    };
  }

  snapshot(): Snapshot {
    return structuredClone({
      lastId: this.lastId,
      payments: [...this.payments],
      payouts: [...this.payouts],
      paymentCreates: [...this.paymentCreates],
      payoutCreates: [...this.payoutCreates],
      armed: this.armed,
    });
  }

  restore(data: unknown): void {
    const parsed = Snapshot.parse(data);
    this.lastId = parsed.lastId;
    this.payments = new Map(parsed.payments);
    this.payouts = new Map(parsed.payouts);
    this.paymentCreates = new Map(parsed.paymentCreates);
    this.payoutCreates = new Map(parsed.payoutCreates);
    this.armed = parsed.armed;
  }

  reset(): void {
    this.lastId = FIRST_ID;
    this.payments = new Map();
    this.payouts = new Map();
    this.paymentCreates = new Map();
    this.payoutCreates = new Map();
    this.armed = [];
  }

  private takeArmed(orderId: string): PayoutOutcome | undefined {
    const index = this.armed.findIndex((a) => a.order_id === null || a.order_id === orderId);
    if (index < 0) return undefined;
    return this.armed.splice(index, 1)[0]!.outcome;
  }

  private nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }
}

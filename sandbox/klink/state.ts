/**
 * K-Link's side of the world: members and their VAs, session tokens, the K-Wallet rules (pay,
 * transfer, voucher, escrow refund) over the double-entry ledger, the payment-service order
 * book, and the counters tests assert on. No HTTP here: routes.ts maps these outcomes to the
 * document's responses, so the rules read on their own.
 *
 * Every mutation calls onChange, which the server uses to write the state file before the
 * response leaves: "committed" means on disk, so a pay held by timeout-after-commit is still
 * there after a sandbox restart.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { StateSection } from '../state-file';
import { KWALLET_VA_BANKS } from './catalog';
import { ESCROW, EXTERNAL, Ledger, LedgerSnapshot, memberAccount, type JournalEntry } from './ledger';
import {
  MSG,
  orderExists,
  orderNotFound,
  payDone,
  refundDone,
  refundExisting,
  transferDone,
  voucherDone,
} from './messages';
import { ServiceOrders, ServiceOrdersSnapshot, type ServiceOrder } from './service-orders';

/** The merchant's account: where payment-service settlements land (not a member, not external). */
export const MERCHANT = 'MERCHANT';
import { wibDateTime } from './format';

/** Canonical endpoint names: stats keys and fault routes ('klink.<name>'). Second path names count under the first. */
export const KLINK_ENDPOINTS = [
  'login',
  'register_va',
  'check_saldo',
  'history_transaction',
  'transfer_to_account',
  'voucher_saldo',
  'pay',
  'reconcile',
  'refund',
  'refund-accept',
  'list_bank',
  'pay_service',
  'list_bank_midtrans',
  'pay_service_midtrans',
] as const;
export type KLinkEndpoint = (typeof KLINK_ENDPOINTS)[number];

/** How long a member's K-Wallet VAs are said to be valid. The document's example shows about 3 days. */
const VA_VALIDITY_MS = 3 * 24 * 60 * 60 * 1000;

const Member = z.object({
  id_member: z.string(),
  /** Basis of the VA numbers (the document's VAs end in the member's serial, "...00000058"). */
  serial: z.number().int().positive(),
  name: z.string().nullable(),
  hp: z.string().nullable(),
  email: z.string().nullable(),
  created_at: z.number(),
  /** Set by the first register_va; a repeat answers the same numbers and expiry. */
  va: z.object({ created_at: z.number(), numbers: z.record(z.string(), z.string()) }).nullable(),
});
export type Member = z.infer<typeof Member>;

const PayRecord = z.object({
  id_order: z.string(),
  /** The pay's journal entry: what escrow/refund lists as id_trans. */
  id_trans: z.number().int().positive(),
  id_member: z.string(),
  amount: z.number().int().positive(),
  description: z.string(),
  at: z.number(),
  refund: z.object({ id_trans: z.number().int().positive(), at: z.number(), note: z.string() }).nullable(),
});
export type PayRecord = z.infer<typeof PayRecord>;

const VoucherRecord = z.object({
  voucher_code: z.string(),
  id_trans: z.number().int().positive(),
  id_member: z.string(),
  amount: z.number().int().positive(),
  at: z.number(),
});

const OrderCounters = z.object({ payRequests: z.number(), pays: z.number(), refundAccepts: z.number() });
type OrderCounters = z.infer<typeof OrderCounters>;

const Totals = z.object({
  logins: z.number(),
  calls: z.record(z.string(), z.number()),
  pays: z.number(),
  refundAccepts: z.number(),
  refundAcceptRequests: z.number(),
});
type Totals = z.infer<typeof Totals>;

export type KLinkStats = Totals & { byOrder: Record<string, OrderCounters> };

/** On-disk form. Maps keyed by request values are [key, value] pairs, so '__proto__' is just a key. */
const Snapshot = z.object({
  ledger: LedgerSnapshot,
  members: z.array(z.tuple([z.string(), Member])),
  pays: z.array(z.tuple([z.string(), PayRecord])),
  vouchers: z.array(z.tuple([z.string(), VoucherRecord])),
  /** Session tokens survive a restart, as a real provider's would: a client need not log in again. */
  tokens: z.array(z.string()),
  orders: ServiceOrdersSnapshot,
  totals: Totals,
  byOrder: z.array(z.tuple([z.string(), OrderCounters])),
});
type Snapshot = z.infer<typeof Snapshot>;

export type Outcome<T = object> = ({ ok: true } & T) | { ok: false; message: string };
/** A K-Wallet movement's answer: success or not, and the message the endpoint sends either way. */
export interface Movement {
  ok: boolean;
  message: string;
}

export interface RegisterVaInput {
  id_member: string;
  name: string;
  hp: string;
  email: string;
}

export interface RefundInquiryRow {
  id_trans: number;
  description: string;
  id_member: string;
  datetime: string;
  credit: number;
  id_order: string;
}

export class KLinkState implements StateSection {
  readonly name = 'klink';
  readonly ledger: Ledger;
  readonly orders: ServiceOrders;
  private members = new Map<string, Member>();
  private pays = new Map<string, PayRecord>();
  private vouchers = new Map<string, z.infer<typeof VoucherRecord>>();
  private tokens = new Set<string>();
  private totals: Totals = emptyTotals();
  private byOrder = new Map<string, OrderCounters>();

  /** `onChange` runs after every mutation (the server persists there). */
  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {
    this.ledger = new Ledger(now);
    this.orders = new ServiceOrders(now, onChange);
  }

  // ---- arrival: counted before authentication, so a test sees a call that was refused 401 ----

  countCall(endpoint: KLinkEndpoint): void {
    this.totals.calls[endpoint] = (this.totals.calls[endpoint] ?? 0) + 1;
    this.onChange();
  }

  /** An authenticated pay request, whatever its outcome (a retried pay shows as 2 requests, 1 pay). */
  countPayRequest(idOrder: string | undefined): void {
    if (idOrder !== undefined) this.orderCounters(idOrder).payRequests += 1;
    this.onChange();
  }

  countRefundAcceptRequest(): void {
    this.totals.refundAcceptRequests += 1;
    this.onChange();
  }

  // ---- sessions ----

  /** A successful login: a fresh token, valid until expireTokens(). */
  issueToken(): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.add(token);
    this.totals.logins += 1;
    this.onChange();
    return token;
  }

  tokenValid(token: string | undefined): boolean {
    return token !== undefined && this.tokens.has(token);
  }

  expireTokens(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    this.onChange();
    return count;
  }

  // ---- members ----

  /** Creates the member (balance 0) if new and gives it VAs once; a repeat returns the same. */
  registerVa(input: RegisterVaInput): Member {
    const member = this.ensureMember(input.id_member);
    member.name ??= input.name;
    member.hp ??= input.hp;
    member.email ??= input.email;
    if (!member.va) {
      const serial = String(member.serial).padStart(8, '0');
      member.va = {
        created_at: this.now(),
        numbers: Object.fromEntries(KWALLET_VA_BANKS.map((b) => [b.bank_code, b.prefix + serial])),
      };
    }
    this.onChange();
    return structuredClone(member);
  }

  member(idMember: string): (Member & { balance: number }) | undefined {
    const member = this.members.get(idMember);
    return member && { ...structuredClone(member), balance: this.balanceOf(idMember) };
  }

  /** When the member's VAs stop taking deposits, as register_va reports it. */
  vaExpiry(member: Member): number | undefined {
    return member.va ? member.va.created_at + VA_VALIDITY_MS : undefined;
  }

  balanceOf(idMember: string): number {
    return this.ledger.balance(memberAccount(idMember));
  }

  /** History rows, oldest first; undefined for an unknown member. Bounds are inclusive epoch ms. */
  history(
    idMember: string,
    from: number | undefined,
    to: number | undefined,
  ): ReturnType<Ledger['statement']> | undefined {
    if (!this.members.has(idMember)) return undefined;
    return this.ledger
      .statement(memberAccount(idMember))
      .filter(
        (row) => (from === undefined || row.entry.at >= from) && (to === undefined || row.entry.at <= to),
      );
  }

  // ---- K-Wallet movements ----

  transfer(input: { from: string; to: string; amount: number; description: string }): Movement {
    if (!this.members.has(input.from) || !this.members.has(input.to)) {
      return { ok: false, message: MSG.memberNotFound };
    }
    if (input.from === input.to) return { ok: false, message: MSG.sameMember };
    if (this.balanceOf(input.from) < input.amount) return { ok: false, message: MSG.insufficient };
    this.ledger.transfer({
      from: memberAccount(input.from),
      to: memberAccount(input.to),
      amount: input.amount,
      kind: 'transfer',
      description: input.description,
    });
    this.onChange();
    return { ok: true, message: transferDone(input.from, input.to) };
  }

  /** A voucher code tops up once, ever, whichever member or amount comes with it later. */
  voucher(input: { voucher_code: string; amount: number; description: string; id_member: string }): Movement {
    if (!this.members.has(input.id_member)) return { ok: false, message: MSG.memberNotFound };
    if (this.vouchers.has(input.voucher_code)) return { ok: false, message: MSG.voucherUsed };
    const entry = this.ledger.transfer({
      from: EXTERNAL.voucher,
      to: memberAccount(input.id_member),
      amount: input.amount,
      kind: 'voucher',
      description: input.description,
    });
    this.vouchers.set(input.voucher_code, {
      voucher_code: input.voucher_code,
      id_trans: entry.id,
      id_member: input.id_member,
      amount: input.amount,
      at: entry.at,
    });
    this.onChange();
    return { ok: true, message: voucherDone(input.amount, input.id_member) };
  }

  /**
   * Member -> ESCROW. id_order is unique across all members ("harus Unik"): a repeat is refused
   * and moves nothing, which is what makes a retried pay safe. A refused pay (no such member,
   * not enough saldo) does not claim the id_order, so it can be retried after a top-up.
   */
  pay(input: { id_member: string; amount: number; id_order: string; description: string }): Movement {
    if (!this.members.has(input.id_member)) return { ok: false, message: MSG.memberNotFound };
    if (this.pays.has(input.id_order)) return { ok: false, message: orderExists(input.id_order) };
    if (this.balanceOf(input.id_member) < input.amount) return { ok: false, message: MSG.insufficient };
    const entry = this.ledger.transfer({
      from: memberAccount(input.id_member),
      to: ESCROW,
      amount: input.amount,
      kind: 'pay',
      description: input.description,
      id_order: input.id_order,
    });
    this.pays.set(input.id_order, {
      id_order: input.id_order,
      id_trans: entry.id,
      id_member: input.id_member,
      amount: input.amount,
      description: input.description,
      at: entry.at,
      refund: null,
    });
    this.totals.pays += 1;
    this.orderCounters(input.id_order).pays += 1;
    this.onChange();
    return { ok: true, message: payDone(input.id_order) };
  }

  /** The pay of an order and the member's balance right after it (reconcile's data). */
  reconcile(idOrder: string): Outcome<{ pay: PayRecord; balanceAfter: number }> {
    const pay = this.pays.get(idOrder);
    if (!pay) return { ok: false, message: orderNotFound(idOrder) };
    const row = this.ledger.statement(memberAccount(pay.id_member)).find((r) => r.entry.id === pay.id_trans);
    if (!row) throw new Error(`pay ${idOrder} has no journal entry ${pay.id_trans}`);
    return { ok: true, pay: structuredClone(pay), balanceAfter: row.balance };
  }

  /** escrow/refund: shows what refund-accept would return; moves nothing. */
  refundInquiry(idOrder: string, idMember: string): Outcome<{ rows: RefundInquiryRow[] }> {
    const pay = this.pays.get(idOrder);
    if (!pay || pay.id_member !== idMember) return { ok: false, message: MSG.dataNotFound };
    if (pay.refund) return { ok: false, message: this.refundExistingMessage(pay) };
    return {
      ok: true,
      rows: [
        {
          id_trans: pay.id_trans,
          description: pay.description,
          id_member: pay.id_member,
          datetime: wibDateTime(pay.at),
          credit: pay.amount,
          id_order: pay.id_order,
        },
      ],
    };
  }

  /** ESCROW -> member, once per pay. id_trans, order and member must all name the same pay. */
  refundAccept(input: { id_order: string; id_member: string; id_trans: number; note: string }): Movement {
    const pay = this.pays.get(input.id_order);
    if (!pay || pay.id_member !== input.id_member || pay.id_trans !== input.id_trans) {
      return { ok: false, message: MSG.dataNotFound };
    }
    if (pay.refund) return { ok: false, message: this.refundExistingMessage(pay) };
    const entry = this.ledger.transfer({
      from: ESCROW,
      to: memberAccount(pay.id_member),
      amount: pay.amount,
      kind: 'refund',
      description: `Refund ID Order ${pay.id_order}: ${input.note}`,
      id_order: pay.id_order,
    });
    pay.refund = { id_trans: entry.id, at: entry.at, note: input.note };
    this.totals.refundAccepts += 1;
    this.orderCounters(pay.id_order).refundAccepts += 1;
    this.onChange();
    return { ok: true, message: refundDone(pay.id_member) };
  }

  // ---- control ----

  /**
   * Creates the member if needed and, when `balance` is given, moves the difference between
   * SEED and the member so the balance is exactly that: funding is a journal entry like any other.
   */
  setMember(idMember: string, balance: number | undefined): { created: boolean; balance: number } {
    const created = !this.members.has(idMember);
    this.ensureMember(idMember);
    const current = this.balanceOf(idMember);
    if (balance !== undefined && balance !== current) {
      const account = memberAccount(idMember);
      const up = balance > current;
      this.ledger.transfer({
        from: up ? EXTERNAL.seed : account,
        to: up ? account : EXTERNAL.seed,
        amount: Math.abs(balance - current),
        kind: 'seed',
        description: 'Sandbox seed',
      });
    }
    this.onChange();
    return { created, balance: this.balanceOf(idMember) };
  }

  /** A customer paid into a member's K-Wallet VA: BANK -> member. */
  vaDeposit(
    vaNumber: string,
    amount: number,
  ): { id_member: string; bank_code: string; entry: JournalEntry } | undefined {
    for (const member of this.members.values()) {
      const bank = Object.entries(member.va?.numbers ?? {}).find(([, number]) => number === vaNumber);
      if (!bank) continue;
      const entry = this.ledger.transfer({
        from: EXTERNAL.bank,
        to: memberAccount(member.id_member),
        amount,
        kind: 'va-deposit',
        description: `Top up VA ${bank[0]} ${vaNumber}`,
      });
      this.onChange();
      return { id_member: member.id_member, bank_code: bank[0], entry };
    }
    return undefined;
  }

  /**
   * A customer paid a payment-service order outside K-Wallet (bank transfer / VA / card, or
   * GoPay through Midtrans): the money enters from BANK or MIDTRANS and lands on the merchant's
   * account, one journal entry, and the order is settled. The caller checked the order is unpaid.
   */
  settleServiceOrder(
    orderId: string,
    amount: number,
    late: boolean,
  ): { order: ServiceOrder; entry: JournalEntry } {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no service order ${orderId}`);
    const entry = this.ledger.transfer({
      from: order.variant === 'midtrans' ? EXTERNAL.midtrans : EXTERNAL.bank,
      to: MERCHANT,
      amount,
      // The ledger has no settlement kind (yet): money arriving from outside K-Wallet is a deposit.
      kind: 'va-deposit',
      description: `Settlement ${order.variant} order ${orderId}`,
      id_order: orderId,
    });
    const settled = this.orders.markPaid(orderId, { amount, at: entry.at, id_trans: entry.id, late });
    return { order: settled, entry };
  }

  stats(): KLinkStats {
    return structuredClone({ ...this.totals, byOrder: Object.fromEntries(this.byOrder) });
  }

  // ---- StateSection ----

  snapshot(): Snapshot {
    return structuredClone({
      ledger: this.ledger.snapshot(),
      members: [...this.members],
      pays: [...this.pays],
      vouchers: [...this.vouchers],
      tokens: [...this.tokens],
      orders: this.orders.snapshot(),
      totals: this.totals,
      byOrder: [...this.byOrder],
    });
  }

  restore(data: unknown): void {
    const parsed = Snapshot.parse(data);
    this.ledger.restore(parsed.ledger);
    this.orders.restore(parsed.orders);
    this.members = new Map(parsed.members);
    this.pays = new Map(parsed.pays);
    this.vouchers = new Map(parsed.vouchers);
    this.tokens = new Set(parsed.tokens);
    this.totals = {
      ...emptyTotals(),
      ...parsed.totals,
      calls: { ...emptyTotals().calls, ...parsed.totals.calls },
    };
    this.byOrder = new Map(parsed.byOrder);
    for (const pay of this.pays.values()) {
      // Every pay and refund the wallet remembers must be in the books, or escrow answers lie.
      if (this.ledger.entry(pay.id_trans)?.kind !== 'pay')
        throw new Error(`pay ${pay.id_order}: no pay entry`);
      if (pay.refund && this.ledger.entry(pay.refund.id_trans)?.kind !== 'refund') {
        throw new Error(`pay ${pay.id_order}: no refund entry`);
      }
    }
  }

  reset(): void {
    this.ledger.reset();
    this.orders.reset();
    this.members = new Map();
    this.pays = new Map();
    this.vouchers = new Map();
    this.tokens = new Set();
    this.totals = emptyTotals();
    this.byOrder = new Map();
  }

  private ensureMember(idMember: string): Member {
    let member = this.members.get(idMember);
    if (!member) {
      member = {
        id_member: idMember,
        serial: this.members.size + 1,
        name: null,
        hp: null,
        email: null,
        created_at: this.now(),
        va: null,
      };
      this.members.set(idMember, member);
    }
    return member;
  }

  /**
   * The document's example: "refund existing, id_trans:323, order_id:..., member_id:...,
   * datetime:...!". Its keys echo refund-accept's fields, so id_trans is read as the refunded
   * pay's id_trans (the one the client sent and can match) and datetime as when the refund was made.
   */
  private refundExistingMessage(pay: PayRecord): string {
    return refundExisting(pay.id_trans, pay.id_order, pay.id_member, wibDateTime(pay.refund!.at));
  }

  private orderCounters(idOrder: string): OrderCounters {
    let counters = this.byOrder.get(idOrder);
    if (!counters) {
      counters = { payRequests: 0, pays: 0, refundAccepts: 0 };
      this.byOrder.set(idOrder, counters);
    }
    return counters;
  }
}

function emptyTotals(): Totals {
  return {
    logins: 0,
    calls: Object.fromEntries(KLINK_ENDPOINTS.map((e) => [e, 0])),
    pays: 0,
    refundAccepts: 0,
    refundAcceptRequests: 0,
  };
}

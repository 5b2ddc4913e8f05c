/**
 * The payment-service order book (document sections 2 and 3): pay_service and
 * pay_service_midtrans create orders a customer then pays outside K-Wallet (a bank VA, a manual
 * transfer, a card page, GoPay). Nothing moves in the ledger when an order is created; the
 * settlement webhooks of a later issue will settle these orders, so each keeps what such a
 * webhook needs (order_id, rq_uuid, kd_pay, totals, norek, transaction id) and a status.
 *
 * Both endpoints share one order_id space: they are one service, and a merchant's order id
 * names one purchase whichever way it is paid.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  MIDTRANS_FAILURE_CODES,
  type BankProduct,
  type MidtransFailureCode,
  type PayVariant,
} from './catalog';

const VARIANTS = ['va', 'manual', 'card', 'midtrans'] as const satisfies ReadonlyArray<
  PayVariant | 'midtrans'
>;

const ServiceOrder = z.object({
  order_id: z.string(),
  variant: z.enum(VARIANTS),
  rq_uuid: z.string(),
  rq_datetime: z.string(),
  bank_code: z.string(),
  product_code: z.string(),
  fullname: z.string(),
  email: z.string(),
  no_hp: z.string(),
  nominal: z.number().int(),
  pay_ship: z.number().int(),
  /** What the customer must pay: nominal + pay_ship (+ kode_unik for a manual transfer). */
  total_bayar: z.number().int(),
  kd_pay: z.string(),
  kd_ref: z.string(),
  kode_unik: z.number().int().nullable(),
  va_number: z.string().nullable(),
  norek: z.string().nullable(),
  /** Midtrans' transaction id (midtrans orders only). */
  transaction_id: z.string().nullable(),
  /**
   * 'pending' until the customer pays ('settled'); a GoPay order may instead be cancelled through
   * Midtrans' cancel action ('cancelled'), after which money can still arrive late.
   */
  status: z.enum(['pending', 'settled', 'failed', 'cancelled']),
  created_at: z.number(),
  /**
   * The customer's payment (control customer-pays): what was paid, which may differ from
   * total_bayar, when, the settlement's journal entry, and whether it came late. Optional so a
   * state file written before payments existed still loads.
   */
  paid: z
    .object({ amount: z.number().int(), at: z.number(), id_trans: z.number().int(), late: z.boolean() })
    .nullable()
    .optional(),
  /** When Midtrans' cancel action cancelled the order (GoPay only); kept if money arrives later. */
  cancelled_at: z.number().nullable().optional(),
});
export type ServiceOrder = z.infer<typeof ServiceOrder>;

/** A test's "answer the next pay_service_midtrans (for this order) with this status_code". */
const MidtransFailure = z.object({
  status_code: z.enum(MIDTRANS_FAILURE_CODES),
  order_id: z.string().nullable(),
  remaining: z.number().int().positive(),
});
export type MidtransFailure = z.infer<typeof MidtransFailure>;

export const ServiceOrdersSnapshot = z.object({
  orders: z.array(z.tuple([z.string(), ServiceOrder])),
  /** Last kd_pay handed out ("kode transaksi pembayaran"; the document's webhook shows "174"). */
  lastKdPay: z.number().int().nonnegative(),
  midtransFailures: z.array(MidtransFailure),
});
export type ServiceOrdersSnapshot = z.infer<typeof ServiceOrdersSnapshot>;

export interface OrderRequest {
  rq_uuid: string;
  rq_datetime: string;
  order_id: string;
  no_hp: string;
  fullname: string;
  email: string;
  bank_code: string;
  product_code: string;
  nominal: number;
  pay_ship: number;
}

const KODE_UNIK_MAX = 2000;
const REF_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class ServiceOrders {
  private orders = new Map<string, ServiceOrder>();
  private lastKdPay = 0;
  private midtransFailures: MidtransFailure[] = [];

  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  has(orderId: string): boolean {
    return this.orders.has(orderId);
  }

  /** pay_service: a VA, manual-transfer or card order for a product of list_bank. The caller checked order_id is new. */
  createPayServiceOrder(input: OrderRequest, product: BankProduct): ServiceOrder {
    const kdPay = this.nextKdPay();
    const base = input.nominal + input.pay_ship;
    // "Kode Unik ... generate random dari angka 1 - 2000, dan akan dijumlahkan dengan nominal":
    // it lets K-Link tell apart two manual transfers of the same amount.
    const kodeUnik = product.variant === 'manual' ? randomInt(1, KODE_UNIK_MAX + 1) : null;
    return this.record({
      ...this.common(input),
      variant: product.variant,
      total_bayar: base + (kodeUnik ?? 0),
      kd_pay: kdPay,
      kd_ref: randomRef(),
      kode_unik: kodeUnik,
      va_number: product.variant === 'va' ? orderVaNumber(product.vaPrefix ?? '', kdPay) : null,
      norek: product.variant === 'manual' ? String(product.row.bankacc) : null,
      transaction_id: null,
    });
  }

  /** pay_service_midtrans: a GoPay order waiting for payment (status_code 201). */
  createMidtransOrder(input: OrderRequest): ServiceOrder {
    return this.record({
      ...this.common(input),
      variant: 'midtrans',
      total_bayar: input.nominal + input.pay_ship,
      kd_pay: this.nextKdPay(),
      kd_ref: randomRef(),
      kode_unik: null,
      va_number: null,
      norek: null,
      transaction_id: randomUUID(),
    });
  }

  /** The customer paid: the order is settled. The caller checked it exists and is not paid yet. */
  markPaid(orderId: string, paid: NonNullable<ServiceOrder['paid']>): ServiceOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no service order ${orderId}`);
    order.status = 'settled';
    order.paid = { ...paid };
    this.onChange();
    return structuredClone(order);
  }

  /** Midtrans' cancel of a pending GoPay order. The caller checked it exists and is pending. */
  markCancelled(orderId: string): ServiceOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no service order ${orderId}`);
    order.status = 'cancelled';
    order.cancelled_at = this.now();
    this.onChange();
    return structuredClone(order);
  }

  /** The GoPay order Midtrans knows by this transaction_id. */
  byTransactionId(transactionId: string): ServiceOrder | undefined {
    for (const order of this.orders.values()) {
      if (order.variant === 'midtrans' && order.transaction_id === transactionId)
        return structuredClone(order);
    }
    return undefined;
  }

  list(orderId?: string): ServiceOrder[] {
    return [...this.orders.values()]
      .filter((o) => orderId === undefined || o.order_id === orderId)
      .map((o) => structuredClone(o));
  }

  get(orderId: string): ServiceOrder | undefined {
    const order = this.orders.get(orderId);
    return order && structuredClone(order);
  }

  armMidtransFailure(
    statusCode: MidtransFailureCode,
    orderId: string | undefined,
    count: number,
  ): MidtransFailure {
    const failure: MidtransFailure = { status_code: statusCode, order_id: orderId ?? null, remaining: count };
    this.midtransFailures.push(failure);
    this.onChange();
    return { ...failure };
  }

  /** The first armed failure for this order (or for any order), used up by one request. */
  takeMidtransFailure(orderId: string): MidtransFailureCode | undefined {
    const index = this.midtransFailures.findIndex((f) => f.order_id === null || f.order_id === orderId);
    if (index < 0) return undefined;
    const failure = this.midtransFailures[index]!;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.midtransFailures.splice(index, 1);
    this.onChange();
    return failure.status_code;
  }

  midtransFailureList(): MidtransFailure[] {
    return this.midtransFailures.map((f) => ({ ...f }));
  }

  snapshot(): ServiceOrdersSnapshot {
    return structuredClone({
      orders: [...this.orders],
      lastKdPay: this.lastKdPay,
      midtransFailures: this.midtransFailures,
    });
  }

  restore(data: unknown): void {
    const parsed = ServiceOrdersSnapshot.parse(data);
    this.orders = new Map(parsed.orders);
    this.lastKdPay = parsed.lastKdPay;
    this.midtransFailures = parsed.midtransFailures;
  }

  reset(): void {
    this.orders = new Map();
    this.lastKdPay = 0;
    this.midtransFailures = [];
  }

  private common(input: OrderRequest) {
    return {
      order_id: input.order_id,
      rq_uuid: input.rq_uuid,
      rq_datetime: input.rq_datetime,
      bank_code: input.bank_code,
      product_code: input.product_code,
      fullname: input.fullname,
      email: input.email,
      no_hp: input.no_hp,
      nominal: input.nominal,
      pay_ship: input.pay_ship,
      status: 'pending' as const,
      created_at: this.now(),
    };
  }

  private nextKdPay(): string {
    this.lastKdPay += 1;
    return String(this.lastKdPay);
  }

  private record(order: ServiceOrder): ServiceOrder {
    this.orders.set(order.order_id, order);
    this.onChange();
    return structuredClone(order);
  }
}

/** 16 digits like the document's VAs: the product's prefix, then the order's kd_pay zero-padded. */
function orderVaNumber(prefix: string, kdPay: string): string {
  return prefix + kdPay.padStart(16 - prefix.length, '0');
}

function randomRef(): string {
  let ref = 'KLREF';
  for (let i = 0; i < 10; i += 1) ref += REF_ALPHABET[randomInt(REF_ALPHABET.length)];
  return ref;
}

/**
 * What happens to AliKassa's payments and payouts after they are created: a payment turns
 * `paid` when the customer pays (control; less than the amount is a partial payment), `cancel`
 * when it expires or `fail` when the bank fails it (control); a payout turns final by itself
 * after payoutMs (`paid`, or `fail` / `cancel` when armed). Every final status is notified to
 * the gateway through the shared WebhookSender, as AliKassa's page "Verifying the signature of a
 * notification" (https://doc-merchant.alikassa.com/api/sign) describes:
 *
 *   GET {webhookBaseUrl}/webhooks/alikassa/payment | /payout
 *     ?type=payment&id=…&order_id=…&payment_status=paid&amount=150000.00&payment_amount=…
 *     &commission_amount=0.00&is_partial_payment=0&account=<account uuid>&service=…&desc=…&sign=…
 *
 * with `sign` = base64 RSA PKCS#1 v1.5 (hash: signHash) over PHP json_encode of those fields
 * (notification.ts), made with the sandbox's notification private key.
 *
 * Timers stop on close.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { joinUrl, otherRsaPrivateKey, type WebhookSender } from '../webhooks';
import { notificationQuery, queryParams, signNotification, type SignHash } from './notification';
import type { AliKassaPayment, AliKassaPayout, AliKassaState } from './state';

export const ALIKASSA_WEBHOOK_PATHS = {
  payment: '/webhooks/alikassa/payment',
  payout: '/webhooks/alikassa/payout',
} as const;

export const ALIKASSA_SIGN_PARAM = 'sign';

export interface AliKassaLifecycleOptions {
  sender: WebhookSender;
  /** PEM: the private half of the "API certificate for notifications". */
  providerPrivateKey: string;
  signHash: SignHash;
  /** The merchant account uuid, notified as `account`. */
  account: string;
  webhookBaseUrl: string | undefined;
  payoutMs: number;
}

export type ControlOutcome<T> = { ok: true; value: T } | { ok: false; status: 404 | 409; message: string };

export class AliKassaLifecycle {
  private readonly key: KeyObject;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly state: AliKassaState,
    private readonly opts: AliKassaLifecycleOptions,
  ) {
    this.key = createPrivateKey(opts.providerPrivateKey);
    // send-raw: the body is a query string without `sign`; its fields are signed as AliKassa does.
    opts.sender.registerSigner('alikassa', {
      method: 'GET',
      param: ALIKASSA_SIGN_PARAM,
      sign: (query) => signNotification(queryParams(query.toString('utf8')), this.key, opts.signHash),
      signWithOtherKey: (query) =>
        signNotification(
          queryParams(query.toString('utf8')),
          createPrivateKey(otherRsaPrivateKey()),
          opts.signHash,
        ),
    });
  }

  /** A new payout: final after payoutMs. */
  payoutCreated(payout: AliKassaPayout): void {
    this.schedule(payout.order_id, this.opts.payoutMs);
  }

  /** Payouts restored from the state file still waiting: they finish payoutMs after their creation. */
  resume(): void {
    for (const payout of this.state.pendingPayouts()) {
      this.schedule(payout.order_id, Math.max(0, payout.created_at + this.opts.payoutMs - Date.now()));
    }
  }

  /**
   * The customer pays. A payment already paid is refused (409); a cancelled or failed one only
   * with `late`: money that arrives after the merchant gave up is exactly what must be handled.
   */
  pay(orderId: string, amount: string | undefined, late: boolean): ControlOutcome<AliKassaPayment> {
    const payment = this.state.payment(orderId);
    if (!payment) return { ok: false, status: 404, message: `no AliKassa payment '${orderId}'` };
    if (payment.payment_status === 'paid') {
      return { ok: false, status: 409, message: `payment '${orderId}' is already paid` };
    }
    if (payment.payment_status !== 'wait' && !late) {
      return {
        ok: false,
        status: 409,
        message: `payment '${orderId}' is ${payment.payment_status} (pay with late: true)`,
      };
    }
    const paid = this.state.markPaymentPaid(orderId, amount ?? payment.amount, late);
    this.notifyPayment(paid);
    return { ok: true, value: paid };
  }

  /** The payment page expired unpaid (`cancel`) or the bank failed the payment (`fail`). */
  end(orderId: string, status: 'cancel' | 'fail'): ControlOutcome<AliKassaPayment> {
    const payment = this.state.payment(orderId);
    if (!payment) return { ok: false, status: 404, message: `no AliKassa payment '${orderId}'` };
    if (payment.payment_status !== 'wait') {
      return { ok: false, status: 409, message: `payment '${orderId}' is already ${payment.payment_status}` };
    }
    const ended = this.state.markPaymentEnded(orderId, status);
    this.notifyPayment(ended);
    return { ok: true, value: ended };
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** /_control/reset: the payouts these timers finish are gone. */
  reset(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(orderId: string, ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(orderId));
    const timer = setTimeout(() => {
      this.timers.delete(orderId);
      if (this.stopped) return;
      const done = this.state.finishPayout(orderId);
      if (done) this.notifyPayout(done);
    }, ms);
    this.timers.set(orderId, timer);
  }

  private notifyPayment(p: AliKassaPayment): void {
    const paid = paymentAmount(p);
    this.notify('payment', p.order_id, {
      type: 'payment',
      id: String(p.id),
      order_id: p.order_id,
      payment_status: p.payment_status,
      amount: p.amount,
      payment_amount: paid,
      commission_amount: '0.00',
      is_partial_payment: isPartial(p) ? '1' : '0',
      account: this.opts.account,
      service: p.service,
      desc: p.desc,
    });
  }

  private notifyPayout(p: AliKassaPayout): void {
    this.notify('payout', p.order_id, {
      type: 'payout',
      id: String(p.id),
      order_id: p.order_id,
      payment_status: p.payment_status,
      amount: p.amount,
      payment_amount: p.payment_status === 'paid' ? p.amount : '0.00',
      commission_amount: '0.00',
      is_partial_payment: '0',
      account: this.opts.account,
      service: p.service,
      desc: `Payout ${p.order_id} to ${p.customer_code}`,
    });
  }

  private notify(kind: 'payment' | 'payout', orderId: string, fields: Record<string, string>): void {
    const base = this.opts.webhookBaseUrl;
    this.opts.sender.send({
      name: `alikassa.${kind}`,
      simulator: 'alikassa',
      orderId,
      method: 'GET',
      url: base === undefined ? undefined : joinUrl(base, ALIKASSA_WEBHOOK_PATHS[kind]),
      body: Buffer.from(notificationQuery(fields, this.key, this.opts.signHash), 'utf8'),
      headers: {},
    });
  }
}

/** What the payer paid so far, as AliKassa shows it ("0.00" before anything arrived). */
export function paymentAmount(p: AliKassaPayment): string {
  return p.paid_amount ?? '0.00';
}

/** Paid, but less than the amount: is_partial_payment. */
export function isPartial(p: AliKassaPayment): boolean {
  return p.paid_amount !== null && Number(p.paid_amount) < Number(p.amount);
}

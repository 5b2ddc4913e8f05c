/**
 * What happens to AliKassa's payments and payouts after they are created: a payment turns
 * 'success' when the customer pays (control) or 'cancel' when it expires (control); a payout
 * turns final by itself after payoutMs ('success', or 'fail' when armed). Every final status is
 * notified to the gateway through the shared WebhookSender:
 *
 *   POST {webhookBaseUrl}/webhooks/alikassa/payment | /payout
 *   {"id":…,"uuid":"…","order_id":"…","payment_status":"…","amount":"1000.00","type":"payment"}
 *   (no uuid for a payout), header Sign = base64 RSA-SHA256 PKCS#1 v1.5 over the raw body with
 *   the sandbox's provider private key.
 *
 * The amount notified for a paid payment is what the customer paid. Timers stop on close.
 */
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { joinUrl, otherRsaPrivateKey, type WebhookSender } from '../webhooks';
import type { AliKassaPayment, AliKassaPayout, AliKassaState } from './state';

export const ALIKASSA_WEBHOOK_PATHS = {
  payment: '/webhooks/alikassa/payment',
  payout: '/webhooks/alikassa/payout',
} as const;

export const ALIKASSA_SIGN_HEADER = 'Sign';

export function rsaSign(key: KeyObject | string, body: Buffer): string {
  const keyObject = typeof key === 'string' ? createPrivateKey(key) : key;
  return sign('sha256', body, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
}

export interface AliKassaLifecycleOptions {
  sender: WebhookSender;
  providerPrivateKey: string;
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
    opts.sender.registerSigner('alikassa', {
      header: ALIKASSA_SIGN_HEADER,
      sign: (body) => rsaSign(this.key, body),
      signWithOtherKey: (body) => rsaSign(otherRsaPrivateKey(), body),
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
   * The customer pays. A payment already paid is refused (409); a cancelled (expired) one only
   * with `late`: money that arrives after the merchant gave up is exactly what must be handled.
   */
  pay(orderId: string, amount: string | undefined, late: boolean): ControlOutcome<AliKassaPayment> {
    const payment = this.state.payment(orderId);
    if (!payment) return { ok: false, status: 404, message: `no AliKassa payment '${orderId}'` };
    if (payment.payment_status === 'success') {
      return { ok: false, status: 409, message: `payment '${orderId}' is already paid` };
    }
    if (payment.payment_status === 'cancel' && !late) {
      return { ok: false, status: 409, message: `payment '${orderId}' is cancelled (pay with late: true)` };
    }
    const paid = this.state.markPaymentPaid(orderId, amount ?? payment.amount, late);
    this.notifyPayment(paid);
    return { ok: true, value: paid };
  }

  expire(orderId: string): ControlOutcome<AliKassaPayment> {
    const payment = this.state.payment(orderId);
    if (!payment) return { ok: false, status: 404, message: `no AliKassa payment '${orderId}'` };
    if (payment.payment_status !== 'wait') {
      return { ok: false, status: 409, message: `payment '${orderId}' is already ${payment.payment_status}` };
    }
    const cancelled = this.state.markPaymentCancelled(orderId);
    this.notifyPayment(cancelled);
    return { ok: true, value: cancelled };
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
    this.notify('payment', p.order_id, {
      id: p.id,
      uuid: p.uuid,
      order_id: p.order_id,
      payment_status: p.payment_status,
      amount: p.payment_status === 'success' ? (p.paid_amount ?? p.amount) : p.amount,
      type: 'payment',
    });
  }

  private notifyPayout(p: AliKassaPayout): void {
    this.notify('payout', p.order_id, {
      id: p.id,
      order_id: p.order_id,
      payment_status: p.payment_status,
      amount: p.amount,
      type: 'payout',
    });
  }

  private notify(kind: 'payment' | 'payout', orderId: string, body: object): void {
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const base = this.opts.webhookBaseUrl;
    this.opts.sender.send({
      name: `alikassa.${kind}`,
      simulator: 'alikassa',
      orderId,
      url: base === undefined ? undefined : joinUrl(base, ALIKASSA_WEBHOOK_PATHS[kind]),
      body: bytes,
      headers: { [ALIKASSA_SIGN_HEADER]: rsaSign(this.key, bytes) },
    });
  }
}

/**
 * K-Link's webhooks to the merchant (the gateway): the settlement of a pay_service order
 * (document section 2d) and the GoPay payment notification of a pay_service_midtrans order
 * (section 3d), both signed with K-Link's own scheme and sent through the shared WebhookSender.
 *
 * Signature (2d): header `x-servicepayment` = HMAC-SHA256(key = PID, message = the body as
 * sent), hex, upper-cased, exactly the document's JS. The sandbox computes it here, with its own
 * code, over the very bytes the sender posts. Section 3d shows no signature of its own ("Header :"
 * followed by the body, and an "autentikasi gagal" answer): the same scheme is used for it.
 *
 * Bodies are compact JSON in the documents' field order:
 *   settlement {"status":"success","message":"transaction success!","rq_uuid","rq_datetime",
 *               "order_id","kd_pay","tot_bayar","norek","transaction"}
 *   gopay      {"status":"success","message":"transaction success!","id_trans","rq_datetime",
 *               "order_id","transaction":"gopay"}
 * rq_uuid / rq_datetime echo the order's request (the document's example has rq_uuid = order_id
 * of the order it settles); tot_bayar is what the customer actually paid; norek is the manual
 * transfer's account, "-" for the others; id_trans is the settlement's K-Link journal id.
 */
import { createHmac } from 'node:crypto';
import { OTHER_HMAC_KEY, joinUrl, type WebhookSender, type WebhookSigner } from '../webhooks';
import type { ServiceOrder } from './service-orders';
import type { KLinkState } from './state';

export const KLINK_WEBHOOK_PATHS = {
  settlement: '/webhooks/klink/settlement',
  gopay: '/webhooks/klink/gopay',
} as const;

export const KLINK_SIGNATURE_HEADER = 'x-servicepayment';

/** The document's create_sha256_signature: HMAC-SHA256 hex, upper case. */
export function kLinkSign(pidKey: string, body: Buffer): string {
  return createHmac('sha256', pidKey).update(body).digest('hex').toUpperCase();
}

export function kLinkSigner(pidKey: string): WebhookSigner {
  return {
    header: KLINK_SIGNATURE_HEADER,
    sign: (body) => kLinkSign(pidKey, body),
    signWithOtherKey: (body) => kLinkSign(OTHER_HMAC_KEY, body),
  };
}

/** pay_service's variant as the settlement's `transaction` names it. */
const TRANSACTION: Record<Exclude<ServiceOrder['variant'], 'midtrans'>, string> = {
  manual: 'mandiri_manual',
  card: 'multipayment',
  va: 'va',
};

export type CustomerPaysOutcome =
  | { ok: true; order: ServiceOrder; id_trans: number; webhook: string; body: unknown; webhooks: string[] }
  | { ok: false; status: 404 | 409; message: string };

export interface KLinkWebhooksOptions {
  state: KLinkState;
  sender: WebhookSender;
  pidKey: string;
  webhookBaseUrl: string | undefined;
}

export class KLinkWebhooks {
  constructor(private readonly opts: KLinkWebhooksOptions) {
    opts.sender.registerSigner('klink', kLinkSigner(opts.pidKey));
  }

  /**
   * The customer pays an order (default: exactly what it asked): the money is booked, the order
   * settled and the webhook sent. A customer pays once: a second call is refused (409), and so is
   * paying a cancelled GoPay order unless `late` (money arriving after the cancellation).
   */
  customerPays(orderId: string, amount: number | undefined, late: boolean): CustomerPaysOutcome {
    const order = this.opts.state.orders.get(orderId);
    if (!order) return { ok: false, status: 404, message: `no pay_service order '${orderId}'` };
    if (order.paid || (order.status !== 'pending' && order.status !== 'cancelled')) {
      return { ok: false, status: 409, message: `order '${orderId}' is already paid` };
    }
    // A cancelled GoPay charge takes no payment, unless the test says the money came anyway.
    if (order.status === 'cancelled' && !late) {
      return {
        ok: false,
        status: 409,
        message: `order '${orderId}' is cancelled (send late: true for money arriving after cancellation)`,
      };
    }
    const paid = amount ?? order.total_bayar;
    const { order: settled, entry } = this.opts.state.settleServiceOrder(orderId, paid, late);
    const gopay = settled.variant === 'midtrans';
    const body = gopay
      ? {
          status: 'success',
          message: 'transaction success!',
          id_trans: String(entry.id),
          rq_datetime: settled.rq_datetime,
          order_id: settled.order_id,
          transaction: 'gopay',
        }
      : {
          status: 'success',
          message: 'transaction success!',
          rq_uuid: settled.rq_uuid,
          rq_datetime: settled.rq_datetime,
          order_id: settled.order_id,
          kd_pay: settled.kd_pay || '-',
          tot_bayar: String(paid),
          norek: settled.norek ?? '-',
          transaction: TRANSACTION[settled.variant as keyof typeof TRANSACTION],
        };
    const name = gopay ? 'klink.gopay' : 'klink.settlement';
    const records = this.send(name, gopay ? KLINK_WEBHOOK_PATHS.gopay : KLINK_WEBHOOK_PATHS.settlement, {
      orderId,
      body: Buffer.from(JSON.stringify(body), 'utf8'),
    });
    return { ok: true, order: settled, id_trans: entry.id, webhook: name, body, webhooks: records };
  }

  private send(name: string, path: string, { orderId, body }: { orderId: string; body: Buffer }): string[] {
    const base = this.opts.webhookBaseUrl;
    return this.opts.sender
      .send({
        name,
        simulator: 'klink',
        orderId,
        url: base === undefined ? undefined : joinUrl(base, path),
        body,
        headers: { [KLINK_SIGNATURE_HEADER]: kLinkSign(this.opts.pidKey, body) },
      })
      .map((r) => r.id);
  }
}

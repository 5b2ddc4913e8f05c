/**
 * The transfer chaos module: its reconcile against books fabricated with the sandbox's own state
 * classes (K-Link's payment-service orders and journal, AliKassa's payments), answered exactly as
 * GET /_control/klink/orders, /klink/ledger, /alikassa/stats, /alikassa/orders/payment/:id and
 * /webhooks answer, with the gateway's unmatched reports behind GET /v1/payments/:id; and its
 * drive against a fake gateway and sandbox (what it sends for a forged, a replayed webhook and an
 * operator race).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRng } from '../../chaos/random';
import { pickVariant, transferChaos, type TransferVariant } from '../../chaos/sagas/transfer';
import type { WebhookRecord } from '../../chaos/sagas/transfer-kit';
import {
  GatewayError,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Http,
} from '../../chaos/types';
import { AliKassaState } from '../../sandbox/alikassa/state';
import { LIST_BANK } from '../../sandbox/klink/catalog';
import { ESCROW } from '../../sandbox/klink/ledger';
import { KLinkState } from '../../sandbox/klink/state';
import { transferWorkflowId, type TransferMethod } from '../../workflows/transfer-definitions';
import { unmatchedReportWorkflowId } from '../../workflows/unmatched-report';

const noop = () => undefined;

const PRODUCT: Record<Exclude<TransferMethod, 'alikassa'>, string> = {
  'klink-va': 'BCAATM',
  'klink-manual': 'MANDIRIMANUAL',
  'klink-card': 'MANDIRICC',
  'klink-gopay': 'e_money',
};

/** The sandbox's books for transfers, filled through the calls its simulators make. */
class Books {
  readonly klink = new KLinkState(Date.now, noop);
  readonly ali = new AliKassaState(Date.now, noop);
  readonly webhooks: WebhookRecord[] = [];
  /** Views the gateway answers for GET /v1/payments/:id (unmatched reports). */
  readonly views = new Map<string, unknown>();

  /** pay_service / pay_service_midtrans created the order; returns what the customer must pay. */
  order(method: Exclude<TransferMethod, 'alikassa'>, orderId: string, nominal: number): number {
    const input = {
      rq_uuid: randomUUID(),
      rq_datetime: '2025-01-01 10:00:00',
      order_id: orderId,
      no_hp: '081234567890',
      fullname: 'Budi Santoso',
      email: 'budi@example.test',
      bank_code: '014',
      product_code: PRODUCT[method],
      nominal,
      pay_ship: 0,
    };
    if (method === 'klink-gopay') return this.klink.orders.createMidtransOrder(input).total_bayar;
    const product = LIST_BANK.find((p) => p.row.productCode === PRODUCT[method])!;
    return this.klink.orders.createPayServiceOrder(input, product).total_bayar;
  }

  /** The customer paid (customer-pays books it exactly so). */
  klinkPays(orderId: string, amount?: number, late = false): void {
    const order = this.klink.orders.get(orderId)!;
    this.klink.settleServiceOrder(orderId, amount ?? order.total_bayar, late);
  }

  aliPayment(orderId: string, amount: number): void {
    this.ali.createPayment({
      order_id: orderId,
      amount: amount.toFixed(2),
      service: 'virtual_account_idr_hpp',
      customer_code: 'BCAVA',
    });
  }

  aliPays(orderId: string, amount: number, late = false): void {
    this.ali.markPaymentPaid(orderId, amount.toFixed(2), late);
  }

  /** The gateway filed money for this key in an unmatched report. */
  report(provider: string, key: string, reference: string, amount: number, status = 'NEEDS_REVIEW'): void {
    const workflowId = unmatchedReportWorkflowId(provider, key);
    this.views.set(workflowId, {
      workflowId,
      provider,
      status,
      key,
      relatedWorkflowId: transferWorkflowId(key),
      reports: [{ provider, key, status: 'success', amount, reference, receivedAt: '2025-01-01T03:00:00Z' }],
      timeline: [],
      ...(status === 'NEEDS_REVIEW'
        ? { review: { reason: 'late', actions: ['mark-resolved'], since: '' } }
        : {}),
    });
  }

  webhook(name: string, orderId: string, mode: string, state: string, body = '{}'): void {
    this.webhooks.push({
      id: randomUUID(),
      name,
      simulator: name.startsWith('alikassa') ? 'alikassa' : 'klink',
      orderId,
      mode,
      state,
      delivered: state === 'delivered',
      body,
    });
  }

  /** Http as chaos/http.ts gives it, answering from these books. */
  http(): Http {
    const notFound = (path: string, what: string) =>
      new Error(`sandbox ${path} -> HTTP 404: ${JSON.stringify({ error: what })}`);
    const control = async (path: string): Promise<unknown> => {
      const [route, query] = path.split('?');
      if (route === 'klink/orders')
        return this.klink.orders.list(query ? new URLSearchParams(query).get('order_id')! : undefined);
      if (route === 'klink/ledger') {
        const audit = this.klink.ledger.audit();
        return {
          entries: this.klink.ledger.allEntries(),
          balances: this.klink.ledger.allBalances(),
          balanced: audit.balanced,
          problems: audit.problems,
          escrow: this.klink.ledger.balance(ESCROW),
        };
      }
      if (route === 'alikassa/stats') return this.ali.stats();
      const payment = /^alikassa\/orders\/payment\/(.+)$/.exec(route!);
      if (payment) {
        const id = decodeURIComponent(payment[1]!);
        return this.ali.payment(id) ?? Promise.reject(notFound(path, `no AliKassa payment '${id}'`));
      }
      if (route === 'webhooks')
        return { webhooks: this.webhooks, delivered: 0, attempts: 0, failedAttempts: 0, modes: [] };
      throw new Error(`fake sandbox: no control route ${path}`);
    };
    return {
      control: control as Http['control'],
      gateway: (async (method: string, path: string) => {
        const id = decodeURIComponent(path.replace(/^\/payments\//, ''));
        if (method === 'GET' && this.views.has(id)) return this.views.get(id);
        throw new GatewayError(404, `${method} ${path} -> HTTP 404: {"error":"no such payment"}`);
      }) as Http['gateway'],
      raw: async () => ({ status: 500, text: 'not used' }),
    };
  }
}

function ended(
  method: TransferMethod,
  orderId: string,
  status: string | undefined,
  more: Partial<EndedPayment> = {},
): EndedPayment {
  return {
    saga: 'transfer',
    method,
    workflowId: transferWorkflowId(orderId),
    refs: { orderId, provider: method === 'alikassa' ? 'alikassa' : 'klink', amount: 0 },
    marks: [],
    status,
    runStatus: status === undefined ? undefined : 'COMPLETED',
    ...more,
  };
}

const kinds = (findings: { invariant: string }[]) => findings.map((f) => f.invariant).sort();

describe('chaos transfer reconcile', () => {
  it('every status with the money its books show: no finding', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-PAID', 175_000);
    b.klinkPays('VA-PAID');
    b.order('klink-manual', 'MAN-PAID', 99_000);
    b.klinkPays('MAN-PAID');
    b.order('klink-manual', 'MAN-SHORT', 120_000);
    b.klinkPays('MAN-SHORT', 120_000);
    b.order('klink-card', 'CARD-PAID', 50_000);
    b.klinkPays('CARD-PAID');
    b.order('klink-gopay', 'GOPAY-EXPIRED', 60_000);
    b.klink.orders.markCancelled('GOPAY-EXPIRED');
    b.order('klink-gopay', 'GOPAY-LATE', 60_000);
    b.klink.orders.markCancelled('GOPAY-LATE');
    b.klinkPays('GOPAY-LATE', undefined, true);
    b.report('klink', 'GOPAY-LATE', '17', 60_000, 'RESOLVED');
    b.aliPayment('AK-PAID', 150_000);
    b.aliPays('AK-PAID', 150_000);
    b.aliPayment('AK-PARTIAL', 150_000);
    b.aliPays('AK-PARTIAL', 100_000);
    b.aliPayment('AK-LATE', 150_000);
    b.aliPays('AK-LATE', 150_000, true);
    b.report('alikassa', 'AK-LATE', '108465371-paid', 150_000);
    b.aliPayment('AK-CANCEL', 150_000);
    b.ali.markPaymentEnded('AK-CANCEL', 'cancel');
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-PAID', 'PAID'),
      ended('klink-manual', 'MAN-PAID', 'PAID'),
      ended('klink-manual', 'MAN-SHORT', 'NEEDS_REVIEW'),
      ended('klink-card', 'CARD-PAID', 'PAID'),
      ended('klink-gopay', 'GOPAY-EXPIRED', 'EXPIRED'),
      ended('klink-gopay', 'GOPAY-LATE', 'EXPIRED'),
      ended('alikassa', 'AK-PAID', 'PAID'),
      ended('alikassa', 'AK-PARTIAL', 'NEEDS_REVIEW'),
      ended('alikassa', 'AK-LATE', 'EXPIRED'),
      ended('alikassa', 'AK-CANCEL', 'EXPIRED'),
      // Never started: nothing at the provider either.
      ended('klink-va', 'VA-NEVER', undefined, { startError: 'no answer after 40 attempts' }),
    ]);
    assert.deepEqual(findings, []);
  });

  it('money that arrived for an EXPIRED payment with no unmatched report is lost, and says why', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-LATE', 175_000);
    b.klinkPays('VA-LATE', undefined, true);
    b.webhook('klink.settlement', 'VA-LATE', 'delay', 'failed');
    b.aliPayment('AK-LATE', 150_000);
    b.aliPays('AK-LATE', 150_000, true);
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-LATE', 'EXPIRED'),
      ended('alikassa', 'AK-LATE', 'FAILED'),
    ]);
    assert.deepEqual(kinds(findings), ['lost', 'lost']);
    const va = findings.find((f) => f.workflowId === transferWorkflowId('VA-LATE'))!;
    assert.match(va.detail, /EXPIRED, but 175000 arrived \(late\) and no unmatched report holds it/);
    assert.match(va.detail, /klink\.settlement delay\/failed/);
    assert.match(va.detail, /paid 175000 late/);
  });

  it('money paid after a GoPay payment ended, whose every webhook was dropped, is provider-silent; paid in time it stays lost', async () => {
    const b = new Books();
    b.order('klink-gopay', 'GOPAY-LATE', 60_000);
    b.klinkPays('GOPAY-LATE', undefined, true);
    b.webhook('klink.gopay', 'GOPAY-LATE', 'drop', 'dropped');
    const findings = await transferChaos.reconcile(b.http(), [ended('klink-gopay', 'GOPAY-LATE', 'EXPIRED')]);
    assert.deepEqual(kinds(findings), ['provider-silent']);
  });

  it('a K-Link VA, manual or card payment whose every webhook K-Link dropped is provider-silent; GoPay (a status call) stays lost', async () => {
    const b = new Books();
    for (const [method, orderId] of [
      ['klink-va', 'VA-SILENT'],
      ['klink-card', 'CARD-SILENT'],
      ['klink-gopay', 'GOPAY-SILENT'],
    ] as const) {
      b.order(method, orderId, 60_000);
      b.klinkPays(orderId);
      b.webhook(method === 'klink-gopay' ? 'klink.gopay' : 'klink.settlement', orderId, 'drop', 'dropped');
    }
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-SILENT', 'EXPIRED'),
      ended('klink-card', 'CARD-SILENT', 'EXPIRED'),
      ended('klink-gopay', 'GOPAY-SILENT', 'EXPIRED'),
    ]);
    assert.deepEqual(findings.map((f) => [f.workflowId, f.invariant]).sort(), [
      [transferWorkflowId('CARD-SILENT'), 'provider-silent'],
      [transferWorkflowId('GOPAY-SILENT'), 'lost'],
      [transferWorkflowId('VA-SILENT'), 'provider-silent'],
    ]);
  });

  it('PAID with no payment at the provider is lost; forged-accepted when a forged webhook was sent for it', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-GHOSTPAID', 175_000);
    b.order('klink-gopay', 'GOPAY-FORGED', 60_000);
    b.aliPayment('AK-FORGED', 150_000);
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-GHOSTPAID', 'PAID'),
      ended('klink-gopay', 'GOPAY-FORGED', 'PAID', { marks: ['forged'] }),
      ended('alikassa', 'AK-FORGED', 'PAID', { marks: ['forged'] }),
    ]);
    assert.deepEqual(kinds(findings), ['forged-accepted', 'forged-accepted', 'lost']);
    assert.match(
      findings.find((f) => f.invariant === 'lost')!.detail,
      /PAID, but the provider shows no payment/,
    );
  });

  it('a forged webhook for the unpaid order that left it EXPIRED is no finding', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-FORGED', 175_000);
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-FORGED', 'EXPIRED', { marks: ['forged'] }),
    ]);
    assert.deepEqual(findings, []);
  });

  it('two settlements for one order are double-moved, even parked in NEEDS_REVIEW', async () => {
    const b = new Books();
    b.order('klink-card', 'CARD-TWICE', 50_000);
    b.klinkPays('CARD-TWICE');
    b.klinkPays('CARD-TWICE');
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-card', 'CARD-TWICE', 'NEEDS_REVIEW'),
    ]);
    assert.deepEqual(kinds(findings), ['double-moved']);
    assert.match(findings[0]!.detail, /arrived 2 times/);
  });

  it('PAID with less than asked is lost unless an operator accepted it (mark-paid)', async () => {
    const b = new Books();
    b.order('klink-manual', 'MAN-SHORT-PAID', 120_000);
    b.klinkPays('MAN-SHORT-PAID', 120_000);
    b.order('klink-manual', 'MAN-SHORT-OPERATOR', 120_000);
    b.klinkPays('MAN-SHORT-OPERATOR', 120_000);
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-manual', 'MAN-SHORT-PAID', 'PAID'),
      ended('klink-manual', 'MAN-SHORT-OPERATOR', 'PAID', {
        marks: ['operator-race', 'review-accepted:mark-paid'],
      }),
    ]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.match(findings[0]!.detail, /PAID, but 120000 arrived of the 12\d{4} asked/);
  });

  it('money for an order no payment carries is lost, unless a report keeps it', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-ORPHAN', 80_000);
    b.klinkPays('VA-ORPHAN');
    b.order('klink-va', 'VA-ORPHAN-REPORTED', 80_000);
    b.klinkPays('VA-ORPHAN-REPORTED');
    b.report('klink', 'VA-ORPHAN-REPORTED', 'rq', 80_000);
    b.aliPayment('AK-ORPHAN', 90_000);
    b.aliPays('AK-ORPHAN', 90_000);
    b.order('klink-va', 'VA-UNPAID-ORPHAN', 80_000);
    const findings = await transferChaos.reconcile(b.http(), []);
    assert.deepEqual(kinds(findings), ['lost', 'lost']);
    assert.ok(findings.every((f) => f.workflowId === undefined));
    assert.ok(findings.some((f) => /order VA-ORPHAN,/.test(f.detail)));
    assert.ok(findings.some((f) => /order AK-ORPHAN,/.test(f.detail)));
  });

  it('a start that failed must have moved nothing, or a report keeps it', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-STARTFAIL', 80_000);
    b.klinkPays('VA-STARTFAIL');
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-STARTFAIL', undefined, { startError: 'no answer' }),
    ]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.match(findings[0]!.detail, /the start failed \(no answer\) yet money arrived/);
  });

  it('a forged webhook for an order nobody created must not be filed as a report', async () => {
    const b = new Books();
    b.order('klink-va', 'VA-EXP', 80_000);
    b.report('klink', 'GHOST-1', 'GHOST-1', 80_000);
    const findings = await transferChaos.reconcile(b.http(), [
      ended('klink-va', 'VA-EXP', 'EXPIRED', {
        marks: ['forged'],
        refs: { orderId: 'VA-EXP', amount: 80_000, ghostOrderId: 'GHOST-1', forgedSign: 'other-key' },
      }),
    ]);
    assert.deepEqual(kinds(findings), ['forged-accepted']);
    assert.match(findings[0]!.detail, /order GHOST-1, which nobody created/);
  });

  it('a replay the payment had counted must not be filed again, nor change its status', async () => {
    const b = new Books();
    for (const id of ['VA-REPLAY-OK', 'VA-REPLAY-FILED']) {
      b.order('klink-va', id, 80_000);
      b.klinkPays(id);
    }
    b.report('klink', 'VA-REPLAY-FILED', 'rq-filed', 80_000);
    const replayed = (orderId: string, reference: string, status: string) =>
      ended('klink-va', orderId, status, {
        marks: ['replayed'],
        refs: { orderId, amount: 80_000, replayedReference: reference, replayedAtStatus: 'PAID' },
        view: { status, webhooks: [{ provider: 'klink', reference, status: 'success' }] },
      });
    const findings = await transferChaos.reconcile(b.http(), [
      replayed('VA-REPLAY-OK', 'rq-ok', 'PAID'),
      replayed('VA-REPLAY-FILED', 'rq-filed', 'PAID'),
    ]);
    assert.deepEqual(kinds(findings), ['forged-accepted']);
    assert.match(
      findings[0]!.detail,
      /webhook rq-filed was counted by the payment, and its replay was filed again/,
    );
  });
});

// ---- drive ----

/** A seed whose first draw gives `variant` for `method` (drive draws the variant first). */
function seedFor(method: TransferMethod, variant: TransferVariant): number {
  for (let seed = 1; seed < 10_000; seed++) if (pickVariant(createRng(seed), method) === variant) return seed;
  throw new Error(`no seed gives ${variant}`);
}

/** A gateway and sandbox that answer at once: the payment waits for its payer, then reaches `after`. */
function fakeWorld(method: TransferMethod, opts: { after?: string; review?: number } = {}) {
  const sent: Array<{ path: string; body: unknown }> = [];
  const faults: FaultKind[] = [];
  let paid = false;
  const orderOf = (orderId: string) => {
    const books = new Books();
    if (method === 'alikassa') books.aliPayment(orderId, 100_000);
    else books.order(method, orderId, 100_000);
    return books;
  };
  let books: Books | undefined;
  const http: Http = {
    control: (async (path: string, body?: unknown) => {
      sent.push({ path, body });
      if (path === 'klink/customer-pays' || path === 'alikassa/pay') {
        paid = true;
        return {};
      }
      if (path === 'webhooks') {
        const orderId = sent.find((s) => s.path === '/transfers')!.body as { orderId: string };
        return {
          webhooks: [
            {
              id: 'w1',
              name:
                method === 'alikassa'
                  ? 'alikassa.payment'
                  : method === 'klink-gopay'
                    ? 'klink.gopay'
                    : 'klink.settlement',
              simulator: method === 'alikassa' ? 'alikassa' : 'klink',
              orderId: orderId.orderId,
              mode: 'normal',
              state: 'delivered',
              delivered: true,
              body:
                method === 'alikassa'
                  ? 'type=payment&id=108465371&order_id=x&payment_status=paid&sign=abc%2B%3D'
                  : '{"status":"success","rq_uuid":"rq-1","id_trans":"55","order_id":"x"}',
            },
          ],
        };
      }
      if (path === 'webhooks/send-raw') return { webhooks: ['raw'] };
      return books!.http().control(path);
    }) as Http['control'],
    gateway: (async (method: string, path: string, body?: unknown) => {
      sent.push({ path, body });
      if (path === '/transfers') {
        books = orderOf((body as { orderId: string }).orderId);
        return { workflowId: 'w', status: 'AWAITING_PAYMENT' };
      }
      if (path.endsWith('/review')) {
        if (opts.review) throw new GatewayError(opts.review, 'refused');
        return { status: 'PAID' };
      }
      const parkedBy = sent.some((s) => s.path === 'webhooks/send-raw');
      return {
        status: paid ? (opts.after ?? 'PAID') : parkedBy ? 'NEEDS_REVIEW' : 'AWAITING_PAYMENT',
        review: { reason: 'x', actions: ['mark-paid', 'mark-not-paid'] },
      };
    }) as Http['gateway'],
    raw: async () => ({ status: 500, text: '' }),
  };
  return { http, sent, faults };
}

function context(world: ReturnType<typeof fakeWorld>, seed: number): DriveContext {
  return {
    http: world.http,
    rng: createRng(seed),
    id: 'run1-7',
    gatewayUrl: 'http://gateway.invalid',
    sandboxUrl: 'http://sandbox.invalid',
    klink: { baseUrl: 'http://sandbox.invalid/klink', email: 'e', password: 'p' },
    fault: (kind) => world.faults.push(kind),
    sleep: async () => undefined,
  };
}

describe('chaos transfer drive', () => {
  it('paid: starts one transfer with the run id in its order id and pays exactly what was asked', async () => {
    const world = fakeWorld('klink-va');
    const p = await transferChaos.drive(context(world, seedFor('klink-va', 'paid')), 'klink-va');
    assert.equal(p.startError, undefined);
    assert.equal(p.refs.orderId, 'CH-TR-run1-7');
    assert.equal(p.workflowId, transferWorkflowId('CH-TR-run1-7'));
    const pay = world.sent.find((s) => s.path === 'klink/customer-pays')!;
    assert.deepEqual(pay.body, { order_id: 'CH-TR-run1-7' });
    assert.deepEqual(world.faults, []);
  });

  it('forged: a paid claim for the unpaid order, never validly signed, counted once and marked', async () => {
    for (const method of ['klink-va', 'klink-gopay', 'alikassa'] as const) {
      const world = fakeWorld(method);
      const p = await transferChaos.drive(context(world, seedFor(method, 'forged')), method);
      const raw = world.sent.find((s) => s.path === 'webhooks/send-raw')!.body as {
        sign: string;
        body: string;
        path: string;
      };
      assert.notEqual(raw.sign, 'valid');
      assert.match(raw.body, /success|payment_status=paid/);
      assert.ok(!world.sent.some((s) => s.path === 'klink/customer-pays' || s.path === 'alikassa/pay'));
      assert.deepEqual(world.faults, ['webhook-forged']);
      assert.ok(p.marks.includes('forged'));
    }
  });

  it('replay: once PAID, the delivered webhook again, validly signed (AliKassa without its old sign)', async () => {
    for (const method of ['klink-va', 'alikassa'] as const) {
      const world = fakeWorld(method);
      const p = await transferChaos.drive(context(world, seedFor(method, 'replay')), method);
      const raws = world.sent
        .filter((s) => s.path === 'webhooks/send-raw')
        .map((s) => s.body as { sign: string; body: string });
      assert.ok(raws.length >= 1);
      for (const raw of raws) {
        assert.equal(raw.sign, 'valid');
        if (method === 'alikassa') assert.doesNotMatch(raw.body, /sign=/);
        else assert.equal(raw.body, '{"status":"success","rq_uuid":"rq-1","id_trans":"55","order_id":"x"}');
      }
      assert.equal(p.refs.replayedReference, method === 'alikassa' ? '108465371-paid' : 'rq-1');
      assert.deepEqual(world.faults, ['webhook-replayed']);
    }
  });

  it('operator race: parked by an unknown word, then a review action sent with the payment', async () => {
    const world = fakeWorld('klink-va', { review: 409 });
    const p = await transferChaos.drive(context(world, seedFor('klink-va', 'race')), 'klink-va');
    const hold = world.sent.find((s) => s.path === 'webhooks/send-raw')!.body as {
      sign: string;
      body: string;
    };
    assert.equal(hold.sign, 'valid');
    assert.match(hold.body, /"status":"processing"/);
    const review = world.sent.find((s) => s.path.endsWith('/review'))!.body as { action: string };
    assert.ok(['mark-paid', 'mark-not-paid'].includes(review.action));
    assert.ok(world.sent.some((s) => s.path === 'klink/customer-pays'));
    assert.ok(p.marks.includes('operator-race') && p.marks.includes('review-refused:409'));
    assert.deepEqual(world.faults, ['operator-race']);
  });

  it('late: pays with late: true only once the payment is EXPIRED', async () => {
    const world = fakeWorld('klink-gopay');
    // The fake shows EXPIRED from the start (nothing paid yet): the customer then pays late.
    const http = world.http;
    const gateway = http.gateway;
    http.gateway = (async (m: 'GET' | 'POST', path: string, body?: unknown) =>
      m === 'GET' ? { status: 'EXPIRED' } : gateway(m, path, body)) as Http['gateway'];
    await transferChaos.drive(context(world, seedFor('klink-gopay', 'late')), 'klink-gopay');
    const pay = world.sent.find((s) => s.path === 'klink/customer-pays')!;
    assert.deepEqual(pay.body, { order_id: 'CH-TR-run1-7', late: true });
  });

  it('a start never answered is a payment with startError, not a throw', async () => {
    const world = fakeWorld('klink-card');
    world.http.gateway = (async () => {
      throw new Error('POST /transfers: no answer after 30 attempts');
    }) as Http['gateway'];
    const p = await transferChaos.drive(context(world, 3), 'klink-card');
    assert.match(p.startError!, /no answer/);
    assert.equal(p.workflowId, transferWorkflowId('CH-TR-run1-7'));
  });
});

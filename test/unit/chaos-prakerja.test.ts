/**
 * The Prakerja chaos module's reconcile, against books fabricated with the sandbox's own state
 * classes (so the rows are exactly what GET /_control/prakerja/transactions and
 * /_control/merchant/fulfilments answer), and its drive against a fake gateway: what money each
 * status allows, and the broken promises it must catch (a standing charge on a VOIDED payment,
 * two authorizations for one invoice, money for an invoice no payment has).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  pickVariant,
  prakerjaChaos,
  type MerchantFulfilment,
  type PrakerjaTransaction,
} from '../../chaos/sagas/prakerja';
import { createRng } from '../../chaos/random';
import {
  GatewayError,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Http,
} from '../../chaos/types';
import { MerchantState } from '../../sandbox/merchant/routes';
import { PrakerjaState } from '../../sandbox/prakerja/state';

const noop = () => undefined;

/** The sandbox's two books, filled through the same calls the simulators' routes make. */
class Books {
  readonly prakerja = new PrakerjaState(Date.now, noop);
  readonly merchant = new MerchantState(Date.now, noop);

  /** A participant's right OTP for `invoice`; returns the transaction code. */
  authorize(invoice: string, amount: number): string {
    const token = this.prakerja.createToken({ amount });
    const outcome = this.prakerja.authorize({
      paymentToken: token.payment_token,
      otp: token.otp,
      invoiceCode: invoice,
      invoiceUrl: `https://lp.example/invoices/${invoice}`,
    });
    assert.ok(outcome.ok);
    return outcome.transaction.transaction_code;
  }

  void(invoice: string, transactionCode: string): void {
    assert.ok(this.prakerja.void({ invoiceCode: invoice, transactionCode }).ok);
  }

  deliver(invoice: string, transactionCode: string, amount: number, key = `prakerja-${invoice}`): void {
    const outcome = this.merchant.fulfil(key, {
      invoice_code: invoice,
      transaction_code: transactionCode,
      amount,
      order_id: `ORDER-${invoice}`,
    });
    assert.equal(outcome.kind, 'fulfilled');
  }

  /** An Http whose control() answers GETs as the sandbox's control routes do (JSON round trip). */
  http(): Http {
    // Typed as the module reads them: the sandbox's rows must fit the module's row types.
    const transactions: PrakerjaTransaction[] = this.prakerja.transactions();
    const fulfilments: MerchantFulfilment[] = this.merchant.fulfilments();
    const answers: Record<string, unknown> = {
      'prakerja/transactions': transactions,
      'merchant/fulfilments': fulfilments,
    };
    return {
      control: async <T>(path: string, body?: unknown) => {
        assert.equal(body, undefined, 'reconcile only reads');
        if (!(path in answers)) throw new Error(`sandbox ${path} -> HTTP 404`);
        return JSON.parse(JSON.stringify(answers[path])) as T;
      },
      gateway: async () => {
        throw new Error('reconcile never calls the gateway');
      },
      raw: async () => {
        throw new Error('reconcile never sends raw requests');
      },
    };
  }
}

function ended(
  invoice: string,
  amount: number,
  status: string | undefined,
  extra: Partial<EndedPayment> = {},
) {
  return {
    saga: 'prakerja',
    method: 'otp',
    workflowId: `prakerja-${invoice}`,
    refs: { invoiceCode: invoice, orderId: `ORDER-${invoice}`, amount },
    marks: [],
    status,
    runStatus: status === undefined ? undefined : 'COMPLETED',
    ...extra,
  } satisfies EndedPayment;
}

const reconcile = (books: Books, payments: EndedPayment[]) => prakerjaChaos.reconcile(books.http(), payments);
const kinds = (findings: { invariant: string }[]) => findings.map((f) => f.invariant).sort();

describe('prakerja chaos reconcile', () => {
  it('finds nothing when every status matches its books', async () => {
    const b = new Books();
    const tx1 = b.authorize('INV-1', 100_000);
    b.deliver('INV-1', tx1, 100_000);
    const tx2 = b.authorize('INV-2', 50_000);
    b.void('INV-2', tx2);
    const tx5 = b.authorize('INV-5', 70_000); // void refused: parked, money standing
    const findings = await reconcile(b, [
      ended('INV-1', 100_000, 'COMPLETED', { view: { transactionCode: tx1 } }),
      ended('INV-2', 50_000, 'VOIDED'),
      ended('INV-3', 20_000, 'EXPIRED'),
      ended('INV-4', 20_000, 'CANCELLED'),
      ended('INV-5', 70_000, 'NEEDS_REVIEW', { view: { transactionCode: tx5 } }),
      ended('INV-6', 20_000, 'FAILED'),
      ended('INV-7', 20_000, undefined, { startError: 'no answer after 40 attempts' }),
    ]);
    assert.deepEqual(findings, []);
  });

  it('catches a charge that stands while the payment says VOIDED (lost)', async () => {
    const b = new Books();
    b.authorize('INV-1', 100_000);
    const findings = await reconcile(b, [ended('INV-1', 100_000, 'VOIDED')]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.equal(findings[0]!.workflowId, 'prakerja-INV-1');
    assert.match(findings[0]!.detail, /VOIDED but Prakerja still holds a standing authorization/);
    assert.match(findings[0]!.detail, /100000 standing/);
  });

  it('catches a standing charge on EXPIRED, FAILED and CANCELLED payments', async () => {
    const b = new Books();
    for (const invoice of ['INV-E', 'INV-F', 'INV-C']) b.authorize(invoice, 10_000);
    const findings = await reconcile(b, [
      ended('INV-E', 10_000, 'EXPIRED'),
      ended('INV-F', 10_000, 'FAILED'),
      ended('INV-C', 10_000, 'CANCELLED'),
    ]);
    assert.deepEqual(kinds(findings), ['lost', 'lost', 'lost']);
  });

  it('catches two authorizations for one invoice (double-moved), even in NEEDS_REVIEW', async () => {
    const b = new Books();
    const tx1 = b.authorize('INV-1', 100_000);
    const tx2 = b.authorize('INV-1', 100_000);
    b.void('INV-1', tx2);
    b.deliver('INV-1', tx1, 100_000);
    const completed = await reconcile(b, [ended('INV-1', 100_000, 'COMPLETED')]);
    assert.deepEqual(kinds(completed), ['double-moved']);
    assert.match(completed[0]!.detail, /2 authorizations for one invoice/);
    assert.ok(completed[0]!.detail.includes(tx1) && completed[0]!.detail.includes(tx2));

    const review = await reconcile(b, [ended('INV-1', 100_000, 'NEEDS_REVIEW')]);
    assert.deepEqual(kinds(review), ['double-moved']);
  });

  it('catches two deliveries for one invoice (double-moved)', async () => {
    const b = new Books();
    const tx = b.authorize('INV-1', 100_000);
    b.deliver('INV-1', tx, 100_000, 'key-a');
    b.deliver('INV-1', tx, 100_000, 'key-b');
    const findings = await reconcile(b, [ended('INV-1', 100_000, 'COMPLETED')]);
    assert.deepEqual(kinds(findings), ['double-moved']);
  });

  it('catches a COMPLETED payment with its authorization voided, or never delivered (lost)', async () => {
    const b = new Books();
    const tx1 = b.authorize('INV-1', 100_000);
    b.deliver('INV-1', tx1, 100_000);
    b.void('INV-1', tx1);
    b.authorize('INV-2', 100_000);
    const findings = await reconcile(b, [
      ended('INV-1', 100_000, 'COMPLETED'),
      ended('INV-2', 100_000, 'COMPLETED'),
    ]);
    assert.deepEqual(kinds(findings), ['lost', 'lost']);
    assert.match(findings[0]!.detail, /COMPLETED but 0 standing authorizations/);
    assert.match(findings[1]!.detail, /never delivered/);
  });

  it('catches a COMPLETED payment whose authorization is for another amount (lost)', async () => {
    const b = new Books();
    const tx = b.authorize('INV-1', 90_000);
    b.deliver('INV-1', tx, 100_000);
    const findings = await reconcile(b, [ended('INV-1', 100_000, 'COMPLETED')]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.match(findings[0]!.detail, /COMPLETED for 100000 but Prakerja authorized 90000/);
  });

  it('catches goods delivered for a VOIDED payment (lost)', async () => {
    const b = new Books();
    const tx = b.authorize('INV-1', 100_000);
    b.deliver('INV-1', tx, 100_000);
    b.void('INV-1', tx);
    const findings = await reconcile(b, [ended('INV-1', 100_000, 'VOIDED')]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.match(findings[0]!.detail, /the merchant delivered/);
  });

  it('catches a standing authorization for an invoice no payment has (lost), not a voided one', async () => {
    const b = new Books();
    b.authorize('INV-STRAY', 30_000);
    b.void('INV-GONE', b.authorize('INV-GONE', 30_000));
    const findings = await reconcile(b, []);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.equal(findings[0]!.workflowId, undefined);
    assert.match(findings[0]!.detail, /INV-STRAY, which no payment of the campaign has/);
  });

  it('catches money moved by a start that was never answered and has no execution (lost)', async () => {
    const b = new Books();
    b.authorize('INV-1', 30_000);
    const findings = await reconcile(b, [ended('INV-1', 30_000, undefined, { startError: 'timeout' })]);
    assert.deepEqual(kinds(findings), ['lost']);
  });

  it('leaves a payment the engine lost to the campaign (no double count)', async () => {
    const b = new Books();
    b.authorize('INV-1', 30_000);
    assert.deepEqual(await reconcile(b, [ended('INV-1', 30_000, undefined)]), []);
  });
});

// ---- drive ----

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

/** A gateway and sandbox that answer like healthy ones; `gatewayAnswer` overrides per call. */
function fakeContext(seed: number, gatewayAnswer?: (call: Call) => unknown) {
  const calls: Call[] = [];
  const controls: Call[] = [];
  const faults: FaultKind[] = [];
  const http: Http = {
    gateway: async <T>(method: 'GET' | 'POST', path: string, body?: unknown) => {
      const call = { method, path, body };
      calls.push(call);
      const custom = gatewayAnswer?.(call);
      if (custom !== undefined) return custom as T;
      if (path === '/prakerja/payments') return { workflowId: 'x' } as T;
      if (path.endsWith('/otp')) return { accepted: true, status: 'FULFILLING', attemptsLeft: 3 } as T;
      return { cancelRequested: true } as T;
    },
    control: async <T>(path: string, body?: unknown) => {
      controls.push({ method: 'POST', path, body });
      return (path === 'prakerja/tokens' ? { payment_token: 'ptk_1', otp: '123456' } : {}) as T;
    },
    raw: async () => ({ status: 500, text: '' }),
  };
  const ctx: DriveContext = {
    http,
    rng: createRng(seed),
    id: `t${seed}`,
    gatewayUrl: 'http://gw',
    sandboxUrl: 'http://sb',
    klink: { baseUrl: 'http://sb/klink', email: 'e', password: 'p' },
    fault: (kind) => faults.push(kind),
    sleep: async () => undefined,
  };
  return { ctx, calls, controls, faults };
}

/** A seed whose payment plays `variant` (the variant is the payment rng's first draw). */
function seedOf(variant: string): number {
  for (let seed = 1; ; seed++) if (pickVariant(createRng(seed)) === variant) return seed;
}

describe('prakerja chaos drive', () => {
  it('covers every variant over a few hundred seeds, mostly paid, and never throws', async () => {
    const counts: Record<string, number> = {};
    for (let seed = 1; seed <= 300; seed++) {
      const { ctx, calls, faults } = fakeContext(seed);
      const payment = await prakerjaChaos.drive(ctx, 'otp');
      const variant = String(payment.refs.variant);
      counts[variant] = (counts[variant] ?? 0) + 1;
      assert.equal(payment.workflowId, `prakerja-CHAOS-PK-t${seed}`);
      const start = calls[0]!.body as { invoiceCode: string; otpTimeoutSeconds: number };
      assert.equal(start.invoiceCode, payment.refs.invoiceCode);
      assert.ok(start.otpTimeoutSeconds <= 60, 'a payment must be able to end within a minute');
      if (variant === 'operator-race') {
        assert.deepEqual(faults, ['operator-race']);
        assert.ok(
          calls.some((c) => c.path.endsWith('/cancel')) && calls.some((c) => c.path.endsWith('/otp')),
        );
      } else assert.deepEqual(faults, []);
      if (variant === 'abandoned') assert.equal(calls.length, 1);
    }
    assert.deepEqual(Object.keys(counts).sort(), [
      'abandoned',
      'cancelled',
      'merchant-refuses',
      'operator-race',
      'paid',
      'void-refused',
      'wrong-otp-first',
    ]);
    assert.ok(counts.paid! > 120 && counts.paid! < 230, `paid ${counts.paid}`);
  });

  it('arranges the merchant refusal and the void refusal before the payment starts', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { ctx, controls } = fakeContext(seed);
      const payment = await prakerjaChaos.drive(ctx, 'otp');
      const paths = controls.map((c) => c.path);
      if (payment.refs.variant === 'void-refused')
        assert.deepEqual(paths, ['prakerja/tokens', 'merchant/fail', 'prakerja/refuse-void']);
      if (payment.refs.variant === 'merchant-refuses')
        assert.deepEqual(paths, ['prakerja/tokens', 'merchant/fail']);
    }
  });

  it('returns startError (not a throw) when the start never gets an answer', async () => {
    const { ctx } = fakeContext(3, (call) => {
      if (call.path === '/prakerja/payments') throw new Error('POST /prakerja/payments: no answer');
      return undefined;
    });
    const payment = await prakerjaChaos.drive(ctx, 'otp');
    assert.match(payment.startError ?? '', /no answer/);
    assert.equal(payment.workflowId, 'prakerja-CHAOS-PK-t3');
  });

  it('carries on past a 409 and records it', async () => {
    const { ctx } = fakeContext(seedOf('wrong-otp-first'), (call) => {
      if (call.path.endsWith('/otp')) throw new GatewayError(409, 'not waiting for an OTP');
      return undefined;
    });
    const payment = await prakerjaChaos.drive(ctx, 'otp');
    assert.deepEqual(payment.marks, ['wrong-otp:409', 'otp:409']);
  });

  it('types the OTP again when the engine says it never reached Prakerja', async () => {
    let otps = 0;
    const seed = seedOf('paid');
    const { ctx, calls } = fakeContext(seed, (call) => {
      if (!call.path.endsWith('/otp')) return undefined;
      otps += 1;
      return otps < 3
        ? { accepted: false, status: 'AWAITING_OTP', reason: 'provider-unavailable', attemptsLeft: 3 }
        : { accepted: true, status: 'FULFILLING', attemptsLeft: 3 };
    });
    const payment = await prakerjaChaos.drive(ctx, 'otp');
    assert.equal(payment.refs.variant, 'paid');
    assert.equal(calls.filter((c) => c.path.endsWith('/otp')).length, 3);
  });
});

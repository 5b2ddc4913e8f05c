/**
 * The K-Link escrow refund chaos module. Reconcile runs against journals fabricated with the
 * sandbox's own K-Link state (what GET /_control/klink/ledger answers, entry for entry), including
 * movements the simulator's API would refuse (a second refund of one order) so the module proves
 * it catches them. Drive runs against a real sandbox (the shop pays into escrow over K-Link's
 * signed API, the control API is real) with a fake gateway standing in for the engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttp } from '../../chaos/http';
import { createRng } from '../../chaos/random';
import {
  ORDER_PREFIX,
  klinkRefundChaos,
  pickVariant,
  type JournalEntry,
  type KLinkLedger,
} from '../../chaos/sagas/klink-refund';
import {
  GatewayError,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Http,
} from '../../chaos/types';
import { createKLinkClient } from '../../providers/klink/client';
import { ESCROW, memberAccount } from '../../sandbox/klink/ledger';
import { KLinkState } from '../../sandbox/klink/state';
import { buildSandboxServer } from '../../sandbox/server';

process.env.LOG_LEVEL ??= 'silent';

const noop = () => undefined;

/** K-Link's books, filled through the calls its routes make. */
class Books {
  readonly state = new KLinkState(Date.now, noop);

  /** The member is funded and pays the order into escrow; returns the pay's id_trans. */
  pay(order: string, amount: number, idMember = `M-${order}`): number {
    this.state.setMember(idMember, amount + 10_000);
    assert.ok(this.state.pay({ id_member: idMember, amount, id_order: order, description: 'Konsultasi' }).ok);
    const rows = this.state.refundInquiry(order, idMember);
    assert.ok(rows.ok);
    return rows.rows[0]!.id_trans;
  }

  refund(order: string, idTrans: number, idMember = `M-${order}`): void {
    const accept = { id_order: order, id_member: idMember, id_trans: idTrans, note: 'dokter tidak standby' };
    assert.ok(this.state.refundAccept(accept).ok);
  }

  /** A movement the simulator's rules would refuse: straight into the journal. */
  post(from: string, to: string, amount: number, order: string): void {
    this.state.ledger.transfer({ from, to, amount, kind: 'refund', description: 'forced', id_order: order });
  }

  /** As sandbox/klink/control.ts answers GET /ledger. */
  ledger(): KLinkLedger {
    const audit = this.state.ledger.audit();
    // Typed as the module reads them: the sandbox's entries must fit the module's entry type.
    const entries: JournalEntry[] = this.state.ledger.allEntries();
    return JSON.parse(
      JSON.stringify({
        entries,
        balances: this.state.ledger.allBalances(),
        balanced: audit.balanced,
        problems: audit.problems,
        escrow: this.state.ledger.balance(ESCROW),
      }),
    ) as KLinkLedger;
  }

  http(): Http {
    return {
      control: async <T>(path: string, body?: unknown) => {
        assert.equal(body, undefined, 'reconcile only reads');
        assert.equal(path, 'klink/ledger');
        return this.ledger() as T;
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

const order = (n: number | string) => `${ORDER_PREFIX}${n}`;

function ended(idOrder: string, status: string | undefined, extra: Partial<EndedPayment> = {}): EndedPayment {
  return {
    saga: 'klinkRefund',
    method: 'escrow',
    workflowId: `klink-refund-${idOrder}`,
    refs: { idOrder, idMember: `M-${idOrder}`, paidAmount: 90_000, expectedAmount: 90_000 },
    marks: [],
    status,
    runStatus: status === undefined ? undefined : 'COMPLETED',
    ...extra,
  };
}

const kinds = (findings: { invariant: string }[]) => findings.map((f) => f.invariant).sort();

describe('klink refund chaos reconcile', () => {
  it('finds nothing when every status matches the journal', async () => {
    const b = new Books();
    b.refund(order(1), b.pay(order(1), 90_000));
    b.pay(order(2), 90_000); // rejected: stays in escrow
    b.pay(order(3), 90_000); // parked: either state is allowed
    b.refund(order(4), b.pay(order(4), 90_000)); // parked after the refund moved
    // Another saga's escrow refund (PPOB funding) is not this module's business.
    b.refund('ppob-ORDER-9', b.pay('ppob-ORDER-9', 20_000));
    const findings = await klinkRefundChaos.reconcile(b.http(), [
      ended(order(1), 'REFUNDED'),
      ended(order(2), 'NOT_REFUNDED'),
      ended(order(3), 'NEEDS_REVIEW'),
      ended(order(4), 'NEEDS_REVIEW'),
      ended(order(5), 'NEEDS_REVIEW'), // an order K-Link never saw
      ended(order(6), undefined, { startError: 'no answer' }),
    ]);
    assert.deepEqual(findings, []);
  });

  it('catches two refunds for one order (double-moved), even in NEEDS_REVIEW', async () => {
    const b = new Books();
    b.refund(order(1), b.pay(order(1), 90_000));
    b.pay('ppob-ORDER-8', 200_000); // someone else's money in escrow, taken by the second refund
    b.post(ESCROW, memberAccount(`M-${order(1)}`), 90_000, order(1));
    for (const status of ['REFUNDED', 'NEEDS_REVIEW']) {
      const findings = await klinkRefundChaos.reconcile(b.http(), [ended(order(1), status)]);
      assert.deepEqual(kinds(findings), ['double-moved']);
      assert.equal(findings[0]!.workflowId, `klink-refund-${order(1)}`);
      assert.match(findings[0]!.detail, /2 refunds out of escrow for one order/);
      assert.match(findings[0]!.detail, /refund ESCROW->member:M-CHAOS-KR-1 90000/);
    }
  });

  it('catches a REFUNDED payment whose money never left escrow (lost)', async () => {
    const b = new Books();
    b.pay(order(1), 90_000);
    const findings = await klinkRefundChaos.reconcile(b.http(), [ended(order(1), 'REFUNDED')]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.match(findings[0]!.detail, /REFUNDED but K-Link never moved the 90000 back out of escrow/);
  });

  it('catches a refund that moved while the payment says NOT_REFUNDED (lost)', async () => {
    const b = new Books();
    b.refund(order(1), b.pay(order(1), 90_000));
    const findings = await klinkRefundChaos.reconcile(b.http(), [ended(order(1), 'NOT_REFUNDED')]);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.match(findings[0]!.detail, /NOT_REFUNDED but K-Link refunded the member/);
  });

  it('catches a refund to another member or of another amount (lost)', async () => {
    const b = new Books();
    b.pay(order(1), 90_000);
    b.state.setMember('SOMEONE-ELSE', 0);
    b.post(ESCROW, memberAccount('SOMEONE-ELSE'), 90_000, order(1));
    b.pay(order(2), 90_000);
    b.post(ESCROW, memberAccount(`M-${order(2)}`), 50_000, order(2));
    const findings = await klinkRefundChaos.reconcile(b.http(), [
      ended(order(1), 'REFUNDED'),
      ended(order(2), 'REFUNDED'),
    ]);
    assert.deepEqual(kinds(findings), ['lost', 'lost']);
    assert.match(findings[0]!.detail, /is not ESCROW->member:M-CHAOS-KR-1/);
    assert.match(findings[1]!.detail, /is not the 90000 paid/);
  });

  it('catches a refund of an order no payment of the campaign has (lost)', async () => {
    const b = new Books();
    b.refund(order('STRAY'), b.pay(order('STRAY'), 40_000));
    const findings = await klinkRefundChaos.reconcile(b.http(), []);
    assert.deepEqual(kinds(findings), ['lost']);
    assert.equal(findings[0]!.workflowId, undefined);
    assert.match(findings[0]!.detail, /CHAOS-KR-STRAY, which no refund of the campaign has/);
  });

  it('catches a refund moved by a start that was never answered (lost)', async () => {
    const b = new Books();
    b.refund(order(1), b.pay(order(1), 90_000));
    const findings = await klinkRefundChaos.reconcile(b.http(), [
      ended(order(1), undefined, { startError: 'no answer after 30 attempts' }),
    ]);
    assert.deepEqual(kinds(findings), ['lost']);
  });
});

// ---- drive, against a real sandbox ----

const EMAIL = 'chaos-test@k-link.test';
const PASSWORD = 'klink-chaos-password-1';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

describe('klink refund chaos drive', () => {
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    app = await buildSandboxServer({
      prakerja: { clientCode: 'DP-TEST', signKey: 'unused-here' },
      klink: { email: EMAIL, password: PASSWORD, pidKey: 'pid-key-for-tests' },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => app.close());

  /** The real sandbox's control API; a gateway that answers as `engine` says (a healthy one by default). */
  function context(seed: number, engine?: (call: Call) => unknown) {
    const real = createHttp('http://127.0.0.1:1', base);
    const calls: Call[] = [];
    const faults: FaultKind[] = [];
    const http: Http = {
      ...real,
      gateway: async <T>(method: 'GET' | 'POST', path: string, body?: unknown) => {
        const call = { method, path, body };
        calls.push(call);
        const custom = engine?.(call);
        if (custom !== undefined) return custom as T;
        if (method === 'GET') return { status: 'AWAITING_CONFIRMATION', candidates: [{ idTrans: 7 }] } as T;
        return { workflowId: 'x' } as T;
      },
    };
    const ctx: DriveContext = {
      http,
      rng: createRng(seed),
      id: `d${seed}`,
      gatewayUrl: 'http://127.0.0.1:1',
      sandboxUrl: base,
      klink: { baseUrl: `${base}/klink`, email: EMAIL, password: PASSWORD },
      fault: (kind) => faults.push(kind),
      sleep: async () => undefined,
    };
    return { ctx, calls, faults };
  }

  const seedOf = (variant: string) => {
    for (let seed = 1; ; seed++) if (pickVariant(createRng(seed)) === variant) return seed;
  };

  it('pays into escrow, asks for the refund of exactly that, and leaves the refund to the engine', async () => {
    const seed = seedOf('matches');
    const { ctx, calls } = context(seed);
    const payment = await klinkRefundChaos.drive(ctx, 'escrow');
    assert.equal(payment.startError, undefined);
    assert.equal(payment.workflowId, `klink-refund-${ORDER_PREFIX}d${seed}`);
    assert.deepEqual(
      payment.marks.filter((m) => m !== 'start-twice'),
      [],
    );
    const start = calls.find((c) => c.path === '/klink/refunds')!.body as Record<string, unknown>;
    assert.equal(start.idOrder, payment.refs.idOrder);
    assert.equal(start.expectedAmount, payment.refs.paidAmount);
    assert.ok(Number(start.confirmTimeoutSeconds) <= 60);

    // No engine ran: the money is in escrow, so only NOT_REFUNDED agrees with the journal.
    const http = createHttp('http://127.0.0.1:1', base);
    assert.deepEqual(await klinkRefundChaos.reconcile(http, [{ ...payment, status: 'NOT_REFUNDED' }]), []);
    assert.deepEqual(kinds(await klinkRefundChaos.reconcile(http, [{ ...payment, status: 'REFUNDED' }])), [
      'lost',
    ]);

    // The engine's part, done by hand over K-Link's API: now REFUNDED agrees.
    const shop = createKLinkClient({ ...ctx.klink, timeoutMs: 5_000 });
    const idOrder = String(payment.refs.idOrder);
    const idMember = String(payment.refs.idMember);
    const [candidate] = await shop.escrowRefund({ idOrder, idMember });
    assert.equal(candidate!.credit, payment.refs.paidAmount);
    await shop.refundAccept({ idOrder, idMember, idTrans: candidate!.idTrans, note: 'tidak standby' });
    assert.deepEqual(await klinkRefundChaos.reconcile(http, [{ ...payment, status: 'REFUNDED' }]), []);
  });

  it('plays the operator: confirms the candidate K-Link proposed when the amount differs', async () => {
    const { ctx, calls } = context(seedOf('differs-confirmed'));
    const payment = await klinkRefundChaos.drive(ctx, 'escrow');
    assert.notEqual(payment.refs.expectedAmount, payment.refs.paidAmount);
    const confirm = calls.find((c) => c.path.endsWith('/confirm'));
    assert.ok(confirm, JSON.stringify(calls));
    assert.equal(confirm.path, `/refunds/${payment.workflowId}/confirm`);
    assert.equal((confirm.body as { idTrans: number }).idTrans, 7);
  });

  it('plays the operator: rejects, and carries on past a 409 when the refund moved on', async () => {
    const { ctx, calls } = context(seedOf('differs-rejected'), (call) => {
      if (call.path.endsWith('/reject')) throw new GatewayError(409, 'not awaiting confirmation');
      return undefined;
    });
    const payment = await klinkRefundChaos.drive(ctx, 'escrow');
    assert.ok(calls.some((c) => c.path === `/refunds/${payment.workflowId}/reject`));
    assert.deepEqual(payment.marks, ['ana:reject:409']);
  });

  it('races two operators and counts the race', async () => {
    const { ctx, calls, faults } = context(seedOf('operator-race'));
    const payment = await klinkRefundChaos.drive(ctx, 'escrow');
    assert.deepEqual(faults, ['operator-race']);
    const decisions = calls
      .filter((c) => /\/(confirm|reject)$/.test(c.path))
      .map((c) => c.path.split('/').at(-1));
    assert.equal(decisions.length, 2);
    assert.equal(`${decisions[0]}+${decisions[1]}`, payment.refs.race);
  });

  it('asks for an order nobody paid, and returns startError when the start is never answered', async () => {
    const ghost = context(seedOf('unknown-order'));
    const payment = await klinkRefundChaos.drive(ghost.ctx, 'escrow');
    assert.equal(payment.refs.paidAmount, 0);
    assert.deepEqual(
      ghost.calls.map((c) => c.path),
      ['/klink/refunds'],
    );

    const down = context(seedOf('matches') + 0, (call) => {
      if (call.path === '/klink/refunds') throw new Error('POST /klink/refunds: no answer after 40 attempts');
      return undefined;
    });
    down.ctx.id = 'down';
    const failed = await klinkRefundChaos.drive(down.ctx, 'escrow');
    assert.match(failed.startError ?? '', /no answer/);
    assert.equal(failed.workflowId, `klink-refund-${ORDER_PREFIX}down`);
  });

  it('covers every variant over a few hundred seeds, mostly matching', () => {
    const counts: Record<string, number> = {};
    for (let seed = 1; seed <= 400; seed++) {
      const v = pickVariant(createRng(seed));
      counts[v] = (counts[v] ?? 0) + 1;
    }
    assert.equal(Object.keys(counts).length, 5);
    assert.ok(counts.matches! > 180 && counts.matches! < 300, `matches ${counts.matches}`);
  });
});

/**
 * The PPOB chaos module: its reconcile against fabricated books (provider transactions and
 * K-Wallet journal entries typed as the sandbox's own, answered as /_control/ppob/transactions and
 * /_control/klink/ledger answer), against a real sandbox's books, and its drive() against a
 * scripted HTTP (the forged report, the operator race, the provider decided while pending).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttp } from '../../chaos/http';
import { createRng } from '../../chaos/random';
import type { KWalletLedger } from '../../chaos/sagas/kwallet-books';
import {
  checkPpobBooks,
  drivePostpaid,
  drivePrepaid,
  ppobChaos,
  type PpobBooks,
} from '../../chaos/sagas/ppob';
import {
  GatewayError,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Http,
} from '../../chaos/types';
import { createKLinkClient } from '../../providers/klink/client';
import { createPpobClient } from '../../providers/ppob/client';
import { deriveRefid, inquiryRefidOf } from '../../providers/ppob/refid';
import { memberAccount, type JournalEntry } from '../../sandbox/klink/ledger';
import { PPOB_SANDBOX_DEFAULTS } from '../../sandbox/ppob/routes';
import type { PpobTransaction } from '../../sandbox/ppob/state';
import { buildSandboxServer } from '../../sandbox/server';
import { ppobWorkflowId } from '../../workflows/ppob-definitions';

process.env.LOG_LEVEL ??= 'silent';

// ---- fabricated books ----

const refidOf = (n: number) => deriveRefid(ppobWorkflowId(`PPOB-${n}`));

function trx(refid: number | string, fields: Partial<PpobTransaction> = {}): PpobTransaction {
  return {
    trx_id: 6_748_325,
    refid: String(refid),
    kind: 'prepaid',
    code: 'S10',
    dest: '081234567890',
    price: 10_500,
    status: 'Success',
    sn: '1234567890123456',
    customer_name: null,
    inq_id: null,
    paid_by: null,
    note: 'SUKSES',
    outcome: 'success',
    failAfterPending: true,
    failure_reason: null,
    callback: { mode: 'normal', delayMs: 0 },
    held: [],
    created_at: 1_700_000_000_000,
    pending_due: null,
    final_due: null,
    history: [],
    ...fields,
  };
}

/** The K-Wallet journal, answered as GET /_control/klink/ledger answers. */
class Journal {
  private entries: JournalEntry[] = [];

  seed(idMember: string, amount: number): this {
    return this.move('seed', 'SEED', memberAccount(idMember), amount, null);
  }

  /** The purchase's funding: member -> ESCROW under id_order ppob-PPOB-<n>. */
  pay(n: number, amount: number, order = `ppob-PPOB-${n}`): this {
    return this.move('pay', memberAccount(`M-${n}`), 'ESCROW', amount, order);
  }

  refund(n: number, amount: number): this {
    return this.move('refund', 'ESCROW', memberAccount(`M-${n}`), amount, `ppob-PPOB-${n}`);
  }

  private move(kind: JournalEntry['kind'], from: string, to: string, amount: number, idOrder: string | null) {
    this.entries.push({
      id: this.entries.length + 1,
      at: 1_700_000_000_000 + this.entries.length,
      kind,
      description: kind === 'refund' ? `Refund ID Order ${idOrder}: failed` : `PPOB S10`,
      id_order: idOrder,
      lines: [
        { account: from, debit: 0, credit: amount },
        { account: to, debit: amount, credit: 0 },
      ],
    });
    return this;
  }

  answer(): KWalletLedger {
    const balances: Record<string, number> = {};
    for (const e of this.entries)
      for (const l of e.lines) balances[l.account] = (balances[l.account] ?? 0) + l.debit - l.credit;
    return { entries: structuredClone(this.entries), balances, balanced: true, problems: [], escrow: 0 };
  }
}

const OPENING = 100_000;
/** A funded member of purchase n, as drive() makes it. */
const funded = (n: number, journal = new Journal()) => journal.seed(`M-${n}`, OPENING);

function purchase(n: number, status: string | undefined, extra: Partial<EndedPayment> = {}): EndedPayment {
  return {
    saga: 'ppob',
    method: 'prepaid',
    workflowId: ppobWorkflowId(`PPOB-${n}`),
    refs: {
      orderId: `PPOB-${n}`,
      refid: String(refidOf(n)),
      productCode: 'S10',
      destination: '081234567890',
      amount: 10_500,
      idMember: `M-${n}`,
      opening: OPENING,
    },
    marks: ['variant:success'],
    status,
    runStatus: status === undefined ? undefined : 'COMPLETED',
    ...extra,
  };
}

function postpaid(n: number, status: string, extra: Partial<EndedPayment> = {}): EndedPayment {
  const p = purchase(n, status, extra);
  p.method = 'postpaid';
  p.refs = {
    orderId: `PPOB-${n}`,
    refid: String(refidOf(n)),
    inquiryRefid: String(inquiryRefidOf(refidOf(n))),
    productCode: 'INQBPJS',
    destination: '8888801234567890',
    idMember: `M-${n}`,
    opening: OPENING,
  };
  return p;
}

const books = (transactions: PpobTransaction[], journal: Journal): PpobBooks => ({
  transactions,
  ledger: journal.answer(),
});
const check = (b: PpobBooks, ...payments: EndedPayment[]) => checkPpobBooks(b, payments);
const invariants = (findings: { invariant: string }[]) => findings.map((f) => f.invariant).sort();

describe('ppob reconcile: prepaid', () => {
  it('SUCCEEDED: one provider success, one debit, no refund, the balance down by the price', () => {
    const b = books([trx(refidOf(1))], funded(1).pay(1, 10_500));
    assert.deepEqual(check(b, purchase(1, 'SUCCEEDED')), []);
  });

  it('REFUNDED: provider failed, one debit and one refund of the same amount', () => {
    const b = books(
      [trx(refidOf(1), { status: 'Failed', sn: '' })],
      funded(1).pay(1, 10_500).refund(1, 10_500),
    );
    assert.deepEqual(check(b, purchase(1, 'REFUNDED')), []);
  });

  it('REFUNDED but the debit never came back is lost', () => {
    const b = books([trx(refidOf(1), { status: 'Failed' })], funded(1).pay(1, 10_500));
    const findings = check(b, purchase(1, 'REFUNDED'));
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /never refunded/);
    assert.match(findings[0]!.detail, /ppob-PPOB-1/);
  });

  it('two refunds for one purchase are double-moved', () => {
    const journal = funded(1).pay(1, 10_500).refund(1, 10_500).refund(1, 10_500);
    const findings = check(books([trx(refidOf(1), { status: 'Failed' })], journal), purchase(1, 'REFUNDED'));
    assert.deepEqual(invariants(findings), ['double-moved']);
  });

  it('two funding debits are double-moved, whatever the status (NEEDS_REVIEW too)', () => {
    const journal = funded(1).pay(1, 10_500).pay(1, 10_500);
    for (const status of ['SUCCEEDED', 'NEEDS_REVIEW']) {
      const findings = check(books([trx(refidOf(1))], journal), purchase(1, status));
      assert.ok(invariants(findings).includes('double-moved'), status);
    }
  });

  it('two provider successes for one refid are double-moved', () => {
    const b = books([trx(refidOf(1)), trx(refidOf(1), { trx_id: 6_748_999 })], funded(1).pay(1, 10_500));
    assert.deepEqual(invariants(check(b, purchase(1, 'SUCCEEDED'))), ['double-moved']);
  });

  it('refunded while the provider says Success or Pending is lost (refunded blind)', () => {
    for (const status of ['Success', 'Pending'] as const) {
      const b = books([trx(refidOf(1), { status })], funded(1).pay(1, 10_500).refund(1, 10_500));
      const findings = check(b, purchase(1, 'REFUNDED'));
      assert.deepEqual(invariants(findings), ['lost'], status);
      assert.match(findings[0]!.detail, new RegExp(`refunded while the provider says ${status}`));
    }
  });

  it('FAILED with a standing debit is lost; FAILED that moved nothing (balance short, unfunded) is fine', () => {
    const failed = trx(refidOf(1), { status: 'Failed' });
    assert.deepEqual(invariants(check(books([failed], funded(1).pay(1, 10_500)), purchase(1, 'FAILED'))), [
      'lost',
    ]);
    assert.deepEqual(check(books([], funded(1)), purchase(1, 'FAILED')), []);
    const unfunded = purchase(1, 'FAILED');
    delete unfunded.refs.idMember;
    delete unfunded.refs.opening;
    assert.deepEqual(check(books([failed], new Journal()), unfunded), []);
  });

  it('FAILED while the provider delivered is lost', () => {
    const findings = check(books([trx(refidOf(1))], funded(1)), purchase(1, 'FAILED'));
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /provider delivered/);
  });

  it('SUCCEEDED while the provider says Failed is lost, and forged-accepted when a forged report was sent', () => {
    const b = books([trx(refidOf(1), { status: 'Failed' })], funded(1).pay(1, 10_500));
    assert.deepEqual(invariants(check(b, purchase(1, 'SUCCEEDED'))), ['lost']);
    const forged = purchase(1, 'SUCCEEDED', { marks: ['variant:forged-success', 'forged-success:http=404'] });
    assert.deepEqual(invariants(check(b, forged)), ['forged-accepted']);
  });

  it('a forged report the gateway answered 2xx is forged-accepted even if nothing moved for it', () => {
    const b = books([trx(refidOf(1), { status: 'Failed' })], funded(1).pay(1, 10_500).refund(1, 10_500));
    const ok = purchase(1, 'REFUNDED', { marks: ['forged-success:http=404'] });
    assert.deepEqual(check(b, ok), []);
    const accepted = purchase(1, 'REFUNDED', { marks: ['forged-success:http=200'] });
    const findings = check(b, accepted);
    assert.deepEqual(invariants(findings), ['forged-accepted']);
    assert.match(findings[0]!.detail, /answered 200 to a forged Success report/);
  });

  it('SUCCEEDED funded but never debited is lost; a debit of another amount is lost', () => {
    assert.deepEqual(invariants(check(books([trx(refidOf(1))], funded(1)), purchase(1, 'SUCCEEDED'))), [
      'lost',
    ]);
    const wrong = check(books([trx(refidOf(1))], funded(1).pay(1, 9_000)), purchase(1, 'SUCCEEDED'));
    assert.deepEqual(invariants(wrong), ['lost']);
    assert.match(wrong[0]!.detail, /took 9000 from M-1, the purchase costs 10500/);
  });

  it('NEEDS_REVIEW (pending past its deadline) may hold the debit', () => {
    const b = books(
      [trx(refidOf(1), { status: 'Pending', outcome: 'pending-forever' })],
      funded(1).pay(1, 10_500),
    );
    assert.deepEqual(check(b, purchase(1, 'NEEDS_REVIEW')), []);
  });

  it('a start never answered must have moved nothing', () => {
    const p = purchase(1, undefined, { startError: 'no answer after 12 attempts' });
    assert.deepEqual(check(books([], funded(1)), p), []);
    assert.deepEqual(invariants(check(books([trx(refidOf(1))], funded(1).pay(1, 10_500)), p)), ['lost']);
  });

  it("money moved from the member outside the purchase's id_order shows in the balance", () => {
    const journal = funded(1).pay(1, 10_500).pay(1, 2_000, 'SOMEONE-ELSES-ORDER');
    const findings = check(books([trx(refidOf(1))], journal), purchase(1, 'SUCCEEDED'));
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /member M-1 holds 87500, expected 89500/);
  });
});

describe('ppob reconcile: postpaid', () => {
  const inquiry = (n: number) =>
    trx(inquiryRefidOf(refidOf(n)), {
      kind: 'inquiry',
      code: 'INQBPJS',
      dest: '8888801234567890',
      price: 150_000,
      customer_name: 'AHMAD FAUZI',
      sn: '',
    });
  const bill = (n: number, status: PpobTransaction['status'] = 'Success') =>
    trx(refidOf(n), { kind: 'payment', code: 'INQBPJS', dest: '8888801234567890', price: 150_000, status });

  it("accepted and paid: the debit is the inquiry's bill", () => {
    const b = books([inquiry(1), bill(1)], new Journal().seed('M-1', 500_000).pay(1, 150_000));
    const p = postpaid(1, 'SUCCEEDED');
    p.refs.opening = 500_000;
    assert.deepEqual(check(b, p), []);
    const short = books([inquiry(1), bill(1)], new Journal().seed('M-1', 500_000).pay(1, 15_000));
    assert.deepEqual(invariants(check(short, p)), ['lost']);
  });

  it('accepted, then failed at the provider: REFUNDED with the bill given back', () => {
    const journal = new Journal().seed('M-1', 500_000).pay(1, 150_000).refund(1, 150_000);
    const p = postpaid(1, 'REFUNDED');
    p.refs.opening = 500_000;
    assert.deepEqual(check(books([inquiry(1), bill(1, 'Failed')], journal), p), []);
  });

  it('declined or not confirmed (CANCELLED): nothing moved is fine, a standing debit is lost', () => {
    assert.deepEqual(check(books([inquiry(1)], funded(1)), postpaid(1, 'CANCELLED')), []);
    const findings = check(books([inquiry(1)], funded(1).pay(1, 150_000)), postpaid(1, 'CANCELLED'));
    assert.deepEqual(invariants(findings), ['lost']);
  });

  it('an operator race whose decline was answered 200 but the bill was paid is lost', () => {
    const b = books([inquiry(1), bill(1)], new Journal().seed('M-1', 500_000).pay(1, 150_000));
    const p = postpaid(1, 'SUCCEEDED', { marks: ['variant:race', 'race:accept=200,decline=200'] });
    p.refs.opening = 500_000;
    const findings = check(b, p);
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /decline was answered 200/);
    const fair = postpaid(1, 'SUCCEEDED', { marks: ['race:accept=200,decline=409'] });
    fair.refs.opening = 500_000;
    assert.deepEqual(check(b, fair), []);
  });
});

describe('ppob reconcile: books that belong to no purchase', () => {
  it('a provider transaction or a ppob funding entry nobody started is lost; a stray failure or inquiry moved nothing', () => {
    const b = books(
      [
        trx(refidOf(1)),
        trx(123_456_789, { trx_id: 1 }),
        trx(223_456_789, { trx_id: 2, status: 'Failed' }),
        trx(323_456_789, { trx_id: 3, kind: 'inquiry' }),
      ],
      funded(1)
        .pay(1, 10_500)
        .seed('M-77', 50_000)
        .pay(77, 10_500)
        // The K-Link escrow refund saga's orders are its module's books, not ours.
        .pay(1, 1, 'C7-9-ORDER'),
    );
    const p = purchase(1, 'SUCCEEDED');
    const findings = check(b, p).filter((f) => f.workflowId === undefined);
    assert.deepEqual(invariants(findings), ['lost', 'lost']);
    assert.match(findings.map((f) => f.detail).join('\n'), /refid 123456789/);
    assert.match(findings.map((f) => f.detail).join('\n'), /ppob-PPOB-77/);
  });

  it('reconcile reads both books through the control API', async () => {
    const answers: Record<string, unknown> = {
      'ppob/transactions': [trx(refidOf(1), { status: 'Failed' })],
      'klink/ledger': funded(1).pay(1, 10_500).answer(),
    };
    const http: Http = {
      control: async <T>(path: string) => answers[path] as T,
      gateway: async () => assert.fail('reconcile must not call the gateway'),
      raw: async () => assert.fail('reconcile must not send raw requests'),
    };
    const findings = await ppobChaos.reconcile(http, [purchase(1, 'REFUNDED')]);
    assert.deepEqual(invariants(findings), ['lost']);
  });
});

describe('ppob reconcile against a real sandbox', () => {
  let app: FastifyInstance;
  let base: string;
  const login = { email: 'chaos@k-link.test', password: 'chaos-klink-password' };

  before(async () => {
    app = await buildSandboxServer({
      prakerja: { clientCode: 'DP-TEST', signKey: 'unused' },
      klink: { ...login, pidKey: 'pid' },
      ppob: { timings: { pendingMs: 5, finalMs: 10 } },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => app.close());

  it('a failed top-up whose debit was never refunded is lost, and clean once refunded', async () => {
    const http = createHttp('http://127.0.0.1:9', base);
    const klink = createKLinkClient({ baseUrl: `${base}/klink`, ...login, timeoutMs: 5_000 });
    const ppob = createPpobClient({
      baseUrl: `${base}/ppob`,
      username: PPOB_SANDBOX_DEFAULTS.username,
      token: PPOB_SANDBOX_DEFAULTS.token,
      timeoutMs: 5_000,
    });
    await http.control('klink/members', { id_member: 'M-1', balance: OPENING });
    await http.control('ppob/outcome', { refid: String(refidOf(1)), outcome: 'failed' });
    await klink.pay({ idMember: 'M-1', amount: 10_500, idOrder: 'ppob-PPOB-1', description: 'PPOB S10' });
    await ppob.topup({ code: 'S10', dest: '081234567890', refid: refidOf(1) });
    for (let i = 0; i < 100; i++) {
      const [t] = await http.control<PpobTransaction[]>(`ppob/transactions?refid=${refidOf(1)}`);
      if (t?.status === 'Failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = await ppobChaos.reconcile(http, [purchase(1, 'REFUNDED')]);
    assert.deepEqual(invariants(before), ['lost']);

    const [candidate] = await klink.escrowRefund({ idOrder: 'ppob-PPOB-1', idMember: 'M-1' });
    await klink.refundAccept({
      idOrder: 'ppob-PPOB-1',
      idMember: 'M-1',
      idTrans: candidate!.idTrans,
      note: 'PPOB failed',
    });
    assert.deepEqual(await ppobChaos.reconcile(http, [purchase(1, 'REFUNDED')]), []);
  });
});

// ---- drive ----

interface Call {
  kind: 'control' | 'gateway' | 'raw';
  method?: string;
  path: string;
  body?: unknown;
}

function scriptedContext(
  gateway: (method: string, path: string, body: unknown) => unknown,
  rawStatus = 404,
): { ctx: DriveContext; calls: Call[]; faults: FaultKind[] } {
  const calls: Call[] = [];
  const faults: FaultKind[] = [];
  const http: Http = {
    control: async <T>(path: string, body?: unknown) => {
      calls.push({ kind: 'control', path, body });
      // The provider's books show the purchase as soon as drive() looks.
      return (path.startsWith('ppob/transactions') ? [trx(1)] : {}) as T;
    },
    gateway: async <T>(method: string, path: string, body?: unknown) => {
      calls.push({ kind: 'gateway', method, path, body });
      return gateway(method, path, body) as T;
    },
    raw: async (method, url) => {
      calls.push({ kind: 'raw', method, path: url });
      return { status: rawStatus, text: '{"error":"not found"}' };
    },
  };
  const ctx: DriveContext = {
    http,
    rng: createRng(11),
    id: 'C11-4',
    gatewayUrl: 'http://gateway.test',
    sandboxUrl: 'http://sandbox.test',
    klink: { baseUrl: 'http://sandbox.test/klink', email: 'e', password: 'p' },
    fault: (kind) => faults.push(kind),
    sleep: async () => undefined,
  };
  return { ctx, calls, faults };
}

const REFID = String(deriveRefid(ppobWorkflowId('PPOB-C11-4')));

describe('ppob drive', () => {
  it('prepaid success: a funded member, the start with pollSeconds 1 and the product price', async () => {
    const { ctx, calls } = scriptedContext(() => ({ workflowId: 'ppob-PPOB-C11-4' }));
    const p = await drivePrepaid(ctx, 'success');
    assert.equal(p.workflowId, 'ppob-PPOB-C11-4');
    assert.equal(p.refs.refid, REFID);
    const start = calls.find((c) => c.kind === 'gateway')!;
    assert.equal(start.path, '/ppob/purchases');
    const body = start.body as Record<string, unknown>;
    assert.equal(body.pollSeconds, 1);
    assert.deepEqual(body.funding, { idMember: 'PPOB-M-C11-4', amount: p.refs.amount });
    const member = calls.find((c) => c.path === 'klink/members')!.body as { balance: number };
    assert.ok(member.balance >= Number(p.refs.amount));
  });

  it('forged-success: the provider will fail it, a wrong-secret report says Success, the answer is recorded', async () => {
    const { ctx, calls, faults } = scriptedContext(() => ({}));
    const p = await drivePrepaid(ctx, 'forged-success');
    const outcome = calls.find((c) => c.path === 'ppob/outcome')!.body as Record<string, unknown>;
    assert.equal(outcome.refid, REFID);
    assert.equal(outcome.outcome, 'failed');
    const forged = calls.find((c) => c.kind === 'raw')!;
    assert.equal(forged.method, 'GET');
    const url = new URL(forged.path);
    assert.match(url.pathname, /^\/callbacks\/ppob\/forged\d+$/);
    assert.equal(url.searchParams.get('ref_id'), REFID);
    assert.equal(url.searchParams.get('status'), 'Success');
    assert.ok(p.marks.includes('forged-success:http=404'));
    assert.ok(faults.includes('webhook-forged'));
  });

  it('pending-then-success: waits for the transaction, then the provider decides by refid', async () => {
    const { ctx, calls } = scriptedContext(() => ({}));
    const p = await drivePrepaid(ctx, 'pending-then-success');
    const outcomes = calls
      .filter((c) => c.path === 'ppob/outcome')
      .map((c) => c.body as Record<string, unknown>);
    assert.deepEqual(
      outcomes.map((o) => [o.refid, o.outcome]),
      [
        [REFID, 'pending-forever'],
        [REFID, 'success'],
      ],
    );
    assert.ok(p.marks.includes('provider-decided:success'));
  });

  it('pending-past-deadline: the shortest final deadline', async () => {
    const { ctx, calls } = scriptedContext(() => ({}));
    await drivePrepaid(ctx, 'pending-past-deadline');
    const body = calls.find((c) => c.kind === 'gateway')!.body as Record<string, unknown>;
    assert.equal(body.finalDeadlineSeconds, 5);
  });

  it('a refused start is a startError, never a throw', async () => {
    const { ctx } = scriptedContext(() => {
      throw new GatewayError(400, 'POST /ppob/purchases -> HTTP 400: bad');
    });
    const p = await drivePrepaid(ctx, 'success');
    assert.match(p.startError!, /HTTP 400/);
  });

  it('postpaid race: accept and decline at once, the loser answered 409, both recorded and counted', async () => {
    const { ctx, calls, faults } = scriptedContext((method, path, body) => {
      if (method === 'GET') return { status: 'AWAITING_CONFIRMATION', bill: { amount: 150_000 } };
      if (path.endsWith('/bill') && (body as { accept: boolean }).accept === false)
        throw new GatewayError(409, 'already accepted');
      return { workflowId: 'ppob-PPOB-C11-4', status: 'AWAITING_CONFIRMATION' };
    });
    const p = await drivePostpaid(ctx, 'race');
    const bills = calls.filter((c) => c.path === '/purchases/ppob-PPOB-C11-4/bill');
    assert.equal(bills.length, 2);
    assert.ok(p.marks.includes('race:accept=200,decline=409'));
    assert.deepEqual(
      faults.filter((f) => f === 'operator-race'),
      ['operator-race'],
    );
    assert.equal(p.refs.inquiryRefid, String(inquiryRefidOf(Number(REFID))));
  });

  it('postpaid decline: one decision, accept false', async () => {
    const { ctx, calls } = scriptedContext((method) =>
      method === 'GET' ? { status: 'AWAITING_CONFIRMATION' } : { status: 'AWAITING_CONFIRMATION' },
    );
    const p = await drivePostpaid(ctx, 'decline');
    const bills = calls.filter((c) => c.path.endsWith('/bill')).map((c) => c.body);
    assert.deepEqual(bills, [{ accept: false, operator: 'chaos-caller' }]);
    assert.ok(p.marks.includes('bill-decline:200'));
  });

  it('postpaid walk-away: the shortest confirmation, and nobody answers', async () => {
    const { ctx, calls } = scriptedContext(() => ({ status: 'AWAITING_CONFIRMATION' }));
    await drivePostpaid(ctx, 'walk-away');
    assert.equal(calls.filter((c) => c.path.endsWith('/bill')).length, 0);
    const body = calls.find((c) => c.path === '/ppob/purchases')!.body as Record<string, unknown>;
    assert.equal(body.confirmTimeoutSeconds, 10);
  });
});

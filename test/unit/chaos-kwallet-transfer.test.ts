/**
 * The K-Wallet transfer chaos module: its reconcile against fabricated K-Wallet books (journal
 * entries typed as the sandbox's own, answered as /_control/klink/ledger answers), against a real
 * sandbox's books, and its drive() against a scripted HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttp } from '../../chaos/http';
import { createRng } from '../../chaos/random';
import type { KWalletLedger } from '../../chaos/sagas/kwallet-books';
import {
  checkKWalletTransfers,
  driveTransfer,
  kwalletTransferChaos,
} from '../../chaos/sagas/kwallet-transfer';
import {
  GatewayError,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Http,
} from '../../chaos/types';
import { createKLinkClient } from '../../providers/klink/client';
import { memberAccount, type JournalEntry } from '../../sandbox/klink/ledger';
import { buildSandboxServer } from '../../sandbox/server';

process.env.LOG_LEVEL ??= 'silent';

// ---- fabricated books ----

/** A journal built entry by entry, answered as GET /_control/klink/ledger answers. */
class Books {
  private entries: JournalEntry[] = [];

  seed(idMember: string, amount: number): this {
    return this.move('seed', 'SEED', memberAccount(idMember), amount, 'Sandbox seed');
  }

  transfer(from: string, to: string, amount: number, description: string): this {
    return this.move('transfer', memberAccount(from), memberAccount(to), amount, description);
  }

  move(kind: JournalEntry['kind'], from: string, to: string, amount: number, description: string): this {
    this.entries.push({
      id: this.entries.length + 1,
      at: 1_700_000_000_000 + this.entries.length,
      kind,
      description,
      id_order: null,
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

function payment(n: number, status: string | undefined, extra: Partial<EndedPayment> = {}): EndedPayment {
  return {
    saga: 'kwalletTransfer',
    method: 'kwallet',
    workflowId: `kwallet-transfer-KW-${n}`,
    refs: {
      transferId: `KW-${n}`,
      idMemberSend: `A-${n}`,
      idMemberReceipt: `B-${n}`,
      amount: 40_000,
      openingSend: 200_000,
      openingReceipt: 0,
    },
    marks: [],
    status,
    runStatus: status === undefined ? undefined : 'COMPLETED',
    ...extra,
  };
}

/** Members of payment n funded as its refs say. */
const opened = (n: number, books = new Books()) => books.seed(`A-${n}`, 200_000);
const sent = (n: number, books: Books, ref = `KW-${n}`, amount = 40_000) =>
  books.transfer(`A-${n}`, `B-${n}`, amount, `chaos enough [paysaga:${ref}]`);

const invariants = (findings: { invariant: string }[]) => findings.map((f) => f.invariant).sort();

describe('kwalletTransfer reconcile', () => {
  it('a TRANSFERRED transfer moved once, and the balances agree: nothing to report', () => {
    const books = sent(1, opened(1));
    assert.deepEqual(checkKWalletTransfers(books.answer(), [payment(1, 'TRANSFERRED')]), []);
  });

  it('two transfers under one reference are double-moved', () => {
    const books = sent(1, sent(1, opened(1)));
    const findings = checkKWalletTransfers(books.answer(), [payment(1, 'TRANSFERRED')]);
    assert.deepEqual(invariants(findings), ['double-moved']);
    assert.equal(findings[0]!.workflowId, 'kwallet-transfer-KW-1');
    assert.match(findings[0]!.detail, /2 K-Wallet transfers/);
  });

  it('a FAILED transfer whose money moved is lost', () => {
    const findings = checkKWalletTransfers(sent(1, opened(1)).answer(), [payment(1, 'FAILED')]);
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /FAILED but K-Wallet moved the money/);
  });

  it('a TRANSFERRED transfer with nothing in the journal is lost', () => {
    const findings = checkKWalletTransfers(opened(1).answer(), [payment(1, 'TRANSFERRED')]);
    assert.deepEqual(invariants(findings), ['lost']);
  });

  it('a FAILED transfer (balance short) that moved nothing is fine', () => {
    const books = new Books().seed('A-1', 5_000);
    const p = payment(1, 'FAILED');
    p.refs.openingSend = 5_000;
    assert.deepEqual(checkKWalletTransfers(books.answer(), [p]), []);
  });

  it('NEEDS_REVIEW may hold either money state, never a double', () => {
    assert.deepEqual(checkKWalletTransfers(opened(1).answer(), [payment(1, 'NEEDS_REVIEW')]), []);
    assert.deepEqual(checkKWalletTransfers(sent(1, opened(1)).answer(), [payment(1, 'NEEDS_REVIEW')]), []);
    const twice = sent(1, sent(1, opened(1))).answer();
    assert.deepEqual(invariants(checkKWalletTransfers(twice, [payment(1, 'NEEDS_REVIEW')])), [
      'double-moved',
    ]);
  });

  it('a start never answered must have moved nothing', () => {
    const p = payment(1, undefined, { startError: 'no answer after 9 attempts' });
    assert.deepEqual(checkKWalletTransfers(opened(1).answer(), [p]), []);
    assert.deepEqual(invariants(checkKWalletTransfers(sent(1, opened(1)).answer(), [p])), ['lost']);
  });

  it('a transfer under our reference that moved another amount is lost', () => {
    const findings = checkKWalletTransfers(sent(1, opened(1), 'KW-1', 4_000).answer(), [
      payment(1, 'TRANSFERRED'),
    ]);
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /moved other money than asked/);
  });

  it('a transfer belonging to no payment of the campaign is lost', () => {
    const books = sent(1, opened(1));
    books.seed('X', 10_000).transfer('X', 'Y', 10_000, 'chaos enough [paysaga:KW-999]');
    books.seed('Z', 10_000).transfer('Z', 'Y', 5_000, 'no reference at all');
    const findings = checkKWalletTransfers(books.answer(), [payment(1, 'TRANSFERRED')]);
    assert.deepEqual(invariants(findings), ['lost', 'lost']);
    assert.ok(findings.every((f) => f.workflowId === undefined));
    assert.match(findings.map((f) => f.detail).join('\n'), /paysaga:KW-999/);
    assert.match(findings.map((f) => f.detail).join('\n'), /no \[paysaga:…\] reference/);
  });

  it("a reference is matched whole: KW-1's transfer is not KW-10's", () => {
    const books = sent(10, opened(10, opened(1)));
    const p10 = payment(10, 'TRANSFERRED');
    const findings = checkKWalletTransfers(books.answer(), [payment(1, 'FAILED'), p10]);
    assert.deepEqual(findings, []);
  });

  it('balances that differ from opening ± what moved are lost (money moved outside the transfer)', () => {
    const books = sent(1, opened(1)).move('voucher', 'VOUCHER', memberAccount('B-1'), 1_000, 'stray top-up');
    const findings = checkKWalletTransfers(books.answer(), [payment(1, 'TRANSFERRED')]);
    assert.deepEqual(invariants(findings), ['lost']);
    assert.match(findings[0]!.detail, /B-1 has 41000, expected 40000/);
  });

  it('reconcile reads the ledger through the control API', async () => {
    const answer = sent(1, sent(1, opened(1))).answer();
    const paths: string[] = [];
    const http: Http = {
      control: async <T>(path: string) => {
        paths.push(path);
        return answer as T;
      },
      gateway: async () => assert.fail('reconcile must not call the gateway'),
      raw: async () => assert.fail('reconcile must not send raw requests'),
    };
    const findings = await kwalletTransferChaos.reconcile(http, [payment(1, 'TRANSFERRED')]);
    assert.deepEqual(paths, ['klink/ledger']);
    assert.deepEqual(invariants(findings), ['double-moved']);
  });
});

describe('kwalletTransfer reconcile against a real sandbox', () => {
  let app: FastifyInstance;
  let base: string;
  const login = { email: 'chaos@k-link.test', password: 'chaos-klink-password' };

  before(async () => {
    app = await buildSandboxServer({
      prakerja: { clientCode: 'DP-TEST', signKey: 'unused' },
      klink: { ...login, pidKey: 'pid' },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => app.close());

  it('finds a transfer sent twice, and nothing wrong with one sent once', async () => {
    const http = createHttp('http://127.0.0.1:9', base);
    const klink = createKLinkClient({ baseUrl: `${base}/klink`, ...login, timeoutMs: 5_000 });
    for (const n of [1, 2]) {
      await http.control('klink/members', { id_member: `A-${n}`, balance: 200_000 });
      await http.control('klink/members', { id_member: `B-${n}`, balance: 0 });
    }
    const send = (n: number) =>
      klink.transfer({
        idMemberSend: `A-${n}`,
        idMemberReceipt: `B-${n}`,
        amount: 40_000,
        description: `uang makan [paysaga:KW-${n}]`,
      });
    await send(1);
    await send(2);
    await send(2);
    const findings = await kwalletTransferChaos.reconcile(http, [
      payment(1, 'TRANSFERRED'),
      payment(2, 'TRANSFERRED'),
    ]);
    assert.deepEqual(
      findings.map((f) => [f.invariant, f.workflowId]),
      [['double-moved', 'kwallet-transfer-KW-2']],
    );
  });
});

// ---- drive ----

interface Call {
  kind: 'control' | 'gateway' | 'raw';
  path: string;
  body?: unknown;
}

function scriptedContext(gatewayAnswer: () => unknown): {
  ctx: DriveContext;
  calls: Call[];
  faults: FaultKind[];
} {
  const calls: Call[] = [];
  const faults: FaultKind[] = [];
  const http: Http = {
    control: async <T>(path: string, body?: unknown) => {
      calls.push({ kind: 'control', path, body });
      return {} as T;
    },
    gateway: async <T>(_method: string, path: string, body?: unknown) => {
      calls.push({ kind: 'gateway', path, body });
      return gatewayAnswer() as T;
    },
    raw: async (_method, url) => {
      calls.push({ kind: 'raw', path: url });
      return { status: 404, text: '' };
    },
  };
  const ctx: DriveContext = {
    http,
    rng: createRng(7),
    id: 'C7-3',
    gatewayUrl: 'http://gateway.test',
    sandboxUrl: 'http://sandbox.test',
    klink: { baseUrl: 'http://sandbox.test/klink', email: 'e', password: 'p' },
    fault: (kind) => faults.push(kind),
    sleep: async () => undefined,
  };
  return { ctx, calls, faults };
}

describe('kwalletTransfer drive', () => {
  it('funds both members, then starts the transfer with short confirm delays', async () => {
    const { ctx, calls, faults } = scriptedContext(() => ({ workflowId: 'kwallet-transfer-KW-C7-3' }));
    const p = await driveTransfer(ctx, 'enough');
    assert.equal(p.workflowId, 'kwallet-transfer-KW-C7-3');
    assert.equal(p.startError, undefined);
    assert.deepEqual(faults, []);
    const members = calls.filter((c) => c.path === 'klink/members').map((c) => c.body);
    assert.deepEqual(members, [
      { id_member: 'KW-A-C7-3', balance: p.refs.openingSend },
      { id_member: 'KW-B-C7-3', balance: p.refs.openingReceipt },
    ]);
    assert.ok(Number(p.refs.openingSend) >= Number(p.refs.amount));
    const start = calls.find((c) => c.kind === 'gateway')!;
    assert.equal(start.path, '/klink/transfers');
    assert.deepEqual((start.body as { confirmDelaysSeconds: number[] }).confirmDelaysSeconds, [1, 1]);
  });

  it('a short balance is below the amount', async () => {
    const { ctx } = scriptedContext(() => ({}));
    const p = await driveTransfer(ctx, 'short');
    assert.ok(Number(p.refs.openingSend) < Number(p.refs.amount));
  });

  for (const [variant, mode] of [
    ['timeout-after-commit', 'timeout-after-commit'],
    ['provider-5xx', 'error5xx'],
  ] as const) {
    it(`${variant}: armed on this sender only, and counted`, async () => {
      const { ctx, calls, faults } = scriptedContext(() => ({}));
      await driveTransfer(ctx, variant);
      const fault = calls.find((c) => c.path === 'faults')!.body as Record<string, unknown>;
      assert.equal(fault.route, 'klink.transfer_to_account');
      assert.equal(fault.mode, mode);
      assert.deepEqual(fault.match, { id_member_send: 'KW-A-C7-3' });
      assert.deepEqual(faults, [variant]);
    });
  }

  it('a refused start is a startError, never a throw', async () => {
    const { ctx } = scriptedContext(() => {
      throw new GatewayError(400, 'POST /klink/transfers -> HTTP 400: bad');
    });
    const p = await driveTransfer(ctx, 'enough');
    assert.match(p.startError!, /HTTP 400/);
  });
});

/**
 * K-Wallet end to end on the whole stack (scripts/stack.ts: Temporal, the sandbox, the worker and
 * the gateway as separate processes over real HTTP), checked against the K-Link simulator's
 * double-entry ledger:
 * - register VA, balance, history and voucher top-up through REST and through the real `paysaga`
 *   CLI, bad input refused with a clear 4xx / error line;
 * - a transfer whose answer is lost after K-Link booked it (timeout-after-commit) is confirmed by
 *   history and is exactly one debit in the ledger;
 * - a transfer history cannot settle (a 5xx: nothing booked, nothing proves it) parks, is never
 *   sent again, and an operator's mark-failed ends it;
 * - a voucher whose answer is lost is confirmed by history, and the same code is never sent twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { paysaga, paysagaJson } from '../helpers/cli';
import { http, waitUntil } from '../helpers/http';

/** The worker's K-Link timeout: short, so a held answer times out quickly. */
const KLINK_TIMEOUT_MS = 3_000;

interface LedgerEntry {
  id: number;
  kind: string;
  description: string;
  lines: { account: string; debit: number; credit: number }[];
}

describe('K-Wallet end to end (whole stack, the simulator ledger)', () => {
  let stack: Stack;
  const run = `${process.pid}`;
  let seq = 0;
  const member = (name: string) => `${name}-${run}-${++seq}`;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-kwallet-')),
      env: { KLINK_TIMEOUT_MS: String(KLINK_TIMEOUT_MS) },
      log: () => undefined,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const control = (path: string, body?: unknown) =>
    http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
  const api = (method: string, path: string, body?: unknown) =>
    http(method, `${stack.gatewayUrl}/v1${path}`, body);
  const fund = async (id: string, balance: number) =>
    assert.ok((await control('klink/members', { id_member: id, balance })).status < 300);
  const ledger = async () =>
    (await control('klink/ledger')).body as { entries: LedgerEntry[]; balanced: boolean };
  const entriesWith = async (text: string) =>
    (await ledger()).entries.filter((e) => e.description.includes(text));
  const calls = async (endpoint: string) => (await control('klink/stats')).body.calls[endpoint] as number;
  const view = async (id: string) => (await api('GET', `/payments/${id}`)).body;
  const waitForStatus = (id: string, status: string, timeoutMs = 60_000) =>
    waitUntil(async () => (await view(id)).status === status, timeoutMs, `${id} to reach ${status}`);

  it('register VA over REST and the CLI: the VA number per bank, as K-Link keeps them', async () => {
    const rest = member('VA');
    const res = await api('POST', '/klink/va', {
      idMember: rest,
      name: 'Muammar Qathafi',
      hp: '085736064900',
      email: 'mq@example.test',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const kept = (await control(`klink/members/${rest}`)).body.va_numbers as Record<string, string>;
    assert.ok(Object.keys(kept).length >= 2);
    for (const [bank, number] of Object.entries(kept)) {
      const account = res.body.accounts.find((a: { bankCode: string }) => a.bankCode === bank);
      assert.equal(account?.vaNumber, number, `bank ${bank}`);
      assert.equal(account.ok, true);
    }

    const cli = member('VA');
    const out = await paysaga(stack, [
      'klink',
      'va',
      '--member',
      cli,
      '--name',
      'Siti Aminah',
      '--hp',
      '081234567890',
      '--email',
      'siti@example.test',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const numbers = (await control(`klink/members/${cli}`)).body.va_numbers as Record<string, string>;
    for (const [bank, number] of Object.entries(numbers))
      assert.match(out.stdout, new RegExp(`bank ${bank}\\s+${number}`), 'one line per bank with its VA');

    const bad = await api('POST', '/klink/va', {
      idMember: 'no spaces allowed',
      name: 'x',
      hp: '1',
      email: 'x',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /idMember: 1-64 of/);
    assert.match(bad.body.error, /hp: 6-16 digits/);
  });

  it('balance, voucher and history over REST and the CLI, checked against the ledger', async () => {
    const m = member('BAL');
    await fund(m, 100_000);
    const bal = await api('GET', `/klink/members/${m}/balance`);
    assert.deepEqual(bal.body, { idMember: m, balance: 100_000 });
    assert.equal((await paysagaJson(stack, ['klink', 'balance', '--member', m])).balance, 100_000);

    const code = `V${run}${++seq}`;
    const voucher = { voucherCode: code, idMember: m, amount: 25_000, description: 'hadiah' };
    const topped = await api('POST', '/klink/vouchers', voucher);
    assert.equal(topped.status, 200, JSON.stringify(topped.body));
    assert.equal(topped.body.outcome, 'topped-up');
    assert.ok(!JSON.stringify(topped.body).includes(code), 'the voucher code is not echoed');
    const sent = await calls('voucher_saldo');
    // Asked again: the first outcome, and the code is not sent again.
    const again = await api('POST', '/klink/vouchers', voucher);
    assert.equal(again.body.outcome, 'topped-up');
    assert.equal(await calls('voucher_saldo'), sent, 'never sent twice');

    const viaCli = await paysagaJson(stack, [
      'klink',
      'voucher',
      '--code',
      `${code}c`,
      '--member',
      m,
      '--amount',
      '5000',
      '--description',
      'bonus',
    ]);
    assert.equal(viaCli.outcome, 'topped-up');
    assert.equal((await api('GET', `/klink/members/${m}/balance`)).body.balance, 130_000);

    const history = await api('GET', `/klink/members/${m}/history`);
    assert.equal(history.status, 200);
    const ins = history.body.movements.filter((r: { direction: string }) => r.direction === 'in');
    assert.deepEqual(
      ins.map((r: { amount: number }) => r.amount),
      [100_000, 25_000, 5_000],
    );
    assert.equal(history.body.movements.at(-1).balance, 130_000);
    const text = await paysaga(stack, ['klink', 'history', '--member', m]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /\+25000\s+balance 125000\s+hadiah/);

    const unknown = await api('GET', `/klink/members/nobody-${run}/balance`);
    assert.equal(unknown.status, 422);
    assert.match(unknown.body.error, /K-Link refused: .*Member not found/);
    const badDate = await api('GET', `/klink/members/${m}/history?startDate=yesterday`);
    assert.equal(badDate.status, 400);
    assert.match(badDate.body.error, /startDate: YYYY-MM-DD/);
    const noAmount = await api('POST', '/klink/vouchers', {
      voucherCode: 'X1',
      idMember: m,
      description: 'x',
    });
    assert.equal(noAmount.status, 400);
    assert.match(noAmount.body.error, /amount is required/);
    const cliNoAmount = await paysaga(stack, [
      'klink',
      'voucher',
      '--code',
      'X2',
      '--member',
      m,
      '--description',
      'x',
    ]);
    assert.notEqual(cliNoAmount.code, 0);
    assert.match(cliNoAmount.stderr, /--amount/);
  });

  it('transfer over REST and the CLI: TRANSFERRED, one ledger entry each', async () => {
    const [a, b] = [member('A'), member('B')];
    await fund(a, 200_000);
    await fund(b, 0);
    const id = `T${run}-${++seq}`;
    const res = await api('POST', '/klink/transfers', {
      transferId: id,
      idMemberSend: a,
      idMemberReceipt: b,
      amount: 40_000,
      description: 'uang makan',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, 'TRANSFERRED');
    assert.equal((await entriesWith(`paysaga:${id}]`)).length, 1);

    const cliId = `T${run}-${++seq}`;
    const cli = await paysagaJson(stack, [
      'klink',
      'transfer',
      '--id',
      cliId,
      '--from',
      a,
      '--to',
      b,
      '--amount',
      '10000',
      '--description',
      'arisan',
    ]);
    assert.equal(cli.status, 'TRANSFERRED');
    assert.equal((await entriesWith(`paysaga:${cliId}]`)).length, 1);
    assert.equal((await api('GET', `/klink/members/${b}/balance`)).body.balance, 50_000);

    const refused = await paysagaJson(stack, [
      'klink',
      'transfer',
      '--id',
      `T${run}-${++seq}`,
      '--from',
      b,
      '--to',
      a,
      '--amount',
      '999999',
      '--description',
      'terlalu banyak',
    ]);
    assert.equal(refused.status, 'FAILED');
    const bad = await paysaga(stack, [
      'klink',
      'transfer',
      '--id',
      'T-bad',
      '--from',
      a,
      '--to',
      a,
      '--amount',
      '5',
      '--description',
      'x',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /idMemberReceipt: must differ from idMemberSend/);
  });

  it('timeout after K-Link booked it: confirmed by history, exactly one debit in the ledger', async () => {
    const [a, b] = [member('TA'), member('TB')];
    await fund(a, 300_000);
    await fund(b, 0);
    await control('faults', {
      route: 'klink.transfer_to_account',
      mode: 'timeout-after-commit',
      ms: KLINK_TIMEOUT_MS * 3,
      match: { id_member_send: a },
    });
    const before = await calls('transfer_to_account');
    const id = `T${run}-${++seq}`;
    const res = await api('POST', '/klink/transfers', {
      transferId: id,
      idMemberSend: a,
      idMemberReceipt: b,
      amount: 120_000,
      description: 'bayar hutang',
      confirmDelaysSeconds: [1, 2, 4],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, 'CONFIRMING', 'the answer was lost: confirming, not guessing');
    await waitForStatus(res.body.workflowId, 'TRANSFERRED');
    const done = await view(res.body.workflowId);
    assert.equal(done.settledBy, 'history');

    assert.equal(await calls('transfer_to_account'), before + 1, 'sent once, never again');
    const entries = await entriesWith(`paysaga:${id}]`);
    assert.equal(entries.length, 1, 'one transfer in the books');
    const debitOfSender = entries[0]!.lines.filter(
      (l) => l.account === `member:${a}` && l.credit === 120_000,
    );
    assert.equal(debitOfSender.length, 1, 'the sender is debited once');
    assert.equal((await control(`klink/members/${a}`)).body.balance, 180_000);
    assert.equal((await ledger()).balanced, true);
  });

  it('history cannot settle it (a 5xx, nothing booked): parks, never sent again; mark-failed ends it', async () => {
    const [a, b] = [member('PA'), member('PB')];
    await fund(a, 300_000);
    await fund(b, 0);
    // Armed for two requests: if the saga sent again, the second one would use the rest up.
    const fault = (
      await control('faults', {
        route: 'klink.transfer_to_account',
        mode: 'error5xx',
        count: 2,
        match: { id_member_send: a },
      })
    ).body;
    const before = await calls('transfer_to_account');
    const id = `T${run}-${++seq}`;
    const res = await api('POST', '/klink/transfers', {
      transferId: id,
      idMemberSend: a,
      idMemberReceipt: b,
      amount: 60_000,
      description: 'cicilan',
      confirmDelaysSeconds: [1, 1],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitForStatus(res.body.workflowId, 'NEEDS_REVIEW');
    const parked = await view(res.body.workflowId);
    assert.match(parked.review.reason, /history cannot settle it/);
    assert.deepEqual(parked.review.actions, ['recheck', 'mark-transferred', 'mark-failed']);
    const listed = await paysagaJson(stack, ['list', '--needs-review', '--json']);
    assert.ok(listed.some((p: { workflowId: string }) => p.workflowId === res.body.workflowId));

    const recheck = await paysagaJson(stack, [
      'review',
      res.body.workflowId,
      '--action',
      'recheck',
      '--operator',
      'ana',
      '--note',
      'looked again at history',
    ]);
    assert.equal(recheck.status, 'NEEDS_REVIEW');
    const failed = await paysagaJson(stack, [
      'review',
      res.body.workflowId,
      '--action',
      'mark-failed',
      '--operator',
      'ana',
      '--note',
      'K-Link confirms nothing moved',
    ]);
    assert.equal(failed.status, 'FAILED');
    const left = ((await control('faults')).body as { id: string; remaining: number }[]).find(
      (f) => f.id === fault.id,
    );
    assert.equal(left?.remaining, 1, 'the 5xx was hit once: the transfer was sent once');
    assert.equal(await calls('transfer_to_account'), before, 'and no other send got through');
    await http('DELETE', `${stack.sandboxUrl}/_control/faults`);
    assert.equal((await entriesWith(`paysaga:${id}]`)).length, 0, 'nothing in the books');
    assert.equal((await control(`klink/members/${a}`)).body.balance, 300_000);
  });

  it('a voucher whose answer is lost after K-Link booked it: confirmed by history, booked once', async () => {
    const m = member('VL');
    await fund(m, 0);
    const code = `VL${run}${++seq}`;
    await control('faults', {
      route: 'klink.voucher_saldo',
      mode: 'timeout-after-commit',
      ms: KLINK_TIMEOUT_MS * 3,
      match: { voucher_code: code },
    });
    const res = await api('POST', '/klink/vouchers', {
      voucherCode: code,
      idMember: m,
      amount: 15_000,
      description: 'voucher hilang',
      confirmDelaysSeconds: [1, 2],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.outcome, 'topped-up');
    assert.equal(res.body.settledBy, 'history');
    assert.equal((await control(`klink/members/${m}`)).body.balance, 15_000);
    assert.equal((await entriesWith('voucher hilang')).length, 1);
  });
});

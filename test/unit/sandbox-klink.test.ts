/**
 * The K-Link simulator over real HTTP: every endpoint (and its second name) in the document's
 * shape, the K-Wallet rules, the double-entry ledger under a random sequence of operations,
 * fault injection on pay, and persistence across a restart.
 *
 * Requests and expectations are written here from the document and the wire contract, not from
 * the simulator's modules or providers/, so neither side can agree with itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSandboxServer, type SandboxOptions } from '../../sandbox/server';

// Request logs would bury the test output; createLogger reads this when the server is built.
process.env.LOG_LEVEL ??= 'silent';

const EMAIL = 'edp-test@k-link.test';
const PASSWORD = 'klink-test-password-91';

const P = {
  login: '/auth/login',
  registerVa: '/api/kwallet/register_va',
  checkSaldo: '/api/kwallet/check_saldo',
  history: '/api/kwallet/history_transaction',
  transfer: '/api/kwallet/transfer_to_account',
  voucher: '/api/kwallet/voucher_saldo',
  voucher2: '/api/kwallet/voucher_saldo_kwallet',
  pay: '/api/kwallet/pay',
  reconcile: '/api/kwallet/reconcile/reconcile',
  reconcile2: '/api/kwallet/reconcile',
  refund: '/api/escrow/refund',
  refundAccept: '/api/escrow/refund-accept',
  listBank: '/api/list_bank',
  listBank2: '/api/listbank',
  payService: '/api/pay_service',
  payService2: '/api/pay_service_new',
  listBankMidtrans: '/api/list_bank_midtrans',
  payServiceMidtrans: '/api/pay_service_midtrans',
} as const;

const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

interface Sandbox {
  app: FastifyInstance;
  base: string;
}

async function startSandbox(extra: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  const app = await buildSandboxServer({
    prakerja: { clientCode: 'DP-TEST', signKey: 'unused-in-these-tests' },
    klink: { email: EMAIL, password: PASSWORD, pidKey: 'pid-key-for-tests' },
    ...extra,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { app, base: `http://127.0.0.1:${address.port}` };
}

interface JsonResponse {
  status: number;
  json: any;
}

interface CallOptions {
  token?: string | null;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  signal?: AbortSignal;
}

/** The current session token; `call` sends it unless told otherwise. */
let session = '';

async function call(
  sb: Sandbox,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = opts.token === undefined ? session : opts.token;
  if (token !== null) headers.authorization = token;
  const res = await fetch(`${sb.base}/klink${path}`, {
    method: 'POST',
    headers,
    body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    signal: opts.signal,
  });
  return { status: res.status, json: await res.json() };
}

async function control(sb: Sandbox, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  const res = await fetch(`${sb.base}/_control${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function login(sb: Sandbox): Promise<string> {
  const res = await call(sb, P.login, { email: EMAIL, password: PASSWORD }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.Authorization as string;
}

async function member(sb: Sandbox, id: string, balance?: number): Promise<void> {
  const res = await control(sb, 'POST', '/klink/members', { id_member: id, balance });
  assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.json));
}

async function balance(sb: Sandbox, id: string): Promise<number> {
  const res = await control(sb, 'GET', `/klink/members/${encodeURIComponent(id)}`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.balance as number;
}

interface Entry {
  id: number;
  kind: string;
  id_order: string | null;
  lines: Array<{ account: string; debit: number; credit: number }>;
}
interface LedgerView {
  entries: Entry[];
  balances: Record<string, number>;
  balanced: boolean;
  problems: string[];
  escrow: number;
}

async function ledger(sb: Sandbox): Promise<LedgerView> {
  const res = await control(sb, 'GET', '/klink/ledger');
  assert.equal(res.status, 200);
  return res.json as LedgerView;
}

async function stats(sb: Sandbox): Promise<any> {
  const res = await control(sb, 'GET', '/klink/stats');
  assert.equal(res.status, 200);
  return res.json;
}

/** Balance of an account recomputed from the journal: debits put money in, credits take it out. */
function journalSum(view: LedgerView, account: string): number {
  let sum = 0;
  for (const entry of view.entries) {
    for (const line of entry.lines) if (line.account === account) sum += line.debit - line.credit;
  }
  return sum;
}

const payBody = (idMember: string, amount: string, idOrder: string) => ({
  id_member: idMember,
  amount,
  id_order: idOrder,
  description: 'Pembelian Paket Klorofil',
});

function serviceBody(
  orderId: string,
  bankCode: string,
  productCode: string,
  nominal = '1500',
  payShip = '500',
) {
  return {
    rq_uuid: `rq-${orderId}`,
    rq_datetime: '2022-07-21 15:28:11',
    order_id: orderId,
    no_hp: '085736064900',
    fullname: 'Almeera Salsabila',
    email: 'Almeera@gmail.com',
    bank_code: bankCode,
    product_code: productCode,
    nominal,
    pay_ship: payShip,
  };
}

describe('klink simulator', () => {
  let sb: Sandbox;

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.app.close();
  });
  beforeEach(async () => {
    assert.equal((await control(sb, 'POST', '/reset', {})).status, 200);
    session = await login(sb);
  });

  describe('login and tokens', () => {
    it('logs in with the documented shape and counts the login', async () => {
      const res = await call(sb, P.login, { email: EMAIL, password: PASSWORD }, { token: null });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.json).sort(), ['Authorization', 'message', 'status']);
      assert.equal(res.json.status, 'success');
      assert.equal(res.json.message, 'Login success');
      assert.ok(typeof res.json.Authorization === 'string' && res.json.Authorization.length >= 16);
      assert.notEqual(res.json.Authorization, session, 'every login is a new session token');
      const s = await stats(sb);
      assert.equal(s.logins, 2);
      assert.equal(s.calls.login, 2);
    });

    it('refuses wrong credentials with 401 and counts the call but not a login', async () => {
      const wrongPassword = await call(sb, P.login, { email: EMAIL, password: 'nope' }, { token: null });
      assert.equal(wrongPassword.status, 401);
      assert.deepEqual(wrongPassword.json, { status: 'fail', message: 'Email atau password salah' });
      const wrongEmail = await call(sb, P.login, { email: 'x@y.z', password: PASSWORD }, { token: null });
      assert.equal(wrongEmail.status, 401);
      const missing = await call(sb, P.login, { email: EMAIL }, { token: null });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.json, { status: 'fail', message: 'password' });
      const s = await stats(sb);
      assert.equal(s.logins, 1);
      assert.equal(s.calls.login, 4);
    });

    it('answers 401 to a missing, unknown or Bearer-prefixed token', async () => {
      await member(sb, 'M1', 2000);
      const unauthorized = { status: 'fail', message: 'Unauthorized: token invalid or expired' };
      for (const token of [null, 'not-a-token', `Bearer ${session}`, '']) {
        const res = await call(sb, P.checkSaldo, { id_member: 'M1' }, { token });
        assert.equal(res.status, 401, `token ${String(token)}`);
        assert.deepEqual(res.json, unauthorized);
      }
      assert.equal((await call(sb, P.checkSaldo, { id_member: 'M1' })).status, 200);
      assert.equal((await stats(sb)).calls.check_saldo, 5, 'refused calls are counted too');
    });

    it('expire-tokens invalidates every issued token; a new login works again', async () => {
      await member(sb, 'M1', 2000);
      const second = await login(sb);
      assert.deepEqual((await control(sb, 'POST', '/klink/expire-tokens', {})).json, { expired: 2 });
      for (const token of [session, second]) {
        const res = await call(sb, P.checkSaldo, { id_member: 'M1' }, { token });
        assert.equal(res.status, 401);
        assert.equal(res.json.message, 'Unauthorized: token invalid or expired');
      }
      session = await login(sb);
      assert.equal((await call(sb, P.checkSaldo, { id_member: 'M1' })).status, 200);
    });
  });

  describe('request validation', () => {
    it('refuses malformed JSON and schema failures with 400 naming the field', async () => {
      const bad = await call(sb, P.pay, undefined, { raw: '{"id_member": "M1", "amount": ' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json, { status: 'fail', message: 'body' });
      const noOrder = await call(sb, P.pay, { id_member: 'M1', amount: '10', description: '' });
      assert.deepEqual([noOrder.status, noOrder.json], [400, { status: 'fail', message: 'id_order' }]);
      const blankMember = await call(sb, P.checkSaldo, { id_member: '  ' });
      assert.deepEqual([blankMember.status, blankMember.json.message], [400, 'id_member']);
      const numericMember = await call(sb, P.checkSaldo, { id_member: 12 });
      assert.deepEqual([numericMember.status, numericMember.json.message], [400, 'id_member']);
      const array = await call(sb, P.checkSaldo, []);
      assert.deepEqual([array.status, array.json.message], [400, 'body']);
    });

    it('refuses amounts that are not whole rupiah as decimal strings, and moves nothing', async () => {
      await member(sb, 'M1', 100000);
      for (const amount of ['2000.50', '-5', 90000.5, 90000, '0', '1e5', ' 100', '100.', '0100', '', null]) {
        const res = await call(sb, P.pay, payBody('M1', amount as string, `ORD-${String(amount)}`));
        assert.equal(res.status, 400, `amount ${JSON.stringify(amount)}`);
        assert.deepEqual(res.json, { status: 'fail', message: 'amount' });
      }
      const transfer = await call(sb, P.transfer, {
        id_member_send: 'M1',
        amount: '10.5',
        description: 'x',
        id_member_receipt: 'M1',
      });
      assert.deepEqual([transfer.status, transfer.json.message], [400, 'amount']);
      const voucher = await call(sb, P.voucher, {
        voucher_code: 'V',
        amount: -1,
        description: 'x',
        id_member_receipt: 'M1',
      });
      assert.deepEqual([voucher.status, voucher.json.message], [400, 'amount']);
      assert.equal(await balance(sb, 'M1'), 100000);
      assert.equal((await ledger(sb)).entries.length, 1, 'only the seed');
      // "90000.00", the form K-Link writes amounts in, is the same whole amount.
      const cents = await call(sb, P.pay, payBody('M1', '90000.00', 'ORD-CENTS'));
      assert.equal(cents.json.status, 'success', JSON.stringify(cents.json));
      assert.equal(await balance(sb, 'M1'), 10000);
    });

    it('answers 404 to an unknown path or a GET', async () => {
      const unknown = await call(sb, '/api/kwallet/withdraw', { id_member: 'M1' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.status, 'fail');
      const get = await fetch(`${sb.base}/klink${P.checkSaldo}`, { headers: { authorization: session } });
      assert.equal(get.status, 404);
    });
  });

  describe('K-Wallet', () => {
    it('register_va creates the member with VAs at six banks in the documented shape, idempotently', async () => {
      const body = { id_member: 'idspaaa025', name: 'Muammar Qathafi', hp: '085736064900', email: 'm@q.id' };
      const first = await call(sb, P.registerVa, body);
      assert.equal(first.status, 200);
      assert.equal(first.json.status, 'success');
      assert.equal(first.json.message, 'VA will be success Created!');
      assert.match(first.json.date, DATETIME);
      assert.match(first.json.rq_uuid, /^idspaaa025-\d{14}-\d+$/);
      const banks = Object.keys(first.json.data).sort();
      assert.deepEqual(banks, ['002', '011', '013', '014', '016', '451']);
      const vaNumbers = new Set<string>();
      for (const code of banks) {
        const va = first.json.data[code];
        assert.deepEqual(Object.keys(va).sort(), [
          'amount',
          'bank_code',
          'description',
          'error_code',
          'error_message',
          'expiry_date_time',
          'fee',
          'total_amount',
          'va_number',
        ]);
        assert.equal(va.bank_code, code);
        assert.equal(va.fee, '0.00');
        assert.equal(va.total_amount, '0.00');
        assert.equal(va.error_message, 'Success');
        assert.equal(va.error_code, '00');
        assert.equal(va.amount, 0);
        assert.equal(va.description, '');
        assert.match(va.expiry_date_time, DATETIME);
        assert.match(va.va_number, /^\d{16}$/);
        vaNumbers.add(va.va_number);
      }
      assert.equal(vaNumbers.size, 6, 'one distinct VA per bank');

      const again = await call(sb, P.registerVa, { ...body, name: 'Someone Else' });
      assert.equal(again.json.status, 'success');
      for (const code of banks)
        assert.equal(again.json.data[code].va_number, first.json.data[code].va_number);
      const other = await call(sb, P.registerVa, { ...body, id_member: 'idspaaa026' });
      assert.notEqual(other.json.data['014'].va_number, first.json.data['014'].va_number);

      const saldo = await call(sb, P.checkSaldo, { id_member: 'idspaaa025' });
      assert.equal(saldo.json.last_saldo, '0.00');
      const shown = await control(sb, 'GET', '/klink/members/idspaaa025');
      assert.equal(shown.json.name, 'Muammar Qathafi', 'a repeat does not overwrite the member');

      // A customer pays into the member's BCA VA: BANK -> member.
      const deposit = await control(sb, 'POST', '/klink/va-deposits', {
        va_number: first.json.data['014'].va_number,
        amount: 50000,
      });
      assert.equal(deposit.status, 201);
      assert.deepEqual(
        [deposit.json.id_member, deposit.json.bank_code, deposit.json.balance],
        ['idspaaa025', '014', 50000],
      );
      assert.equal((await ledger(sb)).balances.BANK, -50000);
    });

    it('check_saldo answers the balance as "2000.00"; an unknown member fails', async () => {
      await member(sb, 'idspaa0012', 2000);
      const res = await call(sb, P.checkSaldo, { id_member: 'idspaa0012' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        status: 'success',
        message: 'Saldo berhasil ditampilkan!',
        last_saldo: '2000.00',
      });
      const unknown = await call(sb, P.checkSaldo, { id_member: 'nobody' });
      assert.deepEqual(
        [unknown.status, unknown.json],
        [200, { status: 'fail', message: 'Member not found' }],
      );
    });

    it('history_transaction answers a JSON string of rows with running balances, filtered by date', async () => {
      await member(sb, 'H1', 1000000);
      await member(sb, 'H2', 0);
      await call(sb, P.voucher, {
        voucher_code: 'HV',
        amount: '2000000',
        description: 'topup',
        id_member_receipt: 'H1',
      });
      await call(sb, P.transfer, {
        id_member_send: 'H1',
        amount: '500000',
        description: 'Transfer untuk uang makan',
        id_member_receipt: 'H2',
      });
      const res = await call(sb, P.history, { id_member: 'H1', startdate: '', enddate: '' });
      assert.equal(res.status, 200);
      assert.equal(res.json.status, 'success');
      assert.equal(res.json.message, 'Saldo berhasil ditampilkan!');
      assert.equal(typeof res.json.transaction, 'string', 'JSON inside a string, as the document');
      const rows = JSON.parse(res.json.transaction);
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.deepEqual(Object.keys(row).sort(), ['balance', 'credit', 'datetime', 'debit', 'description']);
        assert.match(row.datetime, DATETIME);
      }
      assert.deepEqual(
        rows.map((r: any) => [r.debit, r.credit, r.balance]),
        [
          ['1000000.00', '0.00', '1000000.00'],
          ['2000000.00', '0.00', '3000000.00'],
          ['0.00', '500000.00', '2500000.00'],
        ],
      );
      assert.equal(rows[2].description, 'Transfer untuk uang makan');
      const h2 = JSON.parse(
        (await call(sb, P.history, { id_member: 'H2', startdate: '', enddate: '' })).json.transaction,
      );
      assert.deepEqual(
        h2.map((r: any) => [r.debit, r.credit, r.balance]),
        [['500000.00', '0.00', '500000.00']],
      );

      const today = rows[0].datetime.slice(0, 10);
      const sameDay = await call(sb, P.history, { id_member: 'H1', startdate: today, enddate: today });
      assert.equal(JSON.parse(sameDay.json.transaction).length, 3);
      const future = await call(sb, P.history, { id_member: 'H1', startdate: '2999-01-01', enddate: '' });
      assert.deepEqual(JSON.parse(future.json.transaction), []);
      const past = await call(sb, P.history, {
        id_member: 'H1',
        startdate: '',
        enddate: '2000-01-01 00:00:00',
      });
      assert.deepEqual(JSON.parse(past.json.transaction), []);
      const badDate = await call(sb, P.history, { id_member: 'H1', startdate: '2021-02-30', enddate: '' });
      assert.deepEqual([badDate.status, badDate.json.message], [400, 'startdate']);
      const unknown = await call(sb, P.history, { id_member: 'nobody', startdate: '', enddate: '' });
      assert.deepEqual(unknown.json, { status: 'fail', message: 'Member not found' });
    });

    it('transfer_to_account answers with `stutas`, moves money, and refuses an overdraft moving nothing', async () => {
      await member(sb, 'idspaa0012', 150000);
      await member(sb, 'idspaaa090', 0);
      const res = await call(sb, P.transfer, {
        id_member_send: 'idspaa0012',
        amount: '100000',
        description: 'Transfer untuk uang makan',
        id_member_receipt: 'idspaaa090',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        stutas: 'success',
        message: 'Payment transfer idspaa0012 to account idspaaa090!',
      });
      assert.equal(await balance(sb, 'idspaa0012'), 50000);
      assert.equal(await balance(sb, 'idspaaa090'), 100000);

      const entriesBefore = (await ledger(sb)).entries.length;
      const overdraft = await call(sb, P.transfer, {
        id_member_send: 'idspaa0012',
        amount: '50001',
        description: 'x',
        id_member_receipt: 'idspaaa090',
      });
      assert.deepEqual(overdraft.json, { stutas: 'fail', message: 'Saldo tidak mencukupi' });
      const unknown = await call(sb, P.transfer, {
        id_member_send: 'idspaa0012',
        amount: '1',
        description: 'x',
        id_member_receipt: 'nobody',
      });
      assert.deepEqual(unknown.json, { stutas: 'fail', message: 'Member not found' });
      const self = await call(sb, P.transfer, {
        id_member_send: 'idspaa0012',
        amount: '1',
        description: 'x',
        id_member_receipt: 'idspaa0012',
      });
      assert.equal(self.json.stutas, 'fail');
      assert.equal((await ledger(sb)).entries.length, entriesBefore);
      assert.equal(await balance(sb, 'idspaa0012'), 50000);
    });

    it('voucher_saldo (both names) tops up from VOUCHER once per code', async () => {
      await member(sb, 'idspaaa95913', 0);
      const res = await call(sb, P.voucher, {
        voucher_code: 'asdfkeijk',
        amount: '10000',
        description: 'Transfer untuk uang makan',
        id_member_receipt: 'idspaaa95913',
      });
      assert.deepEqual(res.json, {
        status: 'success',
        message: 'Insert Voucher Saldo 10000 for ID Member idspaaa95913 Success!',
      });
      const second = await call(sb, P.voucher2, {
        voucher_code: 'other-code',
        amount: '5000',
        description: '',
        id_member_receipt: 'idspaaa95913',
      });
      assert.equal(second.json.status, 'success');
      const reused = await call(sb, P.voucher2, {
        voucher_code: 'asdfkeijk',
        amount: '10000',
        description: '',
        id_member_receipt: 'idspaaa95913',
      });
      assert.deepEqual(reused.json, { status: 'fail', message: 'Voucher already used' });
      const unknown = await call(sb, P.voucher, {
        voucher_code: 'fresh',
        amount: '1',
        description: '',
        id_member_receipt: 'nobody',
      });
      assert.deepEqual(unknown.json, { status: 'fail', message: 'Member not found' });
      assert.equal(await balance(sb, 'idspaaa95913'), 15000);
      const view = await ledger(sb);
      assert.equal(view.balances.VOUCHER, -15000, 'the voucher source brought the money in');
      assert.equal(view.balanced, true);
    });

    it('pay debits once: a repeated id_order (any member) fails and moves nothing', async () => {
      await member(sb, 'idspaa001', 360000);
      await member(sb, 'other', 500000);
      const res = await call(sb, P.pay, payBody('idspaa001', '90000', '123456789'));
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: 'success', message: 'Payment ID Order 123456789 Success!' });
      const repeat = await call(sb, P.pay, payBody('idspaa001', '90000', '123456789'));
      assert.deepEqual(repeat.json, { status: 'fail', message: 'ID Order 123456789 already exists' });
      const otherMember = await call(sb, P.pay, payBody('other', '1000', '123456789'));
      assert.deepEqual(otherMember.json, { status: 'fail', message: 'ID Order 123456789 already exists' });
      assert.equal(await balance(sb, 'idspaa001'), 270000);
      assert.equal(await balance(sb, 'other'), 500000);
      const view = await ledger(sb);
      assert.equal(view.entries.filter((e) => e.kind === 'pay').length, 1);
      assert.equal(view.escrow, 90000);
      const s = await stats(sb);
      assert.equal(s.pays, 1);
      assert.deepEqual(s.byOrder['123456789'], { payRequests: 3, pays: 1, refundAccepts: 0 });
    });

    it('pay with too little saldo fails, moves nothing and leaves the id_order free', async () => {
      await member(sb, 'poor', 89999);
      const before = await ledger(sb);
      const res = await call(sb, P.pay, payBody('poor', '90000', 'ORD-POOR'));
      assert.deepEqual(res.json, { status: 'fail', message: 'Saldo tidak mencukupi' });
      const after = await ledger(sb);
      assert.deepEqual(after.entries, before.entries);
      assert.equal(after.escrow, 0);
      const unknown = await call(sb, P.pay, payBody('nobody', '1', 'ORD-NOBODY'));
      assert.deepEqual(unknown.json, { status: 'fail', message: 'Member not found' });
      await member(sb, 'poor', 90000);
      assert.equal((await call(sb, P.pay, payBody('poor', '90000', 'ORD-POOR'))).json.status, 'success');
      assert.equal(await balance(sb, 'poor'), 0);
    });

    it('reconcile (both names) answers the pay as a JSON string with the balance after it', async () => {
      await member(sb, 'idspaa001', 360000);
      await call(sb, P.pay, payBody('idspaa001', '90000', '123456789'));
      await call(sb, P.pay, payBody('idspaa001', '10000', 'LATER'));
      for (const path of [P.reconcile, P.reconcile2]) {
        const res = await call(sb, path, { id_order: '123456789' });
        assert.equal(res.status, 200);
        assert.equal(res.json.status, 'success');
        assert.equal(res.json.message, 'Reconcile ID Order 123456789 Success!');
        assert.equal(typeof res.json.data, 'string');
        const data = JSON.parse(res.json.data);
        assert.deepEqual(Object.keys(data).sort(), [
          'balance',
          'comm_code',
          'credit',
          'datetime',
          'debit',
          'description',
          'id_member',
          'order_id',
          'valuedate',
        ]);
        assert.equal(data.id_member, 'idspaa001');
        assert.equal(data.order_id, '123456789');
        assert.equal(data.comm_code, 'SYSTEM');
        assert.equal(data.debit, '0.00');
        assert.equal(data.credit, '90000.00');
        assert.equal(data.balance, '270000.00', 'right after this pay, not after the later one');
        assert.equal(data.description, 'Pembelian Paket Klorofil');
        assert.match(data.datetime, DATETIME);
        assert.equal(data.valuedate, data.datetime.slice(0, 10));
      }
      const unknown = await call(sb, P.reconcile, { id_order: 'NOPE' });
      assert.deepEqual(unknown.json, { status: 'fail', message: 'ID Order NOPE not found' });
    });

    it('escrow refund lists the pay, refund-accept returns it once, a second accept is "refund existing"', async () => {
      await member(sb, 'idspaa001', 100000);
      await member(sb, 'someone', 100000);
      await call(sb, P.pay, payBody('idspaa001', '90000', '123456789'));
      const payEntry = (await ledger(sb)).entries.find((e) => e.kind === 'pay')!;

      const inquiry = await call(sb, P.refund, { id_order: '123456789', id_member: 'idspaa001' });
      assert.equal(inquiry.status, 200);
      assert.equal(inquiry.json.status, 'success');
      assert.equal(inquiry.json.message, 'Apakah benar data yang akan direfund?');
      assert.equal(inquiry.json.data.length, 1);
      const row = inquiry.json.data[0];
      assert.deepEqual(Object.keys(row).sort(), [
        'credit',
        'datetime',
        'description',
        'id_member',
        'id_order',
        'id_trans',
      ]);
      assert.equal(row.id_trans, payEntry.id);
      assert.equal(typeof row.id_trans, 'number');
      assert.equal(row.credit, 90000);
      assert.equal(row.id_member, 'idspaa001');
      assert.equal(row.id_order, '123456789');
      assert.equal(row.description, 'Pembelian Paket Klorofil');
      assert.match(row.datetime, DATETIME);
      assert.equal(await balance(sb, 'idspaa001'), 10000, 'asking moves nothing');

      const notFound = { status: 'fail', message: 'data not found' };
      assert.deepEqual(
        (await call(sb, P.refund, { id_order: '123456789', id_member: 'someone' })).json,
        notFound,
      );
      assert.deepEqual(
        (await call(sb, P.refund, { id_order: 'NOPE', id_member: 'idspaa001' })).json,
        notFound,
      );
      const accept = (over: Record<string, unknown> = {}) =>
        call(sb, P.refundAccept, {
          id_order: '123456789',
          id_member: 'idspaa001',
          id_trans: String(row.id_trans),
          note: 'refund dana karena dokter tidak sedang standby',
          ...over,
        });
      assert.deepEqual((await accept({ id_trans: String(row.id_trans + 1000) })).json, notFound);
      assert.deepEqual((await accept({ id_member: 'someone' })).json, notFound);
      assert.deepEqual((await accept({ id_order: 'NOPE' })).json, notFound);
      assert.equal(await balance(sb, 'idspaa001'), 10000);

      const done = await accept();
      assert.deepEqual(done.json, {
        status: 'success',
        message: 'success refund saldo for member idspaa001!',
      });
      assert.equal(await balance(sb, 'idspaa001'), 100000);
      const view = await ledger(sb);
      assert.equal(view.escrow, 0);
      const refundEntry = view.entries.find((e) => e.kind === 'refund')!;
      assert.ok(refundEntry.id > payEntry.id);

      const existing = new RegExp(
        `^refund existing, id_trans:${payEntry.id}, order_id:123456789, member_id:idspaa001, ` +
          `datetime:\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}!$`,
      );
      for (const again of [await accept(), await accept({ id_trans: row.id_trans })]) {
        assert.equal(again.json.status, 'fail');
        assert.match(again.json.message, existing);
      }
      const askAgain = await call(sb, P.refund, { id_order: '123456789', id_member: 'idspaa001' });
      assert.equal(askAgain.json.status, 'fail');
      assert.match(askAgain.json.message, existing);
      assert.equal(await balance(sb, 'idspaa001'), 100000, 'refunded once');
      const s = await stats(sb);
      assert.equal(s.refundAccepts, 1);
      assert.equal(s.refundAcceptRequests, 6);
      assert.deepEqual(s.byOrder['123456789'], { payRequests: 1, pays: 1, refundAccepts: 1 });
      assert.equal((await ledger(sb)).balanced, true);
    });
  });

  describe('payment service (VA, manual transfer, card)', () => {
    it('list_bank (both names) answers the documented fields, with an empty body or {}', async () => {
      const fields = [
        'bankCode',
        'bankDesc',
        'bankDisplayNm',
        'bank_pemilik',
        'bankacc',
        'cabang',
        'charge_admin',
        'charge_connectivity',
        'id',
        'img_url',
        'install_12',
        'install_6',
        'is_installment',
        'kategori',
        'productCode',
        'productName',
        'status',
      ];
      for (const [path, body] of [
        [P.listBank, undefined],
        [P.listBank2, {}],
        [P.listBank, null],
      ] as const) {
        const res = await call(sb, path, body);
        assert.equal(res.status, 200, `${path} ${JSON.stringify(body)}`);
        assert.equal(res.json.status, 'success');
        assert.ok(res.json.data.length >= 3);
        for (const row of res.json.data) assert.deepEqual(Object.keys(row).sort(), [...fields].sort());
        const bca = res.json.data.find((r: any) => r.productCode === 'BCAATM');
        assert.equal(bca.bankCode, '014');
        assert.equal(bca.bankacc, 0);
        const kategori = new Set(res.json.data.map((r: any) => r.kategori));
        assert.ok(
          kategori.has('Transfer Bank (VA)') &&
            kategori.has('Transfer Manual') &&
            kategori.has('Kartu Kredit'),
        );
      }
      assert.equal((await call(sb, P.listBank, undefined, { token: null })).status, 401);
      assert.equal((await stats(sb)).calls.list_bank, 4);
    });

    it('pay_service answers the VA, manual transfer and card variants and records the orders', async () => {
      const va = await call(sb, P.payService, serviceBody('VA-1', '014', 'BCAATM', '100000', '5000'));
      assert.equal(va.json.status, 'success', JSON.stringify(va.json));
      assert.equal(va.json.data.is_va, 1);
      assert.match(va.json.data.va_number, /^\d{16}$/);
      assert.equal(va.json.data.koneksi, 1);
      assert.equal(va.json.data.total_bayar, '105000');
      assert.equal(va.json.data.total_belanja, '100000');

      const manual = await call(
        sb,
        P.payService2,
        serviceBody('MAN-1', '008', 'MANDIRIMANUAL', '469765', '5000'),
      );
      assert.equal(manual.json.status, 'success', JSON.stringify(manual.json));
      const m = manual.json.data;
      for (const key of [
        'is_va',
        'kd_pay',
        'kd_ref',
        'kode_unik',
        'koneksi',
        'norek',
        'pay_ship',
        'total_bayar',
        'total_belanja',
      ]) {
        assert.ok(key in m, `manual transfer data has ${key}`);
      }
      const kodeUnik = Number(m.kode_unik);
      assert.ok(Number.isInteger(kodeUnik) && kodeUnik >= 1 && kodeUnik <= 2000, `kode_unik ${m.kode_unik}`);
      assert.equal(Number(m.total_bayar), 469765 + 5000 + kodeUnik);
      assert.equal(m.total_belanja, '469765');
      assert.equal(m.pay_ship, '5000');
      assert.equal(m.koneksi, 1);
      assert.equal(m.is_va, 0);
      assert.match(m.norek, /^\d+$/);
      assert.notEqual(m.kd_pay, va.json.data.kd_pay);

      const card = await call(sb, P.payService, serviceBody('CC-1', '008', 'MANDIRICC'));
      assert.equal(card.json.status, 'success');
      assert.deepEqual(Object.keys(card.json.data).sort(), ['is_va', 'url_pay']);
      assert.equal(card.json.data.is_va, 0);
      const page = await fetch(card.json.data.url_pay);
      assert.equal(page.status, 200, 'the redirect lands on the sandbox');
      assert.equal(((await page.json()) as any).order_id, 'CC-1');

      const orders = (await control(sb, 'GET', '/klink/orders')).json as any[];
      assert.deepEqual(orders.map((o) => [o.order_id, o.variant, o.status]).sort(), [
        ['CC-1', 'card', 'pending'],
        ['MAN-1', 'manual', 'pending'],
        ['VA-1', 'va', 'pending'],
      ]);
      assert.equal(orders.find((o) => o.order_id === 'MAN-1').total_bayar, Number(m.total_bayar));
      assert.equal((await ledger(sb)).entries.length, 0, 'creating an order moves no K-Wallet money');
    });

    it('pay_service refuses an unknown bank_code or product_code and a repeated order_id with status "failed"', async () => {
      const unknownBank = await call(sb, P.payService, serviceBody('X-1', '999', 'BCAATM'));
      assert.deepEqual(unknownBank.json, {
        status: 'failed',
        message: 'bank_code tidak sesuai dengan list bank',
      });
      const unknownProduct = await call(sb, P.payService, serviceBody('X-1', '014', 'MANDIRICC'));
      assert.deepEqual(unknownProduct.json, {
        status: 'failed',
        message: 'product_code tidak sesuai dengan list bank',
      });
      assert.equal(
        (await call(sb, P.payService, serviceBody('X-1', '014', 'BCAATM'))).json.status,
        'success',
      );
      const repeat = await call(sb, P.payService2, serviceBody('X-1', '014', 'BCAATM'));
      assert.deepEqual(repeat.json, { status: 'failed', message: 'order_id X-1 already exists' });
      const badDatetime = await call(sb, P.payService, {
        ...serviceBody('X-2', '014', 'BCAATM'),
        rq_datetime: '2022-07-21',
      });
      assert.deepEqual([badDatetime.status, badDatetime.json.message], [400, 'rq_datetime']);
      const floatNominal = await call(sb, P.payService, {
        ...serviceBody('X-3', '014', 'BCAATM'),
        nominal: 1500.5,
      });
      assert.deepEqual([floatNominal.status, floatNominal.json.message], [400, 'nominal']);
      assert.equal(((await control(sb, 'GET', '/klink/orders')).json as any[]).length, 1);
    });
  });

  describe('payment service GoPay (Midtrans)', () => {
    it('list_bank_midtrans answers the document row', async () => {
      const res = await call(sb, P.listBankMidtrans, { nominal: '1000000', pay_ship: '5000' });
      assert.equal(res.status, 200);
      assert.equal(res.json.data.length, 1);
      const gopay = res.json.data[0];
      assert.equal(gopay.bankCode, 'gopay');
      assert.equal(gopay.productCode, 'e_money');
      assert.equal(gopay.charge_admin, '2500');
      assert.equal(gopay.bankacc, null);
      assert.ok('cara_bayar' in gopay);
      const bad = await call(sb, P.listBankMidtrans, { nominal: '1000000' });
      assert.deepEqual([bad.status, bad.json.message], [400, 'pay_ship']);
    });

    it('pay_service_midtrans answers status_code 201 with the four actions and records the order', async () => {
      const body = serviceBody('klnu01978', 'gopay', 'e_wallets');
      const res = await call(sb, P.payServiceMidtrans, body);
      assert.equal(res.status, 200);
      assert.equal(res.json.status, 'success');
      assert.equal(res.json.message, 'Payment Request has been success!');
      assert.deepEqual(res.json.data_input, body, 'the request echoed as sent');
      const d = res.json.data;
      assert.equal(d.status_code, '201');
      assert.equal(d.gross_amount, '2000.00');
      assert.equal(d.transaction_status, 'pending');
      assert.equal(d.fraud_status, 'accept');
      assert.equal(d.currency, 'IDR');
      assert.equal(d.payment_type, 'gopay');
      assert.equal(d.status_message, 'GoPay transaction is created');
      assert.equal(d.order_id, 'klnu01978');
      assert.match(d.transaction_time, DATETIME);
      assert.match(d.transaction_id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        d.actions.map((a: any) => [a.name, a.method]),
        [
          ['generate-qr-code', 'GET'],
          ['deeplink-redirect', 'GET'],
          ['get-status', 'GET'],
          ['cancel', 'POST'],
        ],
      );
      assert.ok(d.actions[0].url.includes(d.transaction_id));
      assert.match(d.actions[1].url, /^gojek:\/\/gopay\/merchanttransfer\?.*amount=2000/);
      const orders = (await control(sb, 'GET', '/klink/orders?order_id=klnu01978')).json as any[];
      assert.equal(orders.length, 1);
      assert.equal(orders[0].transaction_id, d.transaction_id);

      // The same order_id again is Midtrans' documented 406.
      const again = await call(sb, P.payServiceMidtrans, { ...body, rq_uuid: 'another' });
      assert.equal(again.json.status, 'failed');
      assert.equal(again.json.data.status_code, '406');
      assert.equal(again.json.message, 'order_id has been paid and utilized, please use another order ID');
    });

    it('answers an armed documented status_code instead of creating the order', async () => {
      const documented = {
        '401': 'Access denied due to unauthorized transaction, please check client or server key',
        '503': 'Bank/partner is experiencing connection issue.',
        '05': 'Do not honor',
        '900': 'GENERIC_SERVICE_ERROR',
        '406': 'order_id has been paid and utilized, please use another order ID',
      };
      for (const [code, message] of Object.entries(documented)) {
        const armed = await control(sb, 'POST', '/klink/midtrans-failures', {
          status_code: code,
          order_id: `G-${code}`,
        });
        assert.equal(armed.status, 201, JSON.stringify(armed.json));
        const res = await call(sb, P.payServiceMidtrans, serviceBody(`G-${code}`, 'gopay', 'e_money'));
        assert.equal(res.json.status, 'failed');
        assert.equal(res.json.data.status_code, code);
        assert.equal(res.json.data.status_message, message);
        assert.equal(res.json.message, message);
      }
      assert.deepEqual((await control(sb, 'GET', '/klink/orders')).json, []);
      // Used up: the next request for the same order goes through.
      assert.equal(
        (await call(sb, P.payServiceMidtrans, serviceBody('G-503', 'gopay', 'e_money'))).json.data
          .status_code,
        '201',
      );
      assert.equal(
        (await control(sb, 'POST', '/klink/midtrans-failures', { status_code: '201' })).status,
        400,
        '201 is not a failure',
      );
      const unknownBank = await call(sb, P.payServiceMidtrans, serviceBody('G-X', 'ovo', 'e_money'));
      assert.deepEqual(unknownBank.json, {
        status: 'failed',
        message: 'bank_code tidak sesuai dengan list bank',
      });
    });
  });

  describe('faults', () => {
    it('timeout-after-commit on pay commits the debit while the client gave up', async () => {
      await member(sb, 'T1', 100000);
      const armed = await control(sb, 'POST', '/faults', {
        route: 'klink.pay',
        mode: 'timeout-after-commit',
        match: { id_order: 'ORD-TAC' },
      });
      assert.equal(armed.status, 201, JSON.stringify(armed.json));
      const started = Date.now();
      await assert.rejects(
        call(sb, P.pay, payBody('T1', '40000', 'ORD-TAC'), { signal: AbortSignal.timeout(400) }),
        (err: Error) => err.name === 'TimeoutError' || err.name === 'AbortError',
      );
      assert.ok(Date.now() - started < 5000, 'the client timeout, not the hold, ended the call');
      assert.equal(await balance(sb, 'T1'), 60000, 'the debit was committed');
      const reconcile = await call(sb, P.reconcile, { id_order: 'ORD-TAC' });
      assert.equal(reconcile.json.status, 'success');
      assert.equal(JSON.parse(reconcile.json.data).credit, '40000.00');
      // The client's retry is safe: refused, nothing moves twice.
      const retry = await call(sb, P.pay, payBody('T1', '40000', 'ORD-TAC'));
      assert.deepEqual(retry.json, { status: 'fail', message: 'ID Order ORD-TAC already exists' });
      assert.equal(await balance(sb, 'T1'), 60000);
      assert.deepEqual((await stats(sb)).byOrder['ORD-TAC'], { payRequests: 2, pays: 1, refundAccepts: 0 });
    });

    it('matches by body field, refuses before receiving on error5xx, and knows every klink route', async () => {
      await member(sb, 'F1', 1000);
      await control(sb, 'POST', '/faults', {
        route: 'klink.check_saldo',
        mode: 'error5xx',
        match: { id_member: 'F1' },
      });
      await member(sb, 'F2', 1000);
      assert.equal((await call(sb, P.checkSaldo, { id_member: 'F2' })).status, 200);
      const failed = await call(sb, P.checkSaldo, { id_member: 'F1' });
      assert.equal(failed.status, 503);
      assert.equal(failed.json.status, 'fail');
      assert.equal((await stats(sb)).calls.check_saldo, 1, 'the 5xx was answered before K-Link saw it');
      await control(sb, 'POST', '/faults', { route: 'klink.login', mode: 'reset-before' });
      await assert.rejects(call(sb, P.login, { email: EMAIL, password: PASSWORD }, { token: null }));
      for (const route of [
        'klink.refund-accept',
        'klink.voucher_saldo',
        'klink.pay_service_midtrans',
        'klink.reconcile',
      ]) {
        assert.equal(
          (await control(sb, 'POST', '/faults', { route, mode: 'latency', ms: 1 })).status,
          201,
          route,
        );
      }
      assert.equal(
        (await control(sb, 'POST', '/faults', { route: 'klink.payy', mode: 'latency' })).status,
        400,
      );
    });

    it('reset-after-commit on refund-accept refunds although the answer is lost', async () => {
      await member(sb, 'R1', 5000);
      await call(sb, P.pay, payBody('R1', '5000', 'ORD-RAC'));
      const idTrans = (await call(sb, P.refund, { id_order: 'ORD-RAC', id_member: 'R1' })).json.data[0]
        .id_trans;
      await control(sb, 'POST', '/faults', { route: 'klink.refund-accept', mode: 'reset-after-commit' });
      await assert.rejects(
        call(sb, P.refundAccept, { id_order: 'ORD-RAC', id_member: 'R1', id_trans: idTrans, note: 'n' }),
      );
      assert.equal(await balance(sb, 'R1'), 5000);
      const retry = await call(sb, P.refundAccept, {
        id_order: 'ORD-RAC',
        id_member: 'R1',
        id_trans: idTrans,
        note: 'n',
      });
      assert.match(
        retry.json.message,
        new RegExp(`^refund existing, id_trans:${idTrans}, order_id:ORD-RAC, member_id:R1, `),
      );
      const s = await stats(sb);
      assert.equal(s.refundAccepts, 1);
      assert.equal(s.refundAcceptRequests, 2);
    });
  });

  describe('ledger', () => {
    it('stays balanced through 200 random operations, and every balance equals its journal sum', async () => {
      const seed = Number(process.env.KLINK_TEST_SEED ?? Date.now() % 1_000_000);
      const rand = mulberry32(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      const why = (what: string) => `${what} (seed ${seed}; rerun with KLINK_TEST_SEED=${seed})`;

      const members = ['A', 'B', 'C', 'D', 'E'];
      const model = new Map<string, number>();
      for (const id of members) {
        const start = Math.floor(rand() * 200) * 1000;
        await member(sb, id, start);
        model.set(id, start);
      }
      const pays = new Map<string, { member: string; amount: number; idTrans?: number; refunded: boolean }>();
      const vouchers: string[] = [];
      let nextOrder = 1;
      let nextVoucher = 1;
      let expectedPays = 0;
      let expectedRefunds = 0;
      const amountFor = (id: string) =>
        String(1 + Math.floor(rand() * ((model.get(id)! * 1.3) / 1000 + 5)) * 1000);

      for (let op = 0; op < 200; op += 1) {
        const kind = pick(['pay', 'pay', 'transfer', 'voucher', 'refund', 'accept'] as const);
        if (kind === 'pay') {
          const id = pick(members);
          const reuse = pays.size > 0 && rand() < 0.25;
          const order = reuse ? pick([...pays.keys()]) : `R-${nextOrder++}`;
          const amount = amountFor(id);
          const res = await call(sb, P.pay, payBody(id, amount, order));
          if (reuse) {
            assert.deepEqual(
              res.json,
              { status: 'fail', message: `ID Order ${order} already exists` },
              why(`op ${op}`),
            );
          } else if (Number(amount) > model.get(id)!) {
            assert.deepEqual(res.json, { status: 'fail', message: 'Saldo tidak mencukupi' }, why(`op ${op}`));
          } else {
            assert.equal(res.json.status, 'success', why(`op ${op} ${JSON.stringify(res.json)}`));
            model.set(id, model.get(id)! - Number(amount));
            pays.set(order, { member: id, amount: Number(amount), refunded: false });
            expectedPays += 1;
          }
        } else if (kind === 'transfer') {
          const from = pick(members);
          const to = pick(members.filter((m) => m !== from));
          const amount = amountFor(from);
          const res = await call(sb, P.transfer, {
            id_member_send: from,
            amount,
            description: `op ${op}`,
            id_member_receipt: to,
          });
          if (Number(amount) > model.get(from)!) {
            assert.deepEqual(res.json, { stutas: 'fail', message: 'Saldo tidak mencukupi' }, why(`op ${op}`));
          } else {
            assert.equal(res.json.stutas, 'success', why(`op ${op}`));
            model.set(from, model.get(from)! - Number(amount));
            model.set(to, model.get(to)! + Number(amount));
          }
        } else if (kind === 'voucher') {
          const id = pick(members);
          const reuse = vouchers.length > 0 && rand() < 0.3;
          const code = reuse ? pick(vouchers) : `VC-${nextVoucher++}`;
          const amount = 1000 * (1 + Math.floor(rand() * 50));
          const res = await call(sb, rand() < 0.5 ? P.voucher : P.voucher2, {
            voucher_code: code,
            amount: String(amount),
            description: `op ${op}`,
            id_member_receipt: id,
          });
          if (reuse) {
            assert.deepEqual(res.json, { status: 'fail', message: 'Voucher already used' }, why(`op ${op}`));
          } else {
            assert.equal(res.json.status, 'success', why(`op ${op}`));
            vouchers.push(code);
            model.set(id, model.get(id)! + amount);
          }
        } else if (pays.size > 0) {
          const order = pick([...pays.keys()]);
          const pay = pays.get(order)!;
          const wrongMember = rand() < 0.15;
          const asMember = wrongMember ? pick(members.filter((m) => m !== pay.member)) : pay.member;
          const inquiry = await call(sb, P.refund, { id_order: order, id_member: asMember });
          if (wrongMember) {
            assert.deepEqual(inquiry.json, { status: 'fail', message: 'data not found' }, why(`op ${op}`));
            continue;
          }
          if (pay.refunded) {
            assert.match(
              inquiry.json.message,
              new RegExp(`^refund existing, id_trans:${pay.idTrans}, order_id:${order},`),
              why(`op ${op}`),
            );
          } else {
            assert.equal(inquiry.json.status, 'success', why(`op ${op}`));
            pay.idTrans = inquiry.json.data[0].id_trans;
            assert.equal(inquiry.json.data[0].credit, pay.amount, why(`op ${op}`));
          }
          if (kind === 'refund') continue;
          const wrongTrans = rand() < 0.15;
          const res = await call(sb, P.refundAccept, {
            id_order: order,
            id_member: pay.member,
            id_trans: wrongTrans ? pay.idTrans! + 100000 : rand() < 0.5 ? pay.idTrans! : String(pay.idTrans),
            note: `op ${op}`,
          });
          if (wrongTrans) {
            assert.deepEqual(res.json, { status: 'fail', message: 'data not found' }, why(`op ${op}`));
          } else if (pay.refunded) {
            assert.match(
              res.json.message,
              new RegExp(`^refund existing, id_trans:${pay.idTrans},`),
              why(`op ${op}`),
            );
          } else {
            assert.deepEqual(
              res.json,
              { status: 'success', message: `success refund saldo for member ${pay.member}!` },
              why(`op ${op}`),
            );
            pay.refunded = true;
            model.set(pay.member, model.get(pay.member)! + pay.amount);
            expectedRefunds += 1;
          }
        }
      }

      const view = await ledger(sb);
      assert.equal(view.balanced, true, why(view.problems.join('; ')));
      assert.equal(
        Object.values(view.balances).reduce((sum, b) => sum + b, 0),
        0,
        why('all balances, external sources included, sum to zero'),
      );
      for (const entry of view.entries) {
        const debits = entry.lines.reduce((sum, l) => sum + l.debit, 0);
        const credits = entry.lines.reduce((sum, l) => sum + l.credit, 0);
        assert.equal(debits, credits, why(`entry ${entry.id}`));
      }
      for (const id of members) {
        const account = `member:${id}`;
        assert.equal(view.balances[account], model.get(id), why(`balance of ${id}`));
        assert.equal(journalSum(view, account), model.get(id), why(`journal sum of ${id}`));
        const saldo = await call(sb, P.checkSaldo, { id_member: id });
        assert.equal(saldo.json.last_saldo, `${model.get(id)}.00`, why(`check_saldo of ${id}`));
        const history = JSON.parse(
          (await call(sb, P.history, { id_member: id, startdate: '', enddate: '' })).json.transaction,
        );
        const last = history[history.length - 1];
        assert.equal(last?.balance ?? '0.00', `${model.get(id)}.00`, why(`history of ${id}`));
      }
      const inEscrow = [...pays.values()].filter((p) => !p.refunded).reduce((sum, p) => sum + p.amount, 0);
      assert.equal(view.escrow, inEscrow, why('escrow holds exactly the unrefunded pays'));
      assert.equal(journalSum(view, 'ESCROW'), inEscrow, why('escrow journal sum'));
      const s = await stats(sb);
      assert.equal(s.pays, expectedPays, why('pays'));
      assert.equal(s.refundAccepts, expectedRefunds, why('refundAccepts'));
      assert.ok(expectedPays > 10 && expectedRefunds > 0, why('the sequence exercised pays and refunds'));
    });

    it('funding a member through control is a SEED movement, and setting a lower balance moves it back', async () => {
      const created = await control(sb, 'POST', '/klink/members', { id_member: 'S1', balance: 7000 });
      assert.deepEqual(
        [created.status, created.json],
        [201, { id_member: 'S1', created: true, balance: 7000 }],
      );
      const lowered = await control(sb, 'POST', '/klink/members', { id_member: 'S1', balance: 2000 });
      assert.deepEqual([lowered.status, lowered.json.balance], [200, 2000]);
      const view = await ledger(sb);
      assert.deepEqual(
        view.entries.map((e) => [e.kind, e.lines]),
        [
          [
            'seed',
            [
              { account: 'SEED', debit: 0, credit: 7000 },
              { account: 'member:S1', debit: 7000, credit: 0 },
            ],
          ],
          [
            'seed',
            [
              { account: 'member:S1', debit: 0, credit: 5000 },
              { account: 'SEED', debit: 5000, credit: 0 },
            ],
          ],
        ],
      );
      assert.equal(view.balances.SEED, -2000);
      assert.equal((await control(sb, 'GET', '/klink/members/nobody')).status, 404);
      assert.equal(
        (await control(sb, 'POST', '/klink/members', { id_member: 'S1', balance: -1 })).status,
        400,
      );
    });

    it('reset clears members, money, tokens and counters', async () => {
      await member(sb, 'Z1', 1000);
      await call(sb, P.pay, payBody('Z1', '1000', 'ORD-Z'));
      await control(sb, 'POST', '/reset', {});
      assert.equal((await call(sb, P.checkSaldo, { id_member: 'Z1' })).status, 401, 'the token is gone');
      session = await login(sb);
      assert.deepEqual((await call(sb, P.checkSaldo, { id_member: 'Z1' })).json.message, 'Member not found');
      const view = await ledger(sb);
      assert.deepEqual([view.entries, view.escrow, view.balanced], [[], 0, true]);
      const s = await stats(sb);
      assert.deepEqual([s.pays, s.logins, s.byOrder], [0, 1, {}]);
    });
  });
});

describe('klink GoPay actions against the sandbox (/midtrans)', () => {
  const SERVER_KEY = 'SB-Mid-server-test-key';
  const MIDTRANS_BASE = 'http://midtrans-host.test:8090/';
  let sb: Sandbox;

  before(async () => {
    sb = await startSandbox({
      klink: {
        email: EMAIL,
        password: PASSWORD,
        pidKey: 'pid-key-for-tests',
        midtransBaseUrl: MIDTRANS_BASE,
        midtransServerKey: SERVER_KEY,
      },
    });
  });
  after(async () => {
    await sb.app.close();
  });
  beforeEach(async () => {
    assert.equal((await control(sb, 'POST', '/reset', {})).status, 200);
    session = await login(sb);
  });

  const basic = (key: string, password = '') =>
    `Basic ${Buffer.from(`${key}:${password}`).toString('base64')}`;

  /** A GoPay order (gross 2000.00) and its actions by name. */
  async function gopay(
    orderId: string,
  ): Promise<{ id: string; actions: Record<string, { url: string; method: string }> }> {
    const res = await call(sb, P.payServiceMidtrans, serviceBody(orderId, 'gopay', 'e_money'));
    assert.equal(res.json.data?.status_code, '201', JSON.stringify(res.json));
    const actions = Object.fromEntries(
      (res.json.data.actions as Array<{ name: string; url: string; method: string }>).map((a) => [a.name, a]),
    );
    return { id: res.json.data.transaction_id as string, actions };
  }

  /** Calls an action URL on this sandbox (its host is the configured one, not the test's port). */
  async function action(
    a: { url: string; method: string },
    authorization: string | null = basic(SERVER_KEY),
  ): Promise<JsonResponse> {
    const url = new URL(a.url);
    const headers: Record<string, string> = {};
    if (authorization !== null) headers.authorization = authorization;
    if (a.method === 'POST') headers['content-type'] = 'application/json';
    const res = await fetch(`${sb.base}${url.pathname}`, {
      method: a.method,
      headers,
      body: a.method === 'POST' ? '{}' : undefined,
    });
    return { status: res.status, json: await res.json() };
  }

  it('points the actions at midtransBaseUrl/midtrans; status goes pending -> settlement after customer-pays', async () => {
    const { id, actions } = await gopay('GA-1');
    assert.equal(
      actions['generate-qr-code']!.url,
      `http://midtrans-host.test:8090/midtrans/v2/gopay/${id}/qr-code`,
    );
    assert.match(actions['deeplink-redirect']!.url, /^gojek:\/\/gopay\/merchanttransfer\?/);
    assert.deepEqual(actions['get-status'], {
      url: `http://midtrans-host.test:8090/midtrans/v2/${id}/status`,
      name: 'get-status',
      method: 'GET',
    });
    assert.deepEqual(actions.cancel, {
      url: `http://midtrans-host.test:8090/midtrans/v2/${id}/cancel`,
      name: 'cancel',
      method: 'POST',
    });

    const pending = await action(actions['get-status']!);
    assert.equal(pending.status, 200);
    assert.equal(pending.json.status_code, '201');
    assert.equal(pending.json.transaction_status, 'pending');
    assert.equal(pending.json.transaction_id, id);
    assert.equal(pending.json.order_id, 'GA-1');
    assert.equal(pending.json.gross_amount, '2000.00');
    assert.equal(pending.json.payment_type, 'gopay');

    assert.equal((await control(sb, 'POST', '/klink/customer-pays', { order_id: 'GA-1' })).status, 201);
    const settled = await action(actions['get-status']!);
    assert.equal(settled.status, 200);
    assert.equal(settled.json.status_code, '200');
    assert.equal(settled.json.transaction_status, 'settlement');
  });

  it('cancel of a pending charge cancels the order (and again answers the same); after payment it is 412', async () => {
    const { id, actions } = await gopay('GA-2');
    const cancelled = await action(actions.cancel!);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.json));
    assert.equal(cancelled.json.status_code, '200');
    assert.equal(cancelled.json.transaction_status, 'cancel');
    assert.equal(cancelled.json.transaction_id, id);
    assert.equal(cancelled.json.order_id, 'GA-2');
    const again = await action(actions.cancel!);
    assert.deepEqual([again.status, again.json.transaction_status], [200, 'cancel']);
    const status = await action(actions['get-status']!);
    assert.deepEqual([status.json.status_code, status.json.transaction_status], ['200', 'cancel']);
    const [order] = (await control(sb, 'GET', '/klink/orders?order_id=GA-2')).json;
    assert.equal(order.status, 'cancelled');

    const paid = await gopay('GA-3');
    assert.equal((await control(sb, 'POST', '/klink/customer-pays', { order_id: 'GA-3' })).status, 201);
    const refused = await action(paid.actions.cancel!);
    assert.equal(refused.status, 412);
    assert.deepEqual(refused.json, {
      status_code: '412',
      status_message: 'Merchant cannot modify the status of the transaction',
    });
    assert.equal((await action(paid.actions['get-status']!)).json.transaction_status, 'settlement');
  });

  it('refuses a missing or wrong server key (401) and an unknown transaction (404)', async () => {
    const { actions } = await gopay('GA-4');
    const denied = { status_code: '401', status_message: 'Access denied' };
    for (const authorization of [
      null,
      basic('SB-Mid-server-wrong'),
      basic(SERVER_KEY, 'not-empty'),
      SERVER_KEY,
    ]) {
      for (const a of [actions['get-status']!, actions.cancel!]) {
        const res = await action(a, authorization);
        assert.deepEqual([res.status, res.json], [401, denied], `${a.method} with ${authorization}`);
      }
    }
    const [order] = (await control(sb, 'GET', '/klink/orders?order_id=GA-4')).json;
    assert.equal(order.status, 'pending', 'a refused cancel changes nothing');
    const unknown = await action({ url: 'http://x/midtrans/v2/no-such-id/status', method: 'GET' });
    assert.deepEqual(
      [unknown.status, unknown.json],
      [404, { status_code: '404', status_message: "Transaction doesn't exist." }],
    );
  });

  it('customer-pays on a cancelled charge is 409 unless late: true (then it settles)', async () => {
    const { actions } = await gopay('GA-5');
    assert.equal((await action(actions.cancel!)).status, 200);
    const refused = await control(sb, 'POST', '/klink/customer-pays', { order_id: 'GA-5' });
    assert.equal(refused.status, 409, JSON.stringify(refused.json));
    const late = await control(sb, 'POST', '/klink/customer-pays', { order_id: 'GA-5', late: true });
    assert.equal(late.status, 201, JSON.stringify(late.json));
    assert.equal(late.json.late, true);
    assert.equal(late.json.webhook, 'klink.gopay');
    assert.equal((await action(actions['get-status']!)).json.transaction_status, 'settlement');
    assert.equal(
      (await control(sb, 'POST', '/klink/customer-pays', { order_id: 'GA-5', late: true })).status,
      409,
    );
    assert.equal((await ledger(sb)).balanced, true);
  });
});

describe('klink state file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-klink-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps members, money, escrow, vouchers, orders, tokens and counters across a restart', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startSandbox({ stateFile });
    let payTrans: number | undefined;
    try {
      session = await login(first);
      await call(first, P.registerVa, { id_member: 'P1', name: 'Persist', hp: '0812', email: 'p@x.id' });
      await member(first, 'P1', 100000);
      await call(first, P.voucher, {
        voucher_code: 'KEEP',
        amount: '5000',
        description: '',
        id_member_receipt: 'P1',
      });
      await call(first, P.pay, payBody('P1', '30000', 'ORD-KEEP'));
      await call(first, P.pay, payBody('P1', '20000', 'ORD-DONE'));
      const idTrans = (await call(first, P.refund, { id_order: 'ORD-DONE', id_member: 'P1' })).json.data[0]
        .id_trans;
      await call(first, P.refundAccept, {
        id_order: 'ORD-DONE',
        id_member: 'P1',
        id_trans: idTrans,
        note: 'n',
      });
      payTrans = (await call(first, P.refund, { id_order: 'ORD-KEEP', id_member: 'P1' })).json.data[0]
        .id_trans;
      await call(first, P.payService, serviceBody('SVC-KEEP', '014', 'BCAATM'));
    } finally {
      await first.app.close();
    }
    assert.ok(JSON.parse(readFileSync(stateFile, 'utf8')).klink, 'a klink section in the state file');

    const second = await startSandbox({ stateFile });
    try {
      // The session survives: a client does not have to log in again after a sandbox restart.
      const saldo = await call(second, P.checkSaldo, { id_member: 'P1' });
      assert.equal(saldo.status, 200);
      assert.equal(saldo.json.last_saldo, '75000.00');
      assert.equal((await call(second, P.reconcile, { id_order: 'ORD-KEEP' })).json.status, 'success');
      assert.equal(
        (await call(second, P.pay, payBody('P1', '1', 'ORD-KEEP'))).json.message,
        'ID Order ORD-KEEP already exists',
      );
      assert.equal(
        (
          await call(second, P.voucher, {
            voucher_code: 'KEEP',
            amount: '1',
            description: '',
            id_member_receipt: 'P1',
          })
        ).json.message,
        'Voucher already used',
      );
      const done = await call(second, P.refundAccept, {
        id_order: 'ORD-DONE',
        id_member: 'P1',
        id_trans: 1,
        note: 'n',
      });
      assert.equal(done.json.message, 'data not found', 'id_trans 1 is not the pay');
      const refunded = await call(second, P.refund, { id_order: 'ORD-DONE', id_member: 'P1' });
      assert.match(
        refunded.json.message,
        /^refund existing, id_trans:\d+, order_id:ORD-DONE, member_id:P1, /,
      );
      const accept = await call(second, P.refundAccept, {
        id_order: 'ORD-KEEP',
        id_member: 'P1',
        id_trans: payTrans,
        note: 'n',
      });
      assert.equal(accept.json.status, 'success');
      assert.equal(await balance(second, 'P1'), 105000);
      const view = await ledger(second);
      assert.equal(view.balanced, true);
      assert.equal(view.escrow, 0);
      const nextPay = await call(second, P.pay, payBody('P1', '1000', 'ORD-NEW'));
      assert.equal(nextPay.json.status, 'success');
      const ids = (await ledger(second)).entries.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'id_trans keep counting after a restart');
      assert.equal(
        (await call(second, P.payService, serviceBody('SVC-KEEP', '014', 'BCAATM'))).json.status,
        'failed',
      );
      const s = await stats(second);
      assert.equal(s.logins, 1);
      assert.deepEqual(s.byOrder['ORD-DONE'], { payRequests: 1, pays: 1, refundAccepts: 1 });
      const va = (await control(second, 'GET', '/klink/members/P1')).json.va_numbers;
      assert.match(va['014'], /^\d{16}$/);
    } finally {
      await second.app.close();
    }
  });

  it('refuses to start on a journal that does not balance', async () => {
    const stateFile = join(dir, 'unbalanced.json');
    const sb = await startSandbox({ stateFile });
    try {
      await control(sb, 'POST', '/klink/members', { id_member: 'U1', balance: 1000 });
    } finally {
      await sb.app.close();
    }
    const data = JSON.parse(readFileSync(stateFile, 'utf8'));
    data.klink.ledger.entries[0].lines[1].debit = 2000;
    writeFileSync(stateFile, JSON.stringify(data));
    await assert.rejects(
      startSandbox({ stateFile }),
      /section 'klink' is invalid: .*debits 2000 != credits 1000/,
    );
  });
});

/** A small seeded PRNG, so a failing random sequence can be replayed with its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * createKLinkClient against a local HTTP server that plays K-Link with canned answers (shapes
 * from the document's examples; failure wordings from the wire contract). Every endpoint is
 * called; the bytes it sends and what it makes of the answers are checked.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createKLinkClient,
  KLinkRefundExistingError,
  type PayServiceInput,
} from '../../providers/klink/client';
import { ProviderProtocolError, ProviderRejection } from '../../providers/http/errors';

const TOKEN = 'sess-token-0123456789';
const PASSWORD = 'klink-password-xyz';

interface Canned {
  status: number;
  body: string;
  headers?: Record<string, string>;
}
const json = (status: number, value: unknown): Canned => ({ status, body: JSON.stringify(value) });
const ok = (value: Record<string, unknown>) => json(200, { status: 'success', ...value });
const fail = (message: string, status = 200) => json(status, { status: 'fail', message });

interface Seen {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  raw: string;
  body: any;
}

let server: http.Server;
let baseUrl: string;
let seen: Seen[] = [];
let logins = 0;
/** Answers per path, used in order; the last one repeats. Unlisted paths answer 404. */
let answers = new Map<string, Canned[]>();

function answer(path: string, ...canned: Canned[]): void {
  answers.set(path, canned);
}

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      if (path === '/klink/auth/login') {
        logins += 1;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', message: 'Login success', Authorization: TOKEN }));
        return;
      }
      seen.push({
        path,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        raw,
        body: raw ? JSON.parse(raw) : undefined,
      });
      const queue = answers.get(path);
      const canned =
        queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? json(404, { message: 'no route' }));
      res.writeHead(canned.status, { 'Content-Type': 'application/json', ...canned.headers });
      res.end(canned.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A base URL with a path prefix, as the sandbox's http://127.0.0.1:PORT/klink.
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/klink`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  logins = 0;
  answers = new Map();
});

// 2022-07-27 08:48:11 UTC = 15:48:11 WIB
const NOW = Date.UTC(2022, 6, 27, 8, 48, 11);

function client() {
  return createKLinkClient({
    baseUrl,
    email: 'api@merchant.id',
    password: PASSWORD,
    timeoutMs: 2000,
    now: () => NOW,
  });
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to throw');
}

async function rejection(p: Promise<unknown>): Promise<ProviderRejection> {
  const err = await rejected(p);
  assert.ok(err instanceof ProviderRejection, `expected a ProviderRejection, got ${String(err)}`);
  assert.equal(err.provider, 'klink');
  return err;
}

const P = (path: string) => `/klink${path}`;

describe('klink client: K-Wallet', () => {
  it('registerVa: sends the four fields with the raw token; reads every bank, fees as integer rupiah', async () => {
    answer(
      P('/api/kwallet/register_va'),
      ok({
        message: 'VA will be success Created!',
        data: {
          '011': {
            fee: '0.00',
            total_amount: '0.00',
            bank_code: '011',
            expiry_date_time: '2021-08-01 05:43:32',
            error_message: 'Success',
            error_code: '00',
            amount: 0,
            va_number: '9628910000000058',
            description: '',
          },
          '022': {
            fee: '3000.00',
            total_amount: '3000.00',
            bank_code: '022',
            expiry_date_time: '2021-08-01 05:43:32',
            error_message: 'Success',
            error_code: '00',
            amount: 0,
            va_number: '8079910000000058',
            description: '',
          },
          '008': { bank_code: '008', error_code: '14', error_message: 'Bank down', fee: '0.00', amount: 0 },
        },
        date: '2021-07-29 11:03:33',
        rq_uuid: 'idspaaa025-20210729110329-30',
      }),
    );
    const r = await client().registerVa({
      idMember: 'idspaaa025',
      name: 'Muammar Qathafi',
      hp: '085736064900',
      email: 'muammarqathafi@gmail.com',
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.authorization, TOKEN);
    assert.equal(seen[0]!.contentType, 'application/json');
    assert.equal(
      seen[0]!.raw,
      '{"id_member":"idspaaa025","name":"Muammar Qathafi","hp":"085736064900","email":"muammarqathafi@gmail.com"}',
    );
    assert.equal(r.message, 'VA will be success Created!');
    assert.equal(r.date, '2021-07-29 11:03:33');
    assert.equal(r.rqUuid, 'idspaaa025-20210729110329-30');
    assert.equal(r.accounts.length, 3);
    const bca = r.accounts.find((a) => a.bankCode === '022')!;
    assert.equal(bca.vaNumber, '8079910000000058');
    assert.equal(bca.fee, 3000);
    assert.equal(bca.totalAmount, 3000);
    assert.equal(bca.ok, true);
    const down = r.accounts.find((a) => a.bankCode === '008')!;
    assert.equal(down.ok, false);
    assert.equal(down.errorMessage, 'Bank down');
  });

  it('registerVa: date and rq_uuid inside data (the example has one brace too many) are read too', async () => {
    answer(
      P('/api/kwallet/register_va'),
      ok({
        message: 'VA will be success Created!',
        data: {
          '014': {
            bank_code: '014',
            error_code: '00',
            va_number: '4490591000000058',
            fee: '0.00',
            amount: 0,
          },
          date: '2021-07-29 11:03:33',
          rq_uuid: 'idspaaa025-x',
        },
      }),
    );
    const r = await client().registerVa({ idMember: 'a', name: 'b', hp: 'c', email: 'd' });
    assert.equal(r.accounts.length, 1);
    assert.equal(r.date, '2021-07-29 11:03:33');
    assert.equal(r.rqUuid, 'idspaaa025-x');
  });

  it('checkBalance: last_saldo "2000.00" -> 2000', async () => {
    answer(
      P('/api/kwallet/check_saldo'),
      ok({ message: 'Saldo berhasil ditampilkan!', last_saldo: '2000.00' }),
    );
    const r = await client().checkBalance({ idMember: 'idspaa0012' });
    assert.deepEqual(r, { balance: 2000, message: 'Saldo berhasil ditampilkan!' });
    assert.equal(seen[0]!.raw, '{"id_member":"idspaa0012"}');
  });

  it('checkBalance: "2000.50" is a ProviderProtocolError, never rounded', async () => {
    answer(P('/api/kwallet/check_saldo'), ok({ message: 'x', last_saldo: '2000.50' }));
    const err = await rejected(client().checkBalance({ idMember: 'idspaa0012' }));
    assert.ok(err instanceof ProviderProtocolError, String(err));
    assert.match(err.message, /last_saldo/);
  });

  it('checkBalance: a 5xx is retryable (a read)', async () => {
    answer(P('/api/kwallet/check_saldo'), json(503, { message: 'maintenance' }));
    const err = await rejection(client().checkBalance({ idMember: 'idspaa0012' }));
    assert.equal(err.code, 'HTTP_503');
    assert.equal(err.outcomeClass, 'retryable');
    assert.equal(err.documented, false);
  });

  it('history: parses the JSON inside `transaction`, keeping the datetimes as written', async () => {
    const transaction = JSON.stringify([
      {
        credit: '0.00',
        debit: '1000000.00',
        description: 'test',
        balance: '1000000.00',
        datetime: '2021-06-17 22: 02: 04',
      },
      {
        credit: '500000.00',
        debit: '0.00',
        description: 'XXXXX success Jubaidah Transfer Debit',
        balance: '2500000.00',
        datetime: '2021-06-17 15: 47: 00',
      },
    ]);
    answer(
      P('/api/kwallet/history_transaction'),
      ok({ message: 'Saldo berhasil ditampilkan!', transaction }),
    );
    const r = await client().history({ idMember: 'idspaa0012' });
    assert.equal(seen[0]!.raw, '{"id_member":"idspaa0012","startdate":"","enddate":""}');
    assert.deepEqual(r.transactions, [
      { datetime: '2021-06-17 22: 02: 04', description: 'test', debit: 1000000, credit: 0, balance: 1000000 },
      {
        datetime: '2021-06-17 15: 47: 00',
        description: 'XXXXX success Jubaidah Transfer Debit',
        debit: 0,
        credit: 500000,
        balance: 2500000,
      },
    ]);
  });

  it('history: bounds are sent as given; a `transaction` string that is not JSON is a ProviderProtocolError', async () => {
    answer(
      P('/api/kwallet/history_transaction'),
      ok({ message: 'x', transaction: '[{"credit": "0.00", "debit": ' }),
    );
    const err = await rejected(
      client().history({ idMember: 'm', startDate: '2021-06-01', endDate: '2021-06-30' }),
    );
    assert.ok(err instanceof ProviderProtocolError, String(err));
    assert.match(err.message, /transaction/);
    assert.deepEqual(seen[0]!.body, { id_member: 'm', startdate: '2021-06-01', enddate: '2021-06-30' });
  });

  it('history: "" is no transactions; a success without `transaction` is a ProviderProtocolError', async () => {
    answer(P('/api/kwallet/history_transaction'), ok({ message: 'x', transaction: '' }));
    assert.deepEqual((await client().history({ idMember: 'm' })).transactions, []);
    answer(P('/api/kwallet/history_transaction'), ok({ message: 'x' }));
    assert.ok((await rejected(client().history({ idMember: 'm' }))) instanceof ProviderProtocolError);
  });

  it('transfer: amount as a decimal string; the answer spells status `stutas`', async () => {
    answer(
      P('/api/kwallet/transfer_to_account'),
      json(200, { stutas: 'success', message: 'Payment transfer idspaa0012 to account idspaaa090!' }),
    );
    const r = await client().transfer({
      idMemberSend: 'idspaa0012',
      idMemberReceipt: 'idspaaa090',
      amount: 100000,
      description: 'Transfer untuk uang makan',
    });
    assert.equal(r.message, 'Payment transfer idspaa0012 to account idspaaa090!');
    assert.equal(
      seen[0]!.raw,
      '{"id_member_send":"idspaa0012","amount":"100000","description":"Transfer untuk uang makan","id_member_receipt":"idspaaa090"}',
    );
  });

  it('transfer: `stutas: "fail"` with "Saldo tidak mencukupi" -> INSUFFICIENT_BALANCE, final', async () => {
    answer(
      P('/api/kwallet/transfer_to_account'),
      json(200, { stutas: 'fail', message: 'Saldo tidak mencukupi' }),
    );
    const err = await rejection(
      client().transfer({ idMemberSend: 'a', idMemberReceipt: 'b', amount: 1, description: '' }),
    );
    assert.equal(err.code, 'INSUFFICIENT_BALANCE');
    assert.equal(err.outcomeClass, 'final');
  });

  it('transfer: a fraction of a rupiah is refused before anything is sent', async () => {
    await assert.rejects(
      client().transfer({ idMemberSend: 'a', idMemberReceipt: 'b', amount: 100.5, description: '' }),
      /integer/,
    );
    await assert.rejects(
      client().transfer({ idMemberSend: 'a', idMemberReceipt: 'b', amount: 0, description: '' }),
    );
    assert.equal(seen.length, 0);
  });

  it('voucherTopUp: the first name answers 404 -> the second name, once, with the same body', async () => {
    answer(
      P('/api/kwallet/voucher_saldo_kwallet'),
      ok({ message: 'Insert Voucher Saldo 10000 for ID Member idspaaa95913 Success!' }),
    );
    const r = await client().voucherTopUp({
      voucherCode: 'asdfkeijk',
      idMemberReceipt: 'idspaaa95913',
      amount: 10000,
      description: 'Transfer untuk uang makan',
    });
    assert.equal(r.message, 'Insert Voucher Saldo 10000 for ID Member idspaaa95913 Success!');
    assert.deepEqual(
      seen.map((s) => s.path),
      [P('/api/kwallet/voucher_saldo'), P('/api/kwallet/voucher_saldo_kwallet')],
    );
    assert.equal(seen[0]!.raw, seen[1]!.raw);
    assert.equal(
      seen[1]!.raw,
      '{"voucher_code":"asdfkeijk","amount":"10000","description":"Transfer untuk uang makan","id_member_receipt":"idspaaa95913"}',
    );
  });

  it('voucherTopUp: the first name works -> the second is never called', async () => {
    answer(P('/api/kwallet/voucher_saldo'), ok({ message: 'ok' }));
    await client().voucherTopUp({ voucherCode: 'v', idMemberReceipt: 'm', amount: 5, description: '' });
    assert.deepEqual(
      seen.map((s) => s.path),
      [P('/api/kwallet/voucher_saldo')],
    );
  });

  it('voucherTopUp: both names 404 -> HTTP_404, final', async () => {
    const err = await rejection(
      client().voucherTopUp({ voucherCode: 'v', idMemberReceipt: 'm', amount: 5, description: '' }),
    );
    assert.equal(err.code, 'HTTP_404');
    assert.equal(err.outcomeClass, 'final');
    assert.equal(seen.length, 2);
  });
});

describe('klink client: pay', () => {
  const PAY = {
    idMember: 'idspaa001',
    amount: 90000,
    idOrder: '123456789',
    description: 'Pembelian Paket Klorofil',
  };

  it('sends the documented body, amount "90000"; success returns the message', async () => {
    answer(P('/api/kwallet/pay'), ok({ message: 'Payment ID Order 123456789 Success!' }));
    const r = await client().pay(PAY);
    assert.equal(r.message, 'Payment ID Order 123456789 Success!');
    assert.equal(
      seen[0]!.raw,
      '{"id_member":"idspaa001","amount":"90000","id_order":"123456789","description":"Pembelian Paket Klorofil"}',
    );
  });

  it('a repeated id_order -> ORDER_EXISTS, already-done', async () => {
    answer(P('/api/kwallet/pay'), fail('ID Order 123456789 already exists'));
    const err = await rejection(client().pay(PAY));
    assert.equal(err.code, 'ORDER_EXISTS');
    assert.equal(err.outcomeClass, 'already-done');
    assert.equal(err.providerMessage, 'ID Order 123456789 already exists');
    assert.equal(err.operation, 'pay');
  });

  it('"Saldo tidak mencukupi" -> INSUFFICIENT_BALANCE, final', async () => {
    answer(P('/api/kwallet/pay'), fail('Saldo tidak mencukupi'));
    const err = await rejection(client().pay(PAY));
    assert.equal(err.code, 'INSUFFICIENT_BALANCE');
    assert.equal(err.outcomeClass, 'final');
  });

  it('an unknown refusal -> FAIL, final, undocumented, message kept', async () => {
    answer(P('/api/kwallet/pay'), fail('Member not active'));
    const err = await rejection(client().pay(PAY));
    assert.equal(err.code, 'FAIL');
    assert.equal(err.outcomeClass, 'final');
    assert.equal(err.documented, false);
    assert.equal(err.providerMessage, 'Member not active');
  });

  it('a 5xx -> needs-review (the money may have moved), and pay is not resent', async () => {
    answer(P('/api/kwallet/pay'), json(500, { status: 'fail', message: 'Internal Server Error' }));
    const err = await rejection(client().pay(PAY));
    assert.equal(err.code, 'HTTP_500');
    assert.equal(err.outcomeClass, 'needs-review');
    assert.equal(seen.length, 1);
  });

  it('a redirect -> needs-review as well (not followed)', async () => {
    answer(P('/api/kwallet/pay'), { status: 302, body: '', headers: { Location: '/elsewhere' } });
    const err = await rejection(client().pay(PAY));
    assert.equal(err.code, 'HTTP_302');
    assert.equal(err.outcomeClass, 'needs-review');
    assert.equal(seen.length, 1);
  });

  it('a 200 that is not JSON -> ProviderProtocolError (ambiguous)', async () => {
    answer(P('/api/kwallet/pay'), { status: 200, body: '<html>ok</html>' });
    const err = await rejected(client().pay(PAY));
    assert.ok(err instanceof ProviderProtocolError, String(err));
  });

  it('a 200 with a status that is neither success nor fail -> ProviderProtocolError', async () => {
    answer(P('/api/kwallet/pay'), json(200, { status: 'pending', message: '?' }));
    assert.ok((await rejected(client().pay(PAY))) instanceof ProviderProtocolError);
  });

  it('HTTP 400 {status:"fail"} (malformed request) -> final refusal with the message', async () => {
    answer(P('/api/kwallet/pay'), fail('amount: must be whole rupiah as a decimal string', 400));
    const err = await rejection(client().pay(PAY));
    assert.equal(err.httpStatus, 400);
    assert.equal(err.code, 'FAIL');
    assert.equal(err.outcomeClass, 'final');
  });

  it('a session refused with 401 -> one re-login and pay resent once (refused before acting)', async () => {
    answer(
      P('/api/kwallet/pay'),
      fail('Unauthorized: token invalid or expired', 401),
      ok({ message: 'Payment ID Order 123456789 Success!' }),
    );
    const c = client();
    const r = await c.pay(PAY);
    assert.equal(r.message, 'Payment ID Order 123456789 Success!');
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.raw, seen[1]!.raw);
    assert.equal(logins, 2);
    assert.equal(c.session.loginCount, 2);
  });
});

describe('klink client: reconcile and escrow refund', () => {
  const RECONCILE_DATA =
    '{"id_member":"idspaa001", "order_id":"123456789", "comm_code":"SYSTEM", "datetime":"2021-07-28 18: 32: 11", "valuedate":"2021-07-28", "description":"Pembelian Paket Klorofil", "debit":"0.00", "credit":"90000.00", "balance":"270000.00"}';

  it('reconcile: parses the JSON inside `data`', async () => {
    answer(
      P('/api/kwallet/reconcile/reconcile'),
      ok({ message: 'Reconcile ID Order 123456789 Success!', data: RECONCILE_DATA }),
    );
    const r = await client().reconcile({ idOrder: '123456789' });
    assert.equal(seen[0]!.raw, '{"id_order":"123456789"}');
    assert.deepEqual(r, {
      idMember: 'idspaa001',
      orderId: '123456789',
      commCode: 'SYSTEM',
      datetime: '2021-07-28 18: 32: 11',
      valueDate: '2021-07-28',
      description: 'Pembelian Paket Klorofil',
      debit: 0,
      credit: 90000,
      balance: 270000,
    });
  });

  it('reconcile: second name on 404', async () => {
    answer(P('/api/kwallet/reconcile'), ok({ message: 'ok', data: RECONCILE_DATA }));
    const r = await client().reconcile({ idOrder: '123456789' });
    assert.equal(r?.credit, 90000);
    assert.deepEqual(
      seen.map((s) => s.path),
      [P('/api/kwallet/reconcile/reconcile'), P('/api/kwallet/reconcile')],
    );
  });

  it('reconcile: "ID Order 123 not found" -> undefined, not an error', async () => {
    answer(P('/api/kwallet/reconcile/reconcile'), fail('ID Order 123 not found'));
    assert.equal(await client().reconcile({ idOrder: '123' }), undefined);
  });

  it('reconcile: `data` that is not JSON -> ProviderProtocolError; another refusal -> FAIL', async () => {
    answer(P('/api/kwallet/reconcile/reconcile'), ok({ message: 'x', data: '{"id_member":"idspaa001", ' }));
    assert.ok((await rejected(client().reconcile({ idOrder: '1' }))) instanceof ProviderProtocolError);
    answer(P('/api/kwallet/reconcile/reconcile'), fail('Reconcile gagal'));
    assert.equal((await rejection(client().reconcile({ idOrder: '1' }))).code, 'FAIL');
  });

  it('escrowRefund: the candidates, id_trans and credit as integers', async () => {
    answer(
      P('/api/escrow/refund'),
      ok({
        message: 'Apakah benar data yang akan direfund?',
        data: [
          {
            id_trans: 137,
            description: 'Pembelian Paket Klorofil',
            id_member: 'idspaa001',
            datetime: '2021-07-28 18:32:11',
            credit: 90000,
            id_order: '123456789',
          },
        ],
      }),
    );
    const r = await client().escrowRefund({ idOrder: '123456789', idMember: 'idspaa001' });
    assert.equal(seen[0]!.raw, '{"id_order":"123456789","id_member":"idspaa001"}');
    assert.deepEqual(r, [
      {
        idTrans: 137,
        description: 'Pembelian Paket Klorofil',
        idMember: 'idspaa001',
        datetime: '2021-07-28 18:32:11',
        credit: 90000,
        idOrder: '123456789',
      },
    ]);
  });

  it('escrowRefund: id_trans as a digit string is the same id; a non-integer id_trans is a ProviderProtocolError', async () => {
    const row = {
      description: 'd',
      id_member: 'm',
      datetime: '2021-07-28 18:32:11',
      credit: '90000.00',
      id_order: '1',
    };
    answer(P('/api/escrow/refund'), ok({ message: 'x', data: [{ ...row, id_trans: '137' }] }));
    const [c] = await client().escrowRefund({ idOrder: '1', idMember: 'm' });
    assert.equal(c!.idTrans, 137);
    assert.equal(c!.credit, 90000);
    answer(P('/api/escrow/refund'), ok({ message: 'x', data: [{ ...row, id_trans: '13.7' }] }));
    assert.ok(
      (await rejected(client().escrowRefund({ idOrder: '1', idMember: 'm' }))) instanceof
        ProviderProtocolError,
    );
  });

  it('escrowRefund: "data not found" -> NOT_FOUND, needs-review', async () => {
    answer(P('/api/escrow/refund'), fail('data not found'));
    const err = await rejection(client().escrowRefund({ idOrder: '1', idMember: 'm' }));
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.outcomeClass, 'needs-review');
  });

  it('escrowRefund: "refund existing" -> REFUND_EXISTING, already-done, with the parsed fields', async () => {
    answer(
      P('/api/escrow/refund'),
      fail(
        'refund existing, id_trans:323, order_id:123456789, member_id:idspaa001, datetime:2021-10-27 12:01:25!',
      ),
    );
    const err = await rejected(client().escrowRefund({ idOrder: '123456789', idMember: 'idspaa001' }));
    assert.ok(err instanceof KLinkRefundExistingError, String(err));
    assert.ok(err instanceof ProviderRejection);
    assert.equal(err.code, 'REFUND_EXISTING');
    assert.equal(err.outcomeClass, 'already-done');
    assert.deepEqual(err.existing, {
      idTrans: '323',
      orderId: '123456789',
      memberId: 'idspaa001',
      datetime: '2021-10-27 12:01:25',
    });
  });

  it('escrowRefund: a 5xx is retryable (it only shows what would be refunded)', async () => {
    answer(P('/api/escrow/refund'), json(502, {}));
    assert.equal(
      (await rejection(client().escrowRefund({ idOrder: '1', idMember: 'm' }))).outcomeClass,
      'retryable',
    );
  });

  it('refundAccept: id_trans (a number from escrowRefund) sent as a string; success -> refunded', async () => {
    answer(P('/api/escrow/refund-accept'), ok({ message: 'success refund saldo for member idspaa001!' }));
    const r = await client().refundAccept({
      idOrder: '123456789',
      idMember: 'idspaa001',
      idTrans: 137,
      note: 'refund dana karena dokter tidak sedang standby',
    });
    assert.deepEqual(r, { outcome: 'refunded', message: 'success refund saldo for member idspaa001!' });
    assert.equal(
      seen[0]!.raw,
      '{"id_order":"123456789","id_member":"idspaa001","id_trans":"137","note":"refund dana karena dokter tidak sedang standby"}',
    );
  });

  it('refundAccept: "refund existing" (as the document wraps it) -> already-refunded with id_trans parsed', async () => {
    const message =
      'refund existing, id_trans:323, order_id:123456789,\n\nmember_id:idspaa001, datetime:2021-10-27 12:01:25!';
    answer(P('/api/escrow/refund-accept'), fail(message));
    const r = await client().refundAccept({
      idOrder: '123456789',
      idMember: 'idspaa001',
      idTrans: '137',
      note: 'x',
    });
    assert.deepEqual(r, {
      outcome: 'already-refunded',
      message,
      idTrans: '323',
      orderId: '123456789',
      memberId: 'idspaa001',
      datetime: '2021-10-27 12:01:25',
    });
  });

  it('refundAccept: a 5xx -> needs-review (the refund may have been made)', async () => {
    answer(P('/api/escrow/refund-accept'), json(500, { message: 'oops' }));
    const err = await rejection(
      client().refundAccept({ idOrder: '1', idMember: 'm', idTrans: '1', note: '' }),
    );
    assert.equal(err.outcomeClass, 'needs-review');
  });

  it('refundAccept: "data not found" -> NOT_FOUND, needs-review', async () => {
    answer(P('/api/escrow/refund-accept'), fail('data not found'));
    const err = await rejection(
      client().refundAccept({ idOrder: '1', idMember: 'm', idTrans: '1', note: '' }),
    );
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.outcomeClass, 'needs-review');
  });
});

const BCA_VA = {
  bankCode: '014',
  bankDesc: 'BANK BCA',
  bankDisplayNm: 'BANK BCA',
  bank_pemilik: '',
  bankacc: 0,
  cabang: '',
  charge_admin: '0',
  charge_connectivity: '0',
  id: 42,
  img_url: 'https://www.k-net.co.id/asset/images/payment_img/ic_payment_bca.png',
  install_12: '0',
  install_6: '0',
  is_installment: '0',
  kategori: 'Transfer Bank (VA)',
  productCode: 'BCAATM',
  productName: 'BCA VA Online',
  status: '1',
};
const GOPAY = {
  bankCode: 'gopay',
  bankDesc: 'GOPAY',
  bankDisplayNm: 'GOPAY',
  bank_pemilik: null,
  bankacc: null,
  cabang: null,
  cara_bayar: null,
  charge_admin: '2500',
  charge_connectivity: '0',
  id: 1,
  img_url: null,
  install_12: null,
  install_6: null,
  is_installment: null,
  kategori: null,
  productCode: 'e_money',
  productName: 'E-Money',
  status: '1',
};

const PAY_SERVICE: PayServiceInput = {
  rqUuid: 'klnu01968',
  orderId: 'klnu0197',
  noHp: '085736064900',
  fullname: 'Almeera Salsabila',
  email: 'Almeera@gmail.com',
  bankCode: 'gopay',
  productCode: 'e_wallets',
  nominal: 1500,
  payShip: 500,
};
const PAY_SERVICE_RAW =
  '{"rq_uuid":"klnu01968","rq_datetime":"2022-07-27 15:48:11","order_id":"klnu0197","no_hp":"085736064900","fullname":"Almeera Salsabila","email":"Almeera@gmail.com","bank_code":"gopay","product_code":"e_wallets","nominal":"1500","pay_ship":"500"}';

describe('klink client: Service Payment VA / CC', () => {
  it('listBank: sends {} ("Send: Null"); a body with no status is success; rows typed', async () => {
    answer(P('/api/list_bank'), json(200, { data: [BCA_VA] }));
    const banks = await client().listBank();
    assert.equal(seen[0]!.raw, '{}');
    assert.equal(seen[0]!.authorization, TOKEN);
    assert.equal(banks.length, 1);
    const b = banks[0]!;
    assert.equal(b.bankCode, '014');
    assert.equal(b.productCode, 'BCAATM');
    assert.equal(b.displayName, 'BANK BCA');
    assert.equal(b.category, 'Transfer Bank (VA)');
    assert.equal(b.chargeAdmin, 0);
    assert.equal(b.active, true);
    assert.equal(b.isInstallment, false);
    assert.equal(b.accountNumber, '0');
  });

  it('listBank: second name /api/listbank on 404', async () => {
    answer(P('/api/listbank'), json(200, { data: [BCA_VA] }));
    assert.equal((await client().listBank()).length, 1);
    assert.deepEqual(
      seen.map((s) => s.path),
      [P('/api/list_bank'), P('/api/listbank')],
    );
  });

  it('payService: manual transfer (kd_pay, kode_unik, totals) and the request with a WIB rq_datetime', async () => {
    answer(
      P('/api/pay_service'),
      ok({
        message: 'Payment Request has been success!',
        data: {
          is_va: 0,
          kd_pay: '174',
          kd_ref: 'KLREF0000000001',
          kode_unik: 765,
          koneksi: 1,
          pay_ship: '500',
          total_bayar: '2765',
          total_belanja: '1500',
          norek: '1190000879898',
        },
      }),
    );
    const r = await client().payService({ ...PAY_SERVICE, bankCode: '008', productCode: 'MANDIRI_MANUAL' });
    assert.equal(
      seen[0]!.raw,
      PAY_SERVICE_RAW.replace('"gopay"', '"008"').replace('"e_wallets"', '"MANDIRI_MANUAL"'),
    );
    assert.deepEqual(r, {
      kind: 'manual',
      kdPay: '174',
      kdRef: 'KLREF0000000001',
      kodeUnik: 765,
      totalBayar: 2765,
      totalBelanja: 1500,
      payShip: 500,
      norek: '1190000879898',
      connected: true,
      message: 'Payment Request has been success!',
    });
  });

  it('payService: card redirect (url_pay)', async () => {
    answer(
      P('/api/pay_service'),
      ok({ message: 'ok', data: { url_pay: 'https://pay.example/cc/abc', is_va: '0' } }),
    );
    const r = await client().payService({ ...PAY_SERVICE, rqDatetime: '2022-07-21 15:28:11' });
    assert.deepEqual(r, {
      kind: 'redirect',
      urlPay: 'https://pay.example/cc/abc',
      isVa: false,
      message: 'ok',
    });
    assert.equal(seen[0]!.body.rq_datetime, '2022-07-21 15:28:11');
  });

  it('payService: VA (is_va 1 and va_number)', async () => {
    answer(
      P('/api/pay_service'),
      ok({
        message: 'ok',
        data: {
          is_va: 1,
          va_number: '8920890000000001',
          kd_pay: '1',
          total_bayar: '2000',
          total_belanja: '1500',
        },
      }),
    );
    const r = await client().payService(PAY_SERVICE);
    assert.equal(r.kind, 'va');
    assert.ok(r.kind === 'va');
    assert.equal(r.vaNumber, '8920890000000001');
    assert.equal(r.totalBayar, 2000);
  });

  it('payService: a VA answer without a number -> ProviderProtocolError (kd_pay is not taken as one)', async () => {
    answer(
      P('/api/pay_service'),
      ok({ message: 'ok', data: { is_va: 1, kd_pay: '1', total_bayar: '2000' } }),
    );
    const err = await rejected(client().payService(PAY_SERVICE));
    assert.ok(err instanceof ProviderProtocolError, String(err));
    assert.match(err.message, /VA number/);
  });

  it('payService: "failed" with a bank_code not in list bank -> BANK_CODE_INVALID, final', async () => {
    answer(
      P('/api/pay_service'),
      json(200, { status: 'failed', message: 'bank_code tidak sesuai dengan list bank' }),
    );
    const err = await rejection(client().payService(PAY_SERVICE));
    assert.equal(err.code, 'BANK_CODE_INVALID');
    assert.equal(err.outcomeClass, 'final');
  });

  it('payService: second name /api/pay_service_new on 404; a 5xx there -> needs-review', async () => {
    answer(P('/api/pay_service_new'), json(500, {}));
    const err = await rejection(client().payService(PAY_SERVICE));
    assert.equal(err.outcomeClass, 'needs-review');
    assert.deepEqual(
      seen.map((s) => s.path),
      [P('/api/pay_service'), P('/api/pay_service_new')],
    );
  });
});

const MIDTRANS_OK = {
  status: 'success',
  message: 'Payment Request has been success!',
  data_input: {
    rq_datetime: '2022-07-27 15:48:11',
    nominal: '1500',
    bank_code: 'gopay',
    order_id: 'klnu01978',
  },
  data: {
    bank_code: 'gopay',
    product_code: 'e_wallets',
    rq_uuid: 'klnu01978',
    fraud_status: 'accept',
    order_id: 'klnu01978',
    status_code: '201',
    gross_amount: '2000.00',
    transaction_time: '2022-07-27 17:18:51',
    actions: [
      {
        url: 'https://api.veritrans.co.id/v2/gopay/c91bcecf-7528-4b29-aef1-8cdf8fffc187/qr-code',
        name: 'generate-qr-code',
        method: 'GET',
      },
      {
        url: 'gojek://gopay/merchanttransfer?tref=0520220727101851g3U3EUbHY1ID&amount=2000&activity=GP:RR&callback_url=someapps%3A%2F%2Fcallback%3Forder_id%3Dklnu01978',
        name: 'deeplink-redirect',
        method: 'GET',
      },
      {
        url: 'https://api.veritrans.co.id/v2/c91bcecf-7528-4b29-aef1-8cdf8fffc187/status',
        name: 'get-status',
        method: 'GET',
      },
      {
        url: 'https://api.veritrans.co.id/v2/c91bcecf-7528-4b29-aef1-8cdf8fffc187/cancel',
        name: 'cancel',
        method: 'POST',
      },
    ],
    email: 'Almeera@gmail.com',
    pay_ship: '500',
    currency: 'IDR',
    rq_datetime: '2022-07-27 15:48:11',
    nominal: '1500',
    payment_type: 'gopay',
    transaction_status: 'pending',
    fullname: 'Almeera Salsabila',
    merchant_id: 'G798896536',
    status_message: 'GoPay transaction is created',
    no_hp: '085736064900',
    transaction_id: 'c91bcecf-7528-4b29-aef1-8cdf8fffc187',
  },
};

describe('klink client: GoPay via Midtrans', () => {
  it('listBankMidtrans: nominal and pay_ship as decimal strings; nulls read', async () => {
    answer(P('/api/list_bank_midtrans'), json(200, { data: [GOPAY] }));
    const banks = await client().listBankMidtrans({ nominal: 1000000, payShip: 5000 });
    assert.equal(seen[0]!.raw, '{"nominal":"1000000","pay_ship":"5000"}');
    assert.equal(banks[0]!.bankCode, 'gopay');
    assert.equal(banks[0]!.chargeAdmin, 2500);
    assert.equal(banks[0]!.installment12, false);
    assert.equal(banks[0]!.accountNumber, undefined);
    assert.equal(banks[0]!.category, undefined);
  });

  it('payServiceMidtrans 201: transaction id, gross amount as integer, and the four actions with methods', async () => {
    answer(P('/api/pay_service_midtrans'), json(200, MIDTRANS_OK));
    const r = await client().payServiceMidtrans(PAY_SERVICE);
    assert.equal(seen[0]!.raw, PAY_SERVICE_RAW);
    assert.equal(r.statusCode, '201');
    assert.equal(r.transactionId, 'c91bcecf-7528-4b29-aef1-8cdf8fffc187');
    assert.equal(r.transactionStatus, 'pending');
    assert.equal(r.grossAmount, 2000);
    assert.equal(r.nominal, 1500);
    assert.equal(r.payShip, 500);
    assert.equal(r.orderId, 'klnu01978');
    assert.deepEqual(r.qrCode, {
      name: 'generate-qr-code',
      method: 'GET',
      url: 'https://api.veritrans.co.id/v2/gopay/c91bcecf-7528-4b29-aef1-8cdf8fffc187/qr-code',
    });
    assert.match(r.deeplink!.url, /^gojek:\/\/gopay\/merchanttransfer\?/);
    assert.equal(r.status!.method, 'GET');
    assert.deepEqual(r.cancel, {
      name: 'cancel',
      method: 'POST',
      url: 'https://api.veritrans.co.id/v2/c91bcecf-7528-4b29-aef1-8cdf8fffc187/cancel',
    });
    assert.equal(r.actions.length, 4);
    assert.equal(r.message, 'Payment Request has been success!');
  });

  it('payServiceMidtrans: gross_amount "2000.50" -> ProviderProtocolError', async () => {
    answer(
      P('/api/pay_service_midtrans'),
      json(200, { ...MIDTRANS_OK, data: { ...MIDTRANS_OK.data, gross_amount: '2000.50' } }),
    );
    assert.ok((await rejected(client().payServiceMidtrans(PAY_SERVICE))) instanceof ProviderProtocolError);
  });

  const ROWS = [
    {
      code: '401',
      message: 'Access denied due to unauthorized transaction, please check client or server key',
      expect: 'MIDTRANS_ACCESS_DENIED',
      cls: 'final',
    },
    {
      code: '406',
      message: 'order_id has been paid and utilized, please use another order ID',
      expect: 'MIDTRANS_ORDER_ID_USED',
      cls: 'already-done',
    },
    {
      code: '503',
      message: 'Bank/partner is experiencing connection issue.',
      expect: 'MIDTRANS_PARTNER_UNAVAILABLE',
      cls: 'retryable',
    },
    { code: '05', message: 'Do not honor', expect: 'MIDTRANS_DO_NOT_HONOR', cls: 'final' },
    { code: '900', message: 'GENERIC_SERVICE_ERROR', expect: 'MIDTRANS_GENERIC_ERROR', cls: 'needs-review' },
  ];
  for (const row of ROWS) {
    it(`payServiceMidtrans status_code ${row.code} -> ${row.expect} (${row.cls}), no re-login`, async () => {
      answer(
        P('/api/pay_service_midtrans'),
        json(200, {
          status: 'fail',
          message: 'Payment Request failed',
          data: { status_code: row.code, status_message: row.message },
        }),
      );
      const c = client();
      const err = await rejection(c.payServiceMidtrans(PAY_SERVICE));
      assert.equal(err.code, row.expect);
      assert.equal(err.outcomeClass, row.cls);
      assert.equal(err.providerMessage, row.message);
      assert.equal(err.documented, true);
      // Midtrans' 401 is about K-Link's server key, not our session: one call, one login.
      assert.equal(seen.length, 1);
      assert.equal(c.session.loginCount, 1);
    });
  }

  it('payServiceMidtrans: an unlisted status_code -> needs-review, undocumented', async () => {
    answer(
      P('/api/pay_service_midtrans'),
      json(200, { status: 'success', message: 'x', data: { status_code: '202' } }),
    );
    const err = await rejection(client().payServiceMidtrans(PAY_SERVICE));
    assert.equal(err.code, 'MIDTRANS_202');
    assert.equal(err.outcomeClass, 'needs-review');
    assert.equal(err.documented, false);
  });

  it('payServiceMidtrans: a K-Link fail without a Midtrans code is classified by its message', async () => {
    answer(P('/api/pay_service_midtrans'), fail('order_id klnu0197 already exists'));
    const err = await rejection(client().payServiceMidtrans(PAY_SERVICE));
    assert.equal(err.code, 'ORDER_EXISTS');
    assert.equal(err.outcomeClass, 'needs-review');
  });
});

describe('klink client: secrets', () => {
  it('the password and token never reach an error, even when K-Link echoes them', async () => {
    answer(P('/api/kwallet/pay'), fail(`bad request from ${PASSWORD} with ${TOKEN}`, 400));
    const err = await rejection(client().pay({ idMember: 'm', amount: 1, idOrder: 'o', description: '' }));
    for (const text of [err.message, err.providerMessage, err.stack ?? '']) {
      assert.ok(!text.includes(PASSWORD), text);
      assert.ok(!text.includes(TOKEN), text);
    }
  });
});

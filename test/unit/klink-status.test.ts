/** The one K-Link outcome table: every row reached by its own wording, and "refund existing" parsed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KLINK_AMBIGUOUS_CLASS,
  KLINK_OUTCOMES,
  classifyFailMessage,
  classifyMidtransStatusCode,
  parseRefundExisting,
  type KLinkOperation,
} from '../../providers/klink/status';

/** Each row, the operation and the wording that must reach it, and the class it must give. */
const ROWS: Array<{ code: string; op: KLinkOperation; message: string; class: string }> = [
  { code: 'LOGIN_FAILED', op: 'login', message: 'Email atau password salah', class: 'final' },
  {
    code: 'REFUND_EXISTING',
    op: 'refundAccept',
    message:
      'refund existing, id_trans:323, order_id:123456789, member_id:idspaa001, datetime:2021-10-27 12:01:25!',
    class: 'already-done',
  },
  { code: 'ORDER_EXISTS', op: 'pay', message: 'ID Order 123456789 already exists', class: 'already-done' },
  {
    code: 'ORDER_EXISTS',
    op: 'payService',
    message: 'order_id klnu0197 already exists',
    class: 'needs-review',
  },
  { code: 'INSUFFICIENT_BALANCE', op: 'pay', message: 'Saldo tidak mencukupi', class: 'final' },
  { code: 'NOT_FOUND', op: 'escrowRefund', message: 'data not found', class: 'needs-review' },
  { code: 'NOT_FOUND', op: 'reconcile', message: 'ID Order 123 not found', class: 'final' },
  {
    code: 'BANK_CODE_INVALID',
    op: 'payService',
    message: 'bank_code tidak sesuai dengan list bank',
    class: 'final',
  },
  {
    code: 'TOKEN_REJECTED',
    op: 'pay',
    message: 'Unauthorized: token invalid or expired',
    class: 'retryable',
  },
];
const MIDTRANS: Array<{ statusCode: string; code: string; class: string }> = [
  { statusCode: '201', code: 'MIDTRANS_WAITING_PAYMENT', class: 'pending' },
  { statusCode: '401', code: 'MIDTRANS_ACCESS_DENIED', class: 'final' },
  { statusCode: '406', code: 'MIDTRANS_ORDER_ID_USED', class: 'already-done' },
  { statusCode: '503', code: 'MIDTRANS_PARTNER_UNAVAILABLE', class: 'retryable' },
  { statusCode: '05', code: 'MIDTRANS_DO_NOT_HONOR', class: 'final' },
  { statusCode: '900', code: 'MIDTRANS_GENERIC_ERROR', class: 'needs-review' },
];

describe('klink status table', () => {
  for (const row of ROWS) {
    it(`${row.op} "${row.message.slice(0, 40)}" -> ${row.code} (${row.class})`, () => {
      const c = classifyFailMessage(row.op, row.message);
      assert.equal(c.code, row.code);
      assert.equal(c.class, row.class);
    });
  }
  for (const row of MIDTRANS) {
    it(`Midtrans status_code ${row.statusCode} -> ${row.code} (${row.class})`, () => {
      const c = classifyMidtransStatusCode(row.statusCode);
      assert.equal(c.code, row.code);
      assert.equal(c.class, row.class);
      assert.equal(c.documented, true, 'the document lists every one of these codes');
    });
  }

  it('every row of the table is reached by the cases above (none is dead)', () => {
    const reached = new Set<unknown>();
    for (const r of ROWS) reached.add(classifyFailMessage(r.op, r.message));
    for (const r of MIDTRANS) reached.add(classifyMidtransStatusCode(r.statusCode));
    const dead = KLINK_OUTCOMES.filter((row) => !reached.has(row)).map(
      (r) => `${r.code} ${JSON.stringify(r.match)}`,
    );
    assert.deepEqual(dead, []);
  });

  it('variants of the wordings reach the same rows', () => {
    assert.equal(classifyFailMessage('pay', 'Duplicate id_order').code, 'ORDER_EXISTS');
    assert.equal(classifyFailMessage('pay', 'ID Order sudah ada').code, 'ORDER_EXISTS');
    assert.equal(classifyFailMessage('transfer', 'saldo tidak cukup').code, 'INSUFFICIENT_BALANCE');
    assert.equal(classifyFailMessage('refundAccept', 'Data tidak ditemukan').code, 'NOT_FOUND');
    assert.equal(classifyFailMessage('checkBalance', 'Session expired').code, 'TOKEN_REJECTED');
    assert.equal(classifyFailMessage('history', 'unauthorised').code, 'TOKEN_REJECTED');
    assert.equal(classifyFailMessage('escrowRefund', 'REFUND EXISTING, id_trans: 1').code, 'REFUND_EXISTING');
  });

  it('a duplicate is ORDER_EXISTS only where the row says so (not on transfer)', () => {
    const c = classifyFailMessage('transfer', 'ID Order 1 already exists');
    assert.equal(c.code, 'FAIL');
  });

  it('an unrecognised message is FAIL, final, undocumented, never guessed', () => {
    const c = classifyFailMessage('pay', 'Voucher already used?? something new');
    assert.equal(c.code, 'FAIL');
    assert.equal(c.class, 'final');
    assert.equal(c.documented, false);
  });

  it('the business rows win over the broad token pattern (an id containing "session")', () => {
    assert.equal(classifyFailMessage('pay', 'ID Order session-42 already exists').code, 'ORDER_EXISTS');
  });

  it('an unknown Midtrans code is needs-review (a payment may exist), keeping the code', () => {
    const c = classifyMidtransStatusCode('202');
    assert.equal(c.code, 'MIDTRANS_202');
    assert.equal(c.class, 'needs-review');
    assert.equal(c.documented, false);
    assert.equal(classifyMidtransStatusCode('5').code, 'MIDTRANS_5', '5 is not "05"');
  });

  it('ambiguous answers: money-moving calls need review, reads retry', () => {
    for (const op of ['pay', 'transfer', 'voucherTopUp', 'refundAccept'] as const)
      assert.equal(KLINK_AMBIGUOUS_CLASS[op], 'needs-review', op);
    for (const op of [
      'checkBalance',
      'history',
      'reconcile',
      'listBank',
      'listBankMidtrans',
      'escrowRefund',
    ] as const)
      assert.equal(KLINK_AMBIGUOUS_CLASS[op], 'retryable', op);
  });
});

describe('klink status: parseRefundExisting', () => {
  const expected = {
    idTrans: '323',
    orderId: '123456789',
    memberId: 'idspaa001',
    datetime: '2021-10-27 12:01:25',
  };
  const variants = [
    // the document's own (wrapped as in the PDF)
    'refund existing, id_trans:323, order_id:123456789,\n\nmember_id:idspaa001, datetime:2021-10-27 12:01:25!',
    'refund existing, id_trans:323, order_id:123456789, member_id:idspaa001, datetime:2021-10-27 12:01:25!',
    'refund existing,id_trans:323,order_id:123456789,member_id:idspaa001,datetime:2021-10-27 12:01:25',
    'Refund Existing , id_trans : 323 , order_id : 123456789 , member_id : idspaa001 , datetime : 2021-10-27 12:01:25 !',
    'refund existing, id_trans: 323, order_id: 123456789, member_id: idspaa001, datetime: 2021-10-27 12:01:25!',
  ];
  for (const message of variants) {
    it(JSON.stringify(message), () => assert.deepEqual(parseRefundExisting(message), expected));
  }

  it('a datetime rendered with spaces after its colons is kept as written', () => {
    const r = parseRefundExisting(
      'refund existing, id_trans:9, order_id:X, member_id:M, datetime:2021-10-27 12: 01: 25!',
    );
    assert.equal(r?.datetime, '2021-10-27 12: 01: 25');
    assert.equal(r?.idTrans, '9');
  });

  it('fields in another order are still found', () => {
    const r = parseRefundExisting(
      'refund existing, order_id:O-1, datetime:2021-01-02 03:04:05, member_id:m, id_trans:77!',
    );
    assert.deepEqual(r, { idTrans: '77', orderId: 'O-1', memberId: 'm', datetime: '2021-01-02 03:04:05' });
  });

  it('"refund existing" without details: recognised, fields absent', () => {
    assert.deepEqual(parseRefundExisting('refund existing'), {
      idTrans: undefined,
      orderId: undefined,
      memberId: undefined,
      datetime: undefined,
    });
  });

  it('other messages are not "refund existing"', () => {
    assert.equal(parseRefundExisting('success refund saldo for member idspaa001!'), undefined);
    assert.equal(parseRefundExisting('data not found'), undefined);
  });
});

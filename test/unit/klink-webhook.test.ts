/**
 * x-servicepayment, checked against the document's own example (section 2d), and the webhook
 * bodies of sections 2d, 3d and 3e.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KLinkFinanceReport,
  KLinkFinanceReportQuery,
  KLinkGopayNotification,
  KLinkSettlementWebhook,
  kLinkSignatureHeader,
  verifyKLinkSignature,
} from '../../providers/klink/webhook';

// The document's key ("key dapat diminta ke Tim IT ... dengan nama PID") and message, byte for
// byte: the PDF wraps the message over three lines; joined with single spaces it is 141 bytes,
// mixing `"a": "b"` and `"a":"b"` exactly as printed.
const KEY = '033389b9-cc42-4005-ae9e-8e8ff23738d7';
const MESSAGE =
  '{"rq_uuid": "klnu00242", "rq_datetime": "2020-11-06 09:13:19", "order_id": "klnu00242", "status":"success", "message":"transaction success!"}';
// Computed independently of this code base, then upper-cased as the document's JS does:
//   key='033389b9-cc42-4005-ae9e-8e8ff23738d7'
//   msg='{"rq_uuid": "klnu00242", "rq_datetime": "2020-11-06 09:13:19", "order_id": "klnu00242", "status":"success", "message":"transaction success!"}'
//   printf '%s' "$msg" | openssl dgst -sha256 -hmac "$key"
//     -> 84cbe7e264fe83ffec1023892e1f61c84e302f07a927121e21f1086a2702caf5
//   python3 -c 'import hmac,hashlib;print(hmac.new(KEY,MSG,hashlib.sha256).hexdigest().upper())'
//     -> 84CBE7E264FE83FFEC1023892E1F61C84E302F07A927121E21F1086A2702CAF5
const VECTOR = '84CBE7E264FE83FFEC1023892E1F61C84E302F07A927121E21F1086A2702CAF5';

const raw = Buffer.from(MESSAGE, 'utf8');

describe('klink webhook: x-servicepayment', () => {
  it('the vector is the 141-byte message', () => assert.equal(raw.length, 141));

  it("accepts the document's example", () => {
    assert.equal(verifyKLinkSignature(raw, VECTOR, KEY), true);
  });

  it('accepts the same digest in lower case (hex case carries no information; the bytes are compared)', () => {
    assert.equal(verifyKLinkSignature(raw, VECTOR.toLowerCase(), KEY), true);
  });

  it('refuses one changed byte of the body', () => {
    for (const at of [0, 20, 70, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[at] = tampered[at]! ^ 0x01;
      assert.equal(verifyKLinkSignature(tampered, VECTOR, KEY), false, `byte ${at}`);
    }
  });

  it('refuses one changed digit of the signature', () => {
    const flipped = (VECTOR[0] === 'A' ? 'B' : 'A') + VECTOR.slice(1);
    assert.equal(verifyKLinkSignature(raw, flipped, KEY), false);
  });

  it('refuses another key', () => {
    assert.equal(verifyKLinkSignature(raw, VECTOR, '033389b9-cc42-4005-ae9e-8e8ff23738d8'), false);
    assert.equal(verifyKLinkSignature(raw, VECTOR, KEY.toUpperCase()), false);
  });

  it('refuses a missing header', () => {
    assert.equal(verifyKLinkSignature(raw, undefined, KEY), false);
    assert.equal(verifyKLinkSignature(raw, '', KEY), false);
  });

  it('refuses the same JSON re-serialized with other spacing (the HMAC covers the bytes sent)', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(MESSAGE)), 'utf8');
    assert.notEqual(
      reserialized.length,
      raw.length,
      'the re-serialization must differ for this test to mean anything',
    );
    assert.deepEqual(JSON.parse(reserialized.toString()), JSON.parse(MESSAGE));
    assert.equal(verifyKLinkSignature(reserialized, VECTOR, KEY), false);
  });

  it('refuses malformed headers: truncated, padded, non-hex, "sha256=" prefixed', () => {
    for (const header of [
      VECTOR.slice(0, 63),
      VECTOR + '0',
      ` ${VECTOR}`,
      VECTOR.slice(0, 62) + 'ZZ',
      `sha256=${VECTOR}`,
      Buffer.from(VECTOR, 'hex').toString('base64'),
    ]) {
      assert.equal(verifyKLinkSignature(raw, header, KEY), false, header);
    }
  });

  it('an empty PID key is a configuration error, not a verification', () => {
    assert.throws(() => verifyKLinkSignature(raw, VECTOR, ''), /PID key is empty/);
  });

  it('reads the header from node headers; a repeated header is refused', () => {
    assert.equal(kLinkSignatureHeader({ 'x-servicepayment': VECTOR }), VECTOR);
    assert.equal(kLinkSignatureHeader({ 'x-servicepayment': [VECTOR, VECTOR] }), undefined);
    assert.equal(kLinkSignatureHeader({}), undefined);
  });
});

describe('klink webhook: bodies', () => {
  it('settlement, the "multipayment" example with "-" placeholders', () => {
    const body = KLinkSettlementWebhook.parse({
      status: 'success',
      message: 'transaction success!',
      rq_uuid: 'KLNU00252',
      rq_datetime: '2020-11-12 09:13:19',
      order_id: 'KLNU00252',
      kd_pay: '174',
      tot_bayar: '-',
      norek: '-',
      transaction: 'mandiri_manual',
    });
    assert.equal(body.success, true);
    assert.equal(body.orderId, 'KLNU00252');
    assert.equal(body.rqUuid, 'KLNU00252');
    assert.equal(body.kdPay, '174');
    assert.equal(body.totBayar, undefined);
    assert.equal(body.norek, undefined);
    assert.equal(body.transaction, 'mandiri_manual');
  });

  it('settlement, the "mandiri manual" example with values: tot_bayar as integer rupiah', () => {
    const body = KLinkSettlementWebhook.parse({
      status: 'success',
      message: 'transaction success!',
      rq_uuid: 'KLNU00252',
      rq_datetime: '2020-11-12 09:13:19',
      order_id: 'KLNU00252',
      kd_pay: '174',
      tot_bayar: '474765',
      norek: '1190000879898',
      transaction: 'multipayment',
    });
    assert.equal(body.totBayar, 474765);
    assert.equal(body.norek, '1190000879898');
  });

  it('the signed example of section 2d (no kd_pay etc.) is a valid settlement body', () => {
    const body = KLinkSettlementWebhook.parse(JSON.parse(MESSAGE));
    assert.equal(body.orderId, 'klnu00242');
    assert.equal(body.kdPay, undefined);
    assert.equal(body.success, true);
    assert.equal(body.transaction, undefined);
  });

  it('settlement: a fractional tot_bayar or a missing order_id is refused', () => {
    const base = {
      status: 'success',
      rq_uuid: 'A',
      rq_datetime: '2020-11-12 09:13:19',
      order_id: 'A',
      transaction: 'multipayment',
    };
    assert.equal(KLinkSettlementWebhook.safeParse({ ...base, tot_bayar: '474765.50' }).success, false);
    const { order_id: _drop, ...noOrder } = base;
    assert.equal(KLinkSettlementWebhook.safeParse(noOrder).success, false);
    assert.equal(KLinkSettlementWebhook.safeParse({ ...base, status: 'fail' }).data?.success, false);
  });

  it('GoPay notification (3d)', () => {
    const n = KLinkGopayNotification.parse({
      status: 'success',
      message: 'transaction success!',
      id_trans: '12345',
      rq_datetime: '2021-03-16 19:12:43',
      order_id: '1234/917/ATG',
      transaction: 'gopay',
    });
    assert.deepEqual(n, {
      status: 'success',
      success: true,
      state: 'paid',
      message: 'transaction success!',
      idTrans: '12345',
      rqDatetime: '2021-03-16 19:12:43',
      orderId: '1234/917/ATG',
      transaction: 'gopay',
    });
  });

  it('finance report query and rows (3e): gross_amount as integer rupiah', () => {
    assert.deepEqual(
      KLinkFinanceReportQuery.parse({
        datetime_start: '',
        datetime_end: '2022-09-28 11:27:31',
        bank_code: 'gopay',
        transaction_status: 'all',
      }).bank_code,
      'gopay',
    );
    const rows = KLinkFinanceReport.parse([
      {
        fraud_status: 'accept',
        notification_time: '2022-08-08 14:01:09',
        va_numbers: '',
        bank_code: 'gopay',
        order_id: 'klnu01983',
        status_code: '201',
        gross_amount: 1000,
        id: 'ecddb899-2357-46e2-97d5-93d84673035e',
        signature_key: '17c311508a90fe59cb9a49143acaefba',
        inquiry_time: '2022-08-08 14:01:09',
      },
      {
        bank_code: 'gopay',
        order_id: 'DEV-220908-MHZTHJW',
        status_code: 201,
        gross_amount: '48000.00',
        id: '41885499-bf72-43b9-ac61-d683f8144131',
      },
    ]);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.grossAmount, 1000);
    assert.equal(rows[0]!.statusCode, '201');
    assert.equal(rows[1]!.grossAmount, 48000);
    assert.equal(rows[1]!.statusCode, '201');
    const fractional = { bank_code: 'gopay', order_id: 'x', status_code: '201', id: 'i', gross_amount: 1.5 };
    assert.equal(KLinkFinanceReport.safeParse([fractional]).success, false);
  });
});

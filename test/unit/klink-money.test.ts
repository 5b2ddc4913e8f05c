/** Integer rupiah in and out of K-Link's three ways of writing an amount. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRupiah, RupiahFormatError, toRupiahString } from '../../providers/klink/money';

describe('klink money: parseRupiah', () => {
  const accepted: Array<[unknown, number]> = [
    ['2000.00', 2000], // last_saldo
    ['2000', 2000],
    [2000, 2000], // escrow refund credit
    ['90000', 90000],
    ['1000000.00', 1000000], // history debit
    ['0.00', 0], // register_va fee
    [0, 0],
    ['270000.0', 270000],
    ['007', 7],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ];
  for (const [input, expected] of accepted) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => {
      const n = parseRupiah(input);
      assert.equal(n, expected);
      assert.ok(Number.isSafeInteger(n));
    });
  }

  const refused: unknown[] = [
    '2000.50', // a fraction of a rupiah: never rounded
    '2000.01',
    2000.5,
    0.1,
    '-5',
    -5,
    '1e5',
    ' 2000',
    '2000 ',
    '2,000',
    '2.000.00',
    '',
    '.00',
    '2000.',
    'abc',
    null,
    undefined,
    true,
    {},
    NaN,
    Infinity,
    '9007199254740993', // past 2^53: not exact as a number
  ];
  for (const input of refused) {
    it(`refuses ${typeof input === 'string' ? JSON.stringify(input) : String(input)}`, () => {
      assert.throws(() => parseRupiah(input), RupiahFormatError);
    });
  }

  it('the refusal of a fraction names the value (amounts are not secrets) and does not round', () => {
    assert.throws(() => parseRupiah('2000.50'), /2000\.50/);
  });
});

describe('klink money: toRupiahString', () => {
  it('90000 -> "90000"', () => assert.equal(toRupiahString(90000), '90000'));
  it('0 -> "0" (pay_ship may be nothing)', () => assert.equal(toRupiahString(0), '0'));
  it('large integers are plain digits, no exponent', () => {
    assert.equal(toRupiahString(123456789012345), '123456789012345');
  });
  for (const bad of [90000.5, 0.1, -1, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
    it(`refuses ${String(bad)}`, () => assert.throws(() => toRupiahString(bad), RupiahFormatError));
  }
  it('refuses a string posing as a number', () => {
    assert.throws(() => toRupiahString('90000' as unknown as number), RupiahFormatError);
  });
  it('round trip: every string it builds parses back to the same integer', () => {
    for (const n of [0, 1, 999, 90000, 1500000, 2 ** 40]) assert.equal(parseRupiah(toRupiahString(n)), n);
  });
});

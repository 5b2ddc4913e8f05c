/**
 * Reading K-Wallet history rows as movements, and the search that confirms an unclear transfer
 * or voucher: only a row with our reference, the amount and the direction inside the window is
 * ours; a row with the amount but not the reference is a lookalike, never a confirmation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseKLinkDateTime, searchMovements, toMovement, wibDay } from '../../providers/klink/history';

const row = (datetime: string, description: string, debit: number, credit: number) => ({
  datetime,
  description,
  debit,
  credit,
  balance: 0,
});

describe('K-Wallet history', () => {
  it('reads the document example datetime "2021-06-17 22: 02: 04" as WIB (UTC+7)', () => {
    // 22:02:04 WIB is 15:02:04 UTC: worked out by hand from the +7 offset.
    assert.equal(parseKLinkDateTime('2021-06-17 22: 02: 04'), Date.UTC(2021, 5, 17, 15, 2, 4));
    assert.equal(parseKLinkDateTime('2021-06-17 22:02:04'), Date.UTC(2021, 5, 17, 15, 2, 4));
    assert.equal(parseKLinkDateTime('2021-02-30 10:00:00'), undefined);
    assert.equal(parseKLinkDateTime('yesterday'), undefined);
    assert.equal(
      wibDay(Date.UTC(2021, 5, 17, 18, 0, 0)),
      '2021-06-18',
      'after 17:00 UTC it is the next day in WIB',
    );
  });

  it('debit is money in, credit money out (the document example)', () => {
    assert.deepEqual(
      toMovement(row('2021-06-17 15: 47: 00', 'XXXXX success Jubaidah Transfer Debit', 0, 500_000)),
      {
        datetime: '2021-06-17 15: 47: 00',
        at: '2021-06-17T08:47:00.000Z',
        description: 'XXXXX success Jubaidah Transfer Debit',
        direction: 'out',
        amount: 500_000,
        balance: 0,
      },
    );
    assert.equal(toMovement(row('2021-06-17 22:02:04', 'test', 1_000_000, 0)).direction, 'in');
  });

  it('finds ours by reference, amount, direction and window; keeps lookalikes apart', () => {
    const at = Date.UTC(2026, 10, 30, 3, 0, 0); // 10:00 WIB
    const q = {
      direction: 'out' as const,
      amount: 50_000,
      reference: 'paysaga:T-1',
      notBefore: at - 60_000,
      notAfter: at + 60_000,
    };
    const rows = [
      row('2026-11-30 10:00:00', 'uang makan [paysaga:T-1]', 0, 50_000), // ours
      row('2026-11-30 10:00:10', 'someone else', 0, 50_000), // lookalike
      row('2026-11-30 10:00:20', 'uang makan [paysaga:T-1]', 50_000, 0), // wrong direction
      row('2026-11-30 10:00:30', 'uang makan [paysaga:T-1]', 0, 49_999), // wrong amount
      row('2026-11-30 09:00:00', 'uang makan [paysaga:T-1]', 0, 50_000), // before the window
      row('garbled', 'uang makan [paysaga:T-1]', 0, 50_000), // undated: a candidate only
    ];
    const found = searchMovements(rows, q);
    assert.deepEqual(
      found.ours.map((m) => m.datetime),
      ['2026-11-30 10:00:00'],
    );
    assert.deepEqual(
      found.lookalikes.map((m) => m.datetime),
      ['2026-11-30 10:00:10', 'garbled'],
    );
  });
});

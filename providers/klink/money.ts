/**
 * Rupiah amounts for K-Link: integers of rupiah end to end, never floats.
 *
 * K-Link writes amounts three ways in one document: decimal strings with two zero decimals
 * ("2000.00": last_saldo, fee, gross_amount), plain digit strings ("90000": request amounts,
 * charge_admin) and JSON numbers (escrow refund `credit: 90000`, register_va `amount: 0`). All
 * three are read here into one integer. A non-zero fraction ("2000.50") is not a rupiah amount we
 * can hold: it is refused, never rounded, because a rounded amount would silently disagree with
 * K-Link's books. The client turns the refusal into a ProviderProtocolError.
 *
 * Amounts are non-negative: every amount in the document (balances, debits, credits, fees,
 * totals) is. A negative one would be a shape we do not know, so it is refused too.
 */

/** Thrown when a value is not an integer amount of rupiah. Carries the offending value's text (amounts are not secrets). */
export class RupiahFormatError extends Error {
  override readonly name = 'RupiahFormatError';
}

/** Digits, optionally followed by a decimal fraction; the fraction must be all zeros to be accepted. */
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** The integer rupiah of "2000.00", "2000" or 2000. Throws RupiahFormatError for fractions, negatives, garbage, or values past 2^53. */
export function parseRupiah(v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new RupiahFormatError(`not an integer amount of rupiah: ${String(v)}`);
  }
  if (typeof v === 'string') {
    const m = DECIMAL.exec(v);
    if (!m) throw new RupiahFormatError(`not a decimal amount of rupiah: ${JSON.stringify(v.slice(0, 40))}`);
    if (m[2] !== undefined && /[^0]/.test(m[2]))
      throw new RupiahFormatError(`amount has a fraction of a rupiah: ${JSON.stringify(v)}`);
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) throw new RupiahFormatError(`amount too large: ${JSON.stringify(v)}`);
    return n;
  }
  throw new RupiahFormatError(`not an amount of rupiah: ${v === null ? 'null' : typeof v}`);
}

/** The decimal string K-Link's requests carry ("90000"), built from an integer. Throws for anything but a non-negative safe integer. */
export function toRupiahString(n: number): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new RupiahFormatError(`amount must be a non-negative integer of rupiah, got ${String(n)}`);
  // String() of a safe integer never uses exponent notation, so this is plain digits.
  return String(n);
}

/**
 * How K-Link writes money and time on the wire, in one place so every endpoint agrees.
 *
 * Money is integer rupiah inside the sandbox. The document writes balances and history amounts
 * as decimal strings with two places ("2000.00"), so that is the only place cents appear, and
 * they are always ".00": K-Wallet has no fractions of a rupiah.
 *
 * Times are Western Indonesia Time (WIB, UTC+7, no daylight saving), which section 3 names for
 * transaction_time; the other sections show the same "YYYY-MM-DD HH:MM:SS" format without a
 * zone, and K-Link is one Indonesian system, so every time the sandbox writes is WIB.
 */

const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

/** 90000 -> "90000.00". */
export function rupiahDecimal(amount: number): string {
  if (!Number.isSafeInteger(amount)) throw new Error(`not an integer rupiah amount: ${amount}`);
  return `${amount}.00`;
}

/** "2021-07-28 18:32:11" in WIB. */
export function wibDateTime(ms: number): string {
  return new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** "2021-07-28" in WIB (reconcile's valuedate). */
export function wibDate(ms: number): string {
  return wibDateTime(ms).slice(0, 10);
}

/** "20210729110329" in WIB, as inside register_va's rq_uuid. */
export function wibCompact(ms: number): string {
  return wibDateTime(ms).replace(/[- :]/g, '');
}

const DATE_OR_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/**
 * A history bound ("2021-06-17" or "2021-06-17 15:47:00", WIB) as epoch ms; undefined when the
 * text is not a real date. A date without a time covers the whole day: its start as a lower
 * bound, its last millisecond as an upper bound, so startdate = enddate = one day works.
 */
export function parseWibBound(text: string, edge: 'start' | 'end'): number | undefined {
  const m = DATE_OR_DATETIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hasTime = m[4] !== undefined;
  const [h, mi, s] = hasTime ? [Number(m[4]), Number(m[5]), Number(m[6])] : [0, 0, 0];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2021-02-30 over to March; a round trip catches that.
  const back = new Date(utc);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    return undefined;
  }
  const start = utc - WIB_OFFSET_MS;
  if (edge === 'start') return start;
  return start + (hasTime ? 999 : 24 * 60 * 60 * 1000 - 1);
}

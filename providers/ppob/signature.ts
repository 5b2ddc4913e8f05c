/**
 * PPOB request authentication, from the document ("1.1 Request utk trx prepaid dan inquiry",
 * the same for postpaid in 1.3):
 *
 *   Gw-username:  <username>
 *   Gw-datetime:  YYYY-MM-DD HH:MM:SS                    (the scan says "YYY-mm-DD": a typo;
 *                                                         its example is 2024-05-26 08:34:56)
 *   Gw-signature: sha256(username + datetime + token)    (a plain hash, lowercase hex: no key,
 *                                                         no HMAC, no separators)
 *
 * - Time zone: the document's example carries no zone and the text names none. The provider is
 *   an Indonesian server, so the datetime is written in Asia/Jakarta (WIB, UTC+7) by default; it is
 *   a setting (`timeZone`, IANA name) because the provider may turn out to read another zone.
 * - The body is NOT covered by the signature: the document's formula names only these three
 *   parts. A signature proves who sent the request and roughly when, not what it asked for;
 *   that is the provider's design, and why the client checks every answer against what it sent
 *   (refid.ts, assertSameTransaction).
 * - The example's header names vary in case (GW-Username, gw-datetime): HTTP header names are
 *   case-insensitive; we send the document's list spelling.
 * - The document's example signature cannot be checked (its token is not given, and the scan
 *   garbled one character into "€"); the vector in test/unit/ppob-signature.test.ts was computed
 *   with sha256sum and python3 hashlib.
 *
 * Computed per attempt (the signed-request layer calls `sign` on every attempt), so a retried
 * request carries a fresh datetime and is not refused as stale.
 */
import { createHash } from 'node:crypto';

export const PPOB_DEFAULT_TIME_ZONE = 'Asia/Jakarta';

/** sha256(username + datetime + token), lowercase hex, over the UTF-8 bytes of the concatenation. */
export function ppobSignature(username: string, datetime: string, token: string): string {
  return createHash('sha256')
    .update(username + datetime + token, 'utf8')
    .digest('hex');
}

/**
 * "YYYY-MM-DD HH:MM:SS" of `instantMs` as a wall clock in `timeZone` (IANA name), with Intl only.
 * Throws a RangeError for an unknown zone.
 */
export function ppobDatetime(instantMs: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    // h23: midnight is 00, never "24" (some ICU versions write 24:00:00 with hour12:false).
    hourCycle: 'h23',
  });
  for (const p of format.formatToParts(new Date(instantMs))) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The three authentication headers for one attempt at `nowMs`. */
export function ppobHeaders(
  creds: { username: string; token: string },
  nowMs: number,
  timeZone: string = PPOB_DEFAULT_TIME_ZONE,
): Record<string, string> {
  const datetime = ppobDatetime(nowMs, timeZone);
  return {
    'Gw-username': creds.username,
    'Gw-datetime': datetime,
    'Gw-signature': ppobSignature(creds.username, datetime, creds.token),
  };
}

/**
 * PPOB request authentication, from the document:
 *
 *   Gw-username: <username>
 *   Gw-datetime: YYYY-MM-DD HH:MM:SS          (the scan says "YYY-mm-DD": a typo)
 *   Gw-signature: sha256(username + datetime + token)   (a plain hash, lowercase hex; no key, no HMAC)
 *
 * The document gives no time zone for the datetime. The provider is in Indonesia, so the careful
 * reading is Asia/Jakarta (WIB); it is a setting (PPOB_TIMEZONE). The body is not covered by the
 * signature: the formula names only these three parts.
 */
import { createHash } from 'node:crypto';

export function ppobSignature(username: string, datetime: string, token: string): string {
  return createHash('sha256')
    .update(username + datetime + token, 'utf8')
    .digest('hex');
}

/** "YYYY-MM-DD HH:MM:SS" of `instantMs` in `timeZone`. */
export function ppobDatetime(instantMs: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(instantMs))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

export function ppobHeaders(
  creds: { username: string; token: string },
  nowMs: number,
  timeZone: string,
): Record<string, string> {
  const datetime = ppobDatetime(nowMs, timeZone);
  return {
    'Gw-username': creds.username,
    'Gw-datetime': datetime,
    'Gw-signature': ppobSignature(creds.username, datetime, creds.token),
  };
}

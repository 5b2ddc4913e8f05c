/**
 * PPOB request authentication, written from the aggregator's document (section 1.1), not from
 * providers/: if the client's signer is wrong, the sandbox must refuse it.
 *
 * From the document:
 *   headers   Gw-username, Gw-datetime ("YYYY-mm-DD HH:MM:SS", e.g. 2024-05-26 08:34:56),
 *             Gw-signature
 *   signature sha256(username + datetime + token)
 * Read as: a plain SHA-256 (no HMAC: the formula names no key) over the three strings joined with
 * nothing between them, written as lowercase hex (the example signature is 64 hex characters).
 * The datetime carries no zone; the aggregator is an Indonesian server, so it is read as
 * Asia/Jakarta (WIB) unless configured otherwise, and must be within `skewSeconds` of the clock.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { MSG } from './messages';

export function ppobSignature(username: string, datetime: string, token: string): string {
  return createHash('sha256')
    .update(username + datetime + token, 'utf8')
    .digest('hex');
}

export interface PpobAuthOptions {
  headers: IncomingHttpHeaders;
  username: string;
  token: string;
  nowMs: number;
  timeZone: string;
  skewSeconds: number;
}

export type PpobAuthResult = { ok: true } | { ok: false; message: string };

/** Who is calling, is the request fresh, then is it authentic (the order a gateway checks in). */
export function verifyPpobRequest(opts: PpobAuthOptions): PpobAuthResult {
  // Node lower-cases header names, so GW-Username, Gw-username and gw-username all land here.
  const username = singleHeader(opts.headers, 'gw-username');
  if (username === undefined || !secretEquals(username, opts.username)) {
    return { ok: false, message: MSG.unknownUser };
  }

  const datetime = singleHeader(opts.headers, 'gw-datetime');
  const sentAt = datetime === undefined ? undefined : parseZonedDateTime(datetime, opts.timeZone);
  if (datetime === undefined || sentAt === undefined) return { ok: false, message: MSG.datetimeOutOfRange };
  if (Math.abs(opts.nowMs - sentAt) > opts.skewSeconds * 1000) {
    return { ok: false, message: MSG.datetimeOutOfRange };
  }

  const provided = singleHeader(opts.headers, 'gw-signature');
  const expected = ppobSignature(username, datetime, opts.token);
  if (provided === undefined || !secretEquals(provided, expected)) {
    return { ok: false, message: MSG.invalidSignature };
  }
  return { ok: true };
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * "2024-05-26 08:34:56" read as a wall-clock time in `timeZone`, as epoch ms; undefined when the
 * text is not that format or not a real time (2024-02-30, 25:00:00).
 */
export function parseZonedDateTime(text: string, timeZone: string): number | undefined {
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wall);
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
  // The zone's offset at that instant; a second pass settles times next to a DST change.
  let utc = wall - zoneOffsetMs(wall, timeZone);
  utc = wall - zoneOffsetMs(utc, timeZone);
  return utc;
}

/** "YYYY-MM-DD HH:MM:SS" of `ms` as a wall clock in `timeZone` (what a client sends). */
export function formatZonedDateTime(ms: number, timeZone: string): string {
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString().slice(0, 19).replace('T', ' ');
}

/** How far `timeZone`'s wall clock is ahead of UTC at instant `ms`. Throws on an unknown zone. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/** Constant-time, so timing does not tell how much of a forged value was right. */
function secretEquals(provided: string, expected: string): boolean {
  const a = Buffer.from(provided, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** A header sent twice arrives as an array (or comma-joined): not a valid credential. */
function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

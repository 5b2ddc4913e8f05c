/**
 * The one check of an `Authorization: Bearer <token>` header, for the REST front and the codec
 * endpoint. The scheme must be there (RFC 6750; case-insensitive, RFC 9110 11.1): a bare token
 * is refused, as any client library sends the scheme. The comparison is in constant time.
 */
import { timingSafeEqual } from 'node:crypto';

/** The token of a `Bearer` Authorization header, or undefined for another scheme or none. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +([^\s]+) *$/i.exec(header ?? '')?.[1];
}

export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(bearerToken(header) ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

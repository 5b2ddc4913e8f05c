/**
 * The PPOB refid: "nomor referensi transaksi unik dari mitra", the partner's unique transaction
 * number and the provider's protection against duplicates ("transaksi dengan refid sama tidak
 * diproses dua kali jika dikirimkan ulang"; the same product and number again needs a NEW refid).
 *
 * The document's example sends it as a JSON number (10327), so paysaga derives a number: the
 * first 8 bytes of SHA-256(business key), as an unsigned big-endian integer, modulo 10^15 (at
 * most 15 decimal digits: a safe integer in JSON and in JavaScript), and 1 instead of 0. It is
 * computed ONCE by the saga from the purchase's business key and kept in the workflow input, so
 * every re-send (a retry, a status check) carries the same refid and the provider never buys twice.
 *
 * Collision risk: two different purchases get the same refid with probability about
 * n² / (2·10^15) for n purchases on one provider account (1 in 2 000 at a million purchases,
 * 1 in 20 at ten million). A collision is not silent: the provider would answer our new request
 * with the OLD transaction ("trx sebelumnya ditemukan"), whose product or destination differs.
 * The guard is `assertSameTransaction`: an answer for our refid that names another refid,
 * product code or destination throws RefidMismatchError and is never treated as ours (the saga
 * hands it to a person instead of crediting or refunding on it). A collision between two
 * purchases of the SAME product for the SAME number cannot be told apart by the answer; at these
 * odds that is accepted, and the business key must itself be unique (a per-order id).
 */
import { createHash } from 'node:crypto';

const MODULUS = 10n ** 15n;

export function deriveRefid(businessKey: string): number {
  const digest = createHash('sha256').update(businessKey, 'utf8').digest();
  const value = digest.readBigUInt64BE(0) % MODULUS;
  return Number(value === 0n ? 1n : value);
}

/** A refid we may send: a positive safe integer of at most 15 digits. */
export function isPpobRefid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value < 1e15;
}

/** The provider answered our refid with another transaction (a refid collision or a provider mix-up). */
export class RefidMismatchError extends Error {
  override readonly name = 'RefidMismatchError';
  constructor(
    readonly refid: number,
    readonly problems: readonly string[],
  ) {
    super(`PPOB answer for refid ${refid} is about another transaction: ${problems.join('; ')}`);
  }
}

/**
 * The provider's answer for our refid must be about what we sent. Throws RefidMismatchError when
 * the answer carries another ref_id, or a `code` / `destination` different from the one sent
 * (compared after trimming). A field we did not send (a payment sends no code) or the answer left
 * empty is not compared: the check is on what both sides said.
 */
export function assertSameTransaction(
  sent: { refid: number; code?: string; dest?: string },
  answered: { refid: number; code?: string; destination?: string },
): void {
  const problems: string[] = [];
  if (answered.refid !== sent.refid) problems.push(`ref_id ${answered.refid} (sent ${sent.refid})`);
  const differs = (ours: string | undefined, theirs: string | undefined): boolean =>
    ours !== undefined && theirs !== undefined && theirs.trim() !== '' && theirs.trim() !== ours.trim();
  if (differs(sent.code, answered.code)) problems.push(`code ${answered.code} (sent ${sent.code})`);
  if (differs(sent.dest, answered.destination))
    problems.push(`destination ${answered.destination} (sent ${sent.dest})`);
  if (problems.length > 0) throw new RefidMismatchError(sent.refid, problems);
}

/**
 * A postpaid purchase sends two refids: the inquiry is a transaction at the provider too, and a
 * refid is never processed twice, so the inquiry cannot reuse the payment's. The inquiry's refid
 * is the purchase's refid moved by a fixed offset within the refid space 1 .. 10^15 - 1, a step
 * that can be undone: a report (callback) for an inquiry's refid leads back to its purchase,
 * whose refid is the one the payment is found by (gateway/ppob-callback.ts).
 *
 * Two purchases still collide only as often as two refids do (the offset is fixed, so an
 * inquiry refid equals another purchase's refid with the same odds as above). Purchases started
 * before this derivation carry an inquiry refid hashed from the workflow id, in their input:
 * they keep it, and a report for it is not led back (it is filed for an operator, as before).
 */
const REFID_SPACE = 1e15 - 1; // refids are 1 .. 10^15 - 1
const INQUIRY_OFFSET = 5e14;

export function inquiryRefidOf(refid: number): number {
  if (!isPpobRefid(refid)) throw new TypeError(`not a PPOB refid: ${String(refid)}`);
  return ((refid - 1 + INQUIRY_OFFSET) % REFID_SPACE) + 1;
}

/** The purchase refid whose inquiry refid this is (the inverse of inquiryRefidOf). */
export function purchaseRefidOfInquiry(inquiryRefid: number): number {
  if (!isPpobRefid(inquiryRefid)) throw new TypeError(`not a PPOB refid: ${String(inquiryRefid)}`);
  return ((inquiryRefid - 1 - INQUIRY_OFFSET + REFID_SPACE) % REFID_SPACE) + 1;
}

/**
 * The PPOB refid: the partner's unique transaction number, the provider's protection against
 * duplicates ("transaksi dengan refid sama tidak diproses dua kali").
 *
 * The document's example sends it as a JSON number (10327), so paysaga derives a number: the
 * first 8 bytes of SHA-256(business key) modulo 10^15 (at most 15 digits, a safe integer; never
 * 0). It is computed once when the purchase starts and kept in the workflow input, so every
 * re-send carries the same refid.
 *
 * Collision risk: about n²/2·10^15 for n purchases (1 in 2 000 at a million purchases). The guard:
 * an answer for our refid that names another product or destination is refused
 * (`assertSameTransaction`), never taken as ours, and the saga asks a person.
 */
import { createHash } from 'node:crypto';

const MODULUS = 10n ** 15n;

export function deriveRefid(businessKey: string): number {
  const digest = createHash('sha256').update(businessKey, 'utf8').digest();
  const value = digest.readBigUInt64BE(0) % MODULUS;
  return Number(value === 0n ? 1n : value);
}

export class RefidMismatchError extends Error {
  override readonly name = 'RefidMismatchError';
}

/** The provider's answer for our refid must be about what we asked for. */
export function assertSameTransaction(
  sent: { refid: number; code?: string; dest?: string },
  answered: { refid: number; code?: string; destination?: string },
): void {
  const problems: string[] = [];
  if (answered.refid !== sent.refid) problems.push(`ref_id ${answered.refid} != ${sent.refid}`);
  if (sent.code !== undefined && answered.code !== undefined && answered.code !== sent.code)
    problems.push(`code ${answered.code} != ${sent.code}`);
  if (sent.dest !== undefined && answered.destination !== undefined && answered.destination !== sent.dest) {
    problems.push(`destination ${answered.destination} != ${sent.dest}`);
  }
  if (problems.length)
    throw new RefidMismatchError(
      `answer for refid ${sent.refid} is about another transaction: ${problems.join('; ')}`,
    );
}

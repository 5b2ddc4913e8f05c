/**
 * K-Wallet history rows read as movements, and the search that confirms a transfer or a voucher
 * top-up whose answer was lost.
 *
 * What the document gives (section 1.d): each row has credit, debit, description, balance and
 * datetime, nothing else: no transaction id, no counterparty, no reference field. K-Link's public
 * pages (searched: "K-Link service payment kwallet history_transaction") add nothing, so the
 * readings below are ours:
 * - `debit` is money INTO the wallet and `credit` money OUT (the example's balances only add up
 *   that way; see schemas.ts).
 * - `datetime` is "YYYY-MM-DD HH:MM:SS" in WIB (UTC+7); the example prints spaces after the
 *   colons ("22: 02: 04"), which we drop before reading it.
 * - The only place a caller can put its own reference is the `description` it sends with
 *   transfer_to_account / voucher_saldo. The document does not say that K-Link writes that text
 *   into the history row (its example rows read "XXXXX success Jubaidah Transfer Debit", which may
 *   be K-Link's own wording). So a row is OURS only when its description holds our reference AND
 *   its amount and direction match, inside the time window. A row with the right amount but
 *   without our reference proves nothing (another transfer of the same amount looks the same): it
 *   is a candidate a person looks at, never a confirmation.
 *
 * Pure module (no I/O).
 */
import type { HistoryEntry } from './schemas';

const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** "2021-06-17 22: 02: 04" (WIB) -> epoch ms; undefined when it is not a real date and time. */
export function parseKLinkDateTime(text: string): number | undefined {
  const m = DATETIME.exec(text.trim().replace(/:\s+/g, ':'));
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h) return undefined;
  return utc - WIB_OFFSET_MS;
}

/** "YYYY-MM-DD" in WIB: the day bound history_transaction's startdate takes. */
export function wibDay(ms: number): string {
  return new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, 10);
}

/** A history row with its direction and amount made explicit. */
export interface Movement {
  datetime: string;
  /** The row's time as ISO-8601 UTC, when its datetime could be read. */
  at?: string;
  description: string;
  direction: 'in' | 'out';
  amount: number;
  balance: number;
}

export function toMovement(row: HistoryEntry): Movement {
  const at = parseKLinkDateTime(row.datetime);
  const direction = row.debit > 0 ? 'in' : 'out';
  return {
    datetime: row.datetime,
    ...(at === undefined ? {} : { at: new Date(at).toISOString() }),
    description: row.description,
    direction,
    amount: direction === 'in' ? row.debit : row.credit,
    balance: row.balance,
  };
}

export interface MovementQuery {
  direction: 'in' | 'out';
  amount: number;
  /** Text our request put in the description. */
  reference: string;
  /** The window the movement must fall in (epoch ms); rows with an unreadable datetime are candidates only. */
  notBefore: number;
  notAfter: number;
}

export interface MovementSearch {
  /** Rows with our reference, the amount and the direction, inside the window. */
  ours: Movement[];
  /** Rows with the amount and the direction in the window (or undated) but without our reference. */
  lookalikes: Movement[];
}

export function searchMovements(rows: readonly HistoryEntry[], q: MovementQuery): MovementSearch {
  const ours: Movement[] = [];
  const lookalikes: Movement[] = [];
  for (const row of rows) {
    const m = toMovement(row);
    if (m.direction !== q.direction || m.amount !== q.amount) continue;
    const at = parseKLinkDateTime(row.datetime);
    if (at !== undefined && (at < q.notBefore || at > q.notAfter)) continue;
    if (at !== undefined && row.description.includes(q.reference)) ours.push(m);
    else lookalikes.push(m);
  }
  return { ours, lookalikes };
}

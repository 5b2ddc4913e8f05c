/**
 * K-Wallet's books as the sandbox's control API shows them (GET /_control/klink/ledger), read by
 * the two campaign modules whose money moves in K-Wallet: PPOB (the funding debit and its refund)
 * and the K-Wallet transfer. Shapes are the sandbox's own (sandbox/klink/ledger.ts), so a change
 * there breaks the typecheck here instead of the reconcile silently reading nothing.
 */
import { memberAccount, type JournalEntry } from '../../sandbox/klink/ledger';
import type { Http } from '../types';

/** What /_control/klink/ledger answers. */
export interface KWalletLedger {
  entries: JournalEntry[];
  balances: Record<string, number>;
  balanced: boolean;
  problems: string[];
  escrow: number;
}

export function readKWalletLedger(http: Http): Promise<KWalletLedger> {
  return http.control<KWalletLedger>('klink/ledger');
}

/** A member's balance in the books (an account never touched has no balance: 0). */
export function memberBalance(ledger: KWalletLedger, idMember: string): number {
  return ledger.balances[memberAccount(idMember)] ?? 0;
}

/** What the entry took out of (credit) and put into (debit) the member's wallet. */
export function memberMovement(entry: JournalEntry, idMember: string): { out: number; in: number } {
  const account = memberAccount(idMember);
  const mine = entry.lines.filter((l) => l.account === account);
  return {
    out: mine.reduce((sum, l) => sum + l.credit, 0),
    in: mine.reduce((sum, l) => sum + l.debit, 0),
  };
}

/** An entry as one line of a finding: id, kind, id_order, lines. */
export function describeEntry(entry: JournalEntry): string {
  const lines = entry.lines
    .map((l) => `${l.account} ${l.debit > 0 ? `+${l.debit}` : `-${l.credit}`}`)
    .join(', ');
  const order = entry.id_order !== null ? ` id_order ${entry.id_order}` : '';
  return `#${entry.id} ${entry.kind}${order} [${lines}] "${entry.description}"`;
}

export function describeEntries(entries: readonly JournalEntry[]): string {
  return entries.length === 0 ? 'none' : entries.map(describeEntry).join('; ');
}

/**
 * K-Wallet's books, kept as a double-entry journal: the point of the K-Link simulator is that a
 * saga bug (a pay repeated, a refund accepted twice, a compensation that never ran) shows up as
 * money that moved, and a journal shows exactly what moved, when, and that nothing was created
 * or lost on the way.
 *
 * Every movement is one entry whose lines debit and credit accounts by equal totals. Accounts are
 * each member's wallet, ESCROW (where pay puts money until it is refunded) and the external
 * sources money enters from (SEED for control-funded members, VOUCHER, BANK for VA deposits,
 * MIDTRANS for later settlements). External sources are the only accounts allowed below zero:
 * their negative balance is the money they brought in, so all balances always sum to zero.
 *
 * Sign convention, taken from the document's history example (a "debit" of 1,000,000 raises the
 * balance to 1,000,000, a "credit" of 500,000 takes 3,000,000 down to 2,500,000; a pay shows as
 * "credit"): a DEBIT puts money INTO an account, a CREDIT takes it OUT, balance = debits - credits.
 * One convention for the journal and the wire, so history rows are journal lines as they are.
 */
import { z } from 'zod';

export const ESCROW = 'ESCROW';

/** Where money comes from when it enters K-Wallet; none of these belongs to a member. */
export const EXTERNAL = {
  seed: 'SEED',
  voucher: 'VOUCHER',
  bank: 'BANK',
  midtrans: 'MIDTRANS',
} as const;
const EXTERNAL_ACCOUNTS = new Set<string>(Object.values(EXTERNAL));

/** Prefixed, so a member called "ESCROW" is not the escrow account. */
export function memberAccount(idMember: string): string {
  return `member:${idMember}`;
}

export function isExternal(account: string): boolean {
  return EXTERNAL_ACCOUNTS.has(account);
}

export const ENTRY_KINDS = ['seed', 'va-deposit', 'voucher', 'transfer', 'pay', 'refund'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

const Line = z.object({
  account: z.string().min(1),
  debit: z.number().int().nonnegative(),
  credit: z.number().int().nonnegative(),
});
export type LedgerLine = z.infer<typeof Line>;

const Entry = z.object({
  /** K-Wallet's id_trans: what escrow/refund lists and refund-accept names. */
  id: z.number().int().positive(),
  at: z.number(),
  kind: z.enum(ENTRY_KINDS),
  description: z.string(),
  id_order: z.string().nullable(),
  lines: z.array(Line),
});
export type JournalEntry = z.infer<typeof Entry>;

export const LedgerSnapshot = z.object({ entries: z.array(Entry) });
export type LedgerSnapshot = z.infer<typeof LedgerSnapshot>;

/** A posting that would break the books: a sandbox bug, never a client's fault, so it throws. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
}

export interface TransferInput {
  from: string;
  to: string;
  amount: number;
  kind: EntryKind;
  description: string;
  id_order?: string;
}

export interface StatementRow {
  entry: JournalEntry;
  debit: number;
  credit: number;
  /** The account's balance right after this entry. */
  balance: number;
}

export interface LedgerAudit {
  balanced: boolean;
  problems: string[];
}

export class Ledger {
  private entries: JournalEntry[] = [];
  /** Running balances; derivable from the journal, kept for speed and cross-checked by audit(). */
  private balances = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  balance(account: string): number {
    return this.balances.get(account) ?? 0;
  }

  /** One entry moving `amount` out of `from` (credit) into `to` (debit). */
  transfer(input: TransferInput): JournalEntry {
    return this.post({
      kind: input.kind,
      description: input.description,
      id_order: input.id_order ?? null,
      lines: [
        { account: input.from, debit: 0, credit: input.amount },
        { account: input.to, debit: input.amount, credit: 0 },
      ],
    });
  }

  entry(id: number): JournalEntry | undefined {
    const found = this.entries.find((e) => e.id === id);
    return found && structuredClone(found);
  }

  allEntries(): JournalEntry[] {
    return structuredClone(this.entries);
  }

  allBalances(): Record<string, number> {
    return Object.fromEntries(this.balances);
  }

  /** The account's entries, oldest first, each with the balance after it (the history endpoint). */
  statement(account: string): StatementRow[] {
    const rows: StatementRow[] = [];
    let balance = 0;
    for (const entry of this.entries) {
      const mine = entry.lines.filter((l) => l.account === account);
      if (mine.length === 0) continue;
      const debit = mine.reduce((sum, l) => sum + l.debit, 0);
      const credit = mine.reduce((sum, l) => sum + l.credit, 0);
      balance += debit - credit;
      rows.push({ entry: structuredClone(entry), debit, credit, balance });
    }
    return rows;
  }

  /**
   * The books are balanced when every entry is, the running balances equal a replay of the
   * journal, and all balances (external sources included) sum to zero.
   */
  audit(): LedgerAudit {
    const problems: string[] = [];
    const replayed = new Map<string, number>();
    for (const entry of this.entries) {
      const problem = entryProblem(entry);
      if (problem) problems.push(`entry ${entry.id}: ${problem}`);
      for (const line of entry.lines) {
        replayed.set(line.account, (replayed.get(line.account) ?? 0) + line.debit - line.credit);
      }
    }
    for (const account of new Set([...replayed.keys(), ...this.balances.keys()])) {
      if ((replayed.get(account) ?? 0) !== (this.balances.get(account) ?? 0)) {
        problems.push(`account ${account}: running balance differs from the journal`);
      }
    }
    const total = [...this.balances.values()].reduce((sum, b) => sum + b, 0);
    if (total !== 0) problems.push(`balances sum to ${total}, not 0`);
    return { balanced: problems.length === 0, problems };
  }

  snapshot(): LedgerSnapshot {
    return { entries: structuredClone(this.entries) };
  }

  /** Replays the journal through the same checks as a live posting: a hand-edited file cannot unbalance it. */
  restore(data: unknown): void {
    const parsed = LedgerSnapshot.parse(data);
    this.reset();
    for (const entry of parsed.entries) this.apply(entry);
  }

  reset(): void {
    this.entries = [];
    this.balances = new Map();
  }

  private post(input: Omit<JournalEntry, 'id' | 'at'>): JournalEntry {
    const last = this.entries[this.entries.length - 1];
    const entry: JournalEntry = { id: (last?.id ?? 0) + 1, at: this.now(), ...structuredClone(input) };
    this.apply(entry);
    return structuredClone(entry);
  }

  private apply(entry: JournalEntry): void {
    const problem = entryProblem(entry);
    if (problem) throw new LedgerError(`entry ${entry.id}: ${problem}`);
    const last = this.entries[this.entries.length - 1];
    if (last && entry.id <= last.id) throw new LedgerError(`entry ${entry.id}: ids must increase`);
    const next = new Map<string, number>();
    for (const line of entry.lines) {
      const before = next.get(line.account) ?? this.balance(line.account);
      next.set(line.account, before + line.debit - line.credit);
    }
    for (const [account, balance] of next) {
      // The business rules refuse an overdraft before posting; this is the books' own guard.
      if (balance < 0 && !isExternal(account)) {
        throw new LedgerError(`entry ${entry.id}: ${account} would go to ${balance}`);
      }
    }
    for (const [account, balance] of next) this.balances.set(account, balance);
    this.entries.push(entry);
  }
}

function entryProblem(entry: JournalEntry): string | undefined {
  if (entry.lines.length < 2) return 'fewer than two lines';
  let debits = 0;
  let credits = 0;
  for (const line of entry.lines) {
    if (!Number.isSafeInteger(line.debit) || !Number.isSafeInteger(line.credit)) return 'non-integer amount';
    if (line.debit < 0 || line.credit < 0) return 'negative amount';
    // One side per line keeps a statement row readable: money either came in or went out.
    if (line.debit > 0 === line.credit > 0) return `line on ${line.account} must debit or credit`;
    debits += line.debit;
    credits += line.credit;
  }
  if (debits !== credits) return `debits ${debits} != credits ${credits}`;
  return undefined;
}

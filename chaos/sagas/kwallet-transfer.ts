/**
 * The campaign's K-Wallet transfer payments: member A sends to member B (transfer_to_account),
 * and afterwards K-Wallet's journal must show exactly what each transfer's status says.
 *
 * The transfer has no idempotency key at K-Link, so the dangerous faults are the ones where the
 * answer is lost: this module arms, on its own sender only, a timeout after K-Link committed (the
 * saga must confirm it by history, never send again) and a 5xx (K-Link moved nothing; the saga
 * must not guess, it parks). The books: the journal's 'transfer' entries, each carrying
 * `[paysaga:<transferId>]` in its description (kwalletTransferReference), and the two members'
 * balances, which must be their opening balances plus or minus what moved.
 */
import {
  GatewayError,
  type ChaosSaga,
  type DriveContext,
  type EndedPayment,
  type Finding,
  type Payment,
} from '../types';
import type { JournalEntry } from '../../sandbox/klink/ledger';
import {
  kwalletTransferReference,
  kwalletTransferWorkflowId,
} from '../../workflows/kwallet-transfer-definitions';
import {
  describeEntries,
  memberBalance,
  memberMovement,
  readKWalletLedger,
  type KWalletLedger,
} from './kwallet-books';
import { weighted } from './drive-kit';

export const KWALLET_TRANSFER_VARIANTS = ['enough', 'short', 'timeout-after-commit', 'provider-5xx'] as const;
export type KWalletTransferVariant = (typeof KWALLET_TRANSFER_VARIANTS)[number];

/** Mostly the happy path; each fault about one payment in twelve. */
const MIX: ReadonlyArray<readonly [KWalletTransferVariant, number]> = [
  ['enough', 72],
  ['short', 12],
  ['timeout-after-commit', 8],
  ['provider-5xx', 8],
];

/** Longer than the worker's K-Link timeout (15 s), shorter than the activity's 60 s. */
const HOLD_AFTER_COMMIT_MS = 20_000;

export const kwalletTransferChaos: ChaosSaga = {
  saga: 'kwalletTransfer',
  methods: ['kwallet'],
  drive: (ctx) => driveTransfer(ctx),
  reconcile: async (http, payments) => checkKWalletTransfers(await readKWalletLedger(http), payments),
};

// ---- drive ----

interface TransferPlan {
  variant: KWalletTransferVariant;
  transferId: string;
  from: string;
  to: string;
  amount: number;
  openingSend: number;
  openingReceipt: number;
}

function planTransfer(ctx: DriveContext, variant: KWalletTransferVariant): TransferPlan {
  const amount = ctx.rng.int(1, 50) * 1_000;
  return {
    variant,
    transferId: `KW-${ctx.id}`,
    from: `KW-A-${ctx.id}`,
    to: `KW-B-${ctx.id}`,
    amount,
    // Short: K-Link refuses, nothing moves. Otherwise enough, with some left over.
    openingSend: variant === 'short' ? ctx.rng.int(0, amount - 1) : amount + ctx.rng.int(0, 200) * 1_000,
    openingReceipt: ctx.rng.chance(0.5) ? 0 : ctx.rng.int(1, 100) * 1_000,
  };
}

/** One transfer; `variant` is drawn from the mix unless a test names it. */
export async function driveTransfer(
  ctx: DriveContext,
  variant: KWalletTransferVariant = weighted(ctx.rng, MIX),
): Promise<Payment> {
  const plan = planTransfer(ctx, variant);
  const payment: Payment = {
    saga: 'kwalletTransfer',
    method: 'kwallet',
    workflowId: kwalletTransferWorkflowId(plan.transferId),
    refs: {
      transferId: plan.transferId,
      idMemberSend: plan.from,
      idMemberReceipt: plan.to,
      amount: plan.amount,
      openingSend: plan.openingSend,
      openingReceipt: plan.openingReceipt,
    },
    marks: [`variant:${plan.variant}`],
  };
  try {
    await ctx.http.control('klink/members', { id_member: plan.from, balance: plan.openingSend });
    await ctx.http.control('klink/members', { id_member: plan.to, balance: plan.openingReceipt });
    await armFault(ctx, plan);
  } catch (err) {
    // Nothing was started: the payment must have moved nothing, which reconcile checks.
    payment.startError = `set-up failed: ${message(err)}`;
    payment.marks.push('set-up-failed');
    return payment;
  }
  // The backend decides a moment after the members exist, as a real one would.
  await ctx.sleep(ctx.rng.int(0, 500));
  try {
    await ctx.http.gateway('POST', '/klink/transfers', {
      transferId: plan.transferId,
      idMemberSend: plan.from,
      idMemberReceipt: plan.to,
      amount: plan.amount,
      description: `chaos ${plan.variant}`,
      confirmDelaysSeconds: [1, 1],
    });
  } catch (err) {
    // A 4xx here is the start refused (no execution); no answer at all: it may exist.
    payment.startError = err instanceof GatewayError ? `HTTP ${err.status}: ${err.message}` : message(err);
  }
  return payment;
}

/** The sandbox fault on transfer_to_account, matched on this payment's sender only. */
async function armFault(ctx: DriveContext, plan: TransferPlan): Promise<void> {
  if (plan.variant !== 'timeout-after-commit' && plan.variant !== 'provider-5xx') return;
  const timeout = plan.variant === 'timeout-after-commit';
  await ctx.http.control('faults', {
    route: 'klink.transfer_to_account',
    mode: timeout ? 'timeout-after-commit' : 'error5xx',
    ...(timeout ? { ms: HOLD_AFTER_COMMIT_MS } : {}),
    match: { id_member_send: plan.from },
  });
  ctx.fault(plan.variant);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---- reconcile ----

const REFERENCE = /\[paysaga:([^\]]+)\]/;

/** The transferId a journal entry names in its description, if any. */
export function referenceOf(entry: JournalEntry): string | undefined {
  return REFERENCE.exec(entry.description)?.[1];
}

interface TransferRefs {
  transferId: string;
  from: string;
  to: string;
  amount: number;
  openingSend: number;
  openingReceipt: number;
}

function refsOf(p: EndedPayment): TransferRefs {
  return {
    transferId: String(p.refs.transferId),
    from: String(p.refs.idMemberSend),
    to: String(p.refs.idMemberReceipt),
    amount: Number(p.refs.amount),
    openingSend: Number(p.refs.openingSend),
    openingReceipt: Number(p.refs.openingReceipt),
  };
}

/**
 * Every 'transfer' entry belongs to exactly one payment (by its reference) and moves exactly
 * that payment's amount from its sender to its recipient; each payment moved as its status says;
 * the members' balances are their opening balances plus or minus what moved.
 */
export function checkKWalletTransfers(ledger: KWalletLedger, payments: readonly EndedPayment[]): Finding[] {
  const transfers = ledger.entries.filter((e) => e.kind === 'transfer');
  const byReference = new Map<string, JournalEntry[]>();
  for (const entry of transfers) {
    const ref = referenceOf(entry) ?? '';
    byReference.set(ref, [...(byReference.get(ref) ?? []), entry]);
  }
  const findings: Finding[] = [];
  const known = new Set<string>();
  for (const payment of payments) {
    const refs = refsOf(payment);
    known.add(refs.transferId);
    findings.push(...checkOne(ledger, payment, refs, byReference.get(refs.transferId) ?? []));
  }
  for (const [ref, entries] of byReference) {
    if (known.has(ref)) continue;
    findings.push({
      invariant: 'lost',
      detail:
        `K-Wallet transfer${entries.length > 1 ? 's' : ''} belonging to no payment of the campaign ` +
        `(${ref === '' ? 'no [paysaga:…] reference' : `reference ${kwalletTransferReference(ref)}`}): ` +
        describeEntries(entries),
    });
  }
  return findings;
}

function checkOne(
  ledger: KWalletLedger,
  payment: EndedPayment,
  refs: TransferRefs,
  entries: JournalEntry[],
): Finding[] {
  const findings: Finding[] = [];
  const flag = (invariant: Finding['invariant'], what: string) =>
    findings.push({
      invariant,
      workflowId: payment.workflowId,
      detail:
        `${what} (transfer ${refs.transferId}: ${refs.amount} from ${refs.from} to ${refs.to}, ` +
        `status ${payment.status ?? 'not found'}${payment.startError ? `, start error: ${payment.startError}` : ''}); ` +
        `journal entries: ${describeEntries(entries)}`,
    });

  for (const entry of entries) {
    const out = memberMovement(entry, refs.from);
    const into = memberMovement(entry, refs.to);
    if (out.out !== refs.amount || into.in !== refs.amount || entry.lines.length !== 2)
      flag('lost', `journal entry #${entry.id} under this transfer's reference moved other money than asked`);
  }
  if (entries.length > 1) flag('double-moved', `${entries.length} K-Wallet transfers for one transfer`);

  const moved = entries.length > 0;
  if (payment.status === 'TRANSFERRED' && !moved)
    flag('lost', 'TRANSFERRED but K-Wallet shows no transfer: the recipient never got it');
  else if (payment.status === 'FAILED' && moved) flag('lost', 'FAILED but K-Wallet moved the money');
  else if (payment.status === undefined && payment.startError !== undefined && moved)
    flag('lost', 'never started (start error) but K-Wallet moved the money');

  // A set-up that failed halfway left a member without its opening balance: nothing to compare.
  if (findings.length === 0 && !payment.marks.includes('set-up-failed'))
    findings.push(...checkBalances(ledger, payment, refs, entries.length));
  return findings;
}

/** Opening balances plus or minus what the entries moved: anything else touched these members. */
function checkBalances(
  ledger: KWalletLedger,
  payment: EndedPayment,
  refs: TransferRefs,
  transfers: number,
): Finding[] {
  const moved = refs.amount * transfers;
  const send = memberBalance(ledger, refs.from);
  const receipt = memberBalance(ledger, refs.to);
  const wantSend = refs.openingSend - moved;
  const wantReceipt = refs.openingReceipt + moved;
  if (send === wantSend && receipt === wantReceipt) return [];
  return [
    {
      invariant: 'lost',
      workflowId: payment.workflowId,
      detail:
        `balances differ from opening ± what moved (transfer ${refs.transferId}, status ` +
        `${payment.status ?? 'not found'}, ${transfers} transfer(s) of ${refs.amount}): ` +
        `${refs.from} has ${send}, expected ${wantSend} (opening ${refs.openingSend}); ` +
        `${refs.to} has ${receipt}, expected ${wantReceipt} (opening ${refs.openingReceipt})`,
    },
  ];
}

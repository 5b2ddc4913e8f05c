/**
 * Prakerja's side of the world: payment tokens (one per OTP sent to a participant), the
 * transactions authorize creates, void's rules, and counters tests assert on. No HTTP here:
 * routes.ts maps these outcomes to responses, so the rules read as the document states them.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { StateSection } from '../state-file';

export interface PrakerjaError {
  status: number;
  code: string;
  message: string;
}

/** Business refusals exactly as documented on the authorize and void pages. */
export const PRAKERJA_ERRORS = {
  tokenInvalid: { status: 400, code: 'ERRPLT40034', message: 'Token Payment tidak valid.' },
  tokenClaimed: { status: 400, code: 'ERRTRX40032', message: 'Token Payment tidak valid.' },
  transactionCodeUnknown: { status: 400, code: 'ERRVOD40001', message: 'Kode transaksi tidak ditemukan.' },
  transactionNotFound: { status: 400, code: 'ERRPLT40401', message: 'Transaksi tidak ditemukan.' },
  alreadyVoided: {
    status: 400,
    code: 'ERRPLT40028',
    message: 'Transaksi sudah dibatalkan sebelumnya, silahkan hubungi tim ops prakerja.',
  },
  olderThanTwoDays: {
    status: 400,
    code: 'ERRVOD40010',
    message: 'Transaksi sudah lebih dari 2 hari, silahkan hubungi tim ops prakerja.',
  },
} as const satisfies Record<string, PrakerjaError>;

/** Reasons Prakerja refuses a void that the sandbox cannot derive by itself; a test sets them. */
export const VOID_REFUSALS = {
  redeemed: {
    status: 400,
    code: 'ERRVOD40004',
    message: 'Gagal dibatalkan. Peserta sudah melakukan redeem untuk pelatihan ini.',
  },
  paidOut: {
    status: 400,
    code: 'ERRVOD40009',
    message: 'Gagal dibatalkan. Sudah dibayarkan ke digital platform untuk transaksi ini.',
  },
  completionValidated: {
    status: 400,
    code: 'ERRVOD40008',
    message:
      'Gagal dibatalkan. Laporan penyelesaian pelatihan untuk transaksi ini sudah validasi sebelumnya.',
  },
  pastWindow: {
    status: 400,
    code: 'ERRVOD40003',
    message: 'Gagal dibatalkan. Sudah melewati batas waktu maksimal pembatalan.',
  },
  reconciliationOver4Days: {
    status: 400,
    code: 'ERRVOD40005',
    message: 'Gagal dibatalkan. Tanggal permintaan lebih besar dari 4 hari.',
  },
} as const satisfies Record<string, PrakerjaError>;

export type VoidRefusal = keyof typeof VOID_REFUSALS;
export const VOID_REFUSAL_NAMES = Object.keys(VOID_REFUSALS) as [VoidRefusal, ...VoidRefusal[]];

const DAY_MS = 24 * 60 * 60 * 1000;
const VOID_WINDOW_MS = 2 * DAY_MS;
const DEFAULT_PARTICIPANT_NAME = 'peserta sandbox';

const TokenRecord = z.object({
  payment_token: z.string(),
  otp: z.string(),
  amount: z.number(),
  prakerja_name: z.string(),
  claimed: z.boolean(),
  wrong_otp_attempts: z.number(),
  created_at: z.number(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

const TransactionRecord = z.object({
  transaction_code: z.string(),
  invoice_code: z.string(),
  invoice_url: z.string(),
  amount: z.number(),
  status: z.literal('SUCCESS'),
  prakerja_name: z.string(),
  created_at: z.number(),
  voided: z.boolean(),
  voided_at: z.number().nullable(),
  refusals: z.array(z.enum(VOID_REFUSAL_NAMES)),
});
export type TransactionRecord = z.infer<typeof TransactionRecord>;

const InvoiceCounters = z.object({
  authorizeRequests: z.number(),
  authorizeSuccesses: z.number(),
  voidRequests: z.number(),
  voidSuccesses: z.number(),
  wrongOtp: z.number(),
});
export type InvoiceCounters = z.infer<typeof InvoiceCounters>;

const Totals = z.object({
  authorizeRequests: z.number(),
  authorizeSuccesses: z.number(),
  voidRequests: z.number(),
  voidSuccesses: z.number(),
  wrongOtp: z.number(),
});
type Totals = z.infer<typeof Totals>;

export type PrakerjaStats = Totals & { byInvoice: Record<string, InvoiceCounters> };

/**
 * On-disk form. Per-invoice maps are stored as [key, value] pairs and held in Maps in memory:
 * invoice codes come from requests, and a plain object keyed by them would let '__proto__' in.
 */
const Snapshot = z.object({
  tokens: z.array(TokenRecord),
  transactions: z.array(TransactionRecord),
  /** Refusals arranged for an invoice that has no transaction yet. */
  pendingRefusals: z.array(z.tuple([z.string(), z.array(z.enum(VOID_REFUSAL_NAMES))])),
  totals: Totals,
  byInvoice: z.array(z.tuple([z.string(), InvoiceCounters])),
});
type Snapshot = z.infer<typeof Snapshot>;

interface Data {
  tokens: TokenRecord[];
  transactions: TransactionRecord[];
  pendingRefusals: Map<string, VoidRefusal[]>;
  totals: Totals;
  byInvoice: Map<string, InvoiceCounters>;
}

export type AuthorizeOutcome =
  { ok: true; transaction: TransactionRecord } | { ok: false; error: PrakerjaError };
export type VoidOutcome = { ok: true } | { ok: false; error: PrakerjaError };

export class PrakerjaState implements StateSection {
  readonly name = 'prakerja';
  private data: Data = emptyData();

  /** `onChange` runs after every mutation (the server persists there). */
  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  // ---- control: the "send OTP" step of the real flow, which our documents do not cover ----

  createToken(input: { amount: number; prakerja_name?: string; otp?: string }): TokenRecord {
    const token: TokenRecord = {
      payment_token: 'ptk_' + randomBytes(12).toString('hex'),
      otp: input.otp ?? String(randomInt(0, 1_000_000)).padStart(6, '0'),
      amount: input.amount,
      prakerja_name: input.prakerja_name ?? DEFAULT_PARTICIPANT_NAME,
      claimed: false,
      wrong_otp_attempts: 0,
      created_at: this.now(),
    };
    this.data.tokens.push(token);
    this.onChange();
    return { ...token };
  }

  // ---- counters: a request counts once it passed authentication ----

  countAuthorizeRequest(invoiceCode: string | undefined): void {
    this.data.totals.authorizeRequests += 1;
    if (invoiceCode !== undefined) this.invoiceCounters(invoiceCode).authorizeRequests += 1;
    this.onChange();
  }

  countVoidRequest(invoiceCode: string | undefined): void {
    this.data.totals.voidRequests += 1;
    if (invoiceCode !== undefined) this.invoiceCounters(invoiceCode).voidRequests += 1;
    this.onChange();
  }

  // ---- the documented operations ----

  authorize(input: {
    paymentToken: string;
    otp: string;
    invoiceCode: string;
    invoiceUrl: string;
  }): AuthorizeOutcome {
    const token = this.data.tokens.find((t) => t.payment_token === input.paymentToken);
    if (!token) return { ok: false, error: PRAKERJA_ERRORS.tokenInvalid };
    // A claimed token is refused with its own code whatever OTP comes with it.
    if (token.claimed) return { ok: false, error: PRAKERJA_ERRORS.tokenClaimed };
    if (!otpEquals(token.otp, input.otp)) {
      // The API validates OTP and payment_token together ("validasi OTP & payment_token"), so a
      // wrong OTP is the same refusal as an unknown token; the token stays usable.
      token.wrong_otp_attempts += 1;
      this.data.totals.wrongOtp += 1;
      this.invoiceCounters(input.invoiceCode).wrongOtp += 1;
      this.onChange();
      return { ok: false, error: PRAKERJA_ERRORS.tokenInvalid };
    }

    const pending = this.data.pendingRefusals.get(input.invoiceCode);
    this.data.pendingRefusals.delete(input.invoiceCode);
    const transaction: TransactionRecord = {
      transaction_code: randomTransactionCode(),
      invoice_code: input.invoiceCode,
      invoice_url: input.invoiceUrl,
      amount: token.amount,
      status: 'SUCCESS',
      prakerja_name: token.prakerja_name,
      created_at: this.now(),
      voided: false,
      voided_at: null,
      refusals: pending ?? [],
    };
    token.claimed = true;
    this.data.transactions.push(transaction);
    this.data.totals.authorizeSuccesses += 1;
    this.invoiceCounters(input.invoiceCode).authorizeSuccesses += 1;
    this.onChange();
    return { ok: true, transaction: { ...transaction } };
  }

  /** Checks in the order the document lists them, most basic first; see refusalFor for the flags. */
  void(input: { invoiceCode: string; transactionCode: string }): VoidOutcome {
    const tx = this.data.transactions.find((t) => t.transaction_code === input.transactionCode);
    if (!tx) return { ok: false, error: PRAKERJA_ERRORS.transactionCodeUnknown };
    if (tx.invoice_code !== input.invoiceCode)
      return { ok: false, error: PRAKERJA_ERRORS.transactionNotFound };
    if (tx.voided) return { ok: false, error: PRAKERJA_ERRORS.alreadyVoided };
    if (this.now() - tx.created_at > VOID_WINDOW_MS)
      return { ok: false, error: PRAKERJA_ERRORS.olderThanTwoDays };
    const refusal = VOID_REFUSAL_NAMES.find((name) => tx.refusals.includes(name));
    if (refusal) return { ok: false, error: VOID_REFUSALS[refusal] };

    tx.voided = true;
    tx.voided_at = this.now();
    this.data.totals.voidSuccesses += 1;
    this.invoiceCounters(tx.invoice_code).voidSuccesses += 1;
    this.onChange();
    return { ok: true };
  }

  // ---- control: arrange what the sandbox cannot know (redeemed, paid out, ...) ----

  /** Applies to every transaction of the invoice; with none yet, to the next one authorize creates. */
  refuseVoid(invoiceCode: string, refusal: VoidRefusal): { appliedTo: number; pending: boolean } {
    const txs = this.data.transactions.filter((t) => t.invoice_code === invoiceCode);
    for (const tx of txs) if (!tx.refusals.includes(refusal)) tx.refusals.push(refusal);
    if (txs.length === 0) {
      const pending = this.data.pendingRefusals.get(invoiceCode) ?? [];
      if (!pending.includes(refusal)) pending.push(refusal);
      this.data.pendingRefusals.set(invoiceCode, pending);
    }
    this.onChange();
    return { appliedTo: txs.length, pending: txs.length === 0 };
  }

  /** Moves created_at back, so the 2-day rule can be exercised without waiting two days. */
  backdate(invoiceCode: string, days: number): number {
    const txs = this.data.transactions.filter((t) => t.invoice_code === invoiceCode);
    for (const tx of txs) tx.created_at -= days * DAY_MS;
    if (txs.length > 0) this.onChange();
    return txs.length;
  }

  // ---- read-only views for the control API (never tokens or OTPs) ----

  stats(): PrakerjaStats {
    // Object.fromEntries defines own properties, so even an invoice named '__proto__' is just a key.
    return structuredClone({ ...this.data.totals, byInvoice: Object.fromEntries(this.data.byInvoice) });
  }

  transactions(invoiceCode?: string): TransactionRecord[] {
    return this.data.transactions
      .filter((t) => invoiceCode === undefined || t.invoice_code === invoiceCode)
      .map((t) => structuredClone(t));
  }

  // ---- StateSection ----

  snapshot(): Snapshot {
    return structuredClone({
      tokens: this.data.tokens,
      transactions: this.data.transactions,
      pendingRefusals: [...this.data.pendingRefusals],
      totals: this.data.totals,
      byInvoice: [...this.data.byInvoice],
    });
  }

  restore(data: unknown): void {
    const parsed = Snapshot.parse(data);
    this.data = {
      tokens: parsed.tokens,
      transactions: parsed.transactions,
      pendingRefusals: new Map(parsed.pendingRefusals),
      totals: parsed.totals,
      byInvoice: new Map(parsed.byInvoice),
    };
  }

  reset(): void {
    this.data = emptyData();
  }

  private invoiceCounters(invoiceCode: string): InvoiceCounters {
    let counters = this.data.byInvoice.get(invoiceCode);
    if (!counters) {
      counters = {
        authorizeRequests: 0,
        authorizeSuccesses: 0,
        voidRequests: 0,
        voidSuccesses: 0,
        wrongOtp: 0,
      };
      this.data.byInvoice.set(invoiceCode, counters);
    }
    return counters;
  }
}

function emptyData(): Data {
  return {
    tokens: [],
    transactions: [],
    pendingRefusals: new Map(),
    totals: { authorizeRequests: 0, authorizeSuccesses: 0, voidRequests: 0, voidSuccesses: 0, wrongOtp: 0 },
    byInvoice: new Map(),
  };
}

const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Shaped like the document's example, 'QHBST9GB5OSS888I': 16 uppercase alphanumerics. */
function randomTransactionCode(): string {
  let code = '';
  for (let i = 0; i < 16; i += 1) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

function otpEquals(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

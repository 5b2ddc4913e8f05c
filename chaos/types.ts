/**
 * The fault campaign's vocabulary (see chaos/README in docs/reliability.md): what a saga module
 * gives the campaign, what the campaign gives it back, and the invariants the run is judged by.
 *
 * A saga module (chaos/sagas/<saga>.ts) knows one saga's payers and one provider's books; the
 * campaign (chaos/campaign.ts) knows nothing of either. It schedules payments and faults, waits
 * for every payment to end, reads the engine's side (the payment's view, its run status, the
 * review list) and hands each module its own payments to reconcile against the sandbox's books.
 */
import type { SagaName } from '../workflows/sagas';
import type { Rng } from './random';

/**
 * What the run is judged by: each is a count of findings, and a campaign passes only when every
 * count is zero.
 */
export const INVARIANTS = [
  /** A payment the engine lost (no execution, a failed or terminated one), or money that moved at
   *  a provider while the payment it belongs to says it did not (charged but VOIDED, paid but EXPIRED
   *  with no report, a debit never refunded on a REFUNDED purchase). */
  'lost',
  /** Money moved more than once for one payment: two charges, refunds, payouts or debits. */
  'double-moved',
  /** A payment neither final nor in NEEDS_REVIEW where an operator finds it (its search attribute). */
  'stuck-unseen',
  /** A forged webhook or callback the gateway accepted, or a replayed one that changed a payment. */
  'forged-accepted',
  /** A secret's value found in a workflow history or a log line. */
  'secrets-leaked',
  /** A provider ledger whose entries do not balance. */
  'ledger-unbalanced',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

/**
 * What no engine could have done better, counted apart so it is seen and never hides a real
 * finding. Each is defined narrowly in the module that reports it.
 */
export const KNOWN_LIMITS = [
  /** Money a provider took but never notified (every webhook for it dropped by the provider),
   *  when nothing could be asked: a method with no status call (K-Link VA, manual, card), or
   *  money that arrived after its payment had ended (chaos/sagas/transfer.ts providerSilent). */
  'provider-silent',
] as const;
export type KnownLimit = (typeof KNOWN_LIMITS)[number];

/** One broken promise (or a known limit met), with the payment it is about and what the books and the engine said. */
export interface Finding {
  invariant: Invariant | KnownLimit;
  workflowId?: string;
  detail: string;
}

/** The faults the campaign injects, by kind (the table's middle part counts them). */
export const FAULT_KINDS = [
  'worker-kill',
  'temporal-restart',
  'gateway-restart',
  'provider-5xx',
  'latency-past-timeout',
  'timeout-after-commit',
  'provider-outage',
  'webhook-drop',
  'webhook-duplicate',
  'webhook-reorder',
  'webhook-delay',
  'webhook-forged',
  'webhook-replayed',
  'callback-drop',
  'callback-duplicate',
  'operator-race',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** HTTP as a backend service or a payer does it. */
export interface Http {
  /**
   * The gateway's /v1 REST front, as a careful backend calls it: a connection refused, 429, 502,
   * 503 or 504 is retried with the same body (the same order id, so the same payment) for up to
   * `retryForMs` (default 120 s); any other non-2xx answer throws a GatewayError with its status.
   */
  gateway<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown, retryForMs?: number): Promise<T>;
  /** The sandbox's control API (/_control/<path>): GET without a body, POST with one, or DELETE. */
  control<T = unknown>(path: string, body?: unknown, method?: 'DELETE'): Promise<T>;
  /** One raw request, never retried, never throwing on a status: for forged and replayed webhooks. */
  raw(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    init?: { body?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string }>;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface DriveContext {
  http: Http;
  /** This payment's own random stream (derived from the seed and the payment's index). */
  rng: Rng;
  /** Unique within the run, for order ids, invoice codes, member ids. */
  id: string;
  gatewayUrl: string;
  sandboxUrl: string;
  /** The sandbox's K-Link login (a shop paying into escrow uses it). */
  klink: { baseUrl: string; email: string; password: string };
  /** Counts a fault a module injected around its own payment (a forged webhook, an operator race). */
  fault(kind: FaultKind): void;
  sleep(ms: number): Promise<void>;
}

/** One payment the campaign started. */
export interface Payment {
  saga: SagaName;
  /** How the money moves (a transfer method, 'otp', 'prepaid', ...). */
  method: string;
  workflowId: string;
  /**
   * Ids the module needs to find this payment in the provider's books (invoice code, order id,
   * refid, member ids, amounts asked): whatever its reconcile reads.
   */
  refs: Record<string, string | number>;
  /** Set when the start was never answered (every retry failed): the payment may not exist. */
  startError?: string;
  /** Things the module did to this payment that reconcile must know (e.g. 'forged-paid'). */
  marks: string[];
}

/** A payment at the end of the run, as the engine shows it. */
export interface EndedPayment extends Payment {
  /** Its view's status (GET /v1/payments/:id); undefined when the engine has no such payment. */
  status?: string;
  /** Temporal's run status: RUNNING, COMPLETED, FAILED, TERMINATED, ...; undefined when not found. */
  runStatus?: string;
  /** The whole view, for modules that read more than the status (amounts, review reason). */
  view?: Record<string, unknown>;
}

export interface ChaosSaga {
  saga: SagaName;
  /** The ways its money moves; the campaign picks one per payment with the payment's rng. */
  methods: readonly string[];
  /**
   * Starts one payment through the gateway and plays everyone around it (the payer who pays, the
   * participant who sends the OTP, the caller who accepts a bill, the operator who races a
   * webhook) until its part is done. Resolves with the payment once the payer's part is over;
   * the engine may still be working on it. Must not throw for a fault: a start that never got an
   * answer is a Payment with startError.
   */
  drive(ctx: DriveContext, method: string): Promise<Payment>;
  /**
   * Reads this saga's provider books from the sandbox and checks each ended payment against
   * them: money moved exactly as its status says (lost, double-moved), and no money moved for
   * a forged or replayed webhook (forged-accepted). Payments in NEEDS_REVIEW may hold any money
   * state (an operator decides), but never a double movement.
   */
  reconcile(http: Http, payments: EndedPayment[]): Promise<Finding[]>;
}

/**
 * Merchant fulfilment simulator: the "embedding service" that delivers what the participant
 * bought once Prakerja has authorized the payment. It is idempotent by the Idempotency-Key
 * header, as the engine's fulfil step requires, and a test can make it refuse (4xx: the engine
 * must give up and compensate; 5xx: the engine must retry).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseControlBody } from '../control-routes';
import type { FaultRegistry, SimulatedExchange } from '../faults';
import type { StateSection } from '../state-file';

export const MERCHANT_FAULT_ROUTES = { fulfil: 'merchant.fulfil' } as const;

const Fulfilment = z.object({
  idempotency_key: z.string(),
  reference: z.string(),
  invoice_code: z.string(),
  transaction_code: z.string(),
  amount: z.number(),
  order_id: z.string(),
  created_at: z.number(),
});
export type Fulfilment = z.infer<typeof Fulfilment>;

/** `remaining: null` = refuse every request until reset. */
const FailRule = z.object({ status: z.number(), remaining: z.number().nullable() });
type FailRule = z.infer<typeof FailRule>;

const Counters = z.object({ requests: z.number(), fulfilments: z.number() });
type Counters = z.infer<typeof Counters>;

/** Keyed collections are stored as [key, value] pairs and kept in Maps (keys come from requests). */
const Snapshot = z.object({
  fulfilments: z.array(z.tuple([z.string(), Fulfilment])),
  failRules: z.array(z.tuple([z.string(), FailRule])),
  totals: z.object({ fulfilRequests: z.number(), fulfilments: z.number() }),
  byInvoice: z.array(z.tuple([z.string(), Counters])),
});

export interface MerchantStats {
  fulfilRequests: number;
  fulfilments: number;
  byInvoice: Record<string, Counters>;
}

export type FulfilOutcome =
  { kind: 'fulfilled'; reference: string } | { kind: 'refused'; status: number } | { kind: 'key-conflict' };

export class MerchantState implements StateSection {
  readonly name = 'merchant';
  private fulfilmentsByKey = new Map<string, Fulfilment>();
  private failRules = new Map<string, FailRule>();
  private totals = { fulfilRequests: 0, fulfilments: 0 };
  private byInvoice = new Map<string, Counters>();

  constructor(
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  /** Arrival: counted even when the delivery is then refused or replayed. */
  countRequest(invoiceCode: string): void {
    this.totals.fulfilRequests += 1;
    this.invoiceCounters(invoiceCode).requests += 1;
    this.onChange();
  }

  fulfil(
    key: string,
    input: Omit<Fulfilment, 'idempotency_key' | 'reference' | 'created_at'>,
  ): FulfilOutcome {
    const rule = this.failRules.get(input.invoice_code);
    if (rule) {
      // Checked before the idempotency replay: a refusing merchant refuses repeats too.
      if (rule.remaining !== null) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.failRules.delete(input.invoice_code);
      }
      this.onChange();
      return { kind: 'refused', status: rule.status };
    }
    const existing = this.fulfilmentsByKey.get(key);
    if (existing) {
      // A key names one delivery; reusing it for another order is a client bug worth surfacing.
      const same =
        existing.invoice_code === input.invoice_code &&
        existing.transaction_code === input.transaction_code &&
        existing.amount === input.amount &&
        existing.order_id === input.order_id;
      return same ? { kind: 'fulfilled', reference: existing.reference } : { kind: 'key-conflict' };
    }
    const fulfilment: Fulfilment = {
      ...input,
      idempotency_key: key,
      reference: 'ful_' + randomBytes(12).toString('hex'),
      created_at: this.now(),
    };
    this.fulfilmentsByKey.set(key, fulfilment);
    this.totals.fulfilments += 1;
    this.invoiceCounters(input.invoice_code).fulfilments += 1;
    this.onChange();
    return { kind: 'fulfilled', reference: fulfilment.reference };
  }

  failFor(invoiceCode: string, status: number, times: number | undefined): void {
    this.failRules.set(invoiceCode, { status, remaining: times ?? null });
    this.onChange();
  }

  stats(): MerchantStats {
    return structuredClone({ ...this.totals, byInvoice: Object.fromEntries(this.byInvoice) });
  }

  fulfilments(invoiceCode?: string): Fulfilment[] {
    return [...this.fulfilmentsByKey.values()]
      .filter((f) => invoiceCode === undefined || f.invoice_code === invoiceCode)
      .map((f) => ({ ...f }));
  }

  snapshot(): z.infer<typeof Snapshot> {
    return structuredClone({
      fulfilments: [...this.fulfilmentsByKey],
      failRules: [...this.failRules],
      totals: this.totals,
      byInvoice: [...this.byInvoice],
    });
  }

  restore(data: unknown): void {
    const parsed = Snapshot.parse(data);
    this.fulfilmentsByKey = new Map(parsed.fulfilments);
    this.failRules = new Map(parsed.failRules);
    this.totals = parsed.totals;
    this.byInvoice = new Map(parsed.byInvoice);
  }

  reset(): void {
    this.fulfilmentsByKey = new Map();
    this.failRules = new Map();
    this.totals = { fulfilRequests: 0, fulfilments: 0 };
    this.byInvoice = new Map();
  }

  private invoiceCounters(invoiceCode: string): Counters {
    let counters = this.byInvoice.get(invoiceCode);
    if (!counters) {
      counters = { requests: 0, fulfilments: 0 };
      this.byInvoice.set(invoiceCode, counters);
    }
    return counters;
  }
}

const FulfilBody = z.object({
  invoice_code: z.union([z.string().min(1), z.number()]).transform(String),
  transaction_code: z.string().min(1),
  amount: z.number().nonnegative(),
  order_id: z.string().min(1),
});

export interface MerchantRoutesOptions {
  state: MerchantState;
  faults: FaultRegistry;
}

/** Mounted at /merchant. */
export const merchantRoutes: FastifyPluginAsync<MerchantRoutesOptions> = async (app, { state, faults }) => {
  faults.declareRoutes(MERCHANT_FAULT_ROUTES.fulfil);

  const fulfil = (request: FastifyRequest): SimulatedExchange => {
    let key = '';
    let order: z.output<typeof FulfilBody> | undefined;
    return {
      receive: () => {
        const header = request.headers['idempotency-key'];
        if (typeof header !== 'string' || header.trim() === '') {
          return { status: 400, body: { error: 'Idempotency-Key header is required' } };
        }
        if (request.jsonError !== null) return { status: 400, body: { error: 'invalid JSON body' } };
        const parsed = FulfilBody.safeParse(request.body);
        if (!parsed.success) {
          const field = parsed.error.issues[0]?.path.join('.') || 'body';
          return { status: 400, body: { error: `invalid request: ${field}` } };
        }
        key = header;
        order = parsed.data;
        state.countRequest(order.invoice_code);
        return undefined;
      },
      process: () => {
        const outcome = state.fulfil(key, order!);
        switch (outcome.kind) {
          case 'fulfilled':
            return { status: 200, body: { fulfilled: true, reference: outcome.reference } };
          case 'refused':
            return { status: outcome.status, body: { error: 'fulfilment refused' } };
          case 'key-conflict':
            return { status: 422, body: { error: 'Idempotency-Key already used for a different request' } };
        }
      },
    };
  };

  app.post('/fulfil', async (request, reply) => {
    const body = request.body;
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const fault = faults.takeFault(MERCHANT_FAULT_ROUTES.fulfil, fields);
    return faults.serveWithFault(fault, request, reply, fulfil(request));
  });
};

export interface MerchantControlOptions {
  state: MerchantState;
}

/** Mounted at /_control/merchant. */
export const merchantControlRoutes: FastifyPluginAsync<MerchantControlOptions> = async (app, { state }) => {
  const Fail = z.object({
    invoice_code: z.union([z.string().min(1), z.number()]).transform(String),
    status: z.number().int().min(400).max(599),
    times: z.number().int().positive().optional(),
  });

  app.post('/fail', async (request) => {
    const { invoice_code, status, times } = parseControlBody(Fail, request);
    state.failFor(invoice_code, status, times);
    return { invoice_code, status, times: times ?? null };
  });

  app.get('/stats', async () => state.stats());

  app.get('/fulfilments', async (request) => {
    const query = request.query as { invoice_code?: unknown };
    return state.fulfilments(typeof query.invoice_code === 'string' ? query.invoice_code : undefined);
  });
};

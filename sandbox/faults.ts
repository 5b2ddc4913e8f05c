/**
 * Fault injection shared by every simulator (Prakerja and merchant today; K-Link, PPOB, AliKassa
 * later). A test arms a fault for a named route through the control API; the route handler takes
 * at most one fault per request and lets `serveWithFault` run its work under it. That keeps the
 * per-simulator cost to two lines:
 *
 *   const fault = faults.takeFault('prakerja.authorize', { invoice_code });
 *   return faults.serveWithFault(fault, request, reply, { receive, process });
 *
 * A simulator's work is split in two phases because a slow provider is slow *after* it received
 * a request: `receive` is the arrival (authentication, request counters), `process` is the work
 * that commits (checks, state change). Latency sits between them, so a test can see that a
 * request arrived while its outcome is still pending. A plain function means "process only".
 *
 * The modes are the failures a payment engine has to survive: a slow provider (latency), a
 * provider that refuses before acting (error5xx, reset-before) and, the dangerous ones, a
 * provider that acted but whose answer never arrived (timeout-after-commit, reset-after-commit).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export const FAULT_MODES = [
  'latency',
  'error5xx',
  'timeout-after-commit',
  'reset-after-commit',
  'reset-before',
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** Held responses wait this long unless the fault says otherwise: longer than any sane client timeout. */
const DEFAULT_HOLD_MS = 30_000;
const DEFAULT_ERROR_STATUS = 503;

/** What the control API accepts. `match` compares request fields as strings (invoice_code 42 matches '42'). */
export const FaultSpecSchema = z.object({
  route: z.string().min(1),
  mode: z.enum(FAULT_MODES),
  ms: z.number().int().min(0).max(600_000).optional(),
  status: z.number().int().min(500).max(599).optional(),
  count: z.number().int().min(1).optional(),
  match: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
});
export type FaultSpec = z.input<typeof FaultSpecSchema>;

export interface ArmedFault {
  id: string;
  route: string;
  mode: FaultMode;
  /** latency: the delay; timeout-after-commit: how long the response is held. */
  ms?: number;
  /** error5xx only. */
  status?: number;
  /** How many more matching requests this fault will hit. */
  remaining: number;
  match: Record<string, string>;
}

/** Fields of a request a fault can match on; values are compared as strings. */
export type FaultFields = Record<string, unknown>;

/** What a simulator's handler produces when it runs: sent as-is unless a fault intervenes. */
export interface SimulatedResponse {
  status: number;
  body: unknown;
}

export interface SimulatedExchange {
  /** Arrival bookkeeping. Return a response to answer with it instead of processing (e.g. an auth refusal). */
  receive?: () => SimulatedResponse | undefined;
  /** The provider's work: checks, state change, persistence. */
  process: () => SimulatedResponse | Promise<SimulatedResponse>;
}

export interface ServeOptions {
  /** Body of an injected 5xx, so each simulator can answer in its provider's error shape. */
  errorBody?: (status: number) => unknown;
}

export class FaultRegistry {
  private armed: ArmedFault[] = [];
  private readonly knownRoutes = new Set<string>();
  /** Release functions of every response currently being held, so close() never waits on them. */
  private readonly holds = new Set<() => void>();

  /** Simulators declare their route names so a typo in a test ('prakerja.authorise') is refused instead of never firing. */
  declareRoutes(...routes: string[]): void {
    for (const route of routes) this.knownRoutes.add(route);
  }

  routes(): string[] {
    return [...this.knownRoutes].sort();
  }

  /** Arm a fault; throws on an unknown route (the control API turns that into a 400). */
  arm(spec: FaultSpec): ArmedFault {
    const parsed = FaultSpecSchema.parse(spec);
    if (!this.knownRoutes.has(parsed.route)) {
      throw new UnknownFaultRouteError(parsed.route, this.routes());
    }
    const fault: ArmedFault = {
      id: randomUUID(),
      route: parsed.route,
      mode: parsed.mode,
      remaining: parsed.count ?? 1,
      match: parsed.match ?? {},
    };
    if (parsed.mode === 'latency' || parsed.mode === 'timeout-after-commit') {
      fault.ms = parsed.ms ?? (parsed.mode === 'latency' ? 1000 : DEFAULT_HOLD_MS);
    }
    if (parsed.mode === 'error5xx') fault.status = parsed.status ?? DEFAULT_ERROR_STATUS;
    this.armed.push(fault);
    return { ...fault };
  }

  list(): ArmedFault[] {
    return this.armed.map((f) => ({ ...f, match: { ...f.match } }));
  }

  clear(): void {
    this.armed = [];
  }

  /** Disarms one fault (an outage that ends); false when it is not armed (used up, or unknown). */
  remove(id: string): boolean {
    const before = this.armed.length;
    this.armed = this.armed.filter((f) => f.id !== id);
    return this.armed.length < before;
  }

  /**
   * Call once per request. Returns the first armed fault (in arming order) for this route whose
   * `match` fields all equal the request's, and uses up one of its count; undefined when none applies.
   */
  takeFault(route: string, fields: FaultFields = {}): ArmedFault | undefined {
    const index = this.armed.findIndex(
      (f) =>
        f.route === route &&
        Object.entries(f.match).every(([key, want]) => {
          const got = fields[key];
          return (typeof got === 'string' || typeof got === 'number') && String(got) === want;
        }),
    );
    if (index < 0) return undefined;
    const fault = this.armed[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.armed.splice(index, 1);
    return { ...fault };
  }

  /**
   * Run a simulator's exchange under `fault` and send its response, or not, as the fault
   * dictates. Without a fault this is just "receive, process, send".
   */
  async serveWithFault(
    fault: ArmedFault | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    exchange: SimulatedExchange | SimulatedExchange['process'],
    options: ServeOptions = {},
  ): Promise<FastifyReply> {
    const { receive, process } =
      typeof exchange === 'function' ? { receive: undefined, process: exchange } : exchange;

    // Refused before the provider saw the request: nothing received, nothing recorded.
    if (fault?.mode === 'reset-before') return dropConnection(request, reply);
    if (fault?.mode === 'error5xx') {
      const status = fault.status ?? DEFAULT_ERROR_STATUS;
      return reply.code(status).send(options.errorBody?.(status) ?? { error: 'injected fault', status });
    }

    const early = receive?.();
    if (fault?.mode === 'latency') {
      // The full delay runs and then the work, even if the client gave up meanwhile: a slow
      // provider still acts on a request it received, later than the client stopped waiting,
      // which is exactly the ambiguity the engine must handle. Only a closing sandbox skips the
      // work, so no state changes after close() (a successor may already own the state file).
      if ((await this.hold(reply, fault.ms ?? 0, { stopWhenClientLeaves: false })) === 'released') {
        return dropConnection(request, reply);
      }
    }
    const result = early ?? (await process());

    if (fault?.mode === 'reset-after-commit') return dropConnection(request, reply);
    if (fault?.mode === 'timeout-after-commit') {
      const outcome = await this.hold(reply, fault.ms ?? DEFAULT_HOLD_MS, { stopWhenClientLeaves: true });
      // The client hung up (its timeout fired) or the sandbox is closing: nobody will read the answer.
      if (outcome !== 'elapsed') return dropConnection(request, reply);
    }
    if (reply.raw.destroyed) return dropConnection(request, reply);
    return reply.code(result.status).send(result.body);
  }

  /** Release every held response now (called from the server's preClose hook). */
  releaseHeld(): void {
    for (const release of [...this.holds]) release();
  }

  /**
   * Wait `ms`, but stop early when releaseHeld() is called and, if asked, when the client
   * disconnects, so a held response never keeps a timer (and with it the process or the
   * server's close) alive longer than needed.
   */
  private hold(
    reply: FastifyReply,
    ms: number,
    { stopWhenClientLeaves }: { stopWhenClientLeaves: boolean },
  ): Promise<'elapsed' | 'client-gone' | 'released'> {
    return new Promise((resolve) => {
      const res = reply.raw;
      const finish = (outcome: 'elapsed' | 'client-gone' | 'released') => {
        clearTimeout(timer);
        res.off('close', onClose);
        this.holds.delete(release);
        resolve(outcome);
      };
      const onClose = () => finish('client-gone');
      const release = () => finish('released');
      const timer = setTimeout(() => finish('elapsed'), ms);
      this.holds.add(release);
      if (stopWhenClientLeaves) {
        res.on('close', onClose);
        if (res.destroyed) finish('client-gone');
      }
    });
  }
}

export class UnknownFaultRouteError extends Error {
  constructor(
    readonly route: string,
    readonly known: string[],
  ) {
    super(`unknown fault route '${route}'; known routes: ${known.join(', ')}`);
    this.name = 'UnknownFaultRouteError';
  }
}

/** Tear the TCP connection down with no HTTP response at all: the client sees a reset / "socket hang up". */
function dropConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

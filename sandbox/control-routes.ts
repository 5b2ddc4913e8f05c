/**
 * The sandbox's control API (/_control): what tests and the demo use to arrange the world the
 * provider simulators then act in. This file holds the simulator-independent part (faults,
 * reset) and the helpers every simulator's own control routes share.
 *
 * No authentication, on purpose: the sandbox is a test double bound to 127.0.0.1 and must never
 * be deployed where anyone but the test suite can reach it.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FaultRegistry, FaultSpecSchema, UnknownFaultRouteError } from './faults';
import type { SandboxState } from './state-file';

/** A control request the sandbox cannot act on; answered 400 {error}. */
export class ControlRequestError extends Error {
  readonly statusCode: number;
  constructor(message: string, statusCode = 400) {
    super(message);
    this.name = 'ControlRequestError';
    this.statusCode = statusCode;
  }
}

/** Validate a control request body; throws ControlRequestError naming the offending field. */
export function parseControlBody<T extends z.ZodType>(schema: T, request: FastifyRequest): z.output<T> {
  if (request.jsonError !== null) throw new ControlRequestError(`invalid JSON body: ${request.jsonError}`);
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new ControlRequestError(`invalid ${where}: ${issue?.message ?? 'invalid request'}`);
  }
  return parsed.data;
}

/** Control answers are {error} on failure: plain, since no provider's format applies here. */
export function controlErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, 'control request failed');
  void reply.code(status).send({ error: error.message });
}

/**
 * Requests the simulators received, by simulator (the path's first segment: prakerja, klink,
 * ppob, ...); control and health requests are not counted. Lets a test prove a provider pointed
 * elsewhere never reached the sandbox.
 */
export class RequestCounter {
  private counts: Record<string, number> = {};
  count(url: string): void {
    const simulator = url.split(/[/?]/)[1] ?? '';
    if (simulator === '' || simulator === '_control' || simulator === 'healthz') return;
    this.counts[simulator] = (this.counts[simulator] ?? 0) + 1;
  }
  snapshot(): { bySimulator: Record<string, number>; total: number } {
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    return { bySimulator: { ...this.counts }, total };
  }
  reset(): void {
    this.counts = {};
  }
}

export interface ControlRoutesOptions {
  faults: FaultRegistry;
  state: SandboxState;
  requests: RequestCounter;
  /** Also reset by /_control/reset: queued webhooks, their records and delivery modes. */
  webhooks?: { reset(): void };
}

/** /_control/faults, /_control/requests and /_control/reset. */
export const controlRoutes: FastifyPluginAsync<ControlRoutesOptions> = async (
  app,
  { faults, state, webhooks, requests },
) => {
  app.get('/requests', async () => requests.snapshot());

  app.post('/faults', async (request, reply) => {
    const spec = parseControlBody(FaultSpecSchema, request);
    try {
      return reply.code(201).send(faults.arm(spec));
    } catch (err) {
      if (err instanceof UnknownFaultRouteError) throw new ControlRequestError(err.message);
      throw err;
    }
  });

  app.get('/faults', async () => faults.list());

  app.delete<{ Params: { id: string } }>('/faults/:id', async (request) => {
    if (!faults.remove(request.params.id))
      throw new ControlRequestError(`no armed fault '${request.params.id}'`, 404);
    return { removed: request.params.id };
  });

  app.delete('/faults', async () => {
    const cleared = faults.list().length;
    faults.clear();
    return { cleared };
  });

  // Between test cases: every simulator's state (and the state file) and every armed fault.
  app.post('/reset', async () => {
    faults.clear();
    requests.reset();
    webhooks?.reset();
    state.reset();
    return { ok: true };
  });
};

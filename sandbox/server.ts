/**
 * The provider sandbox: one Fastify server hosting every simulator under its own prefix
 * (/prakerja, /klink, /merchant), the control API (/_control) and /healthz. End-to-end tests and the
 * demo point the engine's provider base URLs here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createLogger } from '../common/logger';
import { controlErrorHandler, controlRoutes } from './control-routes';
import { FaultRegistry } from './faults';
import { klinkControlRoutes } from './klink/control';
import { KLINK_SANDBOX_DEFAULTS, klinkRoutes } from './klink/routes';
import { KLinkState } from './klink/state';
import { MerchantState, merchantControlRoutes, merchantRoutes } from './merchant/routes';
import { prakerjaControlRoutes, prakerjaRoutes } from './prakerja/routes';
import { PrakerjaState } from './prakerja/state';
import { SandboxState } from './state-file';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received: Prakerja signs these bytes, not a re-serialisation. */
    rawBody: Buffer | null;
    /** Set when a JSON body could not be parsed; each simulator answers that in its own format. */
    jsonError: string | null;
  }
}

export interface SandboxOptions {
  prakerja: {
    clientCode: string;
    signKey: string;
    /** How far the timestamp header may be from the sandbox clock; default 300. */
    timestampToleranceSeconds?: number;
  };
  /** K-Link's login and webhook key; each defaults to KLINK_SANDBOX_DEFAULTS. */
  klink?: {
    email?: string;
    password?: string;
    /** "PID": the key of the x-servicepayment webhook signature (webhooks come with a later issue). */
    pidKey?: string;
  };
  /** When set, state is loaded from this file at start and rewritten (atomically) after every change. */
  stateFile?: string;
  /** Clock in ms, for tests; default Date.now. */
  now?: () => number;
}

export async function buildSandboxServer(opts: SandboxOptions): Promise<FastifyInstance> {
  const now = opts.now ?? Date.now;
  // pino's Logger type differs from FastifyBaseLogger only in generics; at runtime it is what Fastify expects.
  const app: FastifyInstance = Fastify({ loggerInstance: createLogger('sandbox') as FastifyBaseLogger });

  const state = new SandboxState(opts.stateFile);
  const save = () => state.save();
  const prakerja = new PrakerjaState(now, save);
  const merchant = new MerchantState(now, save);
  const klink = new KLinkState(now, save);
  state.add(prakerja);
  state.add(merchant);
  state.add(klink);
  // Armed faults are deliberately not persisted: a restart is itself a fault, and one armed
  // before it should not fire again in a process the test did not arm it in.
  const faults = new FaultRegistry();

  app.decorateRequest('rawBody', null);
  app.decorateRequest('jsonError', null);
  // Replaces Fastify's JSON parser: keep the raw bytes, and never fail the request here, so a
  // malformed body gets the simulator's documented-style answer instead of Fastify's default.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      done(null, JSON.parse(raw.toString('utf8')));
    } catch (err) {
      request.jsonError = (err as Error).message;
      done(null, undefined);
    }
  });

  // A held response (timeout-after-commit) must not keep close() waiting for its timer.
  app.addHook('preClose', async () => faults.releaseHeld());

  app.get('/healthz', async () => ({ ok: true }));

  await app.register(prakerjaRoutes, {
    prefix: '/prakerja',
    state: prakerja,
    faults,
    clientCode: opts.prakerja.clientCode,
    signKey: opts.prakerja.signKey,
    timestampToleranceSeconds: opts.prakerja.timestampToleranceSeconds ?? 300,
    now,
  });
  await app.register(merchantRoutes, { prefix: '/merchant', state: merchant, faults });
  await app.register(klinkRoutes, {
    prefix: '/klink',
    state: klink,
    faults,
    email: opts.klink?.email ?? KLINK_SANDBOX_DEFAULTS.email,
    password: opts.klink?.password ?? KLINK_SANDBOX_DEFAULTS.password,
    now,
  });

  await app.register(
    async (control) => {
      control.setErrorHandler(controlErrorHandler);
      await control.register(controlRoutes, { faults, state });
      await control.register(prakerjaControlRoutes, { prefix: '/prakerja', state: prakerja });
      await control.register(merchantControlRoutes, { prefix: '/merchant', state: merchant });
      await control.register(klinkControlRoutes, { prefix: '/klink', state: klink });
    },
    { prefix: '/_control' },
  );

  // Not ready()-ed here: the caller may still add hooks before listen(), which readies it.
  return app;
}

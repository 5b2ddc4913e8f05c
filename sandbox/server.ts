/**
 * The provider sandbox: one Fastify server hosting every simulator under its own prefix
 * (/prakerja, /klink, /ppob, /merchant), the control API (/_control) and /healthz. End-to-end tests and the
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
import { ppobControlRoutes } from './ppob/control';
import { PpobLifecycle } from './ppob/lifecycle';
import { PPOB_SANDBOX_DEFAULTS, ppobRoutes } from './ppob/routes';
import { PpobState } from './ppob/state';
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
  /** The PPOB aggregator's partner account and report URL; each defaults to PPOB_SANDBOX_DEFAULTS. */
  ppob?: {
    username?: string;
    token?: string;
    /** Where transaction reports (GET callbacks) go; none are sent without one (control can set it). */
    callbackUrl?: string;
    /** IANA zone the Gw-datetime header is read in; default Asia/Jakarta. */
    timeZone?: string;
    /** How far Gw-datetime may be from the sandbox clock; default 300. */
    skewSeconds?: number;
    timings?: {
      /** Waiting -> Pending after this; default 300. */
      pendingMs?: number;
      /** Final status after this (from creation); default 1500. */
      finalMs?: number;
      /** Tries per report; default 4. */
      callbackAttempts?: number;
      /** First retry delay, doubling; default 200. */
      callbackRetryMs?: number;
      /** Per-try timeout; default 2000. */
      callbackTimeoutMs?: number;
    };
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
  const ppobTimings = {
    pendingMs: opts.ppob?.timings?.pendingMs ?? PPOB_SANDBOX_DEFAULTS.pendingMs,
    finalMs: opts.ppob?.timings?.finalMs ?? PPOB_SANDBOX_DEFAULTS.finalMs,
    callbackAttempts: opts.ppob?.timings?.callbackAttempts ?? PPOB_SANDBOX_DEFAULTS.callbackAttempts,
    callbackRetryMs: opts.ppob?.timings?.callbackRetryMs ?? PPOB_SANDBOX_DEFAULTS.callbackRetryMs,
    callbackTimeoutMs: opts.ppob?.timings?.callbackTimeoutMs ?? PPOB_SANDBOX_DEFAULTS.callbackTimeoutMs,
  };
  const ppob = new PpobState(now, save, ppobTimings);
  state.add(prakerja);
  state.add(merchant);
  state.add(klink);
  state.add(ppob);
  const ppobLifecycle = new PpobLifecycle(ppob, {
    now,
    callbackUrl: opts.ppob?.callbackUrl,
    callbackAttempts: ppobTimings.callbackAttempts,
    callbackRetryMs: ppobTimings.callbackRetryMs,
    callbackTimeoutMs: ppobTimings.callbackTimeoutMs,
    log: app.log,
  });
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
  // PPOB timers and reports stop before close: nothing is sent or written by a closed sandbox.
  app.addHook('preClose', async () => ppobLifecycle.stop());

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
  await app.register(ppobRoutes, {
    prefix: '/ppob',
    state: ppob,
    lifecycle: ppobLifecycle,
    faults,
    username: opts.ppob?.username ?? PPOB_SANDBOX_DEFAULTS.username,
    token: opts.ppob?.token ?? PPOB_SANDBOX_DEFAULTS.token,
    timeZone: opts.ppob?.timeZone ?? PPOB_SANDBOX_DEFAULTS.timeZone,
    skewSeconds: opts.ppob?.skewSeconds ?? PPOB_SANDBOX_DEFAULTS.skewSeconds,
    now,
  });
  // Transactions restored from the state file pick up their lifecycle where it stopped.
  ppobLifecycle.resume();

  await app.register(
    async (control) => {
      control.setErrorHandler(controlErrorHandler);
      await control.register(controlRoutes, { faults, state });
      await control.register(prakerjaControlRoutes, { prefix: '/prakerja', state: prakerja });
      await control.register(merchantControlRoutes, { prefix: '/merchant', state: merchant });
      await control.register(klinkControlRoutes, { prefix: '/klink', state: klink });
      await control.register(ppobControlRoutes, { prefix: '/ppob', state: ppob, lifecycle: ppobLifecycle });
    },
    { prefix: '/_control' },
  );

  // Not ready()-ed here: the caller may still add hooks before listen(), which readies it.
  return app;
}

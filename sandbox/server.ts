/**
 * The provider sandbox: one Fastify server hosting every simulator under its own prefix
 * (/prakerja, /klink, /midtrans, /ppob, /merchant, /alikassa), the control API (/_control) and /healthz. End-to-end tests and the
 * demo point the engine's provider base URLs here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createLogger } from '../common/logger';
import { controlErrorHandler, controlRoutes, RequestCounter } from './control-routes';
import { FaultRegistry } from './faults';
import { MIDTRANS_SANDBOX_SERVER_KEY } from './klink/catalog';
import { klinkControlRoutes } from './klink/control';
import { midtransRoutes } from './klink/midtrans';
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
import { KLinkWebhooks } from './klink/webhooks';
import { ALIKASSA_SANDBOX_DEFAULTS, aliKassaRoutes } from './alikassa/routes';
import { aliKassaControlRoutes } from './alikassa/control';
import { AliKassaLifecycle } from './alikassa/lifecycle';
import { AliKassaState } from './alikassa/state';
import { WebhookSender, webhookControlRoutes, type WebhookTimings } from './webhooks';

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
    /**
     * The sandbox's own address as clients reach it (e.g. http://127.0.0.1:8090): GoPay actions'
     * qr-code, get-status and cancel URLs then point at its /midtrans routes. Unset: Midtrans'
     * sandbox host (MIDTRANS_API), unreachable from a closed network.
     */
    midtransBaseUrl?: string;
    /** The server key /midtrans accepts (HTTP Basic username); default MIDTRANS_SANDBOX_SERVER_KEY. */
    midtransServerKey?: string;
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
  /**
   * The gateway's base URL (e.g. http://127.0.0.1:8080): provider webhooks (K-Link settlement and
   * GoPay, AliKassa notifications) go to its /webhooks/... paths. None are sent without it.
   */
  webhookBaseUrl?: string;
  /** Retry schedule of every webhook; defaults WEBHOOK_DEFAULTS (15 attempts, 200 ms doubling to 5 s). */
  webhookTimings?: WebhookTimings;
  /** The AliKassa simulator; not mounted without it (it needs the merchant's public key). */
  alikassa?: {
    /** The merchant account uuid the Account header must carry; default ALIKASSA_SANDBOX_DEFAULTS.account. */
    account?: string;
    /** PEM: verifies the merchant's request signatures (Sign header). */
    merchantPublicKey: string;
    /** PEM (unencrypted): AliKassa's "API certificate for notifications"; the gateway holds its public half. */
    providerPrivateKey: string;
    /** ALIKASSA_SIGN_HASH: requests are verified and notifications signed with it; default sha256. */
    signHash?: 'sha256' | 'sha1';
    /** Where the payment page URLs point; default the sandbox's own address as requested. */
    publicBaseUrl?: string;
    timings?: {
      /** A payout turns final after this; default 1000. */
      payoutMs?: number;
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
  const alikassa = opts.alikassa ? new AliKassaState(now, save) : undefined;
  if (alikassa) state.add(alikassa);
  const webhooks = new WebhookSender({ ...opts.webhookTimings, now, log: app.log });
  const klinkWebhooks = new KLinkWebhooks({
    state: klink,
    sender: webhooks,
    pidKey: opts.klink?.pidKey ?? KLINK_SANDBOX_DEFAULTS.pidKey,
    webhookBaseUrl: opts.webhookBaseUrl,
  });
  const alikassaLifecycle =
    alikassa && opts.alikassa
      ? new AliKassaLifecycle(alikassa, {
          sender: webhooks,
          providerPrivateKey: opts.alikassa.providerPrivateKey,
          signHash: opts.alikassa.signHash ?? 'sha256',
          account: opts.alikassa.account ?? ALIKASSA_SANDBOX_DEFAULTS.account,
          webhookBaseUrl: opts.webhookBaseUrl,
          payoutMs: opts.alikassa.timings?.payoutMs ?? ALIKASSA_SANDBOX_DEFAULTS.payoutMs,
        })
      : undefined;
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
  // Likewise webhooks and AliKassa's payout timers.
  app.addHook('preClose', async () => {
    alikassaLifecycle?.stop();
    webhooks.stop();
  });

  const requests = new RequestCounter();
  app.addHook('onRequest', async (request) => requests.count(request.url));

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
    midtransBaseUrl: opts.klink?.midtransBaseUrl,
  });
  await app.register(midtransRoutes, {
    prefix: '/midtrans',
    state: klink,
    serverKey: opts.klink?.midtransServerKey ?? MIDTRANS_SANDBOX_SERVER_KEY,
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
  if (alikassa && alikassaLifecycle && opts.alikassa) {
    await app.register(aliKassaRoutes, {
      prefix: '/alikassa',
      state: alikassa,
      lifecycle: alikassaLifecycle,
      faults,
      account: opts.alikassa.account ?? ALIKASSA_SANDBOX_DEFAULTS.account,
      merchantPublicKey: opts.alikassa.merchantPublicKey,
      signHash: opts.alikassa.signHash ?? 'sha256',
      publicBaseUrl: opts.alikassa.publicBaseUrl,
    });
  }
  // Transactions restored from the state file pick up their lifecycle where it stopped.
  ppobLifecycle.resume();
  alikassaLifecycle?.resume();

  await app.register(
    async (control) => {
      control.setErrorHandler(controlErrorHandler);
      await control.register(controlRoutes, { faults, state, webhooks, requests });
      await control.register(webhookControlRoutes, {
        prefix: '/webhooks',
        sender: webhooks,
        webhookBaseUrl: opts.webhookBaseUrl,
      });
      await control.register(prakerjaControlRoutes, { prefix: '/prakerja', state: prakerja });
      await control.register(merchantControlRoutes, { prefix: '/merchant', state: merchant });
      await control.register(klinkControlRoutes, { prefix: '/klink', state: klink, webhooks: klinkWebhooks });
      await control.register(ppobControlRoutes, { prefix: '/ppob', state: ppob, lifecycle: ppobLifecycle });
      if (alikassa && alikassaLifecycle) {
        await control.register(aliKassaControlRoutes, {
          prefix: '/alikassa',
          state: alikassa,
          lifecycle: alikassaLifecycle,
        });
      }
    },
    { prefix: '/_control' },
  );

  // Not ready()-ed here: the caller may still add hooks before listen(), which readies it.
  return app;
}

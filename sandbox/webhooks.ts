/**
 * The webhook sender every simulator uses (K-Link settlements and GoPay notifications, AliKassa
 * payment and payout notifications): POST a signed body (or, for AliKassa, GET a signed query
 * string) to the gateway and retry until it answers 2xx, the way a real provider keeps knocking
 * on a receiver that is down.
 *
 * A body is signed by the simulator BEFORE it reaches the sender; the sender never re-encodes it,
 * so the receiver gets exactly the bytes that were signed (except in `corrupt` mode, whose whole
 * point is one changed byte after signing).
 *
 * Delivery modes, set through the control API per simulator or per order (an order's mode wins):
 *   normal    one delivery, retried with backoff until 2xx or attempts run out;
 *   drop      nothing is sent (recorded as dropped): the engine must find out by polling;
 *   duplicate the same bytes delivered 3 times (each copy retried on its own);
 *   delay     sent after delayMs;
 *   reorder   each webhook is held until the next one for the same simulator is sent, and then
 *             the later one goes first (a webhook left without a successor stays held);
 *   corrupt   one byte of the body is changed after signing, so the signature no longer matches
 *             (for a GET, one character of a signed query value).
 *
 * Every attempt is recorded (stats); on close every timer and in-flight request stops and nothing
 * is sent afterwards. Records and modes live in memory only: they describe this process's
 * deliveries, and /_control/reset clears them.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ControlRequestError, parseControlBody } from './control-routes';

export const WEBHOOK_SIMULATORS = ['klink', 'alikassa'] as const;
export type WebhookSimulator = (typeof WEBHOOK_SIMULATORS)[number];

export const WEBHOOK_MODES = ['normal', 'drop', 'duplicate', 'delay', 'reorder', 'corrupt'] as const;
export type WebhookMode = (typeof WEBHOOK_MODES)[number];

/** How many times `duplicate` sends the same webhook. */
export const DUPLICATE_COPIES = 3;

export const WEBHOOK_DEFAULTS = {
  /** 200 ms doubling to 5 s over 15 attempts spans a bit more than a minute of receiver downtime. */
  attempts: 15,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  timeoutMs: 5_000,
} as const;

export interface WebhookTimings {
  attempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
}

/** How a simulator signs its webhooks, so send-raw can sign a hand-made body the same way (or not). */
export interface WebhookSigner {
  /** POST (default): a body, signed in `header`. GET: a query string, signed in the parameter `param`. */
  method?: 'POST' | 'GET';
  /** Header name the signature travels in (POST). */
  header?: string;
  /** Query parameter the signature travels in (GET). */
  param?: string;
  /** The simulator's real signature over exactly these bytes. */
  sign(body: Buffer): string;
  /** A well-formed signature made with a key the receiver does not know. */
  signWithOtherKey(body: Buffer): string;
}

export interface WebhookMessage {
  /** e.g. 'klink.settlement', 'alikassa.payout'. The simulator is the part before the dot unless given. */
  name: string;
  simulator?: WebhookSimulator;
  orderId?: string | null;
  /** Absolute URL, or undefined when no webhook base URL is configured (recorded, not sent). */
  url: string | undefined;
  /** POST (default) sends `body`; GET sends no body and appends `body`, a query string, to the URL. */
  method?: 'POST' | 'GET';
  body: Buffer;
  headers: Record<string, string>;
}

export interface WebhookAttempt {
  at: number;
  status: number | null;
  error: string | null;
}

export interface WebhookRecord {
  id: string;
  name: string;
  simulator: WebhookSimulator;
  orderId: string | null;
  url: string | null;
  mode: WebhookMode;
  /** 1..3 for duplicate copies, 1 otherwise. */
  copy: number;
  /** queued (delay / reorder hold), sending, delivered, failed (attempts exhausted), dropped, unsent (no URL), cancelled. */
  state: 'queued' | 'sending' | 'delivered' | 'failed' | 'dropped' | 'unsent' | 'cancelled';
  attempts: number;
  delivered: boolean;
  lastStatus: number | null;
  lastError: string | null;
  history: WebhookAttempt[];
  /** The bytes sent, as text (after corruption, when corrupt). */
  body: string;
}

export interface WebhookStats {
  webhooks: WebhookRecord[];
  delivered: number;
  attempts: number;
  failedAttempts: number;
}

interface ModeSetting {
  mode: WebhookMode;
  delayMs: number;
}

interface Pending {
  message: WebhookMessage;
  record: WebhookRecord;
}

export interface WebhookSenderOptions extends WebhookTimings {
  now?: () => number;
  log?: FastifyBaseLogger;
}

export class WebhookSender {
  private readonly timings: Required<WebhookTimings>;
  private readonly now: () => number;
  private readonly log: FastifyBaseLogger | undefined;
  private readonly signers = new Map<WebhookSimulator, WebhookSigner>();
  private modes = new Map<string, ModeSetting>();
  private records: WebhookRecord[] = [];
  /** reorder: the webhook waiting for its successor, per simulator. */
  private held = new Map<WebhookSimulator, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  /** Bumped by reset()/stop(): a delivery loop of an older generation stops at its next step. */
  private generation = 0;
  private closed = false;

  constructor(opts: WebhookSenderOptions = {}) {
    this.timings = {
      attempts: opts.attempts ?? WEBHOOK_DEFAULTS.attempts,
      initialBackoffMs: opts.initialBackoffMs ?? WEBHOOK_DEFAULTS.initialBackoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? WEBHOOK_DEFAULTS.maxBackoffMs,
      timeoutMs: opts.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
    };
    this.now = opts.now ?? Date.now;
    this.log = opts.log;
  }

  registerSigner(simulator: WebhookSimulator, signer: WebhookSigner): void {
    this.signers.set(simulator, signer);
  }

  signer(simulator: WebhookSimulator): WebhookSigner | undefined {
    return this.signers.get(simulator);
  }

  /** Set the mode of a simulator, or of one order of it. 'normal' for an order removes its override. */
  setMode(simulator: WebhookSimulator, mode: WebhookMode, delayMs = 0, orderId?: string): void {
    const key = modeKey(simulator, orderId);
    if (orderId !== undefined && mode === 'normal') this.modes.delete(key);
    else this.modes.set(key, { mode, delayMs });
    // Leaving reorder for the simulator releases what it held, in order: nothing stays stuck.
    if (orderId === undefined && mode !== 'reorder') {
      const held = this.held.get(simulator);
      if (held) {
        this.held.delete(simulator);
        this.dispatch(held);
      }
    }
  }

  modeOf(simulator: WebhookSimulator, orderId?: string | null): ModeSetting {
    return (
      (orderId != null ? this.modes.get(modeKey(simulator, orderId)) : undefined) ??
      this.modes.get(modeKey(simulator)) ?? { mode: 'normal', delayMs: 0 }
    );
  }

  modeList(): Array<{ simulator: string; orderId: string | null } & ModeSetting> {
    return [...this.modes].map(([key, setting]) => {
      const [simulator, ...rest] = key.split(':');
      return { simulator: simulator!, orderId: rest.length > 0 ? rest.join(':') : null, ...setting };
    });
  }

  /** Queue a webhook under its mode; returns the records made (several for duplicate). Never throws. */
  send(message: WebhookMessage): WebhookRecord[] {
    if (this.closed) return [];
    const simulator = message.simulator ?? (message.name.split('.')[0] as WebhookSimulator);
    const orderId = message.orderId ?? null;
    const { mode, delayMs } = this.modeOf(simulator, orderId);
    const get = message.method === 'GET';
    const body =
      mode !== 'corrupt' ? message.body : get ? corruptQuery(message.body) : corruptOneByte(message.body);
    const copies = mode === 'duplicate' ? DUPLICATE_COPIES : 1;
    const made: WebhookRecord[] = [];
    for (let copy = 1; copy <= copies; copy += 1) {
      const record: WebhookRecord = {
        id: randomUUID(),
        name: message.name,
        simulator,
        orderId,
        url: message.url ?? null,
        mode,
        copy,
        state: 'queued',
        attempts: 0,
        delivered: false,
        lastStatus: null,
        lastError: null,
        history: [],
        body: body.toString('utf8'),
      };
      this.records.push(record);
      made.push(record);
      const pending: Pending = { message: { ...message, simulator, orderId, body }, record };
      if (!message.url) {
        record.state = 'unsent';
        record.lastError = 'no webhook base URL configured';
        this.log?.warn({ webhook: message.name, orderId }, 'webhook not sent: no webhook base URL');
      } else if (mode === 'drop') {
        record.state = 'dropped';
      } else if (mode === 'delay') {
        this.later(delayMs, () => this.dispatch(pending));
      } else if (mode === 'reorder') {
        const earlier = this.held.get(simulator);
        if (earlier) {
          this.held.delete(simulator);
          this.dispatch(pending);
          this.dispatch(earlier);
        } else {
          this.held.set(simulator, pending);
        }
      } else {
        this.dispatch(pending);
      }
    }
    return made.map((r) => structuredClone(r));
  }

  stats(): WebhookStats {
    const webhooks = structuredClone(this.records);
    const attempts = webhooks.reduce((sum, r) => sum + r.attempts, 0);
    const failedAttempts = webhooks.reduce(
      (sum, r) => sum + r.history.filter((a) => a.status === null || a.status < 200 || a.status > 299).length,
      0,
    );
    return { webhooks, delivered: webhooks.filter((r) => r.delivered).length, attempts, failedAttempts };
  }

  /** Between test cases: forget records and modes, cancel whatever is queued or in flight. */
  reset(): void {
    this.cancelAll();
    this.records = [];
    this.modes = new Map();
  }

  /** Server close: nothing is sent afterwards. */
  stop(): void {
    this.closed = true;
    this.cancelAll();
  }

  private cancelAll(): void {
    this.generation += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.aborts) controller.abort(new Error('sandbox stopping'));
    this.aborts.clear();
    for (const { record } of this.held.values()) record.state = 'cancelled';
    this.held.clear();
    for (const record of this.records) {
      if (record.state === 'queued' || record.state === 'sending') record.state = 'cancelled';
    }
  }

  private dispatch(pending: Pending): void {
    void this.deliver(pending, this.generation);
  }

  private async deliver({ message, record }: Pending, generation: number): Promise<void> {
    const live = () => !this.closed && generation === this.generation;
    if (!live()) return;
    record.state = 'sending';
    for (let attempt = 1; attempt <= this.timings.attempts; attempt += 1) {
      const outcome = await this.post(message);
      if (!live()) return;
      record.attempts = attempt;
      record.lastStatus = outcome.status;
      record.lastError = outcome.error;
      record.history.push({ at: this.now(), status: outcome.status, error: outcome.error });
      if (outcome.status !== null && outcome.status >= 200 && outcome.status <= 299) {
        record.state = 'delivered';
        record.delivered = true;
        return;
      }
      if (attempt < this.timings.attempts) {
        const wait = Math.min(this.timings.initialBackoffMs * 2 ** (attempt - 1), this.timings.maxBackoffMs);
        await new Promise<void>((resolve) => this.later(wait, resolve));
        if (!live()) return;
      }
    }
    record.state = 'failed';
    // No URL in the log line: a receiver URL may carry a secret.
    this.log?.warn(
      { webhook: record.name, orderId: record.orderId, attempts: record.attempts },
      'webhook not delivered, given up',
    );
  }

  private async post(message: WebhookMessage): Promise<{ status: number | null; error: string | null }> {
    const controller = new AbortController();
    this.aborts.add(controller);
    const timeout = setTimeout(
      () => controller.abort(new Error('webhook timed out')),
      this.timings.timeoutMs,
    );
    try {
      const get = message.method === 'GET';
      const res = await fetch(get ? `${message.url!}?${message.body.toString('utf8')}` : message.url!, {
        method: get ? 'GET' : 'POST',
        headers: get ? message.headers : { 'content-type': 'application/json', ...message.headers },
        body: get ? undefined : message.body,
        redirect: 'manual',
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { status: null, error: cause?.code ?? cause?.message ?? (err as Error).message };
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(controller);
    }
  }

  /** A timer that stop()/reset() clear. */
  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

function modeKey(simulator: WebhookSimulator, orderId?: string): string {
  return orderId === undefined ? simulator : `${simulator}:${orderId}`;
}

/**
 * One byte changed, chosen so the body stays valid JSON (the receiver must refuse it for its
 * signature, not for a parse error): the last letter or digit inside a JSON string, moved to the
 * next one of its class. A body without one gets its last byte flipped.
 */
export function corruptOneByte(body: Buffer): Buffer {
  const out = Buffer.from(body);
  let inString = false;
  let escaped = false;
  let target = -1;
  for (let i = 0; i < out.length; i += 1) {
    const c = out[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      else if (isAlnum(c)) target = i;
    } else if (c === 0x22) {
      inString = true;
    }
  }
  if (target < 0) {
    if (out.length > 0) out[out.length - 1] = out[out.length - 1]! ^ 0x01;
    return out;
  }
  out[target] = nextOfClass(out[target]!);
  return out;
}

/**
 * A query string with one character changed in a signed value (the last letter or digit of the
 * last parameter but `sign`), so it still parses and is refused for its signature only.
 */
export function corruptQuery(query: Buffer): Buffer {
  const parts = query.toString('utf8').split('&');
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    const eq = parts[i]!.indexOf('=');
    if (eq < 0 || parts[i]!.slice(0, eq) === 'sign') continue;
    const chars = Buffer.from(parts[i]!, 'latin1');
    for (let j = chars.length - 1; j > eq; j -= 1) {
      // A hex digit of a %XX escape changed could make the escape invalid: a parse error, not a forgery.
      const inEscape = chars[j - 1] === 0x25 || chars[j - 2] === 0x25;
      if (inEscape || !isAlnum(chars[j]!)) continue;
      chars[j] = nextOfClass(chars[j]!);
      parts[i] = chars.toString('latin1');
      return Buffer.from(parts.join('&'), 'latin1');
    }
  }
  return corruptOneByte(query);
}

function nextOfClass(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c === 0x39 ? 0x30 : c + 1;
  if (c >= 0x41 && c <= 0x5a) return c === 0x5a ? 0x41 : c + 1;
  return c === 0x7a ? 0x61 : c + 1;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** An RSA key nobody else has, for AliKassa's 'other-key' signatures; made once, on first use. */
let otherRsaKey: string | undefined;
export function otherRsaPrivateKey(): string {
  otherRsaKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  return otherRsaKey;
}

/** A random HMAC key nobody else has, for K-Link's 'other-key' signatures. */
export const OTHER_HMAC_KEY = randomBytes(32).toString('hex');

// ---- control: /_control/webhooks ----

export interface WebhookControlOptions {
  sender: WebhookSender;
  webhookBaseUrl: string | undefined;
}

const SetMode = z.object({
  simulator: z.enum(WEBHOOK_SIMULATORS),
  mode: z.enum(WEBHOOK_MODES),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  orderId: z.string().min(1).optional(),
});

const SendRaw = z.object({
  simulator: z.enum(WEBHOOK_SIMULATORS),
  /** Appended to the webhook base URL, e.g. '/webhooks/klink/settlement'. */
  path: z.string().startsWith('/'),
  /** The body; for a GET simulator (AliKassa) the query string without its signature. */
  body: z.string(),
  sign: z.enum(['valid', 'bad', 'other-key', 'none']),
  orderId: z.string().min(1).optional(),
});

export const webhookControlRoutes: FastifyPluginAsync<WebhookControlOptions> = async (
  app,
  { sender, webhookBaseUrl },
) => {
  // {simulator, mode, delayMs?, orderId?}: from now on, that simulator's (or order's) webhooks go out this way.
  app.post('/', async (request) => {
    const { simulator, mode, delayMs, orderId } = parseControlBody(SetMode, request);
    if (mode === 'delay' && delayMs === undefined) throw new ControlRequestError('invalid delayMs: required');
    sender.setMode(simulator, mode, delayMs ?? 0, orderId);
    return { simulator, orderId: orderId ?? null, mode, delayMs: delayMs ?? 0 };
  });

  app.get('/', async () => ({ ...sender.stats(), modes: sender.modeList() }));

  // A hand-made webhook (forged, re-serialized, ...) through the same sender, signed as asked.
  app.post('/send-raw', async (request, reply) => {
    const { simulator, path, body, sign, orderId } = parseControlBody(SendRaw, request);
    const signer = sender.signer(simulator);
    if (!signer) throw new ControlRequestError(`simulator '${simulator}' sends no webhooks here`);
    const bytes = Buffer.from(body, 'utf8');
    let signature: string | undefined;
    if (sign === 'valid') signature = signer.sign(bytes);
    // A well-formed signature of the right key over other bytes.
    if (sign === 'bad') signature = signer.sign(Buffer.concat([bytes, Buffer.from(' ')]));
    if (sign === 'other-key') signature = signer.signWithOtherKey(bytes);
    const get = signer.method === 'GET';
    const headers: Record<string, string> = {};
    if (signature !== undefined && !get) headers[signer.header ?? 'signature'] = signature;
    // GET (AliKassa): the body is a query string without its signature; the signature is appended.
    const sent =
      get && signature !== undefined
        ? Buffer.from(
            `${body}${body === '' ? '' : '&'}${new URLSearchParams([[signer.param ?? 'sign', signature]])}`,
          )
        : bytes;
    const records = sender.send({
      name: `${simulator}.raw`,
      simulator,
      orderId: orderId ?? null,
      url: webhookBaseUrl === undefined ? undefined : joinUrl(webhookBaseUrl, path),
      method: get ? 'GET' : 'POST',
      body: sent,
      headers,
    });
    return reply.code(202).send({ webhooks: records.map((r) => r.id) });
  });
};

/** base + path with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/**
 * The campaign's fault schedule and the hands that inject it. The schedule is planned up front
 * from the seed (what, when, where), so a run is reproducible in what it does to the stack even
 * though what each fault meets (which payment's request is next) depends on timing.
 *
 * Stack faults (a process killed or stopped) run one at a time: two overlapping outages of the
 * same server would measure nothing more. Provider faults are armed in the sandbox's fault
 * registry and hit whichever request comes next on that route; an outage and a webhook mode
 * last a window and are then taken back.
 */
import { ALIKASSA_FAULT_ROUTES } from '../sandbox/alikassa/routes';
import { klinkFaultRoute } from '../sandbox/klink/routes';
import { KLINK_ENDPOINTS } from '../sandbox/klink/state';
import { MERCHANT_FAULT_ROUTES } from '../sandbox/merchant/routes';
import { PPOB_FAULT_ROUTES } from '../sandbox/ppob/routes';
import { PRAKERJA_FAULT_ROUTES } from '../sandbox/prakerja/routes';
import { WEBHOOK_SIMULATORS } from '../sandbox/webhooks';
import type { Stack } from '../scripts/stack';
import type { Rng } from './random';
import type { FaultKind, Http } from './types';

/** Every fault route the sandbox declares, by provider (an outage takes a whole provider down). */
export const PROVIDER_ROUTES: Record<string, readonly string[]> = {
  prakerja: Object.values(PRAKERJA_FAULT_ROUTES),
  merchant: Object.values(MERCHANT_FAULT_ROUTES),
  // The K-Link calls the engine makes (login and the K-Wallet and payment-service calls).
  klink: KLINK_ENDPOINTS.filter((e) => !e.startsWith('list_bank')).map(klinkFaultRoute),
  ppob: Object.values(PPOB_FAULT_ROUTES),
  alikassa: [...ALIKASSA_FAULT_ROUTES],
};
const ALL_ROUTES = Object.values(PROVIDER_ROUTES).flat();

/** The faults the campaign schedules itself; the rest (forged webhooks, races) are the saga modules'. */
export const SCHEDULED_KINDS = [
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
] as const satisfies readonly FaultKind[];
type ScheduledKind = (typeof SCHEDULED_KINDS)[number];

/** How often each kind comes, relative to the others, once every kind has come once. */
const WEIGHTS: Record<ScheduledKind, number> = {
  'worker-kill': 3,
  'temporal-restart': 1,
  'gateway-restart': 2,
  'provider-5xx': 5,
  'latency-past-timeout': 2,
  'timeout-after-commit': 4,
  'provider-outage': 1,
  'webhook-drop': 2,
  'webhook-duplicate': 2,
  'webhook-reorder': 1,
  'webhook-delay': 2,
};

/**
 * Routes nearly every payment mix keeps busy: a worker kill waits until an activity's request on
 * one of them is held at the provider, so the worker dies mid-activity, not between tasks.
 */
const BUSY_ROUTES = [
  'prakerja.authorize',
  'merchant.fulfil',
  'klink.pay_service',
  'klink.pay',
  'klink.transfer_to_account',
  'ppob.topup',
  'alikassa.payment',
  'alikassa.payout',
];
/** How long the held request waits at the provider; the worker is killed while it waits. */
const HOLD_FOR_KILL_MS = 4_000;
/** A kill that found no activity in flight by then goes ahead anyway (and the log says so). */
const WAIT_FOR_ACTIVITY_MS = 15_000;

/** Longer than every provider call's own timeout and the 30 s activity timeouts. */
const PAST_TIMEOUT_MS = 35_000;
/** The patient retry budget (SAFE_TO_REPEAT_RETRY) is about ten minutes: a long run outlasts it once. */
const LONG_OUTAGE_MS = 11 * 60_000;
/** Mean time between scheduled faults after the first round. */
const MEAN_GAP_MS = 8_000;

export interface FaultEvent {
  atMs: number;
  kind: ScheduledKind;
  /** The sandbox route (5xx, latency, timeout-after-commit), provider (outage) or simulator (webhooks). */
  target?: string;
  /** How long it lasts: a server's downtime, an outage's or a webhook mode's window. */
  forMs?: number;
}

/**
 * Every kind once in the first half of the window (so even a one-minute run meets them all),
 * then more at random, ending a fifth of the window before its end so the last ones meet
 * traffic too. A run of 20 minutes or more also gets one outage longer than the patient
 * retry budget.
 */
export function planFaults(rng: Rng, windowMs: number): FaultEvent[] {
  const events: FaultEvent[] = [];
  const firstRound = [...SCHEDULED_KINDS].sort(() => rng.next() - 0.5);
  firstRound.forEach((kind, i) => {
    events.push(shape(rng, kind, ((i + rng.next()) / firstRound.length) * windowMs * 0.5, windowMs));
  });
  const kinds = SCHEDULED_KINDS.flatMap((k) => Array<ScheduledKind>(WEIGHTS[k]).fill(k));
  for (let at = windowMs * 0.5; ;) {
    at += rng.int(MEAN_GAP_MS / 2, (MEAN_GAP_MS * 3) / 2);
    if (at > windowMs * 0.8) break;
    events.push(shape(rng, rng.pick(kinds), at, windowMs));
  }
  if (windowMs >= 20 * 60_000) {
    events.push({
      atMs: windowMs * 0.2,
      kind: 'provider-outage',
      target: rng.pick(Object.keys(PROVIDER_ROUTES)),
      forMs: LONG_OUTAGE_MS,
    });
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

function shape(rng: Rng, kind: ScheduledKind, atMs: number, windowMs: number): FaultEvent {
  const atMsRounded = Math.round(atMs);
  switch (kind) {
    case 'worker-kill':
      return { atMs: atMsRounded, kind, target: rng.pick(BUSY_ROUTES) };
    case 'gateway-restart':
      return { atMs: atMsRounded, kind };
    case 'temporal-restart':
      return { atMs: atMsRounded, kind, forMs: rng.int(2_000, 8_000) };
    case 'provider-5xx':
    case 'latency-past-timeout':
    case 'timeout-after-commit':
      return { atMs: atMsRounded, kind, target: rng.pick(ALL_ROUTES) };
    case 'provider-outage':
      return {
        atMs: atMsRounded,
        kind,
        target: rng.pick(Object.keys(PROVIDER_ROUTES)),
        forMs: Math.min(rng.int(20_000, 90_000), Math.max(20_000, windowMs / 4)),
      };
    default:
      return { atMs: atMsRounded, kind, target: rng.pick(WEBHOOK_SIMULATORS), forMs: rng.int(5_000, 20_000) };
  }
}

const WEBHOOK_MODE: Record<string, string> = {
  'webhook-drop': 'drop',
  'webhook-duplicate': 'duplicate',
  'webhook-reorder': 'reorder',
  'webhook-delay': 'delay',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the schedule against the stack: resolves when every event has been injected and every
 * window it opened has closed. `onFault` counts each one; `onError` hears a fault that could not
 * be injected (the campaign reports it, a fault that silently did nothing would flatter the run).
 */
export async function injectFaults(
  events: FaultEvent[],
  stack: Stack,
  http: Http,
  hooks: { onFault(kind: FaultKind): void; onError(message: string): void; log(line: string): void },
): Promise<void> {
  const startedAt = Date.now();
  let serial: Promise<void> = Promise.resolve();
  const windows: Promise<void>[] = [];
  const guard = (what: string, run: () => Promise<unknown>): Promise<void> =>
    run().then(
      () => undefined,
      (err: unknown) => hooks.onError(`${what}: ${err instanceof Error ? err.message : String(err)}`),
    );

  for (const event of events) {
    const wait = startedAt + event.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    hooks.onFault(event.kind);
    hooks.log(
      `fault ${event.kind}${event.target ? ` ${event.target}` : ''}${event.forMs ? ` for ${event.forMs} ms` : ''}`,
    );
    switch (event.kind) {
      case 'worker-kill':
      case 'gateway-restart':
      case 'temporal-restart':
        // One server fault at a time, in order.
        serial = serial.then(() => guard(event.kind, () => serverFault(event, stack, http, hooks.log)));
        break;
      case 'provider-5xx':
        await guard(event.kind, () => arm(http, { route: event.target!, mode: 'error5xx', count: 2 }));
        break;
      case 'latency-past-timeout':
        await guard(event.kind, () =>
          arm(http, { route: event.target!, mode: 'latency', ms: PAST_TIMEOUT_MS }),
        );
        break;
      case 'timeout-after-commit':
        await guard(event.kind, () =>
          arm(http, { route: event.target!, mode: 'timeout-after-commit', ms: PAST_TIMEOUT_MS }),
        );
        break;
      case 'provider-outage':
        windows.push(guard(event.kind, () => outage(http, event.target!, event.forMs!)));
        break;
      default:
        windows.push(guard(event.kind, () => webhookWindow(http, event)));
    }
  }
  await serial;
  await Promise.all(windows);
}

async function arm(http: Http, spec: Record<string, unknown>): Promise<string> {
  return (await http.control<{ id: string }>('faults', spec)).id;
}

/**
 * Arms a short latency on `route` and waits until a request takes it (the fault leaves the
 * registry when taken): from then on an activity's call is held at the provider.
 */
async function untilActivityInFlight(http: Http, route: string, log: (line: string) => void): Promise<void> {
  const { id } = await http.control<{ id: string }>('faults', {
    route,
    mode: 'latency',
    ms: HOLD_FOR_KILL_MS,
  });
  const deadline = Date.now() + WAIT_FOR_ACTIVITY_MS;
  while (Date.now() < deadline) {
    const armed = await http.control<Array<{ id: string }>>('faults');
    if (!armed.some((f) => f.id === id)) {
      log(`worker-kill: a ${route} call is held at the provider; killing the worker now`);
      return;
    }
    await sleep(100);
  }
  await http.control(`faults/${id}`, undefined, 'DELETE').catch(() => undefined);
  log(`worker-kill: no ${route} call within ${WAIT_FOR_ACTIVITY_MS / 1000} s; killing the worker anyway`);
}

async function serverFault(
  event: FaultEvent,
  stack: Stack,
  http: Http,
  log: (line: string) => void,
): Promise<void> {
  if (event.kind === 'temporal-restart') {
    await stack.stopTemporal();
    await sleep(event.forMs ?? 3_000);
    await stack.startTemporal();
    return;
  }
  const name = event.kind === 'worker-kill' ? 'worker' : 'gateway';
  if (event.kind === 'worker-kill') await untilActivityInFlight(http, event.target!, log);
  const before = stack.restarts()[name];
  stack.crash(name);
  // The supervisor brings it back (its backoff, then its start); the next server fault waits.
  const deadline = Date.now() + 120_000;
  while (stack.restarts()[name] === before) {
    if (Date.now() > deadline) throw new Error(`${name} not restarted by its supervisor within 120 s`);
    await sleep(200);
  }
}

/** Every route of one provider answers 503 for the window, then the outage is taken back. */
async function outage(http: Http, provider: string, forMs: number): Promise<void> {
  const ids = await Promise.all(
    PROVIDER_ROUTES[provider]!.map((route) => arm(http, { route, mode: 'error5xx', count: 1_000_000 })),
  );
  await sleep(forMs);
  for (const id of ids) {
    // A fault already gone is fine (the run's end clears them all); any other failure is reported.
    await http.control(`faults/${id}`, undefined, 'DELETE').catch((err: unknown) => {
      if (!/HTTP 404/.test(String(err))) throw err;
    });
  }
}

async function webhookWindow(http: Http, event: FaultEvent): Promise<void> {
  const mode = WEBHOOK_MODE[event.kind]!;
  await http.control('webhooks', {
    simulator: event.target,
    mode,
    ...(mode === 'delay' ? { delayMs: event.forMs } : {}),
  });
  await sleep(event.forMs ?? 10_000);
  await http.control('webhooks', { simulator: event.target, mode: 'normal' });
}

/**
 * The fault campaign (`npm run chaos`): the real local stack (Temporal dev server, sandbox,
 * worker, gateway, each its own process, the worker and gateway supervised as `npm start` runs
 * them), a seeded mix of payments of every saga and method driven through the gateway, a seeded
 * schedule of faults injected meanwhile, and at the end the engine reconciled against the
 * sandbox's books. What it judges is in chaos/types.ts (INVARIANTS); docs/reliability.md says
 * why each matters.
 */
import { Client, Connection } from '@temporalio/client';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEEDS_REVIEW } from '../workflows/saga-definitions';
import { SAGAS, type SagaName } from '../workflows/sagas';
import { startStack, type Stack } from '../scripts/stack';
import { injectFaults, planFaults } from './faults';
import { createHttp } from './http';
import { createRng, type Rng } from './random';
import { inBatches } from './sagas/drive-kit';
import { scanForSecrets } from './secrets';
import {
  FAULT_KINDS,
  GatewayError,
  INVARIANTS,
  KNOWN_LIMITS,
  type ChaosSaga,
  type DriveContext,
  type EndedPayment,
  type FaultKind,
  type Finding,
  type Http,
  type Invariant,
  type KnownLimit,
  type Payment,
} from './types';

export interface CampaignOptions {
  payments: number;
  minutes: number;
  seed: number;
  modules: readonly ChaosSaga[];
  /** false: the same payments with no fault injected (a module's first try, a baseline). */
  faults?: boolean;
  /** How long payments may take to end once the traffic and the faults are over. */
  settleMs?: number;
  /** Where the stack keeps its data and logs; a temporary directory (removed after) by default. */
  dataDir?: string;
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

export interface CampaignResult {
  seed: number;
  paymentsPlanned: number;
  minutes: number;
  faultsEnabled: boolean;
  durationMs: number;
  /** saga -> final status (or NOT FOUND / START FAILED) -> count. */
  bySaga: Record<string, Record<string, number>>;
  faults: Record<FaultKind, number>;
  invariants: Record<Invariant, number>;
  /** Known limits met (chaos/types.ts KNOWN_LIMITS): shown, never counted as broken promises. */
  limits: Record<KnownLimit, number>;
  findings: Finding[];
  /** Harness trouble: a fault that could not be injected, a drive that threw. Not the engine's. */
  harnessErrors: string[];
  /** Restarts the supervisor made after deaths. */
  restarts: Record<'worker' | 'gateway', number>;
}

/** Run statuses that mean the engine's own workflow broke: a payment parks instead, by design. */
const BROKEN_RUN_STATUSES = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT']);
const DEFAULT_SETTLE_MS = 180_000;
const POLL_EVERY_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const log = opts.log ?? (() => undefined);
  const startedAt = Date.now();
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'paysaga-chaos-'));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const faultsEnabled = opts.faults ?? true;
  const faultCounts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const harnessErrors: string[] = [];

  const stack = await startStack({
    dataDir,
    supervise: true,
    // Every line to the component's log file only: the campaign's own lines are the console's.
    log: (name, line) => appendFileSync(join(logDir, `${name}.log`), line + '\n'),
  });
  try {
    const http = createHttp(stack.gatewayUrl, stack.sandboxUrl!);
    const rng = createRng(opts.seed);
    const windowMs = opts.minutes * 60_000;
    log(`stack up (data ${dataDir}); ${opts.payments} payments over ${opts.minutes} min, seed ${opts.seed}`);

    const faultRun = faultsEnabled
      ? injectFaults(planFaults(rng.fork('faults'), windowMs), stack, http, {
          onFault: (kind) => (faultCounts[kind] += 1),
          onError: (message) => harnessErrors.push(`fault not injected: ${message}`),
          log,
        })
      : Promise.resolve();

    const payments = await drivePayments(opts, stack, http, rng.fork('payments'), windowMs, {
      fault: (kind) => {
        if (faultsEnabled) faultCounts[kind] += 1;
      },
      error: (message) => harnessErrors.push(message),
      log,
    });
    await faultRun;
    await restore(stack, http);
    log(`traffic and faults over after ${seconds(Date.now() - startedAt)}; waiting for every payment to end`);

    // Raw payloads on purpose (no codec): the secret scan reads histories as Temporal stores them.
    const client = new Client({
      connection: await Connection.connect({ address: stack.temporalAddress }),
      namespace: stack.namespace,
    });
    try {
      const ended = await settle(http, client, payments, opts.settleMs ?? DEFAULT_SETTLE_MS, log);
      const findings = [
        ...(await engineFindings(client, ended)),
        ...(await reconcileBooks(http, opts.modules, ended, harnessErrors)),
        ...(await ledgerFindings(http)),
      ];
      log('scanning histories and logs for secrets');
      findings.push(...(await scanForSecrets(client, logDir, secretsOf(stack, dataDir))));
      const invariants = Object.fromEntries(INVARIANTS.map((k) => [k, 0])) as Record<Invariant, number>;
      const limits = Object.fromEntries(KNOWN_LIMITS.map((k) => [k, 0])) as Record<KnownLimit, number>;
      for (const f of findings) {
        if (isKnownLimit(f.invariant)) limits[f.invariant] += 1;
        else invariants[f.invariant] += 1;
      }
      return {
        seed: opts.seed,
        paymentsPlanned: opts.payments,
        minutes: opts.minutes,
        faultsEnabled,
        durationMs: Date.now() - startedAt,
        bySaga: tally(ended),
        faults: faultCounts,
        invariants,
        limits,
        findings,
        harnessErrors,
        restarts: stack.restarts(),
      };
    } finally {
      await client.connection.close();
    }
  } finally {
    await stack.stop();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

const isKnownLimit = (k: string): k is KnownLimit => (KNOWN_LIMITS as readonly string[]).includes(k);

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

/**
 * Starts the payments at seeded moments spread over the window, each module and method drawn
 * from the payment's own stream, and resolves when every payer has done its part.
 */
async function drivePayments(
  opts: CampaignOptions,
  stack: Stack,
  http: Http,
  rng: Rng,
  windowMs: number,
  hooks: { fault(kind: FaultKind): void; error(message: string): void; log(line: string): void },
): Promise<Payment[]> {
  // A saga with more ways to pay gets more payments, but not in proportion (transfer has five).
  const weighted = opts.modules.flatMap((m) =>
    Array<ChaosSaga>(1 + Math.floor(m.methods.length / 2)).fill(m),
  );
  const t0 = Date.now();
  const drives: Promise<Payment | undefined>[] = [];
  let done = 0;
  const progress = setInterval(
    () => hooks.log(`${seconds(Date.now() - t0)}: ${drives.length} started, ${done} driven`),
    15_000,
  );
  try {
    for (let i = 0; i < opts.payments; i++) {
      const own = rng.fork(i);
      const at = (windowMs * (i + own.next())) / opts.payments;
      const wait = t0 + at - Date.now();
      if (wait > 0) await sleep(wait);
      const module = own.pick(weighted);
      const method = own.pick(module.methods);
      const ctx: DriveContext = {
        http,
        rng: own,
        id: `C${opts.seed}-${i}`,
        gatewayUrl: stack.gatewayUrl,
        sandboxUrl: stack.sandboxUrl!,
        klink: { baseUrl: stack.klinkBaseUrl, ...stack.sandboxKLink! },
        fault: hooks.fault,
        sleep,
      };
      drives.push(
        module.drive(ctx, method).then(
          (p) => {
            done += 1;
            return p;
          },
          (err: unknown) => {
            done += 1;
            hooks.error(`${module.saga} ${method} ${ctx.id}: drive threw ${String(err)}`);
            return undefined;
          },
        ),
      );
    }
    return (await Promise.all(drives)).filter((p): p is Payment => p !== undefined);
  } finally {
    clearInterval(progress);
  }
}

/** After the faults: every fault disarmed, every webhook mode normal, every server up. */
async function restore(stack: Stack, http: Http): Promise<void> {
  await stack.startTemporal();
  await stack.startWorker();
  await stack.startGateway();
  await http.control('faults', undefined, 'DELETE');
  for (const simulator of ['klink', 'alikassa'])
    await http.control('webhooks', { simulator, mode: 'normal' });
}

/** Final statuses and NEEDS_REVIEW: a payment in one of them does not move by itself. */
function settledStatuses(saga: SagaName): Set<string> {
  return new Set<string>([...SAGAS[saga].finalStatuses, NEEDS_REVIEW]);
}

/**
 * Polls every payment until it is final or parked, or the settle time is over; then reads each
 * one's run status too.
 */
async function settle(
  http: Http,
  client: Client,
  payments: Payment[],
  settleMs: number,
  log: (line: string) => void,
): Promise<EndedPayment[]> {
  const views = new Map<string, Record<string, unknown> | undefined>();
  const deadline = Date.now() + settleMs;
  let open = payments;
  for (;;) {
    await inBatches(open, async (p) => views.set(p.workflowId, await viewOf(http, p.workflowId)), 16);
    open = open.filter((p) => {
      const status = views.get(p.workflowId)?.status;
      // A start never answered and never made: nothing to wait for.
      if (status === undefined) return p.startError === undefined;
      return !settledStatuses(p.saga).has(String(status));
    });
    if (open.length === 0 || Date.now() > deadline) break;
    log(`${open.length} payments still moving`);
    await sleep(POLL_EVERY_MS);
  }
  const ended: EndedPayment[] = [];
  await inBatches(
    payments,
    async (p) => {
      const view = views.get(p.workflowId);
      ended.push({
        ...p,
        ...(view ? { status: String(view.status), view } : {}),
        runStatus: await runStatusOf(client, p.workflowId),
      });
    },
    16,
  );
  return ended;
}

async function viewOf(http: Http, workflowId: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await http.gateway<Record<string, unknown>>('GET', `/payments/${encodeURIComponent(workflowId)}`);
  } catch (err) {
    if (err instanceof GatewayError && err.status === 404) return undefined;
    throw err;
  }
}

async function runStatusOf(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch {
    return undefined;
  }
}

/** What the engine itself must show, whatever the books say. */
async function engineFindings(client: Client, ended: EndedPayment[]): Promise<Finding[]> {
  const parked = new Set<string>();
  for await (const wf of client.workflow.list({ query: 'PaysagaNeedsReview = true' }))
    parked.add(wf.workflowId);
  const findings = judgeEngine(ended, parked);
  // Every execution of the namespace, the engine's children (refunds, budgets, K-Wallet reads)
  // included: none may have failed.
  const campaign = new Set(ended.map((p) => p.workflowId));
  for await (const wf of client.workflow.list({
    query: "ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut'",
  })) {
    if (campaign.has(wf.workflowId)) continue;
    findings.push({
      invariant: 'lost',
      workflowId: wf.workflowId,
      detail: `${wf.type} execution is ${wf.status.name}`,
    });
  }
  return findings;
}

/**
 * Each payment as the engine shows it: there (unless its start was never answered), its run not
 * broken, and either final or parked where the review list (`parked`, by search attribute) has it.
 */
export function judgeEngine(ended: readonly EndedPayment[], parked: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const p of ended) {
    const at = { workflowId: p.workflowId };
    if (p.status === undefined) {
      if (p.startError === undefined)
        findings.push({
          invariant: 'lost',
          ...at,
          detail: 'its start was answered, but the engine has no such payment',
        });
    } else if (p.runStatus && BROKEN_RUN_STATUSES.has(p.runStatus)) {
      findings.push({
        invariant: 'lost',
        ...at,
        detail: `its workflow execution is ${p.runStatus} (status ${p.status})`,
      });
    } else if (p.status === NEEDS_REVIEW) {
      if (!parked.has(p.workflowId))
        findings.push({
          invariant: 'stuck-unseen',
          ...at,
          detail: 'NEEDS_REVIEW but not listed by PaysagaNeedsReview = true',
        });
    } else if (!settledStatuses(p.saga).has(p.status)) {
      findings.push({
        invariant: 'stuck-unseen',
        ...at,
        detail: `still ${p.status} after the settle time, not in NEEDS_REVIEW`,
      });
    }
  }
  return findings;
}

async function reconcileBooks(
  http: Http,
  modules: readonly ChaosSaga[],
  ended: EndedPayment[],
  harnessErrors: string[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const module of modules) {
    const own = ended.filter((p) => p.saga === module.saga);
    try {
      findings.push(...(await module.reconcile(http, own)));
    } catch (err) {
      harnessErrors.push(`${module.saga} reconcile threw ${String(err)}`);
    }
  }
  return findings;
}

/** The K-Link simulator keeps double-entry books (K-Wallet, escrow, payment services). */
async function ledgerFindings(http: Http): Promise<Finding[]> {
  const ledger = await http.control<{ balanced: boolean; problems: unknown[] }>('klink/ledger');
  return ledger.balanced && ledger.problems.length === 0
    ? []
    : [
        {
          invariant: 'ledger-unbalanced',
          detail: `K-Link ledger: ${JSON.stringify(ledger.problems).slice(0, 500)}`,
        },
      ];
}

/** The stack's secret settings, and the codec key the worker generated into the data directory. */
function secretsOf(stack: Stack, dataDir: string): string[] {
  const secrets = stack.secrets();
  for (const file of readdirSync(dataDir).filter((f) => f.startsWith('codec-key'))) {
    const text = readFileSync(join(dataDir, file), 'utf8');
    for (const m of text.matchAll(/"([A-Za-z0-9+/=_-]{24,})"/g)) secrets.push(m[1]!);
  }
  return secrets;
}

function tally(ended: EndedPayment[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const p of ended) {
    const status = p.status ?? (p.startError ? 'START FAILED' : 'NOT FOUND');
    const row = (out[p.saga] ??= {});
    row[status] = (row[status] ?? 0) + 1;
  }
  return out;
}

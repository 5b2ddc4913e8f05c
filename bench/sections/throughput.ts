/**
 * Throughput per saga, start to final, beside a bare workflow of the same shape.
 *
 * For each saga (every one in workflows/sagas.ts but the unmatched report, which no caller
 * starts): N payments at concurrency C driven over the gateway's REST front as scripts/demo.ts
 * drives them (its request bodies; the sandbox's control API stands in for the participant and
 * the customer), each timed from the start request to the workflow's result (the saga's final
 * view, read with a Temporal client and the stack's codec key, checked for the happy path's
 * status). Then, back to back on the same server, the same N through `bareSaga` with the plan of
 * bench/bare/plans.ts (same activities, Updates, signals and timers, activities doing nothing)
 * on the bare worker, a process of its own, started from a plain client in this process.
 *
 * Per-payment setup that is not the engine's work (sandbox members, Prakerja tokens, the escrow
 * payment a refund needs) is done before the clock starts. A few untimed payments of each kind
 * warm both workers first.
 *
 * Row: payments/s against bare workflows/s, ratio engine/bare (higher is better), goal at least
 * 0.9; start-to-final p50 of both in the detail, with the shape counted from one engine history.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import type { Stack } from '../../scripts/stack';
import { jsonCaller } from '../../scripts/demo-http';
import { createKLinkClient } from '../../providers/klink/client';
import { paysagaDataConverter } from '../../workers/data-converter';
import { loadCodecKeys } from '../../workers/codec-keys';
import { SAGA_NAMES, SAGAS } from '../../workflows/sagas';
import { BARE_PLANS, planShape, type BareSagaName } from '../bare/plans';
import { percentile, runBareOnce, runPool } from '../bare/drive';
import { startBareWorker, type BareWorker } from '../bare/start';
import { withCpuPerUnit } from '../process-cpu';
import { callsSummary, withServerCallsPerUnit } from '../temporal-metrics';
import type { BenchContext, BenchRow, BenchSection } from '../types';

/** The status each saga's happy path ends in. */
const HAPPY_END: Record<BareSagaName, string> = {
  prakerja: 'COMPLETED',
  klinkRefund: 'REFUNDED',
  ppob: 'SUCCEEDED',
  transfer: 'PAID',
  payout: 'PAID_OUT',
  kwalletTransfer: 'TRANSFERRED',
};

const customer = { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' };

/**
 * The sandbox settings that make its providers answer at zero latency where the sandbox lets
 * them (PPOB's Pending and final reports); startStack's `env`. AliKassa payouts settle after a
 * fixed ALIKASSA_SANDBOX_DEFAULTS.payoutMs: the bare payout plan waits the same.
 */
export const ZERO_LATENCY_SANDBOX_ENV = { SANDBOX_PPOB_PENDING_MS: '0', SANDBOX_PPOB_FINAL_MS: '0' } as const;

/** What the engine side needs: the stack's HTTP fronts and a client that reads final views. */
export interface EngineDriver {
  gateway<T = { workflowId: string }>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  control<T = unknown>(path: string, body?: unknown): Promise<T>;
  /** A Temporal client with the stack's data converter (results are encrypted). */
  client: Client;
  close(): Promise<void>;
}

export async function engineDriver(stack: Stack): Promise<EngineDriver> {
  if (!stack.sandboxUrl)
    throw new Error('the bench drives the sandbox: start the stack without real providers');
  const call = jsonCaller();
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({
    connection,
    namespace: stack.namespace,
    dataConverter: paysagaDataConverter(loadCodecKeys(process.env, stack.dataDir)),
  });
  return {
    gateway: <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
      call<T>(method, `${stack.gatewayUrl}/v1${path}`, body),
    control: <T>(path: string, body?: unknown) =>
      call<T>(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body),
    client,
    close: () => connection.close(),
  };
}

/** One payment: set up (untimed), then driven from its start request to its final view. */
type Prepared = () => Promise<{ workflowId: string }>;

/** Per saga: prepares payment `i` (untimed) and answers the timed part, demo.ts's bodies. */
function preparer(saga: BareSagaName, d: EngineDriver, stack: Stack, runId: string) {
  const id = (i: number) => `BENCH-${runId}-${i}`;
  switch (saga) {
    case 'prakerja':
      return async (i: number): Promise<Prepared> => {
        const token = await d.control<{ payment_token: string; otp: string }>('prakerja/tokens', {
          amount: 150_000,
          prakerja_name: `Peserta Bench ${i}`,
        });
        return async () => {
          const { workflowId } = await d.gateway('POST', '/prakerja/payments', {
            invoiceCode: id(i),
            invoiceUrl: `https://lp.example/invoices/${id(i)}`,
            paymentToken: token.payment_token,
            amount: 150_000,
            orderId: `ORDER-${id(i)}`,
            otpTimeoutSeconds: 3600,
          });
          await d.gateway('POST', `/payments/${workflowId}/otp`, { otp: token.otp });
          return { workflowId };
        };
      };
    case 'klinkRefund': {
      if (!stack.sandboxKLink) throw new Error("needs the sandbox's K-Link login");
      const shop = createKLinkClient({
        baseUrl: stack.klinkBaseUrl,
        ...stack.sandboxKLink,
        timeoutMs: 10_000,
      });
      return async (i: number): Promise<Prepared> => {
        const idMember = `MEMBER-${id(i)}`;
        const idOrder = `ORDER-${id(i)}`;
        await d.control('klink/members', { id_member: idMember, balance: 250_000 });
        await shop.pay({ idMember, amount: 90_000, idOrder, description: 'Konsultasi dokter' });
        return () =>
          d.gateway('POST', '/klink/refunds', {
            idOrder,
            idMember,
            expectedAmount: 90_000,
            note: 'dokter tidak sedang standby',
          });
      };
    }
    case 'ppob':
      return async (i: number): Promise<Prepared> => {
        const idMember = `PPOB-${id(i)}`;
        await d.control('klink/members', { id_member: idMember, balance: 500_000 });
        return () =>
          d.gateway('POST', '/ppob/purchases', {
            orderId: id(i),
            pollSeconds: 1,
            kind: 'prepaid',
            productCode: 'PLN20',
            destination: '14123456789',
            funding: { idMember, amount: 20_800 },
          });
      };
    case 'transfer':
      return async (i: number): Promise<Prepared> =>
        async () => {
          const orderId = `${id(i)}-VA`;
          const start = await d.gateway<{ workflowId: string; status: string }>('POST', '/transfers', {
            orderId,
            method: 'klink-va',
            amount: 175_000,
            customer,
            bankCode: '014',
            productCode: 'BCAATM',
          });
          if (start.status !== 'AWAITING_PAYMENT')
            throw new Error(`${start.workflowId} answered ${start.status}, not AWAITING_PAYMENT`);
          // The customer pays; the sandbox sends K-Link's signed settlement webhook to the gateway.
          await d.control('klink/customer-pays', { order_id: orderId });
          return { workflowId: start.workflowId };
        };
    case 'payout':
      return async (i: number): Promise<Prepared> =>
        () =>
          d.gateway('POST', '/alikassa/payouts', {
            orderId: `PO-${id(i)}`,
            amount: 125_000,
            bankCode: 'PMTB',
            accountNumber: '1234567890',
            firstName: 'Siti',
            lastName: 'Aminah',
            pollSeconds: 1,
          });
    case 'kwalletTransfer':
      return async (i: number): Promise<Prepared> => {
        const [from, to] = [`KW-A-${id(i)}`, `KW-B-${id(i)}`];
        await d.control('klink/members', { id_member: from, balance: 200_000 });
        await d.control('klink/members', { id_member: to, balance: 0 });
        return () =>
          d.gateway('POST', '/klink/transfers', {
            transferId: `KW-${id(i)}`,
            idMemberSend: from,
            idMemberReceipt: to,
            amount: 40_000,
            description: 'uang makan',
            confirmDelaysSeconds: [1, 1],
          });
      };
  }
}

/** Activities, Updates, signals and timers in one history: the saga's shape as it ran. */
async function historyShape(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let [activities, updates, signals, timers] = [0, 0, 0, 0];
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) activities += 1;
    if (e.workflowExecutionUpdateAcceptedEventAttributes) updates += 1;
    if (e.workflowExecutionSignaledEventAttributes) signals += 1;
    if (e.timerStartedEventAttributes) timers += 1;
  }
  return `${activities} act, ${updates} upd, ${signals} sig, ${timers} timer (${history.events?.length ?? 0} events)`;
}

async function runEngine(
  saga: BareSagaName,
  d: EngineDriver,
  stack: Stack,
  total: number,
  concurrency: number,
  pids: Record<string, number | undefined>,
): Promise<{
  ms: number;
  latencies: number[];
  workflowIds: string[];
  cpu: Record<string, number>;
  calls: Record<string, number>;
}> {
  const prepare = preparer(saga, d, stack, `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`);
  // Setup is not the engine's work: done first, a few at a time, untimed.
  const { results: prepared } = await runPool(total, concurrency, (i) => prepare(i));
  const timed = await accounted(pids, stack.temporalMetricsUrl, total, () =>
    runPool(total, concurrency, async (i) => {
      const t0 = performance.now();
      const { workflowId } = await prepared[i]!();
      const view = (await d.client.workflow.getHandle(workflowId).result()) as { status?: string };
      const latency = performance.now() - t0;
      if (view.status !== HAPPY_END[saga])
        throw new Error(`${saga}: ${workflowId} ended ${view.status}, expected ${HAPPY_END[saga]}`);
      return { latency, workflowId };
    }),
  );
  const { ms, results } = timed.result;
  return {
    ms,
    latencies: results.map((r) => r.latency),
    workflowIds: results.map((r) => r.workflowId),
    cpu: timed.cpu,
    calls: timed.calls,
  };
}

async function runBare(
  saga: BareSagaName,
  worker: BareWorker,
  total: number,
  concurrency: number,
  pids: Record<string, number | undefined>,
  metricsUrl: string | undefined,
): Promise<{ ms: number; latencies: number[]; cpu: Record<string, number>; calls: Record<string, number> }> {
  const prefix = `bare-${saga}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const timed = await accounted(pids, metricsUrl, total, () =>
    runPool(total, concurrency, (i) => runBareOnce(worker, BARE_PLANS[saga], `${prefix}-${i}`)),
  );
  return { ms: timed.result.ms, latencies: timed.result.results, cpu: timed.cpu, calls: timed.calls };
}

/** Runs a timed load and answers, with its result, the CPU per process and the server's calls per unit. */
async function accounted<T>(
  pids: Record<string, number | undefined>,
  metricsUrl: string | undefined,
  units: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number>; calls: Record<string, number> }> {
  const { result, callsPerUnit } = await withServerCallsPerUnit(metricsUrl, units, () =>
    withCpuPerUnit(pids, units, work),
  );
  return { result: result.result, cpu: result.cpuPerUnitMs, calls: callsPerUnit };
}

/** The sagas a caller starts: every one but the unmatched report (the gateway files those). */
const THROUGHPUT_SAGAS = SAGA_NAMES.filter((s): s is BareSagaName => s !== 'unmatched');

export const throughputSection: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const { stack, quick } = ctx;
  const total = quick ? 20 : 150;
  const concurrency = 20;
  const warmup = quick ? 3 : 10;
  const d = await engineDriver(stack);
  const worker = await startBareWorker({
    temporalAddress: stack.temporalAddress,
    namespace: stack.namespace,
    nodeFlags: stack.profilingNodeFlags,
    log: (line) => {
      if (/error|fail/i.test(line)) ctx.log(line);
    },
  });
  // Every process of the run, for the CPU each spends per payment (the detail's cpu rows).
  const pids = { ...stack.pids(), bareWorker: worker.pid, driver: process.pid };
  const rows: BenchRow[] = [];
  try {
    for (const saga of THROUGHPUT_SAGAS) {
      const plan = BARE_PLANS[saga];
      // Warm both workers (JIT, caches, connections) on this saga's path, untimed.
      const warm = await runEngine(saga, d, stack, warmup, Math.min(warmup, concurrency), pids);
      await runBare(saga, worker, warmup, Math.min(warmup, concurrency), pids, stack.temporalMetricsUrl);
      const engine = await runEngine(saga, d, stack, total, concurrency, pids);
      const bare = await runBare(saga, worker, total, concurrency, pids, stack.temporalMetricsUrl);
      const engineRate = total / (engine.ms / 1000);
      const bareRate = total / (bare.ms / 1000);
      const ratio = engineRate / bareRate;
      const shape = planShape(plan);
      const row: BenchRow = {
        section: 'throughput',
        name: `${saga}: start to ${HAPPY_END[saga]}`,
        engine: { value: round(engineRate, 1), unit: 'payments/s' },
        baseline: {
          value: round(bareRate, 1),
          unit: 'workflows/s',
          what: `bare workflow, ${shape.activities} no-op act, ${shape.updates} upd, ${shape.signals} sig, ${shape.timers} timer`,
        },
        ratio: round(ratio, 2),
        better: 'higher',
        goal: { text: '≥ 0.9 of bare', met: ratio >= 0.9 },
        detail: {
          n: total,
          concurrency,
          engineP50Ms: Math.round(percentile(engine.latencies, 50)),
          bareP50Ms: Math.round(percentile(bare.latencies, 50)),
          engineP95Ms: Math.round(percentile(engine.latencies, 95)),
          bareP95Ms: Math.round(percentile(bare.latencies, 95)),
          engineHistory: await historyShape(d.client, warm.workflowIds[0]!),
          engineCpuMsPerPayment: cpuSummary(engine.cpu),
          bareCpuMsPerWorkflow: cpuSummary(bare.cpu),
          engineServerCallsPerPayment: callsSummary(engine.calls, 'service_requests'),
          bareServerCallsPerWorkflow: callsSummary(bare.calls, 'service_requests'),
          engineDbOpsPerPayment: callsSummary(engine.calls, 'persistence_requests'),
          bareDbOpsPerWorkflow: callsSummary(bare.calls, 'persistence_requests'),
          workflowType: SAGAS[saga].workflowType,
        },
      };
      ctx.log(
        `throughput ${saga}: engine ${row.engine.value}/s p50 ${row.detail!.engineP50Ms} ms, ` +
          `bare ${row.baseline.value}/s p50 ${row.detail!.bareP50Ms} ms, ratio ${row.ratio}; ` +
          `CPU ms per payment: engine ${row.detail!.engineCpuMsPerPayment}; bare ${row.detail!.bareCpuMsPerWorkflow}`,
      );
      rows.push(row);
    }
  } finally {
    await worker.stop();
    await d.close();
  }
  return rows;
};

/** 'temporal 12.3, worker 8.1, ...' for the processes that spent anything, most first; then the unreadable. */
function cpuSummary(cpu: Record<string, number>): string {
  const entries = Object.entries(cpu);
  return [
    ...entries
      .filter(([, ms]) => ms > 0)
      .sort(([, a], [, b]) => b - a)
      .map(([name, ms]) => `${name} ${ms.toFixed(1)}`),
    ...entries.filter(([, ms]) => Number.isNaN(ms)).map(([name]) => `${name} unmeasured`),
  ].join(', ');
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

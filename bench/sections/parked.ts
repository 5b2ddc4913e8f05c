/**
 * Parked payments: P pay-by-transfer payments (klink-va) waiting in AWAITING_PAYMENT, and what
 * they cost the rest of the engine. Every figure is measured twice on the same stack: first on
 * the unloaded engine (before parking), then with the P payments parked; the ratio is
 * loaded / unloaded (lower is better).
 *
 * - Memory: VmRSS of the worker and of the Temporal server (/proc/<pid>/status, pids from
 *   stack.pids()), read after parking has settled. The worker keeps at most
 *   PAYSAGA_MAX_CACHED_WORKFLOWS workflows in its sticky cache (workers/worker.ts,
 *   DEFAULT_MAX_CACHED_WORKFLOWS): of P parked payments, only the last ones touched stay in memory,
 *   the rest are rebuilt by replay at their next task.
 * - Webhook latency: a fresh klink-va payment (unloaded; started first and left waiting a second,
 *   as the parked ones wait) or one of the parked ones, spread evenly over the P, so mostly
 *   evicted from the cache (loaded), is paid through the sandbox's control
 *   'klink/customer-pays' (the sandbox's K-Link then sends its HMAC-signed settlement webhook to
 *   the gateway, which verifies it and signals the saga). Timed, one at a time: from sending
 *   that control call to the workflow's result (read with the stack's codec) resolving PAID.
 *   Untimed after each: the payment's history gives how long the signal's workflow task waited
 *   for a worker's poll and whether it went to the worker's sticky queue (the row's detail).
 * - Listing what needs review: GET /v1/payments?needsReview=true through the gateway (a
 *   visibility query, PaysagaNeedsReview = true) and the same through PaysagaClient.list in this
 *   process, median of a few calls each. R payments are put in NEEDS_REVIEW first (paid a wrong
 *   amount), so the list is not empty.
 *
 * Parking: the P payments are started through the gateway (POST /v1/transfers, each answering
 * once AWAITING_PAYMENT) at a bounded concurrency, with the longest expiry the input allows.
 */
import { readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { PaysagaClient } from '../../client/paysaga-client';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../workers/runtime-settings';
import { eventMs, percentile, runPool, startBare } from '../bare/drive';
import { startBareWorker } from '../bare/start';
import type { BarePlan } from '../bare/workflows';
import type { BenchContext, BenchRow, BenchSection } from '../types';
import { engineDriver, type EngineDriver } from './throughput';

const customer = { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' };
/** client/inputs.ts StartTransferInput: expirySeconds at most 30 days. */
const LONGEST_EXPIRY_SECONDS = 30 * 86_400;
const AMOUNT = 175_000;
/** Bare workflows parked beside the bare worker: well over its cache, so the cache is full. */
const BARE_PARKED_COUNT = 1_000;

/** The bare counterpart of a parked transfer: one no-op activity, answered, waiting for a signal. */
const BARE_PARKED: BarePlan & { start: 'with-first-answer' } = {
  start: 'with-first-answer',
  steps: [
    { kind: 'activity' },
    { kind: 'firstAnswer' },
    { kind: 'awaitSignals', count: 1, timeoutMs: LONGEST_EXPIRY_SECONDS * 1000 },
  ],
};

/** VmRSS in MB; NaN when the process is gone. */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

interface Payment {
  orderId: string;
  workflowId: string;
}

async function startTransfer(d: EngineDriver, orderId: string): Promise<Payment> {
  const start = await d.gateway<{ workflowId: string; status: string }>('POST', '/transfers', {
    orderId,
    method: 'klink-va',
    amount: AMOUNT,
    customer,
    bankCode: '014',
    productCode: 'BCAATM',
    expirySeconds: LONGEST_EXPIRY_SECONDS,
  });
  if (start.status !== 'AWAITING_PAYMENT')
    throw new Error(`${start.workflowId} answered ${start.status}, not AWAITING_PAYMENT`);
  return { orderId, workflowId: start.workflowId };
}

/** One paid sample: the latency, and how long the signal's workflow task waited for a worker. */
interface Paid {
  ms: number;
  /** From the task scheduled to a worker's poll taking it (the history's own timestamps). */
  taskWaitMs: number;
  /**
   * Whether that task went to the worker's sticky queue. An evicted payment's does too: the
   * worker then fetches the whole history and replays it, which the task wait does not show.
   */
  sticky: boolean;
}

/** The customer pays (the sandbox sends the signed webhook); ms from that call to the result PAID. */
async function payAndTime(d: EngineDriver, p: Payment): Promise<Paid> {
  const handle = d.client.workflow.getHandle(p.workflowId);
  const t0 = performance.now();
  await d.control('klink/customer-pays', { order_id: p.orderId });
  const view = (await handle.result()) as { status?: string };
  const ms = performance.now() - t0;
  if (view.status !== 'PAID') throw new Error(`${p.workflowId} ended ${view.status}, not PAID`);
  // Untimed: the workflow task the webhook's signal caused, from its history.
  const events = (await handle.fetchHistory()).events ?? [];
  const { EventType, TaskQueueKind } = temporal.api.enums.v1;
  const signalled = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const scheduled = events.find(
    (e, i) => i > signalled && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  );
  const started = events.find(
    (e, i) => i > signalled && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  );
  if (signalled < 0 || !scheduled || !started) throw new Error(`${p.workflowId}: no signalled workflow task`);
  return {
    ms,
    taskWaitMs: eventMs(started.eventTime) - eventMs(scheduled.eventTime),
    sticky:
      scheduled.workflowTaskScheduledEventAttributes?.taskQueue?.kind ===
      TaskQueueKind.TASK_QUEUE_KIND_STICKY,
  };
}

async function medianOf(n: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return percentile(samples, 50);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const parkedSection: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const { stack, quick } = ctx;
  const parkedCount = quick ? 300 : 10_000;
  const concurrency = 20;
  // 60 a side: the p50 of 20 moved the ratio 1.10-1.54x between full runs.
  const latencySamples = quick ? 10 : 60;
  const listSamples = 5;
  const reviewCount = 3;
  const maxCachedWorkflows = Number(process.env.PAYSAGA_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS);
  const d = await engineDriver(stack);
  const paysaga = new PaysagaClient(d.client, stack.taskQueue);
  const runId = Date.now().toString(36);
  const id = (tag: string, i: number) => `BENCH-PK-${runId}-${tag}${i}`;
  const listRest = () =>
    d.gateway<Array<{ workflowId: string }>>('GET', '/payments?needsReview=true&limit=1000');
  const listClient = () => paysaga.list({ needsReview: true, limit: 1000 });
  try {
    // R payments that need review (paid less than asked), visible to the list before timing it.
    const review = await runPool(reviewCount, reviewCount, (i) => startTransfer(d, id('r', i)));
    for (const p of review.results)
      await d.control('klink/customer-pays', { order_id: p.orderId, amount: AMOUNT - 1_000 });
    const reviewIds = new Set(review.results.map((p) => p.workflowId));
    for (const deadline = Date.now() + 30_000; ;) {
      const listed = await listRest();
      if (listed.filter((r) => reviewIds.has(r.workflowId)).length === reviewCount) break;
      if (Date.now() > deadline) throw new Error('the review payments never showed in the list');
      await new Promise((r) => setTimeout(r, 200));
    }

    // Unloaded: warm-up, then the webhook latency on fresh payments, the lists, the memory.
    for (let i = 0; i < 3; i++) await payAndTime(d, await startTransfer(d, id('w', i)));
    // Started first and left to settle, as the parked ones are: a payment paid the moment its
    // start answers would find its workflow still busy with the start's last task.
    const fresh = await runPool(latencySamples, concurrency, (i) => startTransfer(d, id('u', i)));
    await new Promise((r) => setTimeout(r, 1_000));
    const unloadedPaid: Paid[] = [];
    for (const p of fresh.results) unloadedPaid.push(await payAndTime(d, p));
    const unloaded = unloadedPaid.map((x) => x.ms);
    const listRestUnloaded = await medianOf(listSamples, listRest);
    const listClientUnloaded = await medianOf(listSamples, listClient);
    const listedUnloaded = (await listRest()).length;
    await new Promise((r) => setTimeout(r, 1_000));
    const pids = stack.pids();
    const workerBefore = rssMb(pids.worker);
    const temporalBefore = rssMb(pids.temporal);
    ctx.log(
      `unloaded: webhook to PAID p50 ${Math.round(percentile(unloaded, 50))} ms; lists ${Math.round(listRestUnloaded)} / ${Math.round(listClientUnloaded)} ms; ` +
        `worker ${Math.round(workerBefore)} MB, temporal ${Math.round(temporalBefore)} MB`,
    );

    // Park P payments.
    let done = 0;
    const parkStart = performance.now();
    const parked = await runPool(parkedCount, concurrency, async (i) => {
      const p = await startTransfer(d, id('p', i));
      done += 1;
      if (done % 1000 === 0)
        ctx.log(
          `parked ${done}/${parkedCount} (${Math.round(done / ((performance.now() - parkStart) / 1000))}/s)`,
        );
      return p;
    });
    const parkSeconds = parked.ms / 1000;
    ctx.log(
      `parked ${parkedCount} in ${parkSeconds.toFixed(1)} s (${(parkedCount / parkSeconds).toFixed(1)}/s)`,
    );
    // Let the worker finish what the starts left (sticky-cache evictions, GC) before reading memory.
    await new Promise((r) => setTimeout(r, 3_000));
    const workerAfter = rssMb(pids.worker);
    const temporalAfter = rssMb(pids.temporal);
    const gatewayAfter = rssMb(pids.gateway);

    // Loaded: the lists, then the webhook latency on parked payments spread over the P.
    const listRestLoaded = await medianOf(listSamples, listRest);
    const listClientLoaded = await medianOf(listSamples, listClient);
    const listedLoaded = (await listRest()).length;
    const picks = Array.from({ length: latencySamples }, (_, k) =>
      Math.floor((k * parkedCount) / latencySamples),
    );
    const loadedPaid: Paid[] = [];
    for (const k of picks) loadedPaid.push(await payAndTime(d, parked.results[k]!));
    const loaded = loadedPaid.map((x) => x.ms);
    // The last maxCachedWorkflows started are the ones most likely still in the sticky cache.
    const likelyCached = picks.filter((k) => k >= parkedCount - maxCachedWorkflows).length;

    // Bare: a bare worker process (the engine's cache size and node flags, bench/bare/start.ts)
    // with BARE_PARKED_COUNT parked workflows: beyond its cache, it is as full as it gets.
    const bareCount = Math.min(parkedCount, BARE_PARKED_COUNT);
    const bareWorker = await startBareWorker({
      temporalAddress: stack.temporalAddress,
      namespace: stack.namespace,
    });
    let bareBefore: number;
    let bareAfter: number;
    try {
      await runPool(20, 10, (i) => startBare(bareWorker, BARE_PARKED, `bare-pk-${runId}-w${i}`));
      await new Promise((r) => setTimeout(r, 1_000));
      bareBefore = rssMb(bareWorker.pid);
      await runPool(bareCount, concurrency, (i) =>
        startBare(bareWorker, BARE_PARKED, `bare-pk-${runId}-p${i}`),
      );
      await new Promise((r) => setTimeout(r, 3_000));
      bareAfter = rssMb(bareWorker.pid);
    } finally {
      await bareWorker.stop();
    }
    const cachedEngine = Math.min(parkedCount, maxCachedWorkflows);
    const cachedBare = Math.min(bareCount, DEFAULT_MAX_CACHED_WORKFLOWS);
    ctx.log(
      `bare worker with ${bareCount} parked: ${Math.round(bareBefore)} -> ${Math.round(bareAfter)} MB ` +
        `(RSS growth per cached workflow ${Math.round(((bareAfter - bareBefore) * 1024) / cachedBare)} KB; engine ${Math.round(((workerAfter - workerBefore) * 1024) / cachedEngine)} KB)`,
    );

    const p50Unloaded = percentile(unloaded, 50);
    const p50Loaded = percentile(loaded, 50);
    const latencyRatio = p50Loaded / p50Unloaded;
    ctx.log(
      `${parkedCount} parked: worker ${Math.round(workerAfter)} MB, temporal ${Math.round(temporalAfter)} MB; ` +
        `webhook to PAID p50 ${Math.round(p50Loaded)} ms (${round(latencyRatio, 2)}x); lists ${Math.round(listRestLoaded)} / ${Math.round(listClientLoaded)} ms`,
    );
    const parkedDetail = { parked: parkedCount, parkingConcurrency: concurrency, maxCachedWorkflows };
    const listRow = (name: string, loadedMs: number, unloadedMs: number, how: string): BenchRow => ({
      section: 'parked',
      name,
      engine: { value: round(loadedMs, 1), unit: 'ms' },
      baseline: { value: round(unloadedMs, 1), unit: 'ms', what: 'the same list, unloaded engine' },
      ratio: round(loadedMs / unloadedMs, 2),
      better: 'lower',
      detail: {
        ...parkedDetail,
        samples: listSamples,
        statistic: 'median',
        how,
        rowsListedUnloaded: listedUnloaded,
        rowsListedLoaded: listedLoaded,
      },
    });
    return [
      {
        section: 'parked',
        name: `worker RSS with ${parkedCount} parked`,
        engine: { value: Math.round(workerAfter), unit: 'MB' },
        baseline: { value: Math.round(workerBefore), unit: 'MB', what: 'the same worker before parking' },
        ratio: round(workerAfter / workerBefore, 2),
        better: 'lower',
        goal: { text: 'worker < 250 MB', met: workerAfter < 250 },
        detail: {
          ...parkedDetail,
          parkingSeconds: round(parkSeconds, 1),
          parkedPerSecond: round(parkedCount / parkSeconds, 1),
          gatewayRssMb: Math.round(gatewayAfter),
        },
      },
      {
        section: 'parked',
        name: `worker RSS with ${parkedCount} parked, beside a bare worker`,
        engine: { value: Math.round(workerAfter), unit: 'MB' },
        baseline: {
          value: Math.round(bareAfter),
          unit: 'MB',
          what: `bare worker process, ${bareCount} bareSaga waiting for a signal`,
        },
        ratio: round(workerAfter / bareAfter, 2),
        better: 'lower',
        goal: { text: 'worker < 250 MB', met: workerAfter < 250 },
        detail: {
          ...parkedDetail,
          bareParked: bareCount,
          bareCache: DEFAULT_MAX_CACHED_WORKFLOWS,
          bareRssBeforeMb: Math.round(bareBefore),
          engineRssGrowthKbPerCachedWorkflow: Math.round(
            ((workerAfter - workerBefore) * 1024) / cachedEngine,
          ),
          bareRssGrowthKbPerCachedWorkflow: Math.round(((bareAfter - bareBefore) * 1024) / cachedBare),
        },
      },
      {
        section: 'parked',
        name: `Temporal server RSS with ${parkedCount} parked`,
        engine: { value: Math.round(temporalAfter), unit: 'MB' },
        baseline: {
          value: Math.round(temporalBefore),
          unit: 'MB',
          what: 'the same server before parking',
        },
        ratio: round(temporalAfter / temporalBefore, 2),
        better: 'lower',
        detail: parkedDetail,
      },
      {
        section: 'parked',
        name: `webhook to PAID p50 with ${parkedCount} parked`,
        engine: { value: Math.round(p50Loaded), unit: 'ms' },
        baseline: {
          value: Math.round(p50Unloaded),
          unit: 'ms',
          what: 'the same on fresh waiting payments, unloaded engine',
        },
        ratio: round(latencyRatio, 2),
        better: 'lower',
        goal: { text: '≤ 1.5× unloaded', met: latencyRatio <= 1.5 },
        detail: {
          ...parkedDetail,
          samples: latencySamples,
          clock:
            "sandbox control 'klink/customer-pays' sent (its K-Link sends the signed webhook) to the workflow result PAID",
          loadedPicks: `spread evenly over the ${parkedCount}; ${likelyCached} among the last ${maxCachedWorkflows} started`,
          loadedP90Ms: Math.round(percentile(loaded, 90)),
          unloadedP90Ms: Math.round(percentile(unloaded, 90)),
          // Where the time goes: the signal's workflow task waiting for a worker's poll is
          // Temporal's matching, the same for a cached payment and an evicted one.
          loadedTaskWaitP50Ms: Math.round(
            percentile(
              loadedPaid.map((x) => x.taskWaitMs),
              50,
            ),
          ),
          unloadedTaskWaitP50Ms: Math.round(
            percentile(
              unloadedPaid.map((x) => x.taskWaitMs),
              50,
            ),
          ),
          loadedOnStickyQueue: loadedPaid.filter((x) => x.sticky).length,
          unloadedOnStickyQueue: unloadedPaid.filter((x) => x.sticky).length,
        },
      },
      listRow(
        `list needsReview (REST) with ${parkedCount} parked`,
        listRestLoaded,
        listRestUnloaded,
        'GET /v1/payments?needsReview=true&limit=1000 through the gateway',
      ),
      listRow(
        `list needsReview (client) with ${parkedCount} parked`,
        listClientLoaded,
        listClientUnloaded,
        'PaysagaClient.list({ needsReview: true, limit: 1000 }) in the bench process',
      ),
    ];
  } finally {
    await d.close();
  }
};

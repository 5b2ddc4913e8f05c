/**
 * `npm run bench [-- --quick]`: the performance suite. One local stack (Temporal dev server,
 * sandbox at zero latency, worker, gateway, each a process), every section run on it in turn,
 * each measuring the engine beside its bare counterpart in the same run; one table with a ratio
 * in every row and the goal where it has one; the same as JSON in bench/results/.
 * Figures only: nothing here passes or fails on a timing.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../scripts/stack';
import { buildWorkflowBundle, currentBundlePath } from '../workers/workflow-bundle';
import { describeEnvironment, environment, writeResultFile } from './environment';
import { coldStartSection } from './sections/cold-start';
import { parkedSection } from './sections/parked';
import { throughputSection, ZERO_LATENCY_SANDBOX_ENV } from './sections/throughput';
import { verificationSection } from './sections/verification';
import { webhookSection } from './sections/webhook';
import type { BenchRow, BenchSection } from './types';

/** The dev server's settings for every section (see startStack below). */
export const BENCH_TEMPORAL_DYNAMIC_CONFIG = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // The server's own default, which the dev server turns on (temporal CLI 1.5.1,
  // temporalcli/commands.server.go) so that a search attribute added at run time is seen at once.
  // On, every request that carries or upserts search attributes reads the cluster metadata and
  // the namespace from SQLite: measured in the throughput section, 40 GetCurrentClusterMetadata
  // and 16 GetNamespace reads per Prakerja payment against 12 and 1.4 for its bare workflow,
  // which sets none. The stack's search attributes are all registered before the server starts
  // (--search-attribute), so the cache a production server keeps is never stale here.
  'system.forceSearchAttributesCacheRefreshOnRead': false,
  // Per history shard, the rate at which each task queue's reader loads tasks from the database
  // (default 20 a second). A production cluster has hundreds or thousands of shards, each with its
  // own reader; the dev server has one, so all the server's task loads shared 20 a second. A
  // signalled workflow task then waited for the transfer reader's next load: measured from the
  // parked section's histories (WorkflowTaskScheduled to WorkflowTaskStarted), about 30 ms of
  // the 48 ms from a webhook to PAID once more than about a dozen signals came in a row, 1-2 ms
  // with the limit raised. The same for the engine and bare; it measured the dev server's one shard.
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
} as const;

/**
 * The settings above with BENCH_TEMPORAL_DYNAMIC_CONFIG's (a JSON object) over them, for a
 * before/after run of a server setting; the result file records what was used.
 */
export function benchDynamicConfig(json: string | undefined): Record<string, string | number | boolean> {
  const extra: unknown = json ? JSON.parse(json) : {};
  const scalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
  if (
    typeof extra !== 'object' ||
    extra === null ||
    Array.isArray(extra) ||
    !Object.values(extra).every(scalar)
  )
    throw new Error(
      'BENCH_TEMPORAL_DYNAMIC_CONFIG must be a JSON object of dynamic config keys and scalar values',
    );
  return { ...BENCH_TEMPORAL_DYNAMIC_CONFIG, ...(extra as Record<string, string | number | boolean>) };
}

/** In the order they run: the parked section last, it leaves 10,000 payments behind. */
export const SECTIONS: ReadonlyArray<[string, BenchSection]> = [
  ['verification', verificationSection],
  ['cold-start', coldStartSection],
  ['throughput', throughputSection],
  ['webhook', webhookSection],
  ['parked', parkedSection],
];

function figure(f: { value: number; unit: string }): string {
  const v = f.value >= 100 ? f.value.toFixed(0) : f.value >= 10 ? f.value.toFixed(1) : f.value.toFixed(2);
  return `${v} ${f.unit}`;
}

export function formatBenchTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((r) => [
    r.section,
    r.name,
    figure(r.engine),
    `${figure(r.baseline)} (${r.baseline.what})`,
    `${r.ratio.toFixed(2)}${r.better === 'higher' ? ' ↑' : ' ↓'}`,
    r.goal ? `${r.goal.text}: ${r.goal.met ? 'met' : 'NOT met'}` : '-',
  ]);
  const head = ['section', 'row', 'engine', 'baseline (same run)', 'ratio', 'goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `  ${c.map((x, i) => x.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const resultsDir = process.argv.find((a) => a.startsWith('--results='))?.slice('--results='.length);
  const env = environment();
  const dynamicConfig = benchDynamicConfig(process.env.BENCH_TEMPORAL_DYNAMIC_CONFIG);
  const t0 = performance.now();
  if (!currentBundlePath()) await buildWorkflowBundle();
  const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-bench-'));
  const logs = join(dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const stack = await startStack({
    dataDir,
    // Providers answer at once: a figure measures the engine, not the sandbox's simulated waits.
    env: { ...ZERO_LATENCY_SANDBOX_ENV },
    // The sandbox's books in memory: rewriting its state file at every change grows with the
    // books and would be counted against the engine (parking 10,000 slowed to 16/s with it).
    sandboxInMemory: true,
    // One partition per task queue, as a single-node server has one matching host to spread
    // them over. With the dev server's default of four, a task queued before any poller arrives
    // (the cold-start probe) waited about a second more in some samples, on a partition no poll
    // had reached yet: 1739 against 662 ms to the first poll answered, in one quick run. That is
    // Temporal's matching, the same for the engine and bare; it drowned the worker's own start.
    temporalDynamicConfig: dynamicConfig,
    // Profiles of the engine's processes, written when the stack stops (see the README).
    cpuProfileDir: process.env.BENCH_CPU_PROFILE_DIR,
    log: (name, line) => appendFileSync(join(logs, `${name}.log`), line + '\n'),
  });
  const rows: BenchRow[] = [];
  try {
    for (const [name, section] of SECTIONS) {
      if (only && !only.includes(name)) continue;
      const started = performance.now();
      console.log(`[bench] ${name} ...`);
      const sectionRows = await section({ stack, quick, log: (l) => console.log(`[bench] ${name}: ${l}`) });
      rows.push(...sectionRows);
      console.log(`[bench] ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const tookS = (performance.now() - t0) / 1000;
  console.log(
    `\npaysaga performance (${quick ? 'quick' : 'full'} run, ${tookS.toFixed(0)} s) on ${describeEnvironment(env)}\n`,
  );
  console.log(formatBenchTable(rows));
  const file = writeResultFile(
    `bench-${quick ? 'quick' : 'full'}`,
    { kind: 'bench', quick, tookSeconds: tookS, temporalDynamicConfig: dynamicConfig, rows },
    env,
    resultsDir,
  );
  console.log(`\nresult written to ${file}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}

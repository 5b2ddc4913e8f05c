/**
 * Temporal's own metrics, read from the dev server's Prometheus endpoint: how many calls to the
 * server's services (`service_requests`: the frontend's and the internal history and matching
 * calls alike) and database operations (`persistence_requests`) a unit of work costs the server,
 * by operation. Beside the CPU per process (bench/process-cpu.ts), this says
 * which of the engine's calls make the server work harder than for a bare workflow.
 */

/** The counters read, by metric name. */
const COUNTERS = ['service_requests', 'persistence_requests'] as const;

type Counts = Map<string, number>;

/** The operation name under which a counter's total per unit is kept. */
const TOTAL = '(all)';

/** Every COUNTERS sample summed by `metric:operation` (all other labels summed over). */
export async function scrapeCounts(url: string): Promise<Counts> {
  const text = await (await fetch(url)).text();
  const counts: Counts = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\}\s+([0-9.eE+-]+)$/.exec(line);
    if (!m || !(COUNTERS as readonly string[]).includes(m[1]!)) continue;
    const operation = /(?:^|,)operation="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
    const key = `${m[1]}:${operation}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[3]));
  }
  return counts;
}

/** Runs `work` and answers the server's calls per unit of it, by counter and operation. */
export async function withServerCallsPerUnit<T>(
  url: string | undefined,
  units: number,
  work: () => Promise<T>,
): Promise<{ result: T; callsPerUnit: Record<string, number> }> {
  if (!url) return { result: await work(), callsPerUnit: {} };
  const before = await scrapeCounts(url);
  const result = await work();
  const after = await scrapeCounts(url);
  const callsPerUnit: Record<string, number> = {};
  const totals = new Map<string, number>();
  for (const [key, n] of after) {
    const per = (n - (before.get(key) ?? 0)) / units;
    const metric = key.slice(0, key.indexOf(':'));
    totals.set(metric, (totals.get(metric) ?? 0) + per);
    if (per >= 0.05) callsPerUnit[key] = Math.round(per * 10) / 10;
  }
  // Totals from the raw counts, every operation in (the rows above drop the rarest).
  for (const [metric, per] of totals) callsPerUnit[`${metric}:${TOTAL}`] = Math.round(per * 10) / 10;
  return { result, callsPerUnit };
}

/** The counter's total per unit ('total 31.2'), then its operations, most first. */
export function callsSummary(calls: Record<string, number>, metric: (typeof COUNTERS)[number]): string {
  const ops = Object.entries(calls)
    .filter(([k]) => k.startsWith(`${metric}:`) && k !== `${metric}:${TOTAL}`)
    .sort(([, a], [, b]) => b - a);
  const total = calls[`${metric}:${TOTAL}`] ?? 0;
  return [`total ${total.toFixed(1)}`, ...ops.map(([k, n]) => `${k.slice(metric.length + 1)} ${n}`)].join(
    ', ',
  );
}

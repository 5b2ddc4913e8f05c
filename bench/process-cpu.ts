/**
 * CPU time spent by each process of a run, read from /proc: where an engine's extra cost goes
 * (the Temporal server, the worker, the gateway, the sandbox, the driver) when a ratio falls
 * short. On two cores every process competes for the same CPU, so a figure per unit of work
 * (ms per payment, per request) says more than wall time.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, every thread) a process has used so far, in ms; NaN when unreadable. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    // Fields after the command (in parentheses, may hold spaces): utime and stime are the 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    // Gone (exited, restarted under another pid): unmeasured, never a made-up zero.
    return NaN;
  }
}

/**
 * Runs `work` and answers, besides its result, the CPU ms each process spent per unit of it (NaN
 * for a process that could not be read before or after).
 */
export async function withCpuPerUnit<T>(
  pids: Record<string, number | undefined>,
  units: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpuPerUnitMs: Record<string, number> }> {
  const entries = Object.entries(pids).filter(([, pid]) => pid !== undefined);
  const before = entries.map(([, pid]) => cpuMs(pid));
  const result = await work();
  const cpuPerUnitMs = Object.fromEntries(
    entries.map(([name, pid], i) => [name, Math.round(((cpuMs(pid) - before[i]!) / units) * 1000) / 1000]),
  );
  return { result, cpuPerUnitMs };
}

/** The campaign's one table, and the same figures as JSON for bench/results/. */
import { writeResultFile } from '../bench/environment';
import type { CampaignResult } from './campaign';
import { INVARIANTS, KNOWN_LIMITS } from './types';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

export function formatTable(r: CampaignResult): string {
  const lines: string[] = [];
  const row = (a: string, b: string, n: number | string) =>
    `  ${a.padEnd(26)} ${b.padEnd(24)} ${String(n).padStart(6)}`;
  const total = Object.values(r.bySaga).reduce(
    (sum, s) => sum + Object.values(s).reduce((a, b) => a + b, 0),
    0,
  );
  lines.push(
    `paysaga fault campaign: seed ${r.seed}, ${total} payments over ${r.minutes} min, faults ${r.faultsEnabled ? 'on' : 'off'}; the run took ${duration(r.durationMs)}`,
    '',
    row('saga', 'final state', 'count'),
  );
  for (const [saga, states] of Object.entries(r.bySaga).sort()) {
    Object.entries(states)
      .sort()
      .forEach(([state, n], i) => lines.push(row(i === 0 ? saga : '', state, n)));
  }
  lines.push('', row('fault', '', 'count'));
  for (const [kind, n] of Object.entries(r.faults)) lines.push(row(kind, '', n));
  lines.push(row('(worker restarts)', 'by the supervisor', r.restarts.worker));
  lines.push(row('(gateway restarts)', 'by the supervisor', r.restarts.gateway));
  lines.push('', row('invariant', '', 'count'));
  for (const k of INVARIANTS) lines.push(row(k, '', r.invariants[k]));
  lines.push('', row('known limit (not a breach)', '', 'count'));
  for (const k of KNOWN_LIMITS) lines.push(row(k, '', r.limits[k]));
  const broken = r.findings.filter((f) => (INVARIANTS as readonly string[]).includes(f.invariant));
  lines.push(
    '',
    `  ${broken.length === 0 ? 'every invariant holds' : `${broken.length} invariant findings:`}`,
  );
  for (const f of r.findings.slice(0, 50))
    lines.push(`    ${f.invariant} ${f.workflowId ?? ''}: ${f.detail}`);
  if (r.findings.length > 50) lines.push(`    ... ${r.findings.length - 50} more in the JSON`);
  if (r.harnessErrors.length > 0) {
    lines.push(
      '',
      `  harness errors (the campaign's own trouble, not the engine's): ${r.harnessErrors.length}`,
    );
    for (const e of r.harnessErrors.slice(0, 20)) lines.push(`    ${e}`);
  }
  return lines.join('\n');
}

/** Writes the result to `dir` (bench/results/ by default) and answers the file's path. */
export function writeResult(r: CampaignResult, dir?: string): string {
  const name = `chaos-seed${r.seed}-${r.paymentsPlanned}x${r.minutes}min`;
  return writeResultFile(name, { kind: 'chaos', ...r }, undefined, dir);
}

/** The machine and the versions a figure was measured with: every result file carries them. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { temporalCliPath } from '../scripts/temporal-cli';

const ROOT = resolve(__dirname, '..');

export interface Environment {
  cores: number;
  cpu: string | undefined;
  memoryBytes: number;
  node: string;
  temporalSdk: string;
  temporalCli: string;
}

export function environment(): Environment {
  const pkg = (name: string) =>
    (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  let temporalCli = 'unknown';
  try {
    temporalCli = execFileSync(temporalCliPath(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryBytes: totalmem(),
    node: process.version,
    temporalSdk: pkg('@temporalio/worker'),
    temporalCli,
  };
}

/** One line for a table's head: "2 cores (model), 7.8 GB, Node v22.1.0, SDK 1.24.0, temporal version 1.5.1". */
export function describeEnvironment(e: Environment): string {
  return `${e.cores} cores (${e.cpu ?? 'unknown CPU'}), ${(e.memoryBytes / 2 ** 30).toFixed(1)} GB, Node ${e.node}, Temporal SDK ${e.temporalSdk}, ${e.temporalCli}`;
}

/**
 * Writes one result file, `<name>-<time>.json`, to `dir` (bench/results/ by default), carrying the
 * environment it was measured in; answers its path.
 */
export function writeResultFile(
  name: string,
  result: Record<string, unknown>,
  env: Environment = environment(),
  dir = join(ROOT, 'bench', 'results'),
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...result, environment: env }, null, 2) + '\n');
  return file;
}

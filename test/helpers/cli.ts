/**
 * Runs the real `paysaga` command (bin/paysaga.js, a separate process) against a stack, as an
 * operator would: it reaches the stack's Temporal and reads the codec key the stack's processes
 * share (generated into the stack's data dir, or PAYSAGA_CODEC_KEY when the environment sets it).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import type { Stack } from '../../scripts/stack';

const BIN = resolve(__dirname, '../../bin/paysaga.js');

export interface CliResult {
  /** The exit code (1 when the process was killed or never started). */
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment the CLI reads (common/config.ts: temporalEnv and codecEnv) for this stack. */
export function cliEnv(stack: Stack): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: stack.namespace,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    PAYSAGA_DATA_DIR: stack.dataDir,
  };
}

/** `paysaga <args>`; never throws: the caller asserts on the exit code and the output. */
export function paysaga(stack: Stack, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: cliEnv(stack), timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** `paysaga <args>` that must succeed and print JSON (status, review, starts). */
export async function paysagaJson<T = any>(stack: Stack, args: string[]): Promise<T> {
  const run = await paysaga(stack, args);
  if (run.code !== 0)
    throw new Error(`paysaga ${args.join(' ')} exited ${run.code}: ${run.stderr.trim() || run.stdout}`);
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`paysaga ${args.join(' ')} printed no JSON: ${run.stdout}`);
  }
}

/**
 * The Temporal CLI the project's setup built (scripts/setup-temporal.sh). Tests and the local
 * stack use this binary: nothing may download a server at run time on these machines.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';

export function temporalCliPath(): string {
  const path =
    process.env.TEMPORAL_CLI_PATH ??
    resolve(__dirname, `../.tools/temporal-${TEMPORAL_CLI_VERSION}/temporal`);
  if (!existsSync(path)) {
    throw new Error(
      `Temporal CLI not found at ${path}: run "bash scripts/setup-temporal.sh" (or set TEMPORAL_CLI_PATH)`,
    );
  }
  return path;
}

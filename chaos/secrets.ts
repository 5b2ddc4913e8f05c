/**
 * The secret scan: no secret's value in any workflow history (as Temporal stores it, before any
 * codec) nor in any log line of any component. Payload bytes are read as text, so a secret in a
 * payload that escaped the codec is found as it would be by anyone reading the database.
 */
import type { Client } from '@temporalio/client';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inBatches } from './sagas/drive-kit';
import type { Finding } from './types';

/** Shorter values would match by chance (and no secret the stack hands out is this short). */
const MIN_SECRET_LENGTH = 8;

/** Each secret as it may be written: as is, percent-encoded (a URL), JSON-escaped (a PEM's newlines). */
export function secretForms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
}

/** Where each secret (any of its forms) appears in `text`: the secret is named by its first characters only. */
export function findSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .filter((s) => secretForms(s).some((form) => text.includes(form)))
    .map((s) => `${s.slice(0, 4)}…`);
}

export async function scanForSecrets(
  client: Client,
  logDir: string,
  secrets: readonly string[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const ids: string[] = [];
  for await (const wf of client.workflow.list()) ids.push(wf.workflowId);
  await inBatches(
    ids,
    async (workflowId) => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const text = JSON.stringify(history, (_key, value: unknown) =>
        value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
      );
      for (const hit of findSecrets(text, secrets))
        findings.push({ invariant: 'secrets-leaked', workflowId, detail: `secret ${hit} in its history` });
    },
    16,
  );
  for (const file of readdirSync(logDir)) {
    const text = readFileSync(join(logDir, file), 'utf8');
    // Line by line only for a file that holds one: logs of a long run are large.
    if (findSecrets(text, secrets).length === 0) continue;
    text.split('\n').forEach((line, n) => {
      for (const hit of findSecrets(line, secrets))
        findings.push({ invariant: 'secrets-leaked', detail: `secret ${hit} in ${file} line ${n + 1}` });
    });
  }
  return findings;
}

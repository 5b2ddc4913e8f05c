/**
 * The prebuilt workflow bundle: bundling with webpack takes seconds at every worker start, so
 * `npm run build:bundle` writes it once to dist/. The bundle records a hash of the workflow
 * sources it was built from; a worker uses it only when the hash still matches, so an edited
 * workflow is never served from a stale bundle.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

export const WORKFLOWS_DIR = resolve(__dirname, '../workflows');
export const WORKFLOWS_ENTRY = join(WORKFLOWS_DIR, 'index.ts');
const PROJECT_DIR = resolve(__dirname, '..');
const PROVIDERS_DIR = join(PROJECT_DIR, 'providers');
const DIST_DIR = resolve(__dirname, '../dist');
export const BUNDLE_PATH = join(DIST_DIR, 'workflow-bundle.js');
const HASH_PATH = join(DIST_DIR, 'workflow-bundle.sha256');

/**
 * Hash of every workflow source (workflows/, recursively, and the pure provider modules workflow
 * code may import: providers/<p>/states.ts, as eslint allows) and of the SDK version that bundles
 * it. Paths are hashed relative to the project, so a bundle built in one directory stays current
 * when the project is moved.
 */
export function workflowSourceHash(): string {
  const hash = createHash('sha256');
  const providerStates = tsFiles(PROVIDERS_DIR).filter((f) => basename(f) === 'states.ts');
  for (const file of [...tsFiles(WORKFLOWS_DIR), ...providerStates]) {
    hash.update(relative(PROJECT_DIR, file)).update(readFileSync(file));
  }
  hash.update(readFileSync(require.resolve('@temporalio/workflow/package.json')));
  return hash.digest('hex');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
}

export async function buildWorkflowBundle(): Promise<string> {
  // Hashed before bundling: sources edited meanwhile then make the bundle stale, never wrongly current.
  const sourceHash = workflowSourceHash();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY });
  mkdirSync(DIST_DIR, { recursive: true });
  writeFileSync(BUNDLE_PATH, code);
  writeFileSync(HASH_PATH, sourceHash);
  return BUNDLE_PATH;
}

/** The bundle path when it is current, else undefined (the worker then bundles from source). */
export function currentBundlePath(): string | undefined {
  if (!existsSync(BUNDLE_PATH) || !existsSync(HASH_PATH)) return undefined;
  return readFileSync(HASH_PATH, 'utf8').trim() === workflowSourceHash() ? BUNDLE_PATH : undefined;
}

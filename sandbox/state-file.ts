/**
 * Sandbox state that survives a restart of the sandbox process.
 *
 * Each simulator owns a named section of one JSON file ({"prakerja": ..., "merchant": ..., "klink": ...}).
 * The file is rewritten after every mutation, synchronously and before the response is sent,
 * so "committed" means on disk: a test that kills the sandbox right after a timeout-after-commit
 * still finds the transaction. Writes go to a temp file that is then renamed over the real one,
 * so a crash mid-write leaves the previous state, never half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One simulator's slice of the state. restore() must validate: the file may be hand-edited or stale. */
export interface StateSection {
  readonly name: string;
  snapshot(): unknown;
  restore(data: unknown): void;
  reset(): void;
}

export class SandboxState {
  private readonly sections: StateSection[] = [];
  private readonly loaded: Record<string, unknown> | undefined;

  /** Without a file the state lives in memory only and save() does nothing. */
  constructor(private readonly file?: string) {
    this.loaded = file ? readStateFile(file) : undefined;
  }

  /** Add a section; if the file already holds state for it, the section is restored from it now. */
  add(section: StateSection): void {
    if (this.sections.some((s) => s.name === section.name)) {
      throw new Error(`state section '${section.name}' registered twice`);
    }
    this.sections.push(section);
    const data = this.loaded?.[section.name];
    if (data !== undefined) {
      try {
        section.restore(data);
      } catch (err) {
        throw new Error(
          `state file ${this.file}: section '${section.name}' is invalid: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  }

  save(): void {
    if (!this.file) return;
    const data: Record<string, unknown> = { version: 1 };
    for (const section of this.sections) data[section.name] = section.snapshot();
    writeStateFileAtomic(this.file, data);
  }

  /** Empty every section and persist the empty state. */
  reset(): void {
    for (const section of this.sections) section.reset();
    this.save();
  }
}

/** undefined when the file does not exist yet (first start); throws on unreadable or non-object JSON. */
export function readStateFile(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`state file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`state file ${file} does not hold a JSON object`);
  }
  return data as Record<string, unknown>;
}

export function writeStateFileAtomic(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  // The pid keeps two sandbox processes pointed at one file from clobbering each other's temp file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
}

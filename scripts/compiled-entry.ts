/**
 * A process entry compiled ahead of its start, so a worker, gateway or sandbox process starts as
 * plain JavaScript instead of having tsx compile every engine module on the way up.
 *
 * Why: `node --import tsx workers/main.ts` spent about 0.3 s of the worker's cold start compiling
 * the engine's TypeScript (measured: time to the worker's ready line, 790 ms with tsx against
 * 460 ms for the same entry compiled, `npm run bench -- --only=cold-start` shows the whole
 * figure). esbuild bundles the entry and every project module it imports into one CommonJS file
 * in 30–50 ms; packages stay external (`require`d from node_modules as tsx would), so the native
 * Temporal core and every dependency load exactly as before.
 *
 * It is compiled at every start, from the sources as they are, so a compiled entry is never stale.
 * The file is written to a temporary name and renamed into place: two stacks starting at once
 * write identical bytes and each rename is atomic, so no process reads a half-written file.
 *
 * `__dirname` in a project module is replaced by that module's own directory at compile time:
 * modules find files next to them (the workflow sources, the prebuilt bundle in dist/) exactly as
 * they do under tsx, wherever the compiled file lives.
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '..');
const COMPILED_DIR = join(ROOT, 'dist', 'entries');

/** Each project module's `__dirname` as the literal directory it sits in. */
const ownDirname: Plugin = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(ROOT + sep) || args.path.includes(`${sep}node_modules${sep}`))
        return undefined;
      const source = readFileSync(args.path, 'utf8');
      return {
        contents: source.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))),
        loader: 'ts',
      };
    });
  },
};

/**
 * Compiles `entry` (a path from the project root, e.g. 'workers/main.ts') to dist/entries/ and
 * answers how to run it: `node --enable-source-maps [nodeFlags] <file>` (stack traces keep the
 * .ts lines). `nodeFlags` are for flags Node refuses in NODE_OPTIONS (--cpu-prof,
 * --optimize-for-size).
 */
export async function compiledEntry(
  entry: string,
  nodeFlags: readonly string[] = [],
): Promise<{ command: string; args: string[] }> {
  const out = join(COMPILED_DIR, `${basename(dirname(entry))}-${basename(entry, '.ts')}.cjs`);
  const temp = `${out}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    await build({
      entryPoints: [join(ROOT, entry)],
      bundle: true,
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      format: 'cjs',
      packages: 'external',
      sourcemap: 'inline',
      outfile: temp,
      logLevel: 'error',
      plugins: [ownDirname],
    });
    renameSync(temp, out);
  } finally {
    // Gone after the rename; left by a failed build otherwise.
    rmSync(temp, { force: true });
  }
  return { command: process.execPath, args: ['--enable-source-maps', ...nodeFlags, out] };
}

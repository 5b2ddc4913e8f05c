/**
 * The fault campaign in `npm test`: a short run with a fixed seed of `npm run chaos` (the real
 * command, as a process, over the real stack), which must hold every invariant; and the same
 * campaign run against a deliberately broken build, which must catch it.
 *
 * Correctness only: counts of broken promises, never timings (the run's duration is printed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CampaignResult } from '../../chaos/campaign';
import { SCHEDULED_KINDS } from '../../chaos/faults';
import { CHAOS_SAGAS } from '../../chaos/sagas';
import { INVARIANTS } from '../../chaos/types';

const ROOT = resolve(__dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'paysaga-chaos-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `chaos/main.ts` from `root` and answers its exit code, its output and the JSON it wrote. */
async function campaign(
  root: string,
  args: string[],
): Promise<{ code: number | null; output: string; result: CampaignResult }> {
  const results = mkdtempSync(join(scratch, 'results-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'chaos/main.ts'), ...args, '--results', results],
    {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const files = readdirSync(results);
  assert.equal(files.length, 1, `one result file expected; output:\n${output}`);
  return {
    code,
    output,
    result: JSON.parse(readFileSync(join(results, files[0]!), 'utf8')) as CampaignResult,
  };
}

describe('fault campaign (npm run chaos)', () => {
  it('a short seeded campaign over every saga, with every fault kind, breaks no invariant', async () => {
    const { code, output, result } = await campaign(ROOT, ['48', '1.5', '11', '--settle', '150']);
    console.log(output);
    assert.deepEqual(
      INVARIANTS.filter((k) => result.invariants[k] > 0),
      [],
      `invariants broken:\n${result.findings.map((f) => `${f.invariant} ${f.workflowId}: ${f.detail}`).join('\n')}`,
    );
    assert.deepEqual(result.harnessErrors, []);
    assert.equal(code, 0);
    // The run did what it says: every saga driven, every scheduled fault kind injected.
    assert.deepEqual(Object.keys(result.bySaga).sort(), CHAOS_SAGAS.map((m) => m.saga).sort());
    assert.deepEqual(
      SCHEDULED_KINDS.filter((k) => result.faults[k] === 0),
      [],
      'every scheduled fault kind injected at least once',
    );
    assert.ok(result.restarts.worker >= 1 && result.restarts.gateway >= 1, 'the supervisor restarted both');
  });

  it('catches a broken build: a Prakerja saga that skips its void still says VOIDED, and the books show the charge', async () => {
    // A copy of the project whose saga skips its compensation: the void activity is never called.
    const copy = join(scratch, 'broken');
    const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f && !f.startsWith('test/replay/histories/'));
    for (const file of tracked) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(ROOT, file), join(copy, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const saga = join(copy, 'workflows/prakerja-payment.ts');
    const source = readFileSync(saga, 'utf8');
    const broken = source.replace(
      'await prakerjaVoid(',
      "await ((_skipped: unknown): Promise<VoidOutcome> => Promise.resolve({ outcome: 'voided', message: 'skipped' }))(",
    );
    assert.notEqual(broken, source, 'the mutation found its target (the void call in the Prakerja saga)');
    writeFileSync(saga, broken);
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-bundle.ts'], {
      cwd: copy,
      stdio: 'ignore',
    });

    const { code, output, result } = await campaign(copy, [
      '24',
      '0.5',
      '5',
      '--only',
      'prakerja',
      '--no-faults',
      '--settle',
      '60',
    ]);
    console.log(output);
    assert.equal(code, 1, 'the campaign fails');
    const lost = result.findings.filter((f) => f.invariant === 'lost');
    assert.ok(lost.length >= 1, `a lost payment caught; findings: ${JSON.stringify(result.findings)}`);
    assert.ok(lost.every((f) => f.workflowId?.startsWith('prakerja-')));
    assert.equal(
      result.bySaga.prakerja?.VOIDED,
      lost.length,
      'each payment the broken saga "voided" is caught',
    );
  });
});

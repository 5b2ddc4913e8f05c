/**
 * The performance suite runs: `npm run bench -- --quick` as a process on its own stack, printing
 * its table and writing its JSON. Nothing here is a timing: the figures are printed for a reader,
 * and this test only checks that every section answered rows a reader can use (a finite ratio,
 * both figures, the goal's verdict where the issue sets one).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { BENCH_TEMPORAL_DYNAMIC_CONFIG, benchDynamicConfig, SECTIONS } from '../../bench/main';
import type { BenchRow } from '../../bench/types';

const ROOT = resolve(__dirname, '../..');
const results = mkdtempSync(join(tmpdir(), 'paysaga-bench-test-'));
after(() => rmSync(results, { recursive: true, force: true }));

describe('performance suite (npm run bench -- --quick)', () => {
  it("BENCH_TEMPORAL_DYNAMIC_CONFIG goes over the bench's server settings, and only as an object of scalars", () => {
    assert.deepEqual(benchDynamicConfig(undefined), BENCH_TEMPORAL_DYNAMIC_CONFIG);
    const before = benchDynamicConfig('{"history.transferProcessorMaxPollRPS":20}');
    assert.equal(before['history.transferProcessorMaxPollRPS'], 20);
    assert.equal(before['matching.numTaskqueueReadPartitions'], 1);
    for (const bad of ['[1]', '"x"', '{"a":{"b":1}}', 'null'])
      assert.throws(() => benchDynamicConfig(bad), /must be a JSON object/, bad);
  });

  it('runs every section and answers rows with both figures and a ratio', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/main.ts'), '--quick', `--results=${results}`],
      { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    console.log(output);
    assert.equal(code, 0, output.slice(-2000));

    const files = readdirSync(results);
    assert.equal(files.length, 1);
    const result = JSON.parse(readFileSync(join(results, files[0]!), 'utf8')) as {
      quick: boolean;
      environment: { cores: number };
      rows: BenchRow[];
    };
    assert.equal(result.quick, true);
    assert.ok(result.environment.cores >= 1);
    assert.deepEqual(
      [...new Set(result.rows.map((r) => r.section))].sort(),
      SECTIONS.map(([name]) => name).sort(),
      'every section answered',
    );
    for (const row of result.rows) {
      assert.ok(
        Number.isFinite(row.ratio) && row.ratio > 0,
        `${row.section} ${row.name}: ratio ${row.ratio}`,
      );
      assert.ok(row.engine.value > 0 && row.baseline.value > 0, `${row.section} ${row.name}: both figures`);
      if (row.goal) assert.equal(typeof row.goal.met, 'boolean');
    }
    assert.match(output, /ratio/);
  });
});

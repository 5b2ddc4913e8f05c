import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RESTART_POLICY, restartDelayMs, SupervisedProcess } from '../../scripts/supervisor';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child that says it is ready and then idles, like a worker. */
const spec = {
  name: 'idler',
  command: process.execPath,
  args: ['-e', "console.log('idler ready'); setInterval(() => {}, 1000)"],
  env: process.env,
  readyPattern: /idler ready/,
};
const fast = { initialDelayMs: 50, maxDelayMs: 400, healthyAfterMs: 60_000 };

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('supervisor', () => {
  it('doubles the restart delay for deaths in a row, up to the maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 10].map((n) => restartDelayMs(fast, n)),
      [50, 100, 200, 400, 400],
    );
    assert.equal(restartDelayMs(DEFAULT_RESTART_POLICY, 1), DEFAULT_RESTART_POLICY.initialDelayMs);
  });

  it('restarts a process that dies unasked and logs the death; a stop is left alone', async () => {
    const lines: string[] = [];
    const p = new SupervisedProcess(spec, (_name, line) => lines.push(line), fast);
    await p.start();
    try {
      const firstPid = p.pid;
      p.crash();
      await until(() => p.restarts === 1 && p.running);
      assert.notEqual(p.pid, firstPid);
      assert.ok(
        lines.some((l) => /idler died \(killed by SIGKILL\); restarting in 50 ms/.test(l)),
        lines.join('\n'),
      );
      assert.ok(lines.some((l) => /idler restarted \(pid \d+\)/.test(l)));

      // A second death in a row waits twice as long.
      p.crash();
      await until(() => p.restarts === 2 && p.running);
      assert.ok(lines.some((l) => /restarting in 100 ms/.test(l)));
    } finally {
      await p.stop();
    }
    await sleep(300);
    assert.equal(p.running, false, 'a stopped process stays stopped');
    assert.equal(p.restarts, 2);
  });

  it('without a policy a death is only logged, and ensureRunning brings the process back', async () => {
    const lines: string[] = [];
    const p = new SupervisedProcess(spec, (_name, line) => lines.push(line));
    await p.start();
    try {
      p.crash();
      await until(() => lines.some((l) => /not supervised/.test(l)));
      await sleep(200);
      assert.equal(p.running, false);
      await p.ensureRunning();
      assert.equal(p.running, true);
    } finally {
      await p.stop();
    }
  });
});

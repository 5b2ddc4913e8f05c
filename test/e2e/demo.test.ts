/**
 * The `npm start` demo on the whole stack (scripts/stack.ts, as scripts/dev.ts starts it): it
 * covers every saga of workflows/sagas.ts and every method of TRANSFER_METHODS, each payment
 * reaches the state its row says (a status of its own saga), the table shows what the gateway
 * shows, NEEDS_REVIEW rows carry the payment's own reason and actions, and it stays fast.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDemoTable, runDemo, type DemoRow } from '../../scripts/demo';
import { startStack, type Stack } from '../../scripts/stack';
import { NEEDS_REVIEW } from '../../workflows/saga-definitions';
import { SAGA_NAMES, SAGAS } from '../../workflows/sagas';
import { TRANSFER_METHODS } from '../../workflows/transfer-definitions';
import { http } from '../helpers/http';

describe('the npm start demo (whole stack over HTTP)', () => {
  let stack: Stack;
  let rows: DemoRow[];

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-demo-'));
    const logs = join(dataDir, 'logs');
    mkdirSync(logs, { recursive: true });
    stack = await startStack({
      dataDir,
      log: (name, line) => appendFileSync(join(logs, `${name}.log`), line + '\n'),
    });
    // Its duration is printed, not asserted: speed is a figure, never a pass/fail line.
    const started = Date.now();
    rows = await runDemo({
      gatewayUrl: stack.gatewayUrl,
      sandboxUrl: stack.sandboxUrl!,
      klink: { baseUrl: stack.klinkBaseUrl, ...stack.sandboxKLink! },
    });
    console.log(`demo took ${Date.now() - started} ms\n${formatDemoTable(rows)}`);
  });
  after(async () => {
    await stack?.stop();
  });

  it('every row reaches the state it aims for, a status of its own saga', () => {
    for (const r of rows) {
      const statuses: readonly string[] = SAGAS[r.saga].statuses;
      assert.ok(statuses.includes(r.status), `${r.saga} ${r.workflowId}: ${r.status} (${r.reason ?? ''})`);
      assert.equal(r.status, r.wanted, `${r.saga} ${r.method} ${r.label}: ${r.reason ?? ''}`);
    }
  });

  it('covers every saga and every transfer method', () => {
    // Every saga of workflows/sagas.ts: none is left out.
    for (const saga of SAGA_NAMES)
      assert.ok(
        rows.some((r) => r.saga === saga),
        `no demo row for the ${saga} saga`,
      );
    for (const method of TRANSFER_METHODS)
      assert.ok(
        rows.some((r) => r.saga === 'transfer' && r.method === method),
        `no demo transfer paid with ${method}`,
      );
    // AliKassa's payout is a saga of its own: covered above as 'payout'.
  });

  it('a mix an operator meets: finished well, finished badly, waiting, and a review queue with reasons', () => {
    const final = rows.filter((r) => (SAGAS[r.saga].finalStatuses as readonly string[]).includes(r.status));
    const good = ['COMPLETED', 'PAID', 'PAID_OUT', 'SUCCEEDED', 'REFUNDED', 'TRANSFERRED'];
    assert.ok(
      final.some((r) => good.includes(r.status)),
      'some finished well',
    );
    assert.ok(
      final.some((r) => ['FAILED', 'VOIDED', 'EXPIRED'].includes(r.status)),
      'some failed, voided or expired',
    );
    assert.ok(
      rows.some((r) => r.status !== NEEDS_REVIEW && !final.includes(r)),
      'some wait for someone',
    );
    const parked = rows.filter((r) => r.status === NEEDS_REVIEW);
    assert.ok(new Set(parked.map((r) => r.saga)).size >= 3, 'parked payments of at least three sagas');
    for (const r of parked) {
      assert.ok(r.reason && r.reason.length > 0, `${r.workflowId} shows why it parked`);
      assert.ok(r.actions && r.actions.length > 0, `${r.workflowId} shows what an operator may do`);
    }
    for (const r of rows.filter((r) => r.status !== NEEDS_REVIEW))
      assert.equal(r.reason, undefined, `${r.workflowId}: a reason only for a review`);
  });

  it('the table is what the gateway shows, and lists each row with its reason', async () => {
    const ids = new Set(rows.map((r) => r.workflowId));
    assert.equal(ids.size, rows.length, 'one payment per row');
    const views = await Promise.all(
      rows.map(async (r) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${r.workflowId}`)).body),
    );
    for (const [i, r] of rows.entries()) {
      assert.equal(views[i].status, r.status, `${r.workflowId} is still ${r.status}`);
      if (r.status === NEEDS_REVIEW) {
        assert.equal(views[i].review.reason, r.reason);
        assert.deepEqual(views[i].review.actions, r.actions);
      }
    }
    const table = formatDemoTable(rows, 'http://ui.example/namespaces/paysaga/workflows');
    for (const r of rows) {
      const line = table.split('\n').find((l) => l.includes(` ${r.workflowId}`) && l.includes(r.status));
      assert.ok(
        line?.includes(r.saga) && line.includes(r.method),
        `a line with ${r.saga} ${r.method} ${r.workflowId}`,
      );
      if (r.reason) assert.ok(table.includes(`reason: ${r.reason}`), `the reason of ${r.workflowId}`);
      assert.ok(table.includes(`http://ui.example/namespaces/paysaga/workflows/${r.workflowId}`));
    }
  });
});

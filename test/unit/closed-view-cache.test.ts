import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { PaysagaClient } from '../../client/paysaga-client';
import { ClosedViewCache, lookUpPayment } from '../../gateway/closed-payment';
import type { PaymentView } from '../../workflows/saga-definitions';

const view = (status: string) => ({ status }) as unknown as PaymentView;

/** A client whose runs are as given, counting the Temporal calls the gateway makes. */
function fakeClient(runs: Record<string, { status: string; result?: PaymentView }>) {
  const calls = { describe: 0, result: 0 };
  const client = {
    temporal: {
      workflow: {
        getHandle: (id: string) => ({
          describe: async () => {
            calls.describe += 1;
            const run = runs[id];
            if (!run) throw new WorkflowNotFoundError('not found', id, undefined);
            return { status: { name: run.status }, runId: 'r1' };
          },
          result: async () => {
            calls.result += 1;
            return runs[id]!.result;
          },
        }),
      },
    },
  } as unknown as PaysagaClient;
  return { client, calls };
}

describe('closed payments: final views kept a while', () => {
  it('reads a completed run from Temporal once; running and absent runs are asked every time', async () => {
    const { client, calls } = fakeClient({
      'transfer-done': { status: 'COMPLETED', result: view('PAID') },
      'transfer-waiting': { status: 'RUNNING' },
    });
    const cache = new ClosedViewCache();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await lookUpPayment(client, 'transfer-done', cache), {
        state: 'closed',
        finalView: view('PAID'),
      });
    }
    assert.deepEqual(calls, { describe: 1, result: 1 });
    await lookUpPayment(client, 'transfer-waiting', cache);
    await lookUpPayment(client, 'transfer-waiting', cache);
    await lookUpPayment(client, 'transfer-none', cache);
    await lookUpPayment(client, 'transfer-none', cache);
    assert.equal(calls.describe, 5);
    assert.equal(cache.size, 1);
  });

  it('forgets a view after its time (the id could name a new run after retention) and holds a bounded number', () => {
    let now = 0;
    const cache = new ClosedViewCache(2, 1000, () => now);
    cache.set('a', view('PAID'));
    now = 1001;
    assert.equal(cache.get('a'), undefined);
    cache.set('a', view('PAID'));
    cache.set('b', view('PAID'));
    cache.set('c', view('EXPIRED'));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), undefined, 'the oldest left first');
    assert.deepEqual(cache.get('c'), view('EXPIRED'));
  });
});

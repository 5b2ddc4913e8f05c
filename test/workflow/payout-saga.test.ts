/**
 * The AliKassa payout saga on a real Temporal dev server, with a scripted create and scripted
 * status answers (their words read by the real providers/alikassa/states.ts): an unknown word
 * parks, a status call out of retries parks with the activity named, an unclear create is never
 * made twice, and two operators resolving at once get one applied and one clear refusal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { AliKassaStatus, PayoutCreateOutcome, PayoutInput } from '../../activities/alikassa';
import { aliKassaProviderState } from '../../providers/alikassa/states';
import { PAYOUT_REVIEW_ACTIONS, type PayoutView } from '../../workflows/payout-definitions';
import { resolveReviewUpdate } from '../../workflows/saga-definitions';
import { SA_NEEDS_REVIEW } from '../../workflows/search-attributes';
import { useSagaTestEnv } from '../helpers/test-env';

interface Script {
  create?: PayoutCreateOutcome;
  /** AliKassa's payment_status per status call (the last repeats); 'FAIL' fails the call for good. */
  words: string[];
  /** Status calls from this one on take `delayMs`. */
  slowFrom?: number;
  delayMs?: number;
}
const scripts = new Map<string, Script>();
const creates = new Map<string, number>();
const statusCalls = new Map<string, number>();

const activities = {
  async alikassaCreatePayout(input: PayoutInput): Promise<PayoutCreateOutcome> {
    creates.set(input.orderId, (creates.get(input.orderId) ?? 0) + 1);
    return scripts.get(input.orderId)?.create ?? { outcome: 'created', id: 'AKP-1' };
  },
  /** As the activity answers: the word kept, its state read by providers/alikassa/states.ts. */
  async alikassaPayoutStatus(input: { orderId: string }): Promise<AliKassaStatus> {
    const script = scripts.get(input.orderId) ?? { words: ['wait'] };
    const n = (statusCalls.get(input.orderId) ?? 0) + 1;
    statusCalls.set(input.orderId, n);
    if (script.slowFrom !== undefined && n >= script.slowFrom)
      await new Promise((r) => setTimeout(r, script.delayMs ?? 3_000));
    const word = script.words[Math.min(n, script.words.length) - 1]!;
    if (word === 'FAIL') throw ApplicationFailure.nonRetryable('AliKassa answered garbage', 'Scripted');
    return { found: true, state: aliKassaProviderState(word), status: word, amount: 250_000, id: 'AKP-1' };
  },
};

describe('AliKassa payout saga', () => {
  const harness = useSagaTestEnv(activities);

  const start = async (script: Script): Promise<WorkflowHandle> => {
    const orderId = `PO-${randomUUID().slice(0, 8)}`;
    scripts.set(orderId, script);
    const { workflowId } = await harness.paysaga.startPayout({
      orderId,
      amount: 250_000,
      bankCode: 'PMTB',
      accountNumber: '1234567890',
      firstName: 'Siti',
      lastName: 'Aminah',
      pollSeconds: 1,
    });
    return harness.env.client.workflow.getHandle(workflowId);
  };
  const view = (h: WorkflowHandle) => harness.paysaga.status<PayoutView>(h.workflowId);
  const until = async (h: WorkflowHandle, status: string) => {
    for (let i = 0; i < 100 && (await view(h)).status !== status; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await view(h)).status, status);
  };
  const resolve = (h: WorkflowHandle, action: string, operator = 'ana') =>
    h.executeUpdate(resolveReviewUpdate, {
      args: [{ action, operator, note: 'asked AliKassa support about this payout' }],
    });
  const needsReviewAttribute = async (h: WorkflowHandle) =>
    (await h.describe()).typedSearchAttributes.get(SA_NEEDS_REVIEW);

  it('a status word the engine does not know parks it; a recheck that reads paid pays it out', async () => {
    const h = await start({ words: ['wait', 'refund_pending', 'paid'] });
    await until(h, 'NEEDS_REVIEW');
    const parked = await view(h);
    assert.match(parked.review!.reason, /unknown status refund_pending/);
    assert.deepEqual(parked.review!.actions, [...PAYOUT_REVIEW_ACTIONS]);
    assert.equal(parked.providerStatus, 'refund_pending');
    assert.equal(await needsReviewAttribute(h), true, 'PaysagaNeedsReview=true');
    const after = await resolve(h, 'recheck');
    assert.equal(after.status, 'PAID_OUT');
    assert.equal(((await h.result()) as PayoutView).status, 'PAID_OUT');
    assert.equal(await needsReviewAttribute(h), false);
  });

  it('a status call out of retries parks it with the activity named, offering recheck', async () => {
    const h = await start({ words: ['FAIL', 'paid'] });
    await until(h, 'NEEDS_REVIEW');
    const parked = await view(h);
    assert.equal(parked.review!.activity, 'alikassaPayoutStatus');
    assert.match(parked.review!.reason, /alikassaPayoutStatus failed for good: AliKassa answered garbage/);
    assert.deepEqual(parked.review!.actions, ['recheck', 'mark-paid-out', 'mark-failed']);
    assert.equal((await h.describe()).status.name, 'RUNNING', 'parked, not a failed execution');
    assert.equal((await resolve(h, 'recheck')).status, 'PAID_OUT');
    assert.equal(((await h.result()) as PayoutView).status, 'PAID_OUT');
    assert.equal((await h.describe()).status.name, 'COMPLETED');
  });

  it('an unclear create is confirmed by status and never created again', async () => {
    const h = await start({ create: { outcome: 'unclear', detail: 'timeout' }, words: ['paid'] });
    const final = (await h.result()) as PayoutView;
    assert.equal(final.status, 'PAID_OUT');
    assert.ok(final.timeline.some((e) => e.status === 'CONFIRMING'));
    const orderId = final.orderId;
    assert.equal(creates.get(orderId), 1, 'one create, whatever happened');
  });

  it('two concurrent resolves while the recheck is slow: one applies, the other is refused clearly', async () => {
    // Parked by an unknown word at the first poll; the recheck (2nd call) takes 3 s and reads success.
    const h = await start({ words: ['in_review', 'paid'], slowFrom: 2, delayMs: 3_000 });
    await until(h, 'NEEDS_REVIEW');
    const outcomes = await Promise.allSettled([resolve(h, 'recheck', 'ana'), resolve(h, 'recheck', 'budi')]);
    const applied = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(applied.length, 1, 'exactly one applies');
    assert.equal(refused.length, 1, 'the other is refused');
    assert.equal((applied[0] as PromiseFulfilledResult<PayoutView>).value.status, 'PAID_OUT');
    const err = (refused[0] as PromiseRejectedResult).reason;
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.match(err.cause?.message ?? '', /another resolution or a provider check is in flight/);
    assert.equal(statusCalls.get((await view(h)).orderId), 2, 'the recheck ran once');
    const final = (await h.result()) as PayoutView;
    assert.equal(final.status, 'PAID_OUT');
    assert.equal(
      final.resolution?.operator,
      (applied[0] as PromiseFulfilledResult<PayoutView>).value.resolution?.operator,
    );
  });
});

/**
 * The K-Link escrow refund saga against a real Temporal dev server, with scripted activities so
 * every branch can be driven exactly. The end-to-end test runs it against the HTTP sandbox.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { RefundAcceptOutcome, RefundRequestOutcome } from '../../activities/klink';
import {
  KLINK_REFUND_WORKFLOW_TYPE,
  klinkRefundWorkflowId,
  type KLinkRefundView,
} from '../../workflows/klink-refund-definitions';
import { LEGACY_REVIEW_UPDATES } from '../../workflows/saga-definitions';
import { useSagaTestEnv } from '../helpers/test-env';

interface Script {
  request?: () => Promise<RefundRequestOutcome>;
  accept?: (attempt: number) => Promise<RefundAcceptOutcome>;
}
const scripts = new Map<string, Script>();
const calls = { request: [] as string[], accept: [] as string[] };
const count = (list: string[], id: string) => list.filter((x) => x === id).length;

const activities = {
  async klinkEscrowRefundRequest(input: {
    idOrder: string;
    idMember: string;
  }): Promise<RefundRequestOutcome> {
    calls.request.push(input.idOrder);
    const script = scripts.get(input.idOrder)?.request;
    if (script) return script();
    return {
      outcome: 'candidates',
      candidates: [
        {
          idTrans: 137,
          idOrder: input.idOrder,
          idMember: input.idMember,
          amount: 90000,
          description: 'Pembelian',
          datetime: '2026-11-23 10:00:00',
        },
      ],
    };
  },
  async klinkRefundAccept(input: { idOrder: string }): Promise<RefundAcceptOutcome> {
    calls.accept.push(input.idOrder);
    const script = scripts.get(input.idOrder)?.accept;
    return script ? script(count(calls.accept, input.idOrder)) : { outcome: 'refunded' };
  },
};

function newRefund(overrides: Record<string, unknown> = {}) {
  const idOrder = `ord-${randomUUID().slice(0, 8)}`;
  return {
    idOrder,
    idMember: 'idspaa001',
    expectedAmount: 90000,
    note: 'dokter tidak sedang standby',
    ...overrides,
  };
}

describe('klink escrow refund saga (real Temporal dev server)', () => {
  const harness = useSagaTestEnv(activities);

  const view = (id: string) => harness.paysaga.status<KLinkRefundView>(id);
  const waitForStatus = async (id: string, status: string) => {
    for (let i = 0; i < 100; i++) {
      if ((await view(id)).status === status) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${id} never reached ${status}`);
  };

  it('accepts automatically when K-Link proposes exactly the expected order, member and amount', async () => {
    const r = newRefund();
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    assert.equal(workflowId, klinkRefundWorkflowId(r.idOrder));
    const final = await harness.paysaga.result<KLinkRefundView>(workflowId);
    assert.equal(final.status, 'REFUNDED');
    assert.equal(final.acceptedIdTrans, 137);
    assert.equal(count(calls.accept, r.idOrder), 1);
    const sa = (await harness.env.client.workflow.getHandle(workflowId).describe()).searchAttributes;
    assert.deepEqual(
      [sa.PaysagaProvider, sa.PaysagaStatus, sa.PaysagaOrderId, sa.PaysagaAmount],
      [['klink'], ['REFUNDED'], [r.idOrder], [90000]],
    );
  });

  it('a repeated start finds the same refund', async () => {
    const r = newRefund();
    const a = await harness.paysaga.startKLinkRefund(r);
    const b = await harness.paysaga.startKLinkRefund(r);
    assert.equal(a.workflowId, b.workflowId);
    await harness.paysaga.result(a.workflowId);
    await harness.paysaga.startKLinkRefund(r);
    assert.equal(count(calls.request, r.idOrder), 1);
  });

  it('"refund existing" on the request is refunded, with the id_trans K-Link names', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      request: async () => ({ outcome: 'already-refunded', idTrans: 323, datetime: '2021-10-27 12:01:25' }),
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    const final = await harness.paysaga.result<KLinkRefundView>(workflowId);
    assert.deepEqual([final.status, final.acceptedIdTrans], ['REFUNDED', 323]);
    assert.equal(count(calls.accept, r.idOrder), 0);
  });

  /** Parked for a person: NEEDS_REVIEW in the view and PaysagaNeedsReview=true, still running. */
  async function assertParked(workflowId: string) {
    await waitForStatus(workflowId, 'NEEDS_REVIEW');
    const d = await harness.env.client.workflow.getHandle(workflowId).describe();
    assert.equal(d.status.name, 'RUNNING', 'parked, not failed');
    assert.deepEqual(d.searchAttributes.PaysagaNeedsReview, [true]);
    return view(workflowId);
  }

  it('K-Link NOT_FOUND parks for an operator (a person must find where the money is), without an accept', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      request: async () => ({ outcome: 'needs-review', code: 'NOT_FOUND', message: 'data not found' }),
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    const parked = await assertParked(workflowId);
    assert.match(parked.review!.reason, /NOT_FOUND: data not found.*find where the money is/);
    assert.equal(parked.review!.code, 'NOT_FOUND');
    assert.deepEqual(parked.review!.actions, ['retry', 'mark-refunded', 'mark-not-refunded']);
    assert.equal(count(calls.accept, r.idOrder), 0);
    // The operator found the money was never taken.
    const done = await harness.paysaga.review<KLinkRefundView>(workflowId, {
      action: 'mark-not-refunded',
      operator: 'ana',
      note: 'the member was never debited: checked the K-Wallet history',
    });
    assert.equal(done.status, 'NOT_REFUNDED');
    assert.equal(done.resolution?.operator, 'ana');
  });

  it('a "nothing to refund" result from a worker before the kernel, read for the first time, parks too', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      request: async () => ({ outcome: 'nothing-to-refund', message: 'data not found' }),
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    const parked = await assertParked(workflowId);
    assert.match(parked.review!.reason, /find where the money is/);
    // K-Link fixed its data: a retry asks again and refunds.
    scripts.delete(r.idOrder);
    const done = await harness.paysaga.review<KLinkRefundView>(workflowId, {
      action: 'retry',
      operator: 'ana',
      note: 'K-Link restored the escrow row',
    });
    assert.equal(done.status, 'REFUNDED');
    assert.equal(count(calls.accept, r.idOrder), 1);
  });

  it('a refund request that fails for good parks naming the activity (the workflow does not fail)', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      request: async () => {
        throw ApplicationFailure.nonRetryable('refund request refused: FAIL Order closed', 'RefundRefused');
      },
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    const parked = await assertParked(workflowId);
    assert.equal(parked.review!.activity, 'klinkEscrowRefundRequest');
    assert.match(parked.review!.reason, /klinkEscrowRefundRequest failed for good: refund request refused/);
    assert.deepEqual(parked.review!.actions, ['retry', 'mark-not-refunded'], 'nothing was accepted');
  });

  it('data that does not match waits for an operator; a confirm of a proposed transaction refunds', async () => {
    const r = newRefund({ expectedAmount: 85000 });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    await waitForStatus(workflowId, 'AWAITING_CONFIRMATION');
    const waiting = await view(workflowId);
    assert.match(waiting.mismatch ?? '', /amount 90000 != 85000/);
    assert.equal(waiting.candidates[0]?.idTrans, 137);
    const sa = (await harness.env.client.workflow.getHandle(workflowId).describe()).searchAttributes;
    assert.deepEqual(sa.PaysagaStatus, ['AWAITING_CONFIRMATION']);

    await assert.rejects(
      harness.paysaga.confirmRefund(workflowId, { idTrans: 999, operator: 'ana', note: 'looks right' }),
      /idTrans must be one K-Link proposed/,
    );
    await assert.rejects(
      harness.paysaga.confirmRefund(workflowId, { idTrans: 137, operator: 'ana', note: '' }),
      /note/,
    );
    assert.equal(count(calls.accept, r.idOrder), 0);
    const done = await harness.paysaga.confirmRefund(workflowId, {
      idTrans: 137,
      operator: 'ana',
      note: 'shipping was refunded apart',
    });
    assert.equal(done.status, 'REFUNDED');
    assert.equal(done.decision?.by, 'ana');
    assert.equal(count(calls.accept, r.idOrder), 1);
  });

  it('an operator reject ends NOT_REFUNDED', async () => {
    const r = newRefund({ idMember: 'someone-else' });
    scripts.set(r.idOrder, {
      request: async () => ({
        outcome: 'candidates',
        candidates: [
          {
            idTrans: 140,
            idOrder: r.idOrder,
            idMember: 'idspaa001',
            amount: 90000,
            description: 'x',
            datetime: '2026-11-23 10:00:00',
          },
        ],
      }),
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    await waitForStatus(workflowId, 'AWAITING_CONFIRMATION');
    const done = await harness.paysaga.rejectRefund(workflowId, {
      operator: 'budi',
      note: 'member does not match the order',
    });
    assert.equal(done.status, 'NOT_REFUNDED');
    assert.equal(count(calls.accept, r.idOrder), 0);
  });

  it('unconfirmed at the deadline ends NOT_REFUNDED and moves nothing', async () => {
    const r = newRefund({ expectedAmount: 1 });
    const handle = await harness.env.client.workflow.start(KLINK_REFUND_WORKFLOW_TYPE, {
      workflowId: klinkRefundWorkflowId(r.idOrder),
      taskQueue: 'paysaga',
      args: [{ ...r, confirmTimeoutSeconds: 1 }],
    });
    const final = await harness.paysaga.result<KLinkRefundView>(handle.workflowId);
    assert.equal(final.status, 'NOT_REFUNDED');
    assert.match(final.timeline.at(-1)!.note, /deadline/);
    assert.equal(count(calls.accept, r.idOrder), 0);
  });

  it('an ambiguous accept is repeated until K-Link answers, and "refund existing" then counts as refunded', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      accept: async (attempt) => {
        if (attempt === 1)
          throw ApplicationFailure.retryable(
            'klink refund-accept transport failure: timeout',
            'ProviderTransportError',
          );
        return { outcome: 'already-refunded', idTrans: 137 };
      },
    });
    const final = await harness.paysaga.result<KLinkRefundView>(
      (await harness.paysaga.startKLinkRefund(r)).workflowId,
    );
    assert.equal(final.status, 'REFUNDED');
    assert.equal(count(calls.accept, r.idOrder), 2);
    assert.ok(
      !final.timeline.some((t) => t.status === 'NEEDS_REVIEW'),
      'never reported as anything before K-Link answered',
    );
  });

  it('a refused accept parks in NEEDS_REVIEW; an operator retry refunds', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      accept: async (attempt) =>
        attempt === 1
          ? { outcome: 'refused', code: 'NOT_FOUND', message: 'data not found' }
          : { outcome: 'refunded' },
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    await waitForStatus(workflowId, 'NEEDS_REVIEW');
    const parked = await view(workflowId);
    assert.deepEqual(parked.review?.actions, ['retry', 'mark-refunded', 'mark-not-refunded']);
    const sa = (await harness.env.client.workflow.getHandle(workflowId).describe()).searchAttributes;
    assert.deepEqual(sa.PaysagaNeedsReview, [true]);
    const done = await harness.paysaga.review<KLinkRefundView>(workflowId, {
      action: 'retry',
      operator: 'ana',
      note: 'K-Link fixed the escrow row',
    });
    assert.equal(done.status, 'REFUNDED');
  });

  it('the review Update name used before the kernel still resolves a parked refund', async () => {
    const r = newRefund();
    scripts.set(r.idOrder, {
      accept: async () => ({ outcome: 'refused', code: 'FAIL', message: 'escrow locked' }),
    });
    const { workflowId } = await harness.paysaga.startKLinkRefund(r);
    await assertParked(workflowId);
    const done = await harness.env.client.workflow
      .getHandle(workflowId)
      .executeUpdate<KLinkRefundView, [object]>(LEGACY_REVIEW_UPDATES.klinkRefund, {
        args: [{ action: 'mark-refunded', operator: 'ana', note: 'refunded by K-Link support' }],
      });
    assert.equal(done.status, 'REFUNDED');
  });
});

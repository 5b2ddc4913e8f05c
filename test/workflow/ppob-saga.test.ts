/**
 * The PPOB purchase saga on a real Temporal dev server with scripted provider answers: funding,
 * pending-to-final by polling and by (unsigned, only hinted) callbacks, the refund child, the
 * deadline that never refunds blind, postpaid bill confirmation, and parking: a status word the
 * engine does not know, an inquiry that fails for good; and an inquiry answer without a bill
 * amount, which ends FAILED (nothing was paid) with the answer kept.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { KWalletPayOutcome, RefundAcceptOutcome, RefundRequestOutcome } from '../../activities/klink';
import type { PpobAnswer, PpobInquiryOutcome, PpobSubmitInput } from '../../activities/ppob';
import { ppobState } from '../../providers/ppob/states';
import { ppobCallbackSignal, type PpobPurchaseView } from '../../workflows/ppob-definitions';
import { LEGACY_REVIEW_UPDATES } from '../../workflows/saga-definitions';
import { useSagaTestEnv } from '../helpers/test-env';

interface Script {
  /**
   * Provider words for successive submits of this purchase's refid (the last one repeats); the
   * stub adds the state as the real activity does.
   */
  answers: string[];
  /** Answer as a worker before the kernel did: the word only, no state. */
  withoutState?: boolean;
  pay?: KWalletPayOutcome;
  inquiry?: PpobInquiryOutcome;
  /** The inquiry activity fails for good (non-retryable), as an unreadable answer out of retries. */
  inquiryFails?: boolean;
}
const scripts = new Map<string, Script>();
const calls = { submit: [] as string[], pay: [] as string[], refundAccept: [] as string[] };
const count = (list: string[], key: string) => list.filter((x) => x === key).length;

const activities = {
  async ppobSubmit(input: PpobSubmitInput): Promise<PpobAnswer> {
    const key = input.dest;
    calls.submit.push(key);
    const script = scripts.get(key);
    const answers = script?.answers ?? ['Success'];
    const status = answers[Math.min(count(calls.submit, key), answers.length) - 1]!;
    return {
      status,
      ...(script?.withoutState ? {} : { state: ppobState(status) }),
      trxId: `T-${key}`,
      sn: status === 'Success' ? `SN-${key}` : undefined,
      message: 'ok',
      repeated: count(calls.submit, key) > 1,
    };
  },
  async ppobInquiry(input: { dest: string }): Promise<PpobInquiryOutcome> {
    if (scripts.get(input.dest)?.inquiryFails)
      throw ApplicationFailure.nonRetryable(
        'inquiry answer unreadable: ref_id: Invalid input in (empty body)',
        'ProviderProtocolError',
      );
    return (
      scripts.get(input.dest)?.inquiry ?? {
        outcome: 'bill',
        inqId: `INQ-${input.dest}`,
        amount: 125_000,
        customerName: 'BUDI',
      }
    );
  },
  async klinkPay(input: { idOrder: string }): Promise<KWalletPayOutcome> {
    calls.pay.push(input.idOrder);
    const dest = input.idOrder.split('-').pop()!;
    return scripts.get(dest)?.pay ?? { outcome: 'paid', settledBy: 'pay' };
  },
  async klinkReconcilePay(): Promise<KWalletPayOutcome> {
    return { outcome: 'paid', settledBy: 'reconcile' };
  },
  async klinkEscrowRefundRequest(input: {
    idOrder: string;
    idMember: string;
  }): Promise<RefundRequestOutcome> {
    return {
      outcome: 'candidates',
      candidates: [
        {
          idTrans: 7,
          idOrder: input.idOrder,
          idMember: input.idMember,
          amount: 10_500,
          description: 'ppob',
          datetime: '2026-11-23 10:00:00',
        },
      ],
    };
  },
  async klinkRefundAccept(input: { idOrder: string }): Promise<RefundAcceptOutcome> {
    calls.refundAccept.push(input.idOrder);
    return { outcome: 'refunded' };
  },
};

describe('ppob purchase saga (real Temporal dev server)', () => {
  const harness = useSagaTestEnv(activities);

  /** A purchase whose destination is its script key. */
  function purchase(script: Script, extra: Record<string, unknown> = {}) {
    const dest = `0812${randomUUID().replace(/\D/g, '').slice(0, 8).padEnd(8, '0')}`;
    scripts.set(dest, script);
    return {
      orderId: `o-${dest}`,
      kind: 'prepaid' as const,
      productCode: 'S10',
      destination: dest,
      pollSeconds: 1,
      ...extra,
    };
  }
  const view = (id: string) => harness.paysaga.status<PpobPurchaseView>(id);
  const describe_ = (id: string) => harness.env.client.workflow.getHandle(id).describe();
  const waitForStatus = async (id: string, status: string) => {
    for (let i = 0; i < 150; i++) {
      if ((await view(id)).status === status) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${id} never reached ${status}: ${(await view(id)).status}`);
  };

  it('prepaid: Waiting, then Success by polling, SN delivered; the refid is the one derived at start', async () => {
    const p = purchase({ answers: ['Waiting', 'Pending', 'Success'] });
    const { workflowId, refid } = await harness.paysaga.startPpobPurchase(p);
    const again = await harness.paysaga.startPpobPurchase(p);
    assert.equal(again.refid, refid, 'the same order derives the same refid');
    const final = await harness.paysaga.result<PpobPurchaseView>(workflowId);
    assert.equal(final.status, 'SUCCEEDED');
    assert.equal(final.sn, `SN-${p.destination}`);
    assert.equal(final.refid, refid);
    const sa = (await harness.env.client.workflow.getHandle(workflowId).describe()).searchAttributes;
    assert.deepEqual(
      [sa.PaysagaProvider, sa.PaysagaStatus, sa.PaysagaProviderRef],
      [['ppob'], ['SUCCEEDED'], [String(refid)]],
    );
  });

  it('funded, Failed after a callback hint: refunded once through the escrow refund child', async () => {
    const p = purchase(
      { answers: ['Pending', 'Failed'] },
      { funding: { idMember: 'm1', amount: 10_500 }, pollSeconds: 600 },
    );
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await waitForStatus(workflowId, 'WAITING_FINAL');
    await harness.env.client.workflow
      .getHandle(workflowId)
      .signal(ppobCallbackSignal, { status: 'Failed', receivedAt: new Date().toISOString() });
    const final = await harness.paysaga.result<PpobPurchaseView>(workflowId);
    assert.equal(final.status, 'REFUNDED');
    assert.equal(final.refundWorkflowId, `klink-refund-ppob-o-${p.destination}`);
    assert.equal(count(calls.refundAccept, `ppob-o-${p.destination}`), 1);
    assert.equal(count(calls.pay, `ppob-o-${p.destination}`), 1);
  });

  it('a callback that says Success while the provider says Failed is not believed', async () => {
    const p = purchase({ answers: ['Pending', 'Failed'] }, { pollSeconds: 600 });
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await waitForStatus(workflowId, 'WAITING_FINAL');
    await harness.env.client.workflow
      .getHandle(workflowId)
      .signal(ppobCallbackSignal, { status: 'Success', sn: 'FORGED', receivedAt: new Date().toISOString() });
    const final = await harness.paysaga.result<PpobPurchaseView>(workflowId);
    assert.equal(final.status, 'FAILED');
    assert.equal(final.sn, undefined);
  });

  it('still Pending at the deadline: NEEDS_REVIEW and no refund; a late Success then settles it', async () => {
    const p = purchase(
      { answers: ['Pending'] },
      { funding: { idMember: 'm1', amount: 10_500 }, finalDeadlineSeconds: 5 },
    );
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await waitForStatus(workflowId, 'NEEDS_REVIEW');
    assert.equal(count(calls.refundAccept, `ppob-o-${p.destination}`), 0, 'never refunded blind');
    const sa = (await harness.env.client.workflow.getHandle(workflowId).describe()).searchAttributes;
    assert.deepEqual(sa.PaysagaNeedsReview, [true]);
    scripts.get(p.destination)!.answers = ['Success'];
    calls.submit = calls.submit.filter((d) => d !== p.destination);
    await harness.env.client.workflow
      .getHandle(workflowId)
      .signal(ppobCallbackSignal, { status: 'Success', sn: 'x', receivedAt: new Date().toISOString() });
    const final = await harness.paysaga.result<PpobPurchaseView>(workflowId);
    assert.equal(final.status, 'SUCCEEDED');
    assert.equal(count(calls.refundAccept, `ppob-o-${p.destination}`), 0);
  });

  it('an operator marks a stuck purchase failed: the funding is refunded', async () => {
    const p = purchase(
      { answers: ['Pending'] },
      { funding: { idMember: 'm1', amount: 10_500 }, finalDeadlineSeconds: 5 },
    );
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await waitForStatus(workflowId, 'NEEDS_REVIEW');
    await assert.rejects(
      harness.paysaga.review(workflowId, {
        action: 'mark-succeeded',
        operator: 'ana',
        note: 'provider says delivered',
      }),
      /sn/,
    );
    const done = await harness.paysaga.review<PpobPurchaseView>(workflowId, {
      action: 'mark-failed',
      operator: 'ana',
      note: 'provider confirmed Failed by phone',
    });
    assert.equal(done.status, 'REFUNDED');
  });

  it('K-Wallet declines the funding: FAILED, nothing submitted', async () => {
    const p = purchase(
      {
        answers: ['Success'],
        pay: { outcome: 'declined', code: 'INSUFFICIENT_BALANCE', message: 'Saldo tidak mencukupi' },
      },
      { funding: { idMember: 'm1', amount: 10_500 } },
    );
    const final = await harness.paysaga.result<PpobPurchaseView>(
      (await harness.paysaga.startPpobPurchase(p)).workflowId,
    );
    assert.equal(final.status, 'FAILED');
    assert.equal(count(calls.submit, p.destination), 0);
  });

  it('a callback for a purchase parked before submitting never makes the engine buy', async () => {
    const p = purchase(
      { answers: ['Success'], pay: { outcome: 'conflict', detail: 'id_order paid by someone else' } },
      { funding: { idMember: 'm1', amount: 10_500 } },
    );
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await waitForStatus(workflowId, 'NEEDS_REVIEW');
    await harness.env.client.workflow
      .getHandle(workflowId)
      .signal(ppobCallbackSignal, { status: 'Success', sn: 'FORGED', receivedAt: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 1000));
    const parked = await view(workflowId);
    assert.equal(parked.status, 'NEEDS_REVIEW');
    assert.equal(count(calls.submit, p.destination), 0, 'the refid was never sent');
    assert.match(parked.timeline.at(-1)!.note, /never submitted/);
  });

  it('postpaid: the bill is shown and confirmed, then paid', async () => {
    const p = purchase(
      { answers: ['Success'] },
      { kind: 'postpaid', productCode: 'INQPLN', funding: { idMember: 'm1', amount: 1 } },
    );
    const start = await harness.paysaga.startPpobPurchase(p);
    const { workflowId } = start;
    const bill = { inqId: `INQ-${p.destination}`, amount: 125_000, customerName: 'BUDI' };
    assert.equal(
      start.status,
      'AWAITING_CONFIRMATION',
      'the start answers with the bill (update-with-start)',
    );
    assert.deepEqual(start.bill, bill);
    const waiting = await view(workflowId);
    assert.deepEqual(waiting.bill, bill);
    assert.equal(count(calls.pay, `ppob-o-${p.destination}`), 0, 'nothing taken before the caller confirms');
    const confirmed = await harness.paysaga.confirmBill(workflowId, { accept: true });
    assert.notEqual(confirmed.status, 'AWAITING_CONFIRMATION');
    const final = await harness.paysaga.result<PpobPurchaseView>(workflowId);
    assert.equal(final.status, 'SUCCEEDED');
    assert.equal(final.funded?.amount, 125_000, 'funded with the bill amount');
  });

  it('postpaid: a declined bill is cancelled and nothing is submitted', async () => {
    const p = purchase({ answers: ['Success'] }, { kind: 'postpaid', productCode: 'INQPLN' });
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await waitForStatus(workflowId, 'AWAITING_CONFIRMATION');
    assert.equal((await harness.paysaga.confirmBill(workflowId, { accept: false })).status, 'CANCELLED');
    assert.equal(count(calls.submit, p.destination), 0);
  });

  /** Parked for a person: NEEDS_REVIEW in the view and PaysagaNeedsReview=true, still running. */
  async function assertParked(workflowId: string) {
    await waitForStatus(workflowId, 'NEEDS_REVIEW');
    const d = await describe_(workflowId);
    assert.equal(d.status.name, 'RUNNING', 'parked, not failed');
    assert.deepEqual(d.searchAttributes.PaysagaNeedsReview, [true]);
    assert.deepEqual(d.searchAttributes.PaysagaStatus, ['NEEDS_REVIEW']);
    return view(workflowId);
  }

  it('a status word the engine does not know in the submit answer parks at once; never refunded', async () => {
    const p = purchase({ answers: ['Refunded'] }, { funding: { idMember: 'm1', amount: 10_500 } });
    const start = await harness.paysaga.startPpobPurchase(p);
    assert.notEqual(start.status, 'SUCCEEDED', 'a prepaid start answers at once, before the submit');
    const parked = await assertParked(start.workflowId);
    assert.match(parked.review!.reason, /"Refunded".*does not know/);
    assert.deepEqual(parked.review!.actions, ['recheck', 'mark-failed', 'mark-succeeded']);
    assert.equal(parked.providerStatus, 'Refunded');
    assert.equal(count(calls.submit, p.destination), 1, 'not asked again and again');
    assert.equal(count(calls.refundAccept, `ppob-o-${p.destination}`), 0, 'never read as failed');
    const done = await harness.paysaga.review<PpobPurchaseView>(start.workflowId, {
      action: 'mark-succeeded',
      operator: 'ana',
      note: 'provider confirmed delivery',
      sn: 'SN-BY-PHONE',
    });
    assert.deepEqual([done.status, done.sn], ['SUCCEEDED', 'SN-BY-PHONE']);
  });

  it('a status word the engine does not know on a later status check parks (never read as "not yet")', async () => {
    const p = purchase({ answers: ['Pending', 'Pending', 'Suspect'] });
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    const parked = await assertParked(workflowId);
    assert.match(parked.review!.reason, /status check: "Suspect"/);
    assert.equal(count(calls.submit, p.destination), 3);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(count(calls.submit, p.destination), 3, 'polling stopped once parked');
    // A recheck the provider now answers Success settles it.
    scripts.get(p.destination)!.answers = ['Success'];
    calls.submit = calls.submit.filter((d) => d !== p.destination);
    const done = await harness.paysaga.review<PpobPurchaseView>(workflowId, {
      action: 'recheck',
      operator: 'ana',
      note: 'provider says it is final now',
    });
    assert.equal(done.status, 'SUCCEEDED');
  });

  it('a result recorded before the kernel (a word, no state) is read by its word', async () => {
    const p = purchase({ answers: ['Pending', 'Success'], withoutState: true });
    const final = await harness.paysaga.result<PpobPurchaseView>(
      (await harness.paysaga.startPpobPurchase(p)).workflowId,
    );
    assert.equal(final.status, 'SUCCEEDED');
  });

  it('postpaid: an inquiry that fails for good parks naming ppobInquiry (the workflow does not fail)', async () => {
    const p = purchase(
      { answers: ['Success'], inquiryFails: true },
      { kind: 'postpaid', productCode: 'INQPLN' },
    );
    const start = await harness.paysaga.startPpobPurchase(p);
    assert.equal(start.status, 'NEEDS_REVIEW');
    const parked = await assertParked(start.workflowId);
    assert.equal(parked.review!.activity, 'ppobInquiry');
    assert.match(parked.review!.reason, /ppobInquiry failed for good: inquiry answer unreadable/);
    assert.deepEqual(parked.review!.actions, ['mark-failed', 'mark-resolved'], 'no recheck: it would buy');
    const done = await harness.paysaga.review<PpobPurchaseView>(start.workflowId, {
      action: 'mark-failed',
      operator: 'ana',
      note: 'customer number wrong',
    });
    assert.equal(done.status, 'FAILED');
    assert.equal(count(calls.submit, p.destination), 0);
  });

  it('postpaid: an inquiry answer without a bill amount ends FAILED with the answer kept; the run completes', async () => {
    const answer = '{"status":"Success","ref_id":1,"trx_id":9,"nominal":8000,"tr_name":"SITI"}';
    const p = purchase(
      {
        answers: ['Success'],
        inquiry: {
          outcome: 'no-bill-amount',
          status: 'Success',
          message: 'inquiry sukses',
          problem: 'the answer names no bill amount (none of price, amount, selling_price)',
          answer,
        },
      },
      { kind: 'postpaid', productCode: 'INQPLN', funding: { idMember: 'm1', amount: 1 } },
    );
    const start = await harness.paysaga.startPpobPurchase(p);
    assert.equal(start.status, 'FAILED', 'the start answers with the ending (update-with-start)');
    const final = await harness.paysaga.result<PpobPurchaseView>(start.workflowId);
    assert.equal(final.status, 'FAILED');
    assert.equal(final.bill, undefined, 'no bill was offered to confirm');
    const last = final.timeline.at(-1)!;
    assert.equal(last.status, 'FAILED');
    assert.match(last.note, /names no bill amount/);
    assert.ok(last.note.includes(answer), 'the answer is kept for the operator');
    const d = await describe_(start.workflowId);
    assert.equal(d.status.name, 'COMPLETED', 'the workflow completes, it does not fail');
    assert.deepEqual(d.searchAttributes.PaysagaNeedsReview, [false]);
    assert.equal(count(calls.pay, `ppob-o-${p.destination}`), 0, 'nothing taken');
    assert.equal(count(calls.submit, p.destination), 0, 'nothing paid');
  });

  it('postpaid: an inquiry answered with a word the engine does not know parks; nothing taken', async () => {
    const p = purchase(
      { answers: ['Success'], inquiry: { outcome: 'unclear', status: 'Hold', message: 'under review' } },
      { kind: 'postpaid', productCode: 'INQPLN', funding: { idMember: 'm1', amount: 1 } },
    );
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    const parked = await assertParked(workflowId);
    assert.match(parked.review!.reason, /inquiry answered "Hold"/);
    assert.equal(count(calls.pay, `ppob-o-${p.destination}`), 0);
  });

  it('the review Update name used before the kernel still resolves a parked purchase', async () => {
    const p = purchase({ answers: ['Pending'] }, { finalDeadlineSeconds: 5 });
    const { workflowId } = await harness.paysaga.startPpobPurchase(p);
    await assertParked(workflowId);
    const done = await harness.env.client.workflow
      .getHandle(workflowId)
      .executeUpdate<PpobPurchaseView, [object]>(LEGACY_REVIEW_UPDATES.ppob, {
        args: [{ action: 'mark-failed', operator: 'ana', note: 'provider confirmed Failed' }],
      });
    assert.equal(done.status, 'FAILED');
  });
});

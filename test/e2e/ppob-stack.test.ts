/**
 * PPOB purchases on the whole stack over HTTP: the sandbox's transactions move Waiting ->
 * Pending -> final on their own clock and report by unsigned callbacks to the gateway; the
 * K-Link sandbox's ledger judges every rupiah of the funding and its refund.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { inquiryRefidOf } from '../../providers/ppob/refid';
import { http, waitUntil } from '../helpers/http';

describe('PPOB end to end (whole stack over HTTP)', () => {
  let stack: Stack;
  let seq = 0;

  before(async () => {
    stack = await startStack({ dataDir: mkdtempSync(join(tmpdir(), 'paysaga-ppob-')), log: () => undefined });
  });
  after(async () => {
    await stack?.stop();
  });

  const control = (path: string, body?: unknown) =>
    http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
  const ppobStats = async () => (await control('ppob/stats')).body;
  const balanceOf = async (id: string) => (await control(`klink/members/${id}`)).body.balance as number;
  const klinkStats = async () => (await control('klink/stats')).body;
  const ledgerBalanced = async () => (await control('klink/ledger')).body.balanced as boolean;
  const view = async (id: string) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${id}`)).body;
  const waitForStatus = (id: string, status: string, timeoutMs = 60_000) =>
    waitUntil(async () => (await view(id)).status === status, timeoutMs, `${id} to reach ${status}`);

  /**
   * Starts a prepaid purchase. `outcome` is armed in the sandbox before the start: the start
   * answers once the provider answered the submit (update-with-start), so a rule armed after it
   * would come too late for this purchase.
   */
  async function buy(extra: Record<string, unknown> = {}, outcome?: 'failed' | 'pending-forever') {
    const n = ++seq;
    const orderId = `P-${process.pid}-${n}`;
    const destination = `08123${String(process.pid).slice(-3)}${String(n).padStart(4, '0')}`;
    if (outcome) await control('ppob/outcome', { dest: destination, outcome });
    const res = await http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, {
      orderId,
      kind: 'prepaid',
      productCode: 'S10',
      destination,
      pollSeconds: 2,
      ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { orderId, destination, workflowId: res.body.workflowId as string, refid: String(res.body.refid) };
  }
  async function fundedMember(balance: number) {
    const id = `pm-${process.pid}-${++seq}`;
    await control('klink/members', { id_member: id, balance });
    return id;
  }

  it('prepaid success: SN delivered, one transaction for the refid', async () => {
    const p = await buy();
    await waitForStatus(p.workflowId, 'SUCCEEDED');
    const v = await view(p.workflowId);
    assert.ok(v.sn, 'the SN is delivered to the caller');
    assert.equal((await ppobStats()).byRefid[p.refid].transactions, 1);
  });

  it('prepaid failure with K-Wallet funding: refunded exactly once, books balanced', async () => {
    const member = await fundedMember(50_000);
    const p = await buy({ funding: { idMember: member, amount: 10_500 } }, 'failed');
    await waitForStatus(p.workflowId, 'REFUNDED');
    assert.equal(await balanceOf(member), 50_000, 'the member has every rupiah back');
    assert.equal((await klinkStats()).byOrder[`ppob-${p.orderId}`].refundAccepts, 1);
    assert.equal(await ledgerBalanced(), true);
  });

  it('postpaid: inquiry, the bill confirmed over HTTP, then paid', async () => {
    const stats = await ppobStats();
    void stats;
    const res = await http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, {
      orderId: `PP-${process.pid}`,
      kind: 'postpaid',
      productCode: 'INQPLN',
      destination: '512345678901',
      pollSeconds: 2,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitForStatus(res.body.workflowId, 'AWAITING_CONFIRMATION', 30_000);
    const waiting = await view(res.body.workflowId);
    assert.ok(waiting.bill.amount > 0 && waiting.bill.inqId);
    const confirmed = await http('POST', `${stack.gatewayUrl}/v1/purchases/${res.body.workflowId}/bill`, {
      accept: true,
    });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    await waitForStatus(res.body.workflowId, 'SUCCEEDED');
  });

  /** Starts a postpaid purchase of a sandbox bill, funded from a new member with `balance`. */
  async function postpaid(destination: string, balance: number) {
    const member = await fundedMember(balance);
    const orderId = `PQ-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, {
      orderId,
      kind: 'postpaid',
      productCode: 'INQPLN',
      destination,
      funding: { idMember: member, amount: 1 },
      pollSeconds: 2,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { member, orderId, workflowId: res.body.workflowId as string, start: res.body };
  }
  const executionStatus = async (workflowId: string) => {
    const listed = await http('GET', `${stack.gatewayUrl}/v1/payments?provider=ppob&limit=1000`);
    return listed.body.find((s: { workflowId: string }) => s.workflowId === workflowId)?.executionStatus;
  };

  it('postpaid, the aggregator names the bill `amount`: the bill is read, confirmed, funded and paid', async () => {
    await control('ppob/inquiry-amount', { field: 'amount' });
    try {
      const p = await postpaid('512345678902', 100_000);
      assert.equal(p.start.status, 'AWAITING_CONFIRMATION', JSON.stringify(p.start));
      assert.equal(p.start.bill.amount, 87_500);
      const confirmed = await http('POST', `${stack.gatewayUrl}/v1/purchases/${p.workflowId}/bill`, {
        accept: true,
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      await waitForStatus(p.workflowId, 'SUCCEEDED');
      assert.equal(await balanceOf(p.member), 100_000 - 87_500, 'funded with the bill read from `amount`');
      assert.equal(await ledgerBalanced(), true);
    } finally {
      await control('ppob/inquiry-amount', { field: 'price' });
    }
  });

  it('postpaid, an inquiry answer without any amount: FAILED with the answer kept, nothing taken, the run completes', async () => {
    await control('ppob/inquiry-amount', { field: null });
    try {
      const p = await postpaid('512345678903', 50_000);
      assert.equal(p.start.status, 'FAILED', JSON.stringify(p.start));
      const v = await view(p.workflowId);
      assert.equal(v.status, 'FAILED');
      const last = v.timeline.at(-1);
      assert.match(last.note, /names no bill amount/);
      assert.match(last.note, /"customer_name":"RUDI HARTONO"/, 'the answer as received is kept');
      assert.doesNotMatch(JSON.stringify(v), /ppob-sandbox-token/, 'no secret in the view');
      await waitUntil(async () => (await executionStatus(p.workflowId)) === 'COMPLETED', 20_000, 'completed');
      assert.equal(await balanceOf(p.member), 50_000, 'nothing taken');
      const stats = await ppobStats();
      assert.equal(
        stats.byRefid[String(p.start.refid)],
        undefined,
        'nothing paid: the payment refid never sent',
      );
    } finally {
      await control('ppob/inquiry-amount', { field: 'price' });
    }
  });

  it("a report for a purchase's inquiry refid is recognised as the inquiry's, not filed as unmatched", async () => {
    const p = await postpaid('512345678901', 200_000);
    assert.equal(p.start.status, 'AWAITING_CONFIRMATION');
    const inquiryRefid = inquiryRefidOf(p.start.refid);
    assert.ok((await ppobStats()).byRefid[String(inquiryRefid)], 'the inquiry was sent under this refid');
    const report = await http(
      'GET',
      `${stack.ppobCallbackUrl}?ref_id=${inquiryRefid}&status=Success&sn=&code=INQPLN&destination=512345678901`,
    );
    assert.equal(report.status, 200);
    assert.deepEqual(report.body, { ok: true, workflowId: p.workflowId, inquiry: true });
    const unmatched = await http('GET', `${stack.gatewayUrl}/v1/payments/ppob-callback-${inquiryRefid}`);
    assert.equal(unmatched.status, 404, 'no unmatched report for an operator');
    assert.equal(
      (await view(p.workflowId)).callbacksSeen,
      0,
      'the purchase is not told: it is about the inquiry',
    );
    await http('POST', `${stack.gatewayUrl}/v1/purchases/${p.workflowId}/bill`, { accept: false });
  });

  it('pending at the deadline: NEEDS_REVIEW, and no refund', async () => {
    const member = await fundedMember(20_000);
    const p = await buy(
      { funding: { idMember: member, amount: 10_500 }, finalDeadlineSeconds: 8 },
      'pending-forever',
    );
    await waitForStatus(p.workflowId, 'NEEDS_REVIEW');
    assert.equal(await balanceOf(member), 9_500, 'the money stays taken: a pending top-up may still succeed');
    assert.equal((await klinkStats()).byOrder[`ppob-${p.orderId}`].refundAccepts, 0);
    const listed = await http('GET', `${stack.gatewayUrl}/v1/payments?provider=ppob&needsReview=true`);
    assert.ok(listed.body.some((s: { workflowId: string }) => s.workflowId === p.workflowId));
  });

  it('forged callbacks change no money: wrong secret, unknown refid, a status the provider did not report', async () => {
    const member = await fundedMember(30_000);
    const p = await buy({ funding: { idMember: member, amount: 10_500 }, pollSeconds: 3 }, 'failed');
    const base = stack.ppobCallbackUrl.replace(/\/[^/]+$/, '');
    const wrong = await http(
      'GET',
      `${base}/not-the-secret?ref_id=${p.refid}&status=Success&sn=1&code=S10&destination=${p.destination}`,
    );
    assert.equal(wrong.status, 404);
    const lie = await http(
      'GET',
      `${stack.ppobCallbackUrl}?ref_id=${p.refid}&status=Success&sn=FORGED&code=S10&destination=${p.destination}`,
    );
    assert.equal(lie.status, 200);
    const unknown = await http(
      'GET',
      `${stack.ppobCallbackUrl}?ref_id=999999999&status=Success&sn=X&code=S10&destination=0800`,
    );
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.orphan, true, 'kept for an operator, not dropped');
    const malformed = await http('GET', `${stack.ppobCallbackUrl}?ref_id=abc&status=Maybe`);
    assert.equal(malformed.status, 400);

    await waitForStatus(p.workflowId, 'REFUNDED');
    const v = await view(p.workflowId);
    assert.notEqual(v.sn, 'FORGED');
    assert.equal(await balanceOf(member), 30_000);
    assert.equal(await ledgerBalanced(), true);
    // A late report for the purchase that already ended is not dropped either.
    const late = await http(
      'GET',
      `${stack.ppobCallbackUrl}?ref_id=${p.refid}&status=Success&sn=LATE&code=S10&destination=${p.destination}`,
    );
    assert.equal(late.body.orphan, true);
    const lateView = await view(`ppob-callback-${p.refid}`);
    assert.equal(lateView.relatedWorkflowId, p.workflowId);
    assert.equal(lateView.status, 'NEEDS_REVIEW');
    assert.equal(await balanceOf(member), 30_000, 'a late report moves no money by itself');

    const orphan = await view('ppob-callback-999999999');
    assert.equal(orphan.status, 'NEEDS_REVIEW');
    assert.equal(orphan.reports[0].sn, 'X');
  });

  it('every callback dropped: purchases still reach their final state by polling', async () => {
    await control('ppob/callbacks', { mode: 'drop', count: 100 });
    try {
      const a = await buy();
      const b = await buy({}, 'failed');
      await waitForStatus(a.workflowId, 'SUCCEEDED');
      await waitForStatus(b.workflowId, 'FAILED');
      assert.equal((await view(a.workflowId)).callbacksSeen, 0);
    } finally {
      await control('ppob/callbacks', { mode: 'normal' });
    }
  });

  it('every callback duplicated and reordered: one transaction per refid, one refund', async () => {
    const member = await fundedMember(40_000);
    await control('ppob/callbacks', { mode: 'duplicate', count: 100 });
    try {
      const a = await buy({ funding: { idMember: member, amount: 10_500 }, pollSeconds: 30 });
      const b = await buy({ funding: { idMember: member, amount: 10_500 }, pollSeconds: 30 }, 'failed');
      await waitForStatus(a.workflowId, 'SUCCEEDED');
      await waitForStatus(b.workflowId, 'REFUNDED');
      const stats = await ppobStats();
      assert.equal(stats.byRefid[a.refid].transactions, 1);
      assert.equal(stats.byRefid[b.refid].transactions, 1);
      assert.equal((await klinkStats()).byOrder[`ppob-${b.orderId}`].refundAccepts, 1);
      assert.equal(await balanceOf(member), 40_000 - 10_500);
      assert.equal(await ledgerBalanced(), true);
    } finally {
      await control('ppob/callbacks', { mode: 'normal' });
    }
    await control('ppob/callbacks', { mode: 'reorder', count: 100 });
    try {
      const c = await buy({ pollSeconds: 30 });
      await waitForStatus(c.workflowId, 'SUCCEEDED');
      assert.equal((await ppobStats()).byRefid[c.refid].transactions, 1);
    } finally {
      await control('ppob/callbacks', { mode: 'normal' });
    }
  });

  it('a worker killed between submit and the final state: one transaction per refid', async () => {
    await control('ppob/callbacks', { mode: 'drop', count: 100 });
    try {
      const p = await buy({ pollSeconds: 2 });
      await waitUntil(
        async () => ((await ppobStats()).byRefid[p.refid]?.transactions ?? 0) >= 1,
        20_000,
        'the submit',
      );
      await stack.killWorker();
      await new Promise((r) => setTimeout(r, 1500));
      await stack.startWorker();
      await waitForStatus(p.workflowId, 'SUCCEEDED');
      assert.equal((await ppobStats()).byRefid[p.refid].transactions, 1);
    } finally {
      await control('ppob/callbacks', { mode: 'normal' });
    }
  });
});

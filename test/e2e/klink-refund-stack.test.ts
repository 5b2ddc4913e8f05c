/**
 * The escrow refund saga on the whole stack (dev server, sandbox, worker, gateway as processes)
 * over HTTP, with the K-Link sandbox's ledger as the judge of where the money went.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKLinkClient, type KLinkClient } from '../../providers/klink/client';
import { startStack, type Stack } from '../../scripts/stack';
import { http, waitUntil } from '../helpers/http';

describe('K-Link escrow refund end to end (whole stack over HTTP)', () => {
  let stack: Stack;
  let member: KLinkClient;
  let seq = 0;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-refund-')),
      log: () => undefined,
    });
    // The shop's own K-Wallet calls, as a K-Link user: they put the money in escrow to refund.
    member = createKLinkClient({
      baseUrl: stack.klinkBaseUrl,
      email: stack.sandboxKLink!.email,
      password: stack.sandboxKLink!.password,
      timeoutMs: 5000,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  async function paidOrder(amount: number) {
    const idMember = `m-${process.pid}-${++seq}`;
    const idOrder = `R-${process.pid}-${seq}`;
    await http('POST', `${stack.sandboxUrl}/_control/klink/members`, {
      id_member: idMember,
      balance: 200_000,
    });
    await member.pay({ idMember, amount, idOrder, description: 'Konsultasi dokter' });
    return { idMember, idOrder };
  }
  const balanceOf = async (id: string) =>
    (await http('GET', `${stack.sandboxUrl}/_control/klink/members/${id}`)).body.balance as number;
  const stats = async () => (await http('GET', `${stack.sandboxUrl}/_control/klink/stats`)).body;
  const statusOf = async (id: string) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${id}`)).body;
  const waitForStatus = (id: string, status: string, timeoutMs = 90_000) =>
    waitUntil(async () => (await statusOf(id)).status === status, timeoutMs, `${id} to reach ${status}`);

  it('a worker killed during refund-accept: one accept lands, the balance comes back once, the books balance', async () => {
    const { idMember, idOrder } = await paidOrder(90_000);
    assert.equal(await balanceOf(idMember), 110_000);
    // K-Link takes 6 s to answer this accept: the worker dies while it waits.
    await http('POST', `${stack.sandboxUrl}/_control/faults`, {
      route: 'klink.refund-accept',
      mode: 'latency',
      ms: 6000,
      count: 1,
      match: { id_order: idOrder },
    });
    const before = (await stats()).refundAcceptRequests;
    const start = await http('POST', `${stack.gatewayUrl}/v1/klink/refunds`, {
      idOrder,
      idMember,
      expectedAmount: 90_000,
      note: 'dokter tidak sedang standby',
    });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    await waitUntil(
      async () => (await stats()).refundAcceptRequests > before,
      30_000,
      'the accept to reach K-Link',
    );
    await stack.killWorker();
    await stack.startWorker();
    await waitForStatus(start.body.workflowId, 'REFUNDED');

    const s = await stats();
    assert.equal(s.byOrder[idOrder].refundAccepts, 1, 'one refund at K-Link');
    assert.equal(await balanceOf(idMember), 200_000, 'the member got 90 000 back exactly once');
    const ledger = (await http('GET', `${stack.sandboxUrl}/_control/klink/ledger`)).body;
    assert.equal(ledger.balanced, true, JSON.stringify(ledger.problems));
    const view = await statusOf(start.body.workflowId);
    assert.match(view.timeline.at(-1).note, /refund/);
  });

  it('data that does not match waits for an operator, who sees it over HTTP and confirms', async () => {
    const { idMember, idOrder } = await paidOrder(75_000);
    const start = await http('POST', `${stack.gatewayUrl}/v1/klink/refunds`, {
      idOrder,
      idMember,
      expectedAmount: 70_000,
      note: 'ongkir tidak dikembalikan',
    });
    await waitForStatus(start.body.workflowId, 'AWAITING_CONFIRMATION', 30_000);
    const waiting = await statusOf(start.body.workflowId);
    assert.equal(waiting.candidates.length, 1);
    assert.equal(waiting.candidates[0].amount, 75_000);
    assert.match(waiting.mismatch, /amount 75000 != 70000/);
    assert.equal(await balanceOf(idMember), 125_000, 'nothing refunded without a person');

    const bad = await http('POST', `${stack.gatewayUrl}/v1/refunds/${start.body.workflowId}/confirm`, {
      idTrans: 1,
      operator: 'ana',
      note: 'x',
    });
    assert.equal(bad.status, 400);
    const done = await http('POST', `${stack.gatewayUrl}/v1/refunds/${start.body.workflowId}/confirm`, {
      idTrans: waiting.candidates[0].idTrans,
      operator: 'ana',
      note: 'customer paid 75 000 incl. shipping',
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'REFUNDED');
    assert.equal(await balanceOf(idMember), 200_000);

    const listed = await http('GET', `${stack.gatewayUrl}/v1/payments?provider=klink&status=REFUNDED`);
    await waitUntil(
      async () =>
        (await http('GET', `${stack.gatewayUrl}/v1/payments?provider=klink&status=REFUNDED`)).body.some(
          (p: { workflowId: string }) => p.workflowId === start.body.workflowId,
        ),
      15_000,
      'listed',
    );
    assert.equal(listed.status, 200);
  });

  it('a second refund request for a refunded order ends REFUNDED from "refund existing", with no second accept', async () => {
    const { idMember, idOrder } = await paidOrder(10_000);
    const candidates = await member.escrowRefund({ idOrder, idMember });
    await member.refundAccept({
      idOrder,
      idMember,
      idTrans: candidates[0]!.idTrans,
      note: 'refunded by the shop directly',
    });
    const start = await http('POST', `${stack.gatewayUrl}/v1/klink/refunds`, {
      idOrder,
      idMember,
      expectedAmount: 10_000,
      note: 'customer asked twice',
    });
    await waitForStatus(start.body.workflowId, 'REFUNDED', 30_000);
    assert.equal((await stats()).byOrder[idOrder].refundAccepts, 1);
    assert.equal(await balanceOf(idMember), 200_000);
  });
});

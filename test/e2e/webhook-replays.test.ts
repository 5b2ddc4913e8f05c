/**
 * Replays stay quiet (issue 11), on the whole stack over HTTP. A provider delivers the same
 * webhook again (it missed our answer, or it simply retries): once the payment counted it, a
 * replay is answered 2xx and counted in /metrics/webhooks as a replay, and no unmatched report
 * is opened. Only news the payment cannot hold (another reference after it closed) is filed.
 *
 * The replays go through the K-Link simulator's own sender (/_control/webhooks/send-raw, signed
 * with its PID key, as K-Link would), which records the status of every attempt it made.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startStack, type Stack } from '../../scripts/stack';
import { http, waitUntil } from '../helpers/http';
import { unmatchedReportWorkflowId } from '../../workflows/unmatched-report';

const REPLAYS = 20;

interface WebhookRecord {
  id: string;
  name: string;
  orderId: string | null;
  state: string;
  attempts: number;
  history: { status: number | null }[];
  body: string;
}

describe('webhook replays stay quiet (whole stack over HTTP)', () => {
  let stack: Stack;
  let connection: Connection;
  let temporal: Client;
  let seq = 0;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-replays-')),
      log: () => undefined,
      // This test polls /v1 while it waits; the per-client rate limit is not what it is about.
      env: { GATEWAY_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    connection = await Connection.connect({ address: stack.temporalAddress });
    temporal = new Client({ connection, namespace: stack.namespace });
  });
  after(async () => {
    await connection?.close();
    await stack?.stop();
  });

  const control = (path: string, body?: unknown) =>
    http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
  const view = async (id: string) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${id}`)).body;
  const metrics = async () => (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body;
  const records = async (): Promise<WebhookRecord[]> => (await control('webhooks')).body.webhooks;
  const closed = (workflowId: string) =>
    waitUntil(
      async () => (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED',
      30_000,
      `${workflowId} to close`,
    );
  /** True when no workflow with this id was ever started (describe is strongly consistent). */
  const absent = (workflowId: string) =>
    temporal.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => false,
        (err) => err instanceof WorkflowNotFoundError,
      );

  async function startTransfer() {
    const orderId = `RP-${process.pid}-${++seq}`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/transfers`, {
      orderId,
      method: 'klink-va',
      amount: 150_000,
      customer: { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' },
      bankCode: '014',
      productCode: 'BCAATM',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const workflowId = res.body.workflowId as string;
    await waitUntil(async () => (await view(workflowId)).status === 'AWAITING_PAYMENT', 30_000);
    return { orderId, workflowId };
  }

  /** Sends these exact bytes again through the simulator (signed with its key); the record ids. */
  async function resend(body: string): Promise<string[]> {
    const res = await control('webhooks/send-raw', {
      simulator: 'klink',
      path: '/webhooks/klink/settlement',
      body,
      sign: 'valid',
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.webhooks;
  }

  /** Waits until the simulator delivered these; each must have been answered 2xx at its first attempt. */
  async function deliveredAtOnce(ids: string[]) {
    const done = await waitUntil(
      async () => {
        const mine = (await records()).filter((r) => ids.includes(r.id));
        return mine.length === ids.length && mine.every((r) => r.state !== 'queued' && r.state !== 'sending')
          ? mine
          : undefined;
      },
      30_000,
      'the replays to be answered',
    );
    for (const r of done) {
      assert.equal(r.state, 'delivered', `${r.id}: ${JSON.stringify(r.history)}`);
      assert.equal(r.attempts, 1, `${r.id} answered 2xx the first time: ${JSON.stringify(r.history)}`);
    }
  }

  it(`a settled transfer: its webhook replayed ${REPLAYS} times in a row and ${REPLAYS} at once is acknowledged, counted as replays, never filed`, async () => {
    const t = await startTransfer();
    const paid = await control('klink/customer-pays', { order_id: t.orderId });
    assert.equal(paid.status < 300, true, JSON.stringify(paid.body));
    await waitUntil(async () => (await view(t.workflowId)).status === 'PAID', 30_000);
    await closed(t.workflowId);
    const original = (await records()).find((r) => r.orderId === t.orderId && r.name === 'klink.settlement');
    assert.ok(original, 'the simulator recorded the settlement it sent');

    const before = await metrics();
    for (let i = 0; i < REPLAYS; i++) await deliveredAtOnce(await resend(original.body));
    const together = await Promise.all(Array.from({ length: REPLAYS }, () => resend(original.body)));
    await deliveredAtOnce(together.flat());
    const afterReplays = await metrics();

    assert.equal(afterReplays.replays - before.replays, 2 * REPLAYS, 'every replay counted as a replay');
    assert.equal(afterReplays.unmatched - before.unmatched, 0, 'no replay filed as unmatched');
    assert.equal(afterReplays.accepted - before.accepted, 0, 'a closed payment is not signalled');
    assert.equal(await absent(unmatchedReportWorkflowId('klink', t.orderId)), true, 'no unmatched report');
    const review = await http('GET', `${stack.gatewayUrl}/v1/payments?needsReview=true`);
    assert.equal(review.status, 200);
    assert.ok(!review.body.some((p: { orderId?: string }) => p.orderId === t.orderId));
    assert.equal((await view(t.workflowId)).status, 'PAID');

    // Not every late webhook is a replay: another reference for the closed payment is news.
    const other = JSON.stringify({ ...JSON.parse(original.body), rq_uuid: `another-${t.orderId}` });
    await deliveredAtOnce(await resend(other));
    assert.equal((await metrics()).unmatched - afterReplays.unmatched, 1);
    const kept = await view(unmatchedReportWorkflowId('klink', t.orderId));
    assert.equal(kept.status, 'NEEDS_REVIEW');
    assert.equal(kept.relatedWorkflowId, t.workflowId);
  });

  it(`${REPLAYS} copies of the first webhook at once, racing the settlement: one payment, no unmatched report`, async () => {
    const t = await startTransfer();
    // The simulator records the settlement without sending it; the copies below are the deliveries.
    await control('webhooks', { simulator: 'klink', mode: 'drop', orderId: t.orderId });
    await control('klink/customer-pays', { order_id: t.orderId });
    const dropped = await waitUntil(async () =>
      (await records()).find((r) => r.orderId === t.orderId && r.name === 'klink.settlement'),
    );
    const before = await metrics();
    const copies = await Promise.all(Array.from({ length: REPLAYS }, () => resend(dropped.body)));
    await deliveredAtOnce(copies.flat());
    await waitUntil(async () => (await view(t.workflowId)).status === 'PAID', 30_000);
    await closed(t.workflowId);

    const now = await metrics();
    assert.equal(now.unmatched - before.unmatched, 0, 'no copy filed as unmatched');
    assert.equal(now.accepted + now.replays - (before.accepted + before.replays), REPLAYS);
    assert.equal(await absent(unmatchedReportWorkflowId('klink', t.orderId)), true);
    const settled = await view(t.workflowId);
    assert.equal(settled.webhooks.length, 1, 'the settlement counted once');
  });

  it('PPOB: a callback repeating what the ended purchase concluded is a replay; another sn is kept', async () => {
    const destination = `08124${String(process.pid).slice(-3)}0001`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, {
      orderId: `RPP-${process.pid}`,
      kind: 'prepaid',
      productCode: 'S10',
      destination,
      pollSeconds: 2,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const workflowId = res.body.workflowId as string;
    const refid = String(res.body.refid);
    await waitUntil(async () => (await view(workflowId)).status === 'SUCCEEDED', 60_000);
    await closed(workflowId);
    const { sn } = await view(workflowId);
    assert.ok(sn);

    const callbacks = async () => (await http('GET', `${stack.gatewayUrl}/metrics/callbacks`)).body.ppob;
    const callback = (query: Record<string, string>) =>
      http('GET', `${stack.ppobCallbackUrl}?${new URLSearchParams(query)}`);
    const before = await callbacks();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => callback({ ref_id: refid, status: 'Success', sn, destination })),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(5).fill(200),
    );
    const now = await callbacks();
    // The simulator's own callback may land meanwhile: it repeats the same, so it is a replay too.
    assert.ok(now.replays - before.replays >= 5, JSON.stringify(now));
    assert.equal(now.orphaned - before.orphaned, 0);
    assert.equal(await absent(unmatchedReportWorkflowId('ppob', refid)), true);

    const contradicting = await callback({
      ref_id: refid,
      status: 'Success',
      sn: `other-${sn}`,
      destination,
    });
    assert.equal(contradicting.status, 200);
    assert.equal(contradicting.body.orphan, true);
    assert.equal((await view(unmatchedReportWorkflowId('ppob', refid))).relatedWorkflowId, workflowId);
  });
});

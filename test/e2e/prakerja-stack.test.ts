/**
 * The whole engine, as `npm start` runs it: Temporal dev server (project binary, SQLite file),
 * sandbox, worker and gateway as separate processes talking over real HTTP and gRPC.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startStack, type Stack } from '../../scripts/stack';
import { temporalCliPath } from '../../scripts/temporal-cli';
import { historyText } from '../helpers/history-text';
import { http, waitUntil } from '../helpers/http';

const quiet = () => undefined;
let seq = 0;

async function newPayment(stack: Stack, extra: Record<string, unknown> = {}) {
  const token = await http('POST', `${stack.sandboxUrl}/_control/prakerja/tokens`, {
    amount: 20000,
    prakerja_name: 'Peserta E2E',
  });
  assert.equal(token.status, 201);
  const invoiceCode = `E2E-${process.pid}-${++seq}`;
  const start = await http('POST', `${stack.gatewayUrl}/v1/prakerja/payments`, {
    invoiceCode,
    invoiceUrl: `https://lp.example/invoices/${invoiceCode}`,
    paymentToken: token.body.payment_token,
    amount: 20000,
    orderId: `ORD-${invoiceCode}`,
    ...extra,
  });
  assert.equal(start.status, 201, JSON.stringify(start.body));
  return {
    invoiceCode,
    workflowId: start.body.workflowId as string,
    otp: token.body.otp as string,
    paymentToken: token.body.payment_token as string,
  };
}

async function statusOf(stack: Stack, workflowId: string): Promise<string> {
  return (await http('GET', `${stack.gatewayUrl}/v1/payments/${workflowId}`)).body.status;
}

async function waitForStatus(
  stack: Stack,
  workflowId: string,
  status: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitUntil(
    async () => (await statusOf(stack, workflowId)) === status,
    timeoutMs,
    `${workflowId} to reach ${status}`,
  );
}

async function prakerjaStats(stack: Stack, invoiceCode: string) {
  const stats = await http('GET', `${stack.sandboxUrl}/_control/prakerja/stats`);
  return (
    stats.body.byInvoice[invoiceCode] ?? {
      authorizeRequests: 0,
      authorizeSuccesses: 0,
      voidRequests: 0,
      voidSuccesses: 0,
    }
  );
}

describe('prakerja end to end (whole stack over HTTP)', () => {
  let stack: Stack;
  const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-e2e-'));

  before(async () => {
    stack = await startStack({ dataDir, log: quiet });
  });
  after(async () => {
    await stack?.stop();
  });

  it('pays: wrong OTP, right OTP, delivered; one authorize at the sandbox; visible to `temporal workflow list`', async () => {
    const p = await newPayment(stack);
    const wrong = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, {
      otp: p.otp === '000000' ? '111111' : '000000',
    });
    assert.equal(wrong.status, 200);
    assert.deepEqual(
      [wrong.body.accepted, wrong.body.reason, wrong.body.attemptsLeft],
      [false, 'wrong-otp', 2],
    );
    const right = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    assert.equal(right.body.accepted, true);
    await waitForStatus(stack, p.workflowId, 'COMPLETED');

    const stats = await prakerjaStats(stack, p.invoiceCode);
    assert.equal(stats.authorizeSuccesses, 1);
    const merchant = await http('GET', `${stack.sandboxUrl}/_control/merchant/stats`);
    assert.equal(merchant.body.byInvoice[p.invoiceCode].fulfilments, 1);

    const listed = execFileSync(
      temporalCliPath(),
      [
        'workflow',
        'list',
        '--address',
        stack.temporalAddress,
        '--namespace',
        stack.namespace,
        '--query',
        `PaysagaOrderId = 'ORD-${p.invoiceCode}'`,
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    );
    assert.match(listed, new RegExp(p.workflowId));
    const described = JSON.parse(
      execFileSync(
        temporalCliPath(),
        [
          'workflow',
          'describe',
          '--address',
          stack.temporalAddress,
          '--namespace',
          stack.namespace,
          '-w',
          p.workflowId,
          '-o',
          'json',
        ],
        { encoding: 'utf8' },
      ),
    );
    const sa = JSON.stringify(described);
    for (const name of [
      'PaysagaProvider',
      'PaysagaStatus',
      'PaysagaOrderId',
      'PaysagaAmount',
      'PaysagaNeedsReview',
    ]) {
      assert.ok(sa.includes(name), `${name} on the execution`);
    }
  });

  it('a worker killed mid-saga is replaced and the saga finishes with exactly one authorize', async () => {
    const p = await newPayment(stack, { fulfilment: { timeoutSeconds: 3, maxAttempts: 5 } });
    // The merchant takes 8 s to answer the first delivery: the worker is killed while it waits.
    await http('POST', `${stack.sandboxUrl}/_control/faults`, {
      route: 'merchant.fulfil',
      mode: 'latency',
      ms: 8000,
      count: 1,
      match: { invoice_code: p.invoiceCode },
    });
    const otp = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    assert.equal(otp.body.accepted, true);
    await waitUntil(
      async () => {
        const m = await http('GET', `${stack.sandboxUrl}/_control/merchant/stats`);
        return (m.body.byInvoice[p.invoiceCode]?.requests ?? 0) >= 1;
      },
      20_000,
      'the fulfilment request to reach the merchant',
    );
    await stack.killWorker();
    await stack.startWorker();
    await waitForStatus(stack, p.workflowId, 'COMPLETED', 60_000);

    const stats = await prakerjaStats(stack, p.invoiceCode);
    assert.equal(stats.authorizeRequests, 1, 'one authorize request reached Prakerja');
    assert.equal(stats.authorizeSuccesses, 1);
    const merchant = await http('GET', `${stack.sandboxUrl}/_control/merchant/stats`);
    assert.equal(merchant.body.byInvoice[p.invoiceCode].fulfilments, 1, 'delivered once (idempotency key)');
  });

  it('fulfilment refused for good: voided once at the sandbox', async () => {
    const p = await newPayment(stack);
    await http('POST', `${stack.sandboxUrl}/_control/merchant/fail`, {
      invoice_code: p.invoiceCode,
      status: 422,
    });
    await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    await waitForStatus(stack, p.workflowId, 'VOIDED');
    const stats = await prakerjaStats(stack, p.invoiceCode);
    assert.deepEqual([stats.authorizeSuccesses, stats.voidSuccesses], [1, 1]);
  });

  it('a refused void is parked in NEEDS_REVIEW, listed for operators, and resolved by one', async () => {
    const p = await newPayment(stack);
    await http('POST', `${stack.sandboxUrl}/_control/merchant/fail`, {
      invoice_code: p.invoiceCode,
      status: 422,
    });
    await http('POST', `${stack.sandboxUrl}/_control/prakerja/refuse-void`, {
      invoice_code: p.invoiceCode,
      refusal: 'paidOut',
    });
    await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    await waitForStatus(stack, p.workflowId, 'NEEDS_REVIEW');
    const view = await http('GET', `${stack.gatewayUrl}/v1/payments/${p.workflowId}`);
    assert.equal(view.body.review.code, 'ERRVOD40009');
    await waitUntil(
      async () => {
        const list = await http('GET', `${stack.gatewayUrl}/v1/payments?needsReview=true`);
        return list.body.some((s: { workflowId: string }) => s.workflowId === p.workflowId);
      },
      15_000,
      'the payment in the needs-review list',
    );

    const bad = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/review`, {
      action: 'mark-voided',
      note: '',
      operator: 'ana',
    });
    assert.equal(bad.status, 400);
    const ok = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/review`, {
      action: 'mark-completed',
      note: 'Prakerja already paid us out; delivered by hand, ticket 7',
      operator: 'ana',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'COMPLETED');
  });

  it('refuses bad input over HTTP with clear errors and loses nothing', async () => {
    const p = await newPayment(stack);
    const malformed = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, {
      otp: '12ab',
    });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.error, /otp must be 4 to 8 digits/);
    const notJson = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, '{"otp":', {
      'Content-Type': 'application/json',
    });
    assert.equal(notJson.status, 400);
    const badStart = await http('POST', `${stack.gatewayUrl}/v1/prakerja/payments`, {
      invoiceCode: 'has space',
      amount: 10.5,
    });
    assert.equal(badStart.status, 400);
    assert.match(badStart.body.error, /invoiceCode/);
    const unknown = await http('GET', `${stack.gatewayUrl}/v1/payments/prakerja-does-not-exist`);
    assert.equal(unknown.status, 404);

    // The saga kept waiting, attempts intact, and still takes the right OTP.
    const view = await http('GET', `${stack.gatewayUrl}/v1/payments/${p.workflowId}`);
    assert.deepEqual([view.body.status, view.body.otpAttemptsLeft], ['AWAITING_OTP', 3]);
    await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    await waitForStatus(stack, p.workflowId, 'COMPLETED');
    const late = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    assert.equal(late.status, 409);
    assert.match(late.body.error, /has ended \(COMPLETED\)/);
  });

  it('stores no OTP or payment token in history; the codec endpoint decodes for the Web UI', async () => {
    const p = await newPayment(stack);
    await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
    await waitForStatus(stack, p.workflowId, 'COMPLETED');

    const connection = await Connection.connect({ address: stack.temporalAddress });
    try {
      const raw = new Client({ connection, namespace: stack.namespace });
      const history = await raw.workflow.getHandle(p.workflowId).fetchHistory();
      const text = historyText(history);
      assert.ok(!text.includes(p.paymentToken), 'payment token in raw history');
      assert.ok(!text.includes(`"${p.otp}"`) && !text.includes(`otp":"${p.otp}`), 'OTP in raw history');

      // The Web UI posts the stored (encrypted) payloads to the codec endpoint.
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const payload = {
        metadata: Object.fromEntries(
          Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(input.data!).toString('base64'),
      };
      const decoded = await http(
        'POST',
        `${stack.gatewayUrl}/codec/decode`,
        { payloads: [payload] },
        { Origin: 'http://localhost:8233' },
      );
      assert.equal(decoded.status, 200);
      assert.equal(decoded.headers['access-control-allow-origin'], 'http://localhost:8233');
      assert.equal(decoded.headers['access-control-allow-credentials'], 'true');
      const plain = Buffer.from(decoded.body.payloads[0].data, 'base64').toString();
      assert.ok(plain.includes(p.paymentToken), 'the operator sees the decoded input');

      const preflight = await http('OPTIONS', `${stack.gatewayUrl}/codec/decode`, undefined, {
        Origin: 'http://localhost:8233',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace',
      });
      assert.ok(preflight.status === 204 || preflight.status === 200);
      assert.equal(preflight.headers['access-control-allow-origin'], 'http://localhost:8233');
    } finally {
      await connection.close();
    }
  });
});

describe('prakerja end to end: the whole stack restarts', () => {
  it('a payment parked before the restart completes after it, and is still listed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-restart-'));
    let stack = await startStack({ dataDir, log: quiet });
    let p;
    try {
      p = await newPayment(stack);
      assert.equal(await statusOf(stack, p.workflowId), 'AWAITING_OTP');
    } finally {
      await stack.stop();
    }
    stack = await startStack({ dataDir, log: quiet });
    try {
      const list = await waitUntil(
        async () => {
          const l = await http('GET', `${stack.gatewayUrl}/v1/payments?status=AWAITING_OTP`);
          return l.body.some((s: { workflowId: string }) => s.workflowId === p.workflowId) && l.body;
        },
        15_000,
        'the parked payment in the list after restart',
      );
      assert.ok(list.length >= 1);
      const otp = await http('POST', `${stack.gatewayUrl}/v1/payments/${p.workflowId}/otp`, { otp: p.otp });
      assert.equal(otp.body.accepted, true, JSON.stringify(otp.body));
      await waitForStatus(stack, p.workflowId, 'COMPLETED');
      assert.equal((await prakerjaStats(stack, p.invoiceCode)).authorizeSuccesses, 1);
    } finally {
      await stack.stop();
    }
  });
});

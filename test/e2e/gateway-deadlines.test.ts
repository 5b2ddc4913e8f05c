/**
 * Every Temporal call from the gateway has a deadline, on the whole stack over HTTP:
 * - the worker killed: `GET /v1/payments/:id` answers 504 within GATEWAY_TEMPORAL_TIMEOUT_MS, an
 *   OTP (an Update) 504 within GATEWAY_TEMPORAL_WAIT_TIMEOUT_MS; webhooks need no worker: 200;
 * - Temporal hung (SIGSTOP) and then down (killed): REST answers 503 with Retry-After within
 *   its deadline (an Update too, well before its own: the gateway asks Temporal while it waits),
 *   webhooks 503 within GATEWAY_WEBHOOK_TIMEOUT_MS, and the K-Link simulator, which gives up on
 *   a webhook after 5 s as a sender does, sees that 503, not a timeout;
 * - everything back: the payment is still there and the webhook the simulator kept retrying is
 *   recorded. The deadlines asserted are the product's promise, with generous slack.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GATEWAY_DEADLINES } from '../../common/config';
import { startStack, type Stack } from '../../scripts/stack';
import { http, waitUntil, type JsonResponse } from '../helpers/http';

/** Shorter than the default 40 s so the test waits less; the default is the same code path. */
const WAIT_MS = 10_000;
const CALL_MS = DEFAULT_GATEWAY_DEADLINES.callMs;
const WEBHOOK_MS = DEFAULT_GATEWAY_DEADLINES.webhookMs;
/** Process scheduling, the HTTP round trip, a loaded test machine. */
const SLACK_MS = 2_500;
/** What a 5xx body must never show: Temporal's or gRPC's own words. */
const INTERNAL = /DEADLINE_EXCEEDED|UNAVAILABLE|grpc|Failed to |ServiceError|\.ts:\d+/;

async function timed(send: () => Promise<JsonResponse>): Promise<JsonResponse & { ms: number }> {
  const t0 = Date.now();
  const res = await send();
  return { ...res, ms: Date.now() - t0 };
}

function assertAnswer(
  what: string,
  res: JsonResponse & { ms: number },
  status: number,
  withinMs: number,
): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
  assert.ok(res.ms < withinMs + SLACK_MS, `${what}: answered after ${res.ms} ms, promised ${withinMs} ms`);
  assert.doesNotMatch(JSON.stringify(res.body), INTERNAL, `${what}: no internal text`);
  if (status === 503) assert.match(res.headers['retry-after'] ?? '', /^\d+$/, `${what}: Retry-After`);
}

describe('gateway deadlines (whole stack over HTTP)', () => {
  let stack: Stack;
  let seq = 0;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-deadlines-')),
      env: { GATEWAY_TEMPORAL_WAIT_TIMEOUT_MS: String(WAIT_MS) },
      log: () => undefined,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const v1 = (method: string, path: string, body?: unknown) =>
    timed(() => http(method, `${stack.gatewayUrl}/v1${path}`, body));
  const control = (path: string, body?: unknown) =>
    http(body === undefined ? 'GET' : 'POST', `${stack.sandboxUrl}/_control/${path}`, body);
  const ppobCallback = (refid: number) =>
    timed(() =>
      http(
        'GET',
        `${stack.ppobCallbackUrl}?ref_id=${refid}&status=Success&sn=SN${refid}&code=S10&destination=0800`,
      ),
    );

  async function prakerjaStartBody() {
    const token = await control('prakerja/tokens', { amount: 20000, prakerja_name: 'Peserta Deadline' });
    assert.equal(token.status, 201);
    const invoiceCode = `DL-${process.pid}-${++seq}`;
    return {
      invoiceCode,
      invoiceUrl: `https://lp.example/invoices/${invoiceCode}`,
      paymentToken: token.body.payment_token as string,
      amount: 20000,
      orderId: `ORD-${invoiceCode}`,
    };
  }

  /** A validly signed K-Link settlement, sent by the simulator (5 s timeout, retries on failure). */
  async function klinkWebhook(orderId: string): Promise<string> {
    const sent = await control('webhooks/send-raw', {
      simulator: 'klink',
      path: '/webhooks/klink/settlement',
      body: JSON.stringify({
        status: 'success',
        message: 'Pembayaran berhasil',
        rq_uuid: `dl-${orderId}`,
        rq_datetime: '2026-12-01 10:00:00',
        order_id: orderId,
        kd_pay: '-',
        tot_bayar: 50_000,
        norek: '-',
      }),
      sign: 'valid',
      orderId,
    });
    assert.equal(sent.status, 202);
    return sent.body.webhooks[0] as string;
  }
  const webhookRecord = async (id: string) =>
    (
      (await control('webhooks')).body.webhooks as {
        id: string;
        state: string;
        history: { status: number | null; error: string | null }[];
      }[]
    ).find((w) => w.id === id);

  it('worker down: 504 in time; Temporal hung or down: 503 in time; back: nothing lost', async () => {
    const start = await v1('POST', '/prakerja/payments', await prakerjaStartBody());
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const id = start.body.workflowId as string;
    await waitUntil(
      async () => (await v1('GET', `/payments/${id}`)).status === 200,
      20_000,
      'the first view',
    );

    // 1. The worker dies: Temporal holds a query with no worker until the deadline; the gateway
    // answers 504 by then. An Update waits its own, longer deadline. A webhook needs no worker.
    await stack.killWorker();
    const [query, otp, callback] = await Promise.all([
      v1('GET', `/payments/${id}`),
      v1('POST', `/payments/${id}/otp`, { otp: '000000' }),
      ppobCallback(990_100_000 + seq),
    ]);
    assertAnswer('status query, worker down', query, 504, CALL_MS);
    assertAnswer('OTP Update, worker down', otp, 504, WAIT_MS);
    assert.match(otp.body.error, /may still take effect/);
    assertAnswer('PPOB callback, worker down', callback, 200, WEBHOOK_MS);
    await stack.startWorker();
    await waitUntil(
      async () => (await v1('GET', `/payments/${id}`)).status === 200,
      30_000,
      'the worker back',
    );

    // 2. Temporal hangs (SIGSTOP: the port stays open, nothing answers).
    const temporalPid = stack.pids().temporal!;
    let webhookId: string;
    process.kill(temporalPid, 'SIGSTOP');
    try {
      webhookId = await klinkWebhook(`DL-GHOST-${process.pid}`);
      const [query, list, started, otp, callback] = await Promise.all([
        v1('GET', `/payments/${id}`),
        v1('GET', '/payments?provider=prakerja'),
        prakerjaStartBody().then((body) => v1('POST', '/prakerja/payments', body)),
        v1('POST', `/payments/${id}/otp`, { otp: '000000' }),
        ppobCallback(990_100_000 + ++seq),
      ]);
      assertAnswer('status query, Temporal hung', query, 503, CALL_MS);
      assertAnswer('list, Temporal hung', list, 503, CALL_MS);
      assertAnswer('start, Temporal hung', started, 503, CALL_MS);
      // Its own deadline is WAIT_MS; Temporal is asked alongside, so the 503 comes by CALL_MS.
      assertAnswer('OTP Update, Temporal hung', otp, 503, CALL_MS);
      assertAnswer('PPOB callback, Temporal hung', callback, 503, WEBHOOK_MS);
      // The sender's first attempt got the gateway's 503, not its own 5 s timeout.
      const first = await waitUntil(
        async () => (await webhookRecord(webhookId))?.history[0],
        15_000,
        "the simulator's first attempt",
      );
      assert.deepEqual([first.status, first.error], [503, 'HTTP 503']);
    } finally {
      process.kill(temporalPid, 'SIGCONT');
    }

    // 3. Temporal down (killed: connections refused).
    await stack.stopTemporal();
    try {
      const [query, cancel, callback] = await Promise.all([
        v1('GET', `/payments/${id}`),
        v1('POST', `/payments/${id}/cancel`, { reason: 'deadline test' }),
        ppobCallback(990_100_000 + ++seq),
      ]);
      assertAnswer('status query, Temporal down', query, 503, CALL_MS);
      assertAnswer('cancel signal, Temporal down', cancel, 503, CALL_MS);
      assertAnswer('PPOB callback, Temporal down', callback, 503, WEBHOOK_MS);
    } finally {
      await stack.startTemporal();
    }

    // 4. Back: the payment is still there, and the webhook the simulator kept retrying is recorded.
    const back = await waitUntil(
      async () => {
        const res = await v1('GET', `/payments/${id}`);
        return res.status === 200 && res;
      },
      30_000,
      'the payment after Temporal is back',
    );
    assert.equal(back.body.workflowId, id);
    await waitUntil(
      async () => (await webhookRecord(webhookId))?.state === 'delivered',
      45_000,
      'the retried webhook recorded',
    );
    const metrics = (await http('GET', `${stack.gatewayUrl}/metrics/webhooks`)).body;
    assert.ok(metrics.temporalUnavailable >= 1);
  });
});

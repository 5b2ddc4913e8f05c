/**
 * Webhook to completed: how long a verified K-Link settlement webhook takes from the moment it
 * is sent to the gateway until the payment's workflow has ended PAID, beside a bare signal round
 * trip on the same server.
 *
 * Engine: M pay-by-transfer payments of method klink-va are started through the gateway (each
 * start answers once it is AWAITING_PAYMENT). Then, C at a time, a settlement body is made as the
 * sandbox's K-Link makes it (sandbox/klink/webhooks.ts: compact JSON in the document's field
 * order, `x-servicepayment` = upper-case hex HMAC-SHA256 with the PID key) and POSTed to the
 * gateway's /webhooks/klink/settlement; the clock runs from the send to the workflow's result
 * resolving (a Temporal client with the stack's codec key: results are encrypted).
 *
 * The PID key: the stack hands it to the gateway only; of the secrets the stack reports
 * (stack.secrets()), it is the one under which the gateway verifies a signed malformed body
 * (answer 400, "malformed", instead of 401, "not verified"; nothing is signalled). When none
 * is (a real K-Link's key), the sandbox's own `klink/customer-pays` sends the webhook and the
 * clock starts at that control call instead (the row says so).
 *
 * Bare: M `bareSaga` workflows that wait for a signal (started with update-with-start after a
 * no-op activity, as the transfer is), then, C at a time, from `handle.signal()` sent to
 * `handle.result()` resolved.
 *
 * Rows: p50 and p99, ratio engine/bare (lower is better); goal on p99: at most 1.5x bare.
 */
import { randomBytes } from 'node:crypto';
import fetch from 'node-fetch';
import { kLinkSign, KLINK_SIGNATURE_HEADER, KLINK_WEBHOOK_PATHS } from '../../sandbox/klink/webhooks';
import { percentile, runPool, startBare } from '../bare/drive';
import { startBareWorker } from '../bare/start';
import { bareSignal, type BarePlan } from '../bare/workflows';
import type { BenchContext, BenchRow, BenchSection } from '../types';
import { engineDriver } from './throughput';

/** The bare counterpart of a transfer waiting for its payment: one activity, answered, one signal. */
const BARE_WAITING: BarePlan & { start: 'with-first-answer' } = {
  start: 'with-first-answer',
  steps: [
    { kind: 'activity' },
    { kind: 'firstAnswer' },
    { kind: 'awaitSignals', count: 1, timeoutMs: 3_600_000 },
  ],
};

const customer = { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' };

/** K-Link's settlement body for a VA order, as the sandbox's K-Link serializes it. */
function settlementBody(orderId: string, amount: number): Buffer {
  const body = {
    status: 'success',
    message: 'transaction success!',
    rq_uuid: `rq-${orderId}`,
    rq_datetime: new Date().toISOString().replace('T', ' ').slice(0, 19),
    order_id: orderId,
    kd_pay: '1',
    tot_bayar: String(amount),
    norek: '-',
    transaction: 'va',
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export const webhookSection: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const { stack, quick } = ctx;
  // 600: a p99 of 200 samples is their second slowest, and moved 1.03-1.68x between full runs.
  const total = quick ? 30 : 600;
  const concurrency = 10;
  const warmup = 5;
  const d = await engineDriver(stack);
  const worker = await startBareWorker({
    temporalAddress: stack.temporalAddress,
    namespace: stack.namespace,
  });
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  try {
    const key = stack.secretSetting('KLINK_WEBHOOK_KEY');
    if (!key) ctx.log('no K-Link webhook key (a real K-Link?): the sandbox sends each webhook instead');

    // Engine: every transfer parked in AWAITING_PAYMENT first.
    const startTransfers = (n: number, tag: string) =>
      runPool(n, concurrency, async (i) => {
        const orderId = `BENCH-WH-${runId}-${tag}${i}`;
        const start = await d.gateway<{
          workflowId: string;
          status: string;
          instructions?: { amountToPay: number };
        }>('POST', '/transfers', {
          orderId,
          method: 'klink-va',
          amount: 175_000,
          customer,
          bankCode: '014',
          productCode: 'BCAATM',
        });
        if (start.status !== 'AWAITING_PAYMENT' || !start.instructions)
          throw new Error(`${start.workflowId} answered ${start.status}, not AWAITING_PAYMENT`);
        return { orderId, workflowId: start.workflowId, amount: start.instructions.amountToPay };
      });
    const settle =
      (t: { orderId: string; workflowId: string; amount: number }) => async (): Promise<number> => {
        const handle = d.client.workflow.getHandle(t.workflowId);
        let t0: number;
        if (key) {
          const body = settlementBody(t.orderId, t.amount);
          const signature = kLinkSign(key, body);
          t0 = performance.now();
          const res = await fetch(`${stack.gatewayUrl}${KLINK_WEBHOOK_PATHS.settlement}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', [KLINK_SIGNATURE_HEADER]: signature },
            body,
          });
          if (!res.ok) throw new Error(`webhook for ${t.orderId}: HTTP ${res.status} ${await res.text()}`);
        } else {
          t0 = performance.now();
          await d.control('klink/customer-pays', { order_id: t.orderId });
        }
        const view = (await handle.result()) as { status?: string };
        const ms = performance.now() - t0;
        if (view.status !== 'PAID') throw new Error(`${t.workflowId} ended ${view.status}, not PAID`);
        return ms;
      };

    const warmEngine = await startTransfers(warmup, 'w');
    await runPool(warmup, concurrency, (i) => settle(warmEngine.results[i]!)());
    const parked = await startTransfers(total, 'm');
    const engine = await runPool(total, concurrency, (i) => settle(parked.results[i]!)());

    // Bare: the same number waiting for a signal, then signal to result.
    const startBares = (n: number, tag: string) =>
      runPool(n, concurrency, (i) => startBare(worker, BARE_WAITING, `bare-wh-${runId}-${tag}${i}`));
    const signalToResult = async (handle: Awaited<ReturnType<typeof startBare>>): Promise<number> => {
      const t0 = performance.now();
      await handle.signal(bareSignal, 'paid');
      await handle.result();
      return performance.now() - t0;
    };
    const warmBare = await startBares(warmup, 'w');
    await runPool(warmup, concurrency, (i) => signalToResult(warmBare.results[i]!));
    const waiting = await startBares(total, 'm');
    const bare = await runPool(total, concurrency, (i) => signalToResult(waiting.results[i]!));

    const what = key
      ? 'webhook POSTed to the gateway (signed as the sandbox signs) to the result'
      : "sandbox control 'klink/customer-pays' called (it sends the signed webhook) to the result";
    const rows: BenchRow[] = [50, 99].map((p) => {
      const e = percentile(engine.results, p);
      const b = percentile(bare.results, p);
      const ratio = e / b;
      return {
        section: 'webhook',
        name: `K-Link settlement webhook to PAID p${p}`,
        engine: { value: Math.round(e), unit: 'ms' },
        baseline: { value: Math.round(b), unit: 'ms', what: 'bare signal() to result()' },
        ratio: Math.round(ratio * 100) / 100,
        better: 'lower',
        ...(p === 99 ? { goal: { text: '≤ 1.5× bare', met: ratio <= 1.5 } } : {}),
        detail: { n: total, concurrency, clock: what },
      };
    });
    for (const r of rows)
      ctx.log(`${r.name}: engine ${r.engine.value} ms, bare ${r.baseline.value} ms, ratio ${r.ratio}`);
    return rows;
  } finally {
    await worker.stop();
    await d.close();
  }
};

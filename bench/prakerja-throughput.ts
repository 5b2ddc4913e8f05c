/**
 * Prakerja saga throughput and latency on the local stack (dev server with SQLite WAL, sandbox,
 * worker, gateway as processes), driven over HTTP as a backend would.
 *
 *   npm run bench -- [payments=200] [concurrency=20]
 *
 * Prints: completed payments per second, the submitOtp round trip (gateway -> Update ->
 * authorize at the sandbox -> answer) p50/p95/p99, start-to-COMPLETED p50/p95, and the resident
 * memory of the worker and the server after the run. Figures, not assertions.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fetch from 'node-fetch';
import { startStack } from '../scripts/stack';
import { buildWorkflowBundle, currentBundlePath } from '../workers/workflow-bundle';

const total = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 20);

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssMb(pid: number | undefined): string {
  if (!pid) return 'n/a';
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? `${Math.round(Number(line.split(/\s+/)[1]) / 1024)} MB` : 'n/a';
}

async function main(): Promise<void> {
  if (!currentBundlePath()) await buildWorkflowBundle();
  const stack = await startStack({
    dataDir: mkdtempSync(join(tmpdir(), 'paysaga-bench-')),
    log: () => undefined,
  });
  const otpLatencies: number[] = [];
  const endToEnd: number[] = [];
  let next = 0;
  const runId = Date.now().toString(36);
  try {
    const one = async (i: number) => {
      const t0 = performance.now();
      const token = await post<{ payment_token: string; otp: string }>(
        `${stack.sandboxUrl}/_control/prakerja/tokens`,
        { amount: 20000 },
      );
      const invoiceCode = `BENCH-${runId}-${i}`;
      const { workflowId } = await post<{ workflowId: string }>(`${stack.gatewayUrl}/v1/prakerja/payments`, {
        invoiceCode,
        invoiceUrl: `https://lp.example/${invoiceCode}`,
        paymentToken: token.payment_token,
        amount: 20000,
        orderId: invoiceCode,
      });
      const t1 = performance.now();
      const outcome = await post<{ accepted: boolean }>(`${stack.gatewayUrl}/v1/payments/${workflowId}/otp`, {
        otp: token.otp,
      });
      otpLatencies.push(performance.now() - t1);
      if (!outcome.accepted) throw new Error(`${workflowId} not accepted`);
      for (;;) {
        const view = (await (await fetch(`${stack.gatewayUrl}/v1/payments/${workflowId}`)).json()) as {
          status: string;
        };
        if (view.status === 'COMPLETED') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      endToEnd.push(performance.now() - t0);
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) await one(next++);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    otpLatencies.sort((a, b) => a - b);
    endToEnd.sort((a, b) => a - b);
    const pids = stack.pids();
    console.log(`prakerja saga benchmark: ${total} payments, concurrency ${concurrency}`);
    console.log(
      `  throughput           ${(total / seconds).toFixed(1)} completed payments/s (${seconds.toFixed(1)} s)`,
    );
    console.log(
      `  submitOtp round trip p50 ${percentile(otpLatencies, 50).toFixed(0)} ms  p95 ${percentile(otpLatencies, 95).toFixed(0)} ms  p99 ${percentile(otpLatencies, 99).toFixed(0)} ms`,
    );
    console.log(
      `  start -> COMPLETED   p50 ${percentile(endToEnd, 50).toFixed(0)} ms  p95 ${percentile(endToEnd, 95).toFixed(0)} ms`,
    );
    console.log(
      `  resident memory      worker ${rssMb(pids.worker)}, temporal ${rssMb(pids.temporal)}, gateway ${rssMb(pids.gateway)}`,
    );
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

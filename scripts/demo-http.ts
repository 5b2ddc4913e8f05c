/**
 * The demo's HTTP plumbing: JSON calls to the gateway's REST front and the sandbox's control API,
 * and waiting for a payment to reach a status.
 *
 * Gentle with the gateway on purpose: every /v1 request counts against its per-client rate limit
 * (GATEWAY_RATE_LIMIT_PER_MINUTE, 300 by default), and the demo runs some 25 payments at once
 * from one address. So a payment is polled on a widening interval, not every few hundred
 * milliseconds, and a 429 is waited out (its Retry-After) instead of failing the demo.
 */
import fetch from 'node-fetch';

/** A payment as GET /v1/payments/:id shows it: only what the demo reads. */
export interface DemoView {
  status: string;
  review?: { reason: string; actions?: string[] };
}

export type Call = <T = unknown>(method: 'GET' | 'POST', url: string, body?: unknown) => Promise<T>;

/** Polls a payment this often: quick for the first answers, then at most every 3 s. */
const POLL_INTERVALS_MS = [300, 600, 1000, 1500, 2000, 2500, 3000];
/** At most this many waits on a 429, each at most MAX_RATE_LIMIT_WAIT_MS. */
const RATE_LIMIT_RETRIES = 6;
const MAX_RATE_LIMIT_WAIT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** JSON over HTTP; throws on anything but 2xx, naming the request and the answer. */
export function jsonCaller(opts: { apiToken?: string } = {}): Call {
  return async <T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          // The sandbox ignores it; the gateway needs it when GATEWAY_API_TOKEN is set.
          ...(opts.apiToken ? { Authorization: `Bearer ${opts.apiToken}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status === 429 && attempt < RATE_LIMIT_RETRIES) {
        const seconds = Number(res.headers.get('retry-after')) || 1;
        await sleep(Math.min(seconds * 1000, MAX_RATE_LIMIT_WAIT_MS));
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${url} -> HTTP ${res.status}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    }
  };
}

/**
 * Waits until the payment's status is one of `wanted`, or one it will not leave by itself
 * (`settled`: a final status, or NEEDS_REVIEW), or the deadline; then answers its view as it is.
 * A payment not started yet (404, e.g. a report the gateway is still filing) is waited for too.
 */
export async function waitForView(
  call: Call,
  gatewayUrl: string,
  workflowId: string,
  stopAt: { wanted: readonly string[]; settled: readonly string[] },
  timeoutMs: number,
): Promise<DemoView | undefined> {
  const deadline = Date.now() + timeoutMs;
  let view: DemoView | undefined;
  for (let i = 0; ; i++) {
    try {
      view = await call<DemoView>('GET', `${gatewayUrl}/v1/payments/${encodeURIComponent(workflowId)}`);
    } catch (err) {
      if (!/HTTP 404/.test(String(err))) throw err;
    }
    if (view && (stopAt.wanted.includes(view.status) || stopAt.settled.includes(view.status))) return view;
    if (Date.now() > deadline) return view;
    await sleep(POLL_INTERVALS_MS[Math.min(i, POLL_INTERVALS_MS.length - 1)]!);
  }
}

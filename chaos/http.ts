/**
 * HTTP as the campaign's actors make it: a backend calling the gateway keeps retrying what may
 * not have arrived (the same body, so the same order id and the same payment), a payer's bank
 * (the sandbox's control API) is always there, and an attacker's request is sent once and its
 * answer recorded whatever it is.
 */
import { GatewayError, type Http } from './types';

/** Answers a careful backend retries: the request may not have been acted on, or may be again. */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);
const DEFAULT_RETRY_FOR_MS = 120_000;
/** Per request: longer than the gateway's own longest deadline (40 s), so it answers first. */
const REQUEST_TIMEOUT_MS = 45_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createHttp(gatewayUrl: string, sandboxUrl: string): Http {
  const raw: Http['raw'] = async (method, url, init = {}) => {
    const res = await fetch(url, {
      method,
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  };

  const json = (body: unknown) =>
    body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };

  return {
    raw,
    async gateway<T>(
      method: 'GET' | 'POST',
      path: string,
      body?: unknown,
      retryForMs = DEFAULT_RETRY_FOR_MS,
    ) {
      const url = `${gatewayUrl}/v1${path}`;
      const giveUpAt = Date.now() + retryForMs;
      for (let attempt = 0; ; attempt++) {
        let failure: string;
        try {
          const res = await raw(method, url, json(body));
          if (res.status >= 200 && res.status < 300)
            return (res.text ? JSON.parse(res.text) : undefined) as T;
          if (!RETRIED_STATUSES.has(res.status))
            throw new GatewayError(res.status, `${method} ${path} -> HTTP ${res.status}: ${res.text}`);
          failure = `HTTP ${res.status}: ${res.text}`;
        } catch (err) {
          if (err instanceof GatewayError) throw err;
          failure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        }
        if (Date.now() >= giveUpAt)
          throw new Error(`${method} ${path}: no answer after ${attempt + 1} attempts (${failure})`);
        await sleep(Math.min(250 * 2 ** attempt, 3_000));
      }
    },
    async control<T>(path: string, body?: unknown, method?: 'DELETE') {
      const verb = method ?? (body === undefined ? 'GET' : 'POST');
      const res = await raw(verb, `${sandboxUrl}/_control/${path}`, json(body));
      if (res.status < 200 || res.status >= 300)
        throw new Error(`sandbox ${path} -> HTTP ${res.status}: ${res.text}`);
      return (res.text ? JSON.parse(res.text) : undefined) as T;
    },
  };
}

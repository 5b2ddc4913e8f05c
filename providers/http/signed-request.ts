/**
 * The one HTTP layer every provider client goes through.
 *
 * - The body is serialized once; those exact bytes are what is signed and what is sent.
 * - The provider's `sign` callback runs on every attempt, so timestamps and signatures are fresh
 *   (a retried request with a stale timestamp would be refused as a replay).
 * - Each attempt has its own timeout (AbortController), so one hung socket cannot eat the budget.
 * - Only failures where the request certainly never left (connection refused, DNS) are retried
 *   here: those are safe for any call. Everything else is returned or thrown to the caller,
 *   whose retry policy knows whether the call is idempotent.
 * - Every error message passes through redactText with the call's own secrets (not registered
 *   globally: a per-payment token would grow the registry forever), so a key or token can never
 *   leave this layer inside an error.
 */
import fetch, { FetchError } from 'node-fetch';
import { redactText } from '../../common/redact';
import { ProviderTransportError } from './errors';

export interface SignInput {
  method: string;
  /** The path as signed: the provider's endpoint path, without the base URL's own path prefix. */
  path: string;
  body: Buffer;
}

export interface SignedRequest {
  provider: string;
  operation: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  /** JSON body; serialized once with JSON.stringify (compact), the bytes the signature covers. */
  body?: unknown;
  /** Headers for this attempt (signature, timestamp, auth). Called once per attempt. */
  sign: (input: SignInput) => Record<string, string>;
  timeoutMs: number;
  /** Attempts for never-delivered failures only (see module doc). Default 3. */
  undeliveredAttempts?: number;
  /** Values to mask in any error or log (keys, tokens). */
  secrets?: Array<string | undefined>;
}

export interface ProviderResponse {
  status: number;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

const NOT_DELIVERED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

export async function sendSignedRequest(req: SignedRequest): Promise<ProviderResponse> {
  const bodyBytes = req.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(req.body), 'utf8');
  const url = buildUrl(req.baseUrl, req.path, req.query);
  const attempts = Math.max(1, req.undeliveredAttempts ?? 3);

  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...(req.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...req.sign({ method: req.method, path: req.path, body: bodyBytes }),
    };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    try {
      const res = await fetch(url, {
        method: req.method,
        headers,
        body: req.method === 'GET' ? undefined : bodyBytes,
        signal: controller.signal,
        // A redirect is the provider's answer, not something to follow: a POST silently turned
        // into a GET elsewhere could hide a recorded purchase behind an unrelated status.
        redirect: 'manual',
      });
      const text = await res.text();
      return { status: res.status, text, json: parseJson(text) };
    } catch (err) {
      const transport = toTransportError(req, err);
      if (transport.delivered === 'no' && attempt < attempts) {
        await delay(100 * 2 ** attempt);
        continue;
      }
      throw transport;
    } finally {
      clearTimeout(timer);
    }
  }
}

function buildUrl(baseUrl: string, path: string, query?: Record<string, string>): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toTransportError(req: SignedRequest, err: unknown): ProviderTransportError {
  const detail = redactText(err instanceof Error ? err.message : String(err), req.secrets);
  if (err instanceof Error && err.name === 'AbortError') {
    return new ProviderTransportError(
      req.provider,
      req.operation,
      'timeout',
      'maybe',
      `no answer within ${req.timeoutMs} ms`,
    );
  }
  const code = err instanceof FetchError ? (err.code ?? err.errno) : undefined;
  if (code && NOT_DELIVERED_CODES.has(String(code))) {
    return new ProviderTransportError(
      req.provider,
      req.operation,
      code === 'ECONNREFUSED' ? 'connection-refused' : 'dns',
      'no',
      detail,
    );
  }
  if (code === 'ECONNRESET' || /socket hang up/i.test(detail)) {
    return new ProviderTransportError(req.provider, req.operation, 'reset', 'maybe', detail);
  }
  return new ProviderTransportError(req.provider, req.operation, 'network', 'maybe', detail);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Fulfilment: delivering what was bought, after Prakerja authorized the payment.
 *
 * The embedding service supplies its own by passing a `fulfil` function to the worker. The
 * defaults: with FULFILMENT_URL set, POST the purchase there with an Idempotency-Key (2xx =
 * delivered, 4xx = refused for good, anything else = try again); without it, record the purchase
 * in an append-only JSON-lines file in the data folder, once per invoice.
 *
 * A fulfilment refused for good throws a non-retryable `FulfilmentRejected`; the saga then voids.
 */
import { ApplicationFailure } from '@temporalio/activity';
import fetch from 'node-fetch';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactText } from '../common/redact';

export interface FulfilmentRequest {
  /** Idempotency key: the same purchase always has the same key. */
  idempotencyKey: string;
  provider: string;
  invoiceCode: string;
  transactionCode: string;
  amount: number;
  orderId: string;
}

export interface FulfilmentResult {
  reference: string;
}

export type FulfilFn = (req: FulfilmentRequest) => Promise<FulfilmentResult>;

export function httpFulfilment(url: string, timeoutMs = 10_000): FulfilFn {
  return async (req) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': req.idempotencyKey },
        body: JSON.stringify({
          invoice_code: req.invoiceCode,
          transaction_code: req.transactionCode,
          amount: req.amount,
          order_id: req.orderId,
        }),
        signal: controller.signal,
      });
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) {
        const reference = (safeJson(text) as { reference?: unknown } | undefined)?.reference;
        return { reference: typeof reference === 'string' ? reference : req.idempotencyKey };
      }
      const detail = `fulfilment endpoint answered HTTP ${res.status}: ${redactText(text.slice(0, 200))}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw ApplicationFailure.nonRetryable(detail, 'FulfilmentRejected');
      }
      throw ApplicationFailure.retryable(detail, 'FulfilmentUnavailable');
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw ApplicationFailure.retryable(
        `fulfilment endpoint unreachable: ${redactText(String(err))}`,
        'FulfilmentUnavailable',
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Records each purchase once in a JSON-lines file (idempotent by key). */
export function fileFulfilment(path: string): FulfilFn {
  return async (req) => {
    mkdirSync(dirname(path), { recursive: true });
    const existing = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
    const already = existing
      .map((l) => JSON.parse(l) as { idempotencyKey: string; reference: string })
      .find((r) => r.idempotencyKey === req.idempotencyKey);
    if (already) return { reference: already.reference };
    const reference = `ful-${req.idempotencyKey}`;
    appendFileSync(path, JSON.stringify({ ...req, reference, recordedAt: new Date().toISOString() }) + '\n');
    return { reference };
  };
}

export function createFulfilmentActivities(fulfil: FulfilFn) {
  return {
    async fulfilPurchase(req: FulfilmentRequest): Promise<FulfilmentResult> {
      return fulfil(req);
    },
  };
}

export type FulfilmentActivities = ReturnType<typeof createFulfilmentActivities>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

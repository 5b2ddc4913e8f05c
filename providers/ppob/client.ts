/**
 * PPOB aggregator client: `POST /trx/topup` (prepaid purchases and inquiries) and
 * `POST /trx/payment` (postpaid, with the inquiry's trx_id), through the shared signed-request
 * layer (headers and datetime computed afresh per attempt).
 *
 * Readings of the scanned document:
 * - statuses on submit are Waiting / Pending / Failed; the report adds Success, and a repeated
 *   refid ("trx sebelumnya ditemukan") answers the transaction's current state, Success included;
 * - ids (ref_id, trx_id) come as numbers or strings: both accepted, extra fields too;
 * - the payment field is `inq_id`, which the scan spells `ing_id`: both keys are sent with the
 *   same value (the provider reads the one it knows; an extra field adds no meaning);
 * - the inquiry's answer is not in the document: read as status Success with `price` (the bill,
 *   integer rupiah), `customer_name` and the `trx_id` that /trx/payment takes;
 * - a 401/400 is a refusal before acting (final); a 5xx or an unreadable answer leaves the outcome
 *   unknown, and the caller re-sends the SAME refid, which the provider never processes twice,
 *   so it is classified retryable.
 */
import { z } from 'zod';
import { ProviderProtocolError, ProviderRejection } from '../http/errors';
import { sendSignedRequest, type ProviderResponse } from '../http/signed-request';
import { assertSameTransaction } from './refid';
import { ppobHeaders } from './signature';

export const PPOB_TOPUP_PATH = '/trx/topup';
export const PPOB_PAYMENT_PATH = '/trx/payment';

export type PpobStatus = 'Waiting' | 'Pending' | 'Success' | 'Failed';

/** Waiting and Pending are not final: keep asking. Success and Failed are. */
export const PPOB_FINAL_STATUSES: readonly PpobStatus[] = ['Success', 'Failed'];

const id = z.union([z.number(), z.string().min(1)]).transform(String);
const status = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['waiting', 'pending', 'success', 'failed']))
  .transform((s) => (s.charAt(0).toUpperCase() + s.slice(1)) as PpobStatus);
const rupiah = z
  .union([z.number(), z.string().regex(/^\d+(\.0+)?$/)])
  .transform(Number)
  .pipe(z.number().int().nonnegative());

const TransactionBody = z
  .object({
    code: z.string().optional(),
    destination: z.union([z.string(), z.number()]).transform(String).optional(),
    message: z.string().default(''),
    ref_id: id,
    sn: z.union([z.string(), z.number()]).transform(String).nullish(),
    status,
    trx_id: id,
    price: rupiah.nullish(),
    customer_name: z.string().nullish(),
  })
  .loose();

export interface PpobTransaction {
  refid: number;
  trxId: string;
  code?: string;
  destination?: string;
  status: PpobStatus;
  sn?: string;
  message: string;
  price?: number;
  customerName?: string;
  /** The provider had this refid already ("trx sebelumnya ditemukan"). */
  repeated: boolean;
}

export interface PpobConfig {
  baseUrl: string;
  username: string;
  token: string;
  timeoutMs: number;
  timeZone?: string;
  now?: () => number;
}

export interface PpobClient {
  topup(input: { code: string; dest: string; refid: number }): Promise<PpobTransaction>;
  inquiry(input: { code: string; dest: string; refid: number }): Promise<PpobTransaction>;
  payment(input: { inqId: string; refid: number }): Promise<PpobTransaction>;
}

export function createPpobClient(config: PpobConfig): PpobClient {
  const now = config.now ?? Date.now;
  const timeZone = config.timeZone ?? 'Asia/Jakarta';

  async function call(
    operation: string,
    path: string,
    body: Record<string, unknown>,
  ): Promise<PpobTransaction> {
    const res = await sendSignedRequest({
      provider: 'ppob',
      operation,
      baseUrl: config.baseUrl,
      method: 'POST',
      path,
      body,
      sign: () => ppobHeaders(config, now(), timeZone),
      timeoutMs: config.timeoutMs,
      secrets: [config.token],
    });
    return read(operation, res);
  }

  return {
    async topup(input) {
      const trx = await call('topup', PPOB_TOPUP_PATH, {
        code: input.code,
        dest: input.dest,
        refid: input.refid,
      });
      assertSameTransaction(input, trx);
      return trx;
    },
    async inquiry(input) {
      const trx = await call('inquiry', PPOB_TOPUP_PATH, {
        code: input.code,
        dest: input.dest,
        refid: input.refid,
      });
      assertSameTransaction({ refid: input.refid }, trx);
      return trx;
    },
    async payment(input) {
      const trx = await call('payment', PPOB_PAYMENT_PATH, {
        inq_id: input.inqId,
        ing_id: input.inqId,
        refid: input.refid,
      });
      assertSameTransaction({ refid: input.refid }, trx);
      return trx;
    },
  };
}

function read(operation: string, res: ProviderResponse): PpobTransaction {
  if (res.status === 401 || res.status === 400) {
    const message = (res.json as { message?: unknown } | undefined)?.message;
    const text = typeof message === 'string' ? message : res.text.slice(0, 200);
    const code =
      res.status === 400
        ? 'BAD_REQUEST'
        : /signature/i.test(text)
          ? 'AUTH_SIGNATURE'
          : /date/i.test(text)
            ? 'AUTH_DATETIME'
            : 'AUTH_USER';
    throw new ProviderRejection('ppob', operation, res.status, code, text, 'final', false);
  }
  if (res.status < 200 || res.status >= 300) {
    throw new ProviderRejection(
      'ppob',
      operation,
      res.status,
      `HTTP_${res.status}`,
      res.text.slice(0, 200),
      res.status === 429 || res.status >= 500 ? 'retryable' : 'final',
      false,
    );
  }
  const parsed = TransactionBody.safeParse(res.json);
  if (!parsed.success)
    throw new ProviderProtocolError(
      'ppob',
      operation,
      res.status,
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  const b = parsed.data;
  return {
    refid: Number(b.ref_id),
    trxId: b.trx_id,
    code: b.code,
    destination: b.destination,
    status: b.status,
    sn: b.sn ? b.sn : undefined,
    message: b.message,
    price: b.price ?? undefined,
    customerName: b.customer_name ?? undefined,
    repeated: /sebelumnya ditemukan/i.test(b.message),
  };
}

const CallbackQuery = z.object({
  ref_id: z
    .string()
    .regex(/^\d{1,15}$/, 'ref_id must be digits')
    .transform(Number),
  status: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['pending', 'success', 'failed']))
    .transform((s) => (s.charAt(0).toUpperCase() + s.slice(1)) as 'Pending' | 'Success' | 'Failed'),
  sn: z.string().max(128).optional(),
  code: z.string().max(64).optional(),
  destination: z.string().max(64).optional(),
});

/** The provider's report callback query (`ref_id, status, sn, code, destination`), validated. */
export function parsePpobCallback(query: Record<string, unknown>): {
  refid: number;
  status: 'Pending' | 'Success' | 'Failed';
  sn?: string;
  code?: string;
  destination?: string;
} {
  const result = CallbackQuery.safeParse(query);
  if (!result.success)
    throw new Error(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { ref_id, sn, ...rest } = result.data;
  return { ...rest, refid: ref_id, sn: sn ? sn : undefined };
}

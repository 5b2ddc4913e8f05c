/**
 * PPOB aggregator client: `POST /trx/topup` (prepaid purchases AND inquiries) and
 * `POST /trx/payment` (postpaid, with the inquiry's trx_id), through the shared signed-request
 * layer: the Gw-* headers are computed afresh on every attempt (signature.ts), each attempt has its
 * own timeout, never-delivered failures are retried in the layer, the token is redacted.
 *
 * What a call returns or throws:
 * - a parsed PpobTransaction, whatever its status (Waiting / Pending / Success / Failed: a Failed
 *   purchase is an answer, not an error; a word the document does not list is kept as written,
 *   with state 'unknown'), after checking it is about what we sent
 *   (`assertSameTransaction`: a different ref_id, code or destination throws RefidMismatchError);
 * - ProviderRejection: 401 / 400 refusals before acting (final, codes in status.ts), other 4xx,
 *   and 1xx / 3xx / 5xx (retryable: the caller re-sends the same refid, see status.ts);
 * - ProviderProtocolError: a 2xx that is not a transaction (ambiguous: re-send the same refid);
 * - ProviderTransportError: timeout, reset, refused (from the layer).
 *
 * Readings of the scanned document are in schemas.ts (answers), signature.ts (headers) and
 * refid.ts (refid); the request bodies are `{code, dest, refid}` and `{inq_id, ing_id, refid}`.
 */
import { redactText } from '../../common/redact';
import { ProviderProtocolError } from '../http/errors';
import { sendSignedRequest, type ProviderResponse } from '../http/signed-request';
import { assertSameTransaction, isPpobRefid } from './refid';
import {
  formatIssues,
  PpobRefusalBody,
  PpobTransactionBody,
  readBillAmount,
  readCustomerName,
  type BillAmountReading,
  type PpobPaymentRequest,
  type PpobTopupRequest,
} from './schemas';
import { PPOB_DEFAULT_TIME_ZONE, ppobDatetime, ppobHeaders } from './signature';
import { ppobState } from './states';
import { ppobRejection, type PpobOperation } from './status';
import type { ProviderState } from '../../workflows/saga-definitions';

export {
  parsePpobCallback,
  PpobCallbackError,
  PPOB_BILL_AMOUNT_FIELDS,
  type BillAmountReading,
  type PpobCallback,
} from './schemas';
export { ppobState, type PpobStatus } from './states';
export { RefidMismatchError } from './refid';

export const PPOB_TOPUP_PATH = '/trx/topup';
export const PPOB_PAYMENT_PATH = '/trx/payment';

export interface PpobTransaction {
  /** Our refid, as the provider echoed it (checked equal to the one sent). */
  refid: number;
  /** The provider's trx_id as decimal text; for an inquiry, the id /trx/payment takes. */
  trxId: string;
  /** Product code as answered ('' when the answer carries none). */
  code: string;
  /** Destination (phone, meter, customer number) as answered ('' when the answer carries none). */
  destination: string;
  /** The provider's word: Waiting, Pending, Success, Failed, or another word kept as written. */
  status: string;
  /** What the word means for the money (states.ts); 'unknown' for a word the document does not list. */
  state: ProviderState;
  /** Voucher serial / token; undefined while the provider answers ''. */
  sn?: string;
  message: string;
  customerName?: string;
  /** The provider had this refid already ("trx sebelumnya ditemukan"): the answer is its current state. */
  repeated: boolean;
}

/** An inquiry's answer: the transaction, and its bill as far as it can be read. */
export interface PpobInquiry extends PpobTransaction {
  /**
   * The bill amount (integer rupiah) and the field it was read from, or why none could be read
   * (schemas.ts, readBillAmount).
   */
  bill: BillAmountReading;
  /** The answer as received (secrets redacted, at most 1000 characters): for a person when it cannot be read. */
  answer: string;
}

export interface PpobConfig {
  /** e.g. https://payment-api.ppob-server.com, or the sandbox's http://127.0.0.1:PORT/ppob */
  baseUrl: string;
  username: string;
  token: string;
  /** Per attempt. */
  timeoutMs: number;
  /** IANA zone of Gw-datetime; default Asia/Jakarta (the document names no zone). */
  timeZone?: string;
  /** Clock (ms since epoch), read on every attempt. */
  now?: () => number;
}

export interface PpobTopupInput {
  code: string;
  dest: string;
  refid: number;
}

export interface PpobPaymentInput {
  /** The inquiry's trx_id. */
  inqId: string;
  refid: number;
  /** The inquiry's code and destination, when known: the answer is checked against them too. */
  code?: string;
  dest?: string;
}

export interface PpobClient {
  /** A prepaid purchase (token, pulsa, ...). */
  topup(input: PpobTopupInput): Promise<PpobTransaction>;
  /** A postpaid inquiry (same endpoint): Success with the bill and customerName, or Failed. */
  inquiry(input: PpobTopupInput): Promise<PpobInquiry>;
  /** Pay the bill of an inquiry. */
  payment(input: PpobPaymentInput): Promise<PpobTransaction>;
}

const REPEATED = /sebelumnya\s+ditemukan/i;

export function createPpobClient(config: PpobConfig): PpobClient {
  const now = config.now ?? Date.now;
  const timeZone = config.timeZone ?? PPOB_DEFAULT_TIME_ZONE;
  if (!config.username || !config.token) throw new Error('PPOB client: username and token are required');
  if (!(config.timeoutMs > 0)) throw new Error('PPOB client: timeoutMs must be positive');
  new URL(config.baseUrl); // throws on a malformed base URL, at start rather than on the first purchase
  ppobDatetime(0, timeZone); // throws a RangeError on an unknown zone, likewise
  const secrets = [config.token];

  async function call(operation: PpobOperation, path: string, body: object): Promise<PpobTransaction> {
    return readTransaction(operation, await send(operation, path, body), secrets);
  }

  function send(operation: PpobOperation, path: string, body: object): Promise<ProviderResponse> {
    return sendSignedRequest({
      provider: 'ppob',
      operation,
      baseUrl: config.baseUrl,
      method: 'POST',
      path,
      body,
      sign: () => ppobHeaders(config, now(), timeZone),
      timeoutMs: config.timeoutMs,
      secrets,
    });
  }

  return {
    async topup(input) {
      requireRefid(input.refid);
      const body: PpobTopupRequest = { code: input.code, dest: input.dest, refid: input.refid };
      const trx = await call('topup', PPOB_TOPUP_PATH, body);
      assertSameTransaction(input, trx);
      return trx;
    },
    async inquiry(input) {
      requireRefid(input.refid);
      const body: PpobTopupRequest = { code: input.code, dest: input.dest, refid: input.refid };
      const trx = readInquiry(await send('inquiry', PPOB_TOPUP_PATH, body), secrets);
      // Not asked by the contract, but a bill for another customer must never be paid: checked too.
      assertSameTransaction(input, trx);
      return trx;
    },
    async payment(input) {
      requireRefid(input.refid);
      if (!input.inqId || !input.inqId.trim()) throw new TypeError('PPOB payment: inqId is required');
      const inqId = wireId(input.inqId);
      const body: PpobPaymentRequest = { inq_id: inqId, ing_id: inqId, refid: input.refid };
      const trx = await call('payment', PPOB_PAYMENT_PATH, body);
      assertSameTransaction(input, trx);
      return trx;
    },
  };
}

function requireRefid(refid: number): void {
  if (!isPpobRefid(refid))
    throw new TypeError(`PPOB refid must be a positive integer of at most 15 digits, got ${String(refid)}`);
}

/**
 * The inquiry id as the provider gave it: its trx_id is a JSON number in the document, so a
 * digit string that is a safe integer goes back as a number; anything else as the string.
 */
function wireId(id: string): number | string {
  const trimmed = id.trim();
  return /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Sort an HTTP answer: a transaction on 2xx, else a classified rejection or a protocol error. */
export function readTransaction(
  operation: PpobOperation,
  res: ProviderResponse,
  secrets: ReadonlyArray<string | undefined> = [],
): PpobTransaction {
  if (res.status < 200 || res.status >= 300) {
    const refusal = PpobRefusalBody.safeParse(res.json);
    const message = refusal.success ? refusal.data.message : snippet(res.text);
    throw ppobRejection(operation, res.status, redactText(message, secrets));
  }
  const parsed = PpobTransactionBody.safeParse(res.json);
  if (!parsed.success) {
    throw new ProviderProtocolError(
      'ppob',
      operation,
      res.status,
      redactText(`${formatIssues(parsed.error)} in ${snippet(res.text)}`, secrets),
    );
  }
  const b = parsed.data;
  const customerName = readCustomerName(b);
  return {
    refid: b.ref_id,
    trxId: b.trx_id,
    code: b.code ?? '',
    destination: b.destination ?? '',
    status: b.status,
    state: ppobState(b.status),
    ...(b.sn ? { sn: b.sn } : {}),
    message: b.message,
    ...(customerName ? { customerName } : {}),
    repeated: REPEATED.test(b.message),
  };
}

/** An inquiry's answer: the transaction (as readTransaction), its bill amount and the answer as received. */
export function readInquiry(
  res: ProviderResponse,
  secrets: ReadonlyArray<string | undefined> = [],
): PpobInquiry {
  const trx = readTransaction('inquiry', res, secrets);
  // readTransaction accepted the body, so it is a JSON object.
  return {
    ...trx,
    bill: readBillAmount(res.json as Record<string, unknown>),
    answer: redactText(snippet(res.text, 1000), secrets),
  };
}

function snippet(text: string, max = 200): string {
  const t = text.trim();
  return t === '' ? '(empty body)' : t.length > max ? `${t.slice(0, max)}…` : t;
}

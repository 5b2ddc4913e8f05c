/**
 * PPOB activities: submit (also used as the status check: re-sending the same refid returns the
 * transaction's current state and never buys twice) and inquiry. A timeout, reset or 5xx is
 * retried by Temporal with the same refid, which is exactly the provider's own idempotency rule.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { redactText } from '../common/redact';
import { ProviderProtocolError, ProviderRejection, ProviderTransportError } from '../providers/http/errors';
import type { PpobClient, PpobTransaction } from '../providers/ppob/client';
import type { ProviderState } from '../workflows/saga-definitions';

export interface PpobSubmitInput {
  kind: 'prepaid' | 'postpaid';
  code: string;
  dest: string;
  refid: number;
  /** Postpaid: the inquiry's trx_id. */
  inqId?: string;
}

/** The provider's answer for our refid, as the saga needs it. */
export interface PpobAnswer {
  /** The provider's word, for people (the view, the timeline): the saga decides on `state`. */
  status: string;
  /**
   * What the word means for the money (providers/ppob/states.ts). Results recorded before the
   * saga kernel have none: the saga reads those with ppobState(status).
   */
  state?: ProviderState;
  trxId: string;
  sn?: string;
  message: string;
  repeated: boolean;
}

export type PpobInquiryOutcome =
  | { outcome: 'bill'; inqId: string; amount: number; customerName?: string }
  | { outcome: 'failed'; message: string }
  /** The inquiry answered with a status word the engine does not know: a person looks. */
  | { outcome: 'unclear'; status: string; message: string }
  /**
   * The inquiry found the bill (Success) but its answer carries no amount the engine can read
   * (providers/ppob/schemas.ts, readBillAmount): asking again would get the same answer, and
   * nothing was paid, so the purchase ends. `answer` is the answer as received, for a person.
   */
  | { outcome: 'no-bill-amount'; status: string; message: string; problem: string; answer: string };

export function createPpobActivities(client: PpobClient) {
  return {
    async ppobSubmit(input: PpobSubmitInput): Promise<PpobAnswer> {
      try {
        const trx: PpobTransaction =
          input.kind === 'postpaid'
            ? await client.payment({ inqId: requireInqId(input), refid: input.refid })
            : await client.topup({ code: input.code, dest: input.dest, refid: input.refid });
        return {
          status: trx.status,
          state: trx.state,
          trxId: trx.trxId,
          sn: trx.sn,
          message: trx.message,
          repeated: trx.repeated,
        };
      } catch (err) {
        throw classify(err);
      }
    },

    async ppobInquiry(input: { code: string; dest: string; refid: number }): Promise<PpobInquiryOutcome> {
      try {
        const trx = await client.inquiry(input);
        if (trx.state === 'failed') return { outcome: 'failed', message: trx.message };
        if (trx.state === 'unknown') return { outcome: 'unclear', status: trx.status, message: trx.message };
        if (trx.state === 'pending')
          // The bill is not known yet: the same refid asks again (retried), it never pays.
          throw ApplicationFailure.retryable(
            `inquiry still ${trx.status} (${trx.message}): asking again with the same refid`,
            'PpobInquiryPending',
          );
        if (!trx.bill.ok)
          return {
            outcome: 'no-bill-amount',
            status: trx.status,
            message: trx.message,
            problem: trx.bill.problem,
            answer: trx.answer,
          };
        return { outcome: 'bill', inqId: trx.trxId, amount: trx.bill.amount, customerName: trx.customerName };
      } catch (err) {
        throw classify(err);
      }
    },
  };
}

export type PpobActivities = ReturnType<typeof createPpobActivities>;

/** For a worker without PPOB credentials: fail at once and clearly. */
export function unconfiguredPpobActivities(): PpobActivities {
  const fail = async (): Promise<never> => {
    throw ApplicationFailure.nonRetryable(
      'PPOB is not configured on this worker: set PPOB_BASE_URL, PPOB_USERNAME and PPOB_TOKEN',
      'ProviderNotConfigured',
    );
  };
  return { ppobSubmit: fail, ppobInquiry: fail };
}

function requireInqId(input: PpobSubmitInput): string {
  if (!input.inqId)
    throw ApplicationFailure.nonRetryable('postpaid payment without an inquiry id', 'InvalidInput');
  return input.inqId;
}

/**
 * A refusal before acting (bad signature, bad request) will not change by retrying: final. A
 * transport failure, a 5xx or an unreadable answer is retried with the same refid. A refid whose
 * answer names another product or destination is never taken as ours.
 */
function classify(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err; // already decided above
  if (err instanceof ProviderRejection && err.outcomeClass !== 'retryable') {
    return ApplicationFailure.nonRetryable(redactText(err.message), `PpobRejected:${err.code}`);
  }
  if (
    err instanceof ProviderRejection ||
    err instanceof ProviderTransportError ||
    err instanceof ProviderProtocolError
  ) {
    return ApplicationFailure.retryable(redactText(err.message), err.name);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.nonRetryable(redactText(e.message), e.name);
}

/**
 * The outcome classes every provider error maps to, and the transport error the signed-request
 * layer throws. One vocabulary for every provider, so sagas decide on classes, not on codes.
 */

/**
 * - retryable: nothing happened at the provider, or repeating the same request is safe: retry.
 * - final: the provider refused; nothing happened; do not retry.
 * - already-done: the provider says the thing we asked for was already done (counts as success).
 * - needs-review: the provider refused in a way that leaves money in a state only a person can settle.
 */
export type OutcomeClass = 'retryable' | 'final' | 'already-done' | 'needs-review';

export interface DocumentedError {
  code: string;
  httpStatus: number;
  message: string;
  class: OutcomeClass;
  /** What the code means for the payment, in the operator's words. */
  meaning: string;
}

/** A provider's answer that was not a success, classified. Carries no secrets: code and message come from the provider's body. */
export class ProviderRejection extends Error {
  override readonly name = 'ProviderRejection';
  constructor(
    readonly provider: string,
    readonly operation: string,
    readonly httpStatus: number,
    readonly code: string,
    readonly providerMessage: string,
    readonly outcomeClass: OutcomeClass,
    readonly documented: boolean,
  ) {
    super(
      `${provider} ${operation} refused: HTTP ${httpStatus} ${code} "${providerMessage}" (${outcomeClass}${documented ? '' : ', undocumented'})`,
    );
  }
}

/**
 * The request may or may not have reached the provider.
 * `delivered` is 'no' only when the connection was never made (refused, DNS failure): then a retry
 * is safe for any call. For 'maybe' the provider may have acted on the request: only an
 * idempotent call may be retried blindly; anything else must be confirmed or reviewed.
 */
export class ProviderTransportError extends Error {
  override readonly name = 'ProviderTransportError';
  constructor(
    readonly provider: string,
    readonly operation: string,
    readonly kind: 'timeout' | 'connection-refused' | 'dns' | 'reset' | 'network',
    readonly delivered: 'no' | 'maybe',
    detail: string,
  ) {
    super(`${provider} ${operation} transport failure: ${kind} (${detail}); delivered=${delivered}`);
  }
}

/** The provider answered something we could not parse as its documented shape: treated as ambiguous, because a 200 with an unknown body may still mean the provider acted. */
export class ProviderProtocolError extends Error {
  override readonly name = 'ProviderProtocolError';
  constructor(
    readonly provider: string,
    readonly operation: string,
    readonly httpStatus: number,
    detail: string,
  ) {
    super(`${provider} ${operation} answered an unexpected body (HTTP ${httpStatus}): ${detail}`);
  }
}

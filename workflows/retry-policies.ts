/**
 * Retry policies shared by the sagas' activities. Workflow code: plain data only.
 */
import type { RetryPolicy } from '@temporalio/common';

/**
 * For calls that are safe to repeat as they are (status reads, idempotent calls keyed by the
 * same provider id): retried patiently, about ten minutes, before the saga asks a person.
 */
export const SAFE_TO_REPEAT_RETRY: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
};

/**
 * The Prakerja saga's OTP budget activities: they reach the budget workflows (see
 * workflows/otp-budget-definitions.ts) through a Temporal client on the worker's connection.
 *
 * The payment token reaches these activities inside an encrypted payload and leaves them only as
 * an HMAC digest in a workflow id; the key stays in the worker.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { Context } from '@temporalio/activity';
import {
  WithStartWorkflowOperation,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import {
  OTP_BUDGET_WORKFLOW_TYPE,
  otpBudgetWorkflowId,
  releaseOtpSignal,
  reserveOtpUpdate,
  type OtpBudgetKind,
  type OtpBudgetOutcome,
  type OtpBudgetState,
} from '../workflows/otp-budget-definitions';
import type { CodecKeys } from '../workers/codec';

export interface OtpBudgetSettings {
  /** Units (OTPs sent and not given back) one payment token may hold within the window. */
  perToken: number;
  /** The same, per invoice code: caps a payment's own attempts whatever maxOtpAttempts says. */
  perInvoice: number;
  windowSeconds: number;
  /** HMAC key naming a token's budget (PAYSAGA_OTP_BUDGET_KEY, else derived from the codec key). */
  key: Buffer;
}

export interface OtpBudgetInput {
  paymentToken: string;
  invoiceCode: string;
  /** Unique per OTP submission; a retried activity reserves the same unit again, counted once. */
  reservationId: string;
  /**
   * Units of the invoice's budget this payment holds (reserved and not given back), counted by
   * the saga itself. An invoice has one payment (its id is prakerja-<invoice>, never reused:
   * REJECT_DUPLICATE), and the Update validator lets one OTP through at a time, so the payment's
   * own count is the invoice's count: no budget workflow is needed for it. Absent in inputs
   * scheduled before the count existed; those still use the invoice's budget workflow.
   */
  invoiceUnitsHeld?: number;
}

/**
 * PAYSAGA_OTP_BUDGET_KEY when set. Without it, a key derived from the current codec key, so every
 * worker of one deployment names a token's budget alike; rotating the codec key then starts token
 * budgets afresh (invoice budgets are named by the invoice and stay).
 */
export function otpBudgetKey(codecKeys: CodecKeys, explicitBase64?: string): Buffer {
  if (explicitBase64) return Buffer.from(explicitBase64, 'base64');
  const codecKey = codecKeys.keys.get(codecKeys.currentKeyId)!;
  return Buffer.from(hkdfSync('sha256', codecKey, Buffer.alloc(0), 'paysaga otp-budget v1', 32));
}

export function tokenDigest(key: Buffer, paymentToken: string): string {
  return createHmac('sha256', key).update(paymentToken).digest('hex').slice(0, 32);
}

export function createOtpBudgetActivities(client: Client, taskQueue: string, settings: OtpBudgetSettings) {
  /** The budget workflows an input reserves from: the invoice's only when the saga does not count. */
  const budgets = (input: OtpBudgetInput): { kind: OtpBudgetKind; id: string; limit: number }[] => [
    {
      kind: 'token',
      id: otpBudgetWorkflowId('token', tokenDigest(settings.key, input.paymentToken)),
      limit: settings.perToken,
    },
    ...(input.invoiceUnitsHeld === undefined
      ? [
          {
            kind: 'invoice' as const,
            id: otpBudgetWorkflowId('invoice', input.invoiceCode),
            limit: settings.perInvoice,
          },
        ]
      : []),
  ];

  async function release(budgetId: string, reservationId: string): Promise<void> {
    try {
      await client.workflow.getHandle(budgetId).signal(releaseOtpSignal, { reservationId });
    } catch (err) {
      // A budget that has ended holds no unit: nothing to give back.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  return {
    /**
     * Takes one unit of the token's budget and one of the invoice's, or neither. With the saga's
     * count, the invoice's is checked first and counted by the saga; without it, a unit taken
     * from the token before the invoice's budget workflow refused is given back.
     */
    async otpBudgetReserve(input: OtpBudgetInput): Promise<OtpBudgetOutcome> {
      // The invoice's own count is checked first: a refusal there takes nothing from the token.
      if (input.invoiceUnitsHeld !== undefined && input.invoiceUnitsHeld >= settings.perInvoice) {
        return {
          outcome: 'exhausted',
          kind: 'invoice',
          limit: settings.perInvoice,
          windowSeconds: settings.windowSeconds,
          // A bound: every unit of this payment is free by then. The invoice takes no second
          // payment meanwhile, so a closer time would tell the caller nothing more.
          retryAfter: new Date(Date.now() + settings.windowSeconds * 1000).toISOString(),
          // The payment itself holds the invoice's count.
          budgetId: Context.current().info.workflowExecution?.workflowId ?? `invoice ${input.invoiceCode}`,
        };
      }
      const taken: string[] = [];
      for (const budget of budgets(input)) {
        const answer = await client.workflow.executeUpdateWithStart(reserveOtpUpdate, {
          args: [
            {
              reservationId: input.reservationId,
              limit: budget.limit,
              windowSeconds: settings.windowSeconds,
            },
          ],
          startWorkflowOperation: new WithStartWorkflowOperation(OTP_BUDGET_WORKFLOW_TYPE, {
            workflowId: budget.id,
            taskQueue,
            args: [{ reservations: [] } satisfies OtpBudgetState],
            // A running budget is joined; an ended one is started afresh (its units had expired).
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          }),
        });
        if (answer.outcome === 'exhausted') {
          for (const id of taken) await release(id, input.reservationId);
          return {
            outcome: 'exhausted',
            kind: budget.kind,
            limit: answer.limit,
            windowSeconds: settings.windowSeconds,
            retryAfter: answer.retryAfter,
            budgetId: budget.id,
          };
        }
        taken.push(budget.id);
      }
      return { outcome: 'reserved' };
    },

    /**
     * Gives the unit back to the token's budget (and to the invoice's budget workflow for an
     * input without the saga's count): the OTP was right, or never reached Prakerja. A unit an
     * older reserve took from an invoice's workflow, in a payment that now counts, stays there
     * until its window ends: the safe side, and that workflow is no longer asked for new ones.
     */
    async otpBudgetRelease(input: OtpBudgetInput): Promise<void> {
      for (const budget of budgets(input)) await release(budget.id, input.reservationId);
    },
  };
}

export type OtpBudgetActivities = ReturnType<typeof createOtpBudgetActivities>;

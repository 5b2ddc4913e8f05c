/**
 * The typed client backend services import: start a payment, submit the OTP, cancel, read its
 * status, resolve a review, list payments. It wraps a Temporal client configured with the
 * engine's encrypting data converter, so callers never handle history or codecs themselves.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WithStartWorkflowOperation,
  isGrpcDeadlineError,
  isGrpcServiceError,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { CodecKeys } from '../workers/codec';
import { paysagaDataConverter } from '../workers/data-converter';
import { redactText } from '../common/redact';
import { temporalConnectionOptions, type TemporalEnv } from '../workers/temporal-connection';
import {
  cancelSignal,
  PRAKERJA_WORKFLOW_TYPE,
  prakerjaWorkflowId,
  submitOtpUpdate,
  type SubmitOtpResult,
} from '../workflows/prakerja-definitions';
import {
  SA_AMOUNT,
  SA_NEEDS_REVIEW,
  SA_ORDER_ID,
  SA_PROVIDER,
  SA_PROVIDER_REF,
  SA_STATUS,
} from '../workflows/search-attributes';
import {
  confirmRefundUpdate,
  KLINK_REFUND_WORKFLOW_TYPE,
  klinkRefundWorkflowId,
  rejectRefundUpdate,
  type KLinkRefundView,
} from '../workflows/klink-refund-definitions';
import { deriveRefid, inquiryRefidOf } from '../providers/ppob/refid';
import {
  confirmBillUpdate,
  PPOB_WORKFLOW_TYPE,
  ppobWorkflowId,
  type PpobPurchaseView,
} from '../workflows/ppob-definitions';
import {
  TRANSFER_WORKFLOW_TYPE,
  transferWorkflowId,
  type TransferView,
} from '../workflows/transfer-definitions';
import { PAYOUT_WORKFLOW_TYPE, payoutWorkflowId } from '../workflows/payout-definitions';
import {
  KWALLET_TRANSFER_WORKFLOW_TYPE,
  kwalletTransferWorkflowId,
  type KWalletTransferView,
} from '../workflows/kwallet-transfer-definitions';
import {
  KWALLET_OPERATION_WORKFLOW_TYPE,
  kwalletReadWorkflowId,
  kwalletVoucherWorkflowId,
  type KWalletOperationInput,
  type KWalletRead,
  type VoucherResult,
} from '../workflows/kwallet-operation-definitions';
import type { KLinkActivities } from '../activities/klink';
import {
  firstAnswerUpdate,
  resolveReviewUpdate,
  statusQuery,
  type PaymentView,
} from '../workflows/saga-definitions';
import {
  KWalletHistoryInput,
  KWalletMemberInput,
  ListFilterInput,
  KWalletRegisterVaInput,
  KWalletVoucherInput,
  ProviderRefusedError,
  ProviderUnavailableError,
  StartKWalletTransferInput,
  CancelInput,
  StartPayoutInput,
  StartTransferInput,
  ConfirmBillInput,
  StartPpobPurchaseInput,
  ConfirmRefundInput,
  RejectRefundInput,
  StartKLinkRefundInput,
  OtpInput,
  parseInput,
  PaysagaConflictError,
  ResolveReviewInput,
  StartPrakerjaPaymentInput,
} from './inputs';

export interface PaymentSummary {
  workflowId: string;
  provider?: string;
  status?: string;
  orderId?: string;
  amount?: number;
  needsReview?: boolean;
  executionStatus: string;
  startTime: string;
}

interface StartAttributes {
  provider: string;
  status: string;
  orderId: string;
  amount: number;
  providerRef?: string;
}

export interface TransferStartAnswer {
  workflowId: string;
  status: TransferView['status'];
  /** Present once the provider created the payment. */
  instructions?: TransferView['instructions'];
  /** Present when the payment parked before it had instructions. */
  review?: TransferView['review'];
}

export interface PpobStartAnswer {
  workflowId: string;
  refid: number;
  status: PpobPurchaseView['status'];
  /** Postpaid: the bill the caller confirms with confirmBill. */
  bill?: PpobPurchaseView['bill'];
  review?: PpobPurchaseView['review'];
}

type ReadValue<K extends 'klinkRegisterVa' | 'klinkBalance' | 'klinkHistory'> = Extract<
  Awaited<ReturnType<KLinkActivities[K]>>,
  { outcome: 'ok' }
>['value'];

export interface KWalletTransferStartAnswer {
  workflowId: string;
  status: KWalletTransferView['status'];
  settledBy?: KWalletTransferView['settledBy'];
  review?: KWalletTransferView['review'];
}

export interface ListFilter {
  provider?: string;
  status?: string;
  needsReview?: boolean;
  orderId?: string;
  limit?: number;
}

/** The sagas that handle cancelSignal (prakerja-payment.ts); the others are resolved by review. */
const CANCELLABLE_WORKFLOW_TYPES: ReadonlySet<string> = new Set([PRAKERJA_WORKFLOW_TYPE]);

export class PaysagaClient {
  constructor(
    readonly temporal: Client,
    readonly taskQueue: string,
  ) {}

  static async connect(env: TemporalEnv, codecKeys: CodecKeys): Promise<PaysagaClient> {
    const connection = await Connection.connect(temporalConnectionOptions(env));
    const client = new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      dataConverter: paysagaDataConverter(codecKeys),
    });
    return new PaysagaClient(client, env.TEMPORAL_TASK_QUEUE);
  }

  /**
   * Runs Temporal calls with a deadline: every call inside `fn` carries it, and the answer comes
   * back by then or a TemporalDeadlineError does. The timer is ours too, not only gRPC's: the
   * connection retries an unreachable server with back-off sleeps that outlast the gRPC deadline.
   * `signal` gives up sooner: the call rejects with its reason. A call given up on is
   * cancelled; what it asked for may still have been recorded.
   */
  async withinDeadline<T>(fn: () => Promise<T>, ms = 5000, signal?: AbortSignal): Promise<T> {
    const connection = this.temporal.connection as Connection;
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let stopOn: (() => void) | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TemporalDeadlineError(ms)), Math.max(0, ms));
      stopOn = () => reject(signal?.reason);
      if (signal?.aborted) stopOn();
      else signal?.addEventListener('abort', stopOn, { once: true });
    });
    // Nobody may be waiting when either settles last (or when the call throws before racing).
    late.catch(() => undefined);
    try {
      const call = connection.withDeadline(Date.now() + ms, () =>
        connection.withAbortSignal(stop.signal, fn),
      );
      call.catch(() => undefined);
      return await Promise.race([call, late]);
    } catch (err) {
      throw isDeadlineExceeded(err) ? new TemporalDeadlineError(ms, err) : err;
    } finally {
      clearTimeout(timer);
      if (stopOn) signal?.removeEventListener('abort', stopOn);
      stop.abort();
    }
  }

  /** Whether the Temporal frontend answers a trivial call within `ms` (workers play no part). */
  async temporalAnswers(ms: number): Promise<boolean> {
    return this.withinDeadline(() => this.temporal.workflowService.getSystemInfo({}), ms).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /**
   * Starts the saga for an invoice, or finds the one already running for it: retrying a start
   * never creates a second payment. A closed payment for the same invoice is never restarted.
   */
  async startPrakerjaPayment(raw: unknown): Promise<{ workflowId: string }> {
    const input = parseInput(StartPrakerjaPaymentInput, raw);
    const workflowId = prakerjaWorkflowId(input.invoiceCode);
    await this.startOnce(PRAKERJA_WORKFLOW_TYPE, workflowId, input, {
      provider: 'prakerja',
      status: 'AWAITING_OTP',
      orderId: input.orderId,
      amount: input.amount,
    });
    return { workflowId };
  }

  /**
   * Starts the escrow refund for an order, or finds the one already running or finished for it:
   * one refund per order, however often a caller asks.
   */
  async startKLinkRefund(raw: unknown): Promise<{ workflowId: string }> {
    const input = parseInput(StartKLinkRefundInput, raw);
    const workflowId = klinkRefundWorkflowId(input.idOrder);
    await this.startOnce(KLINK_REFUND_WORKFLOW_TYPE, workflowId, input, {
      provider: 'klink',
      status: 'REQUESTING',
      orderId: input.idOrder,
      amount: input.expectedAmount,
    });
    return { workflowId };
  }

  /**
   * Starts a PPOB purchase for an order, or finds the one already started for it. The refids are
   * derived here, once, from the order's workflow id, and travel in the workflow input: every
   * re-send of the purchase carries the same one.
   */
  async startPpobPurchase(raw: unknown): Promise<PpobStartAnswer> {
    const input = parseInput(StartPpobPurchaseInput, raw);
    const workflowId = ppobWorkflowId(input.orderId);
    const refid = deriveRefid(workflowId);
    // Derived from the refid by a step the gateway undoes, so the inquiry's reports lead back here.
    const inquiryRefid = input.kind === 'postpaid' ? inquiryRefidOf(refid) : undefined;
    const view = await this.startWithFirstAnswer<PpobPurchaseView>(
      PPOB_WORKFLOW_TYPE,
      workflowId,
      { ...input, refid, inquiryRefid },
      {
        provider: 'ppob',
        status: input.kind === 'postpaid' ? 'INQUIRING' : input.funding ? 'FUNDING' : 'SUBMITTING',
        orderId: input.orderId,
        amount: input.funding?.amount ?? 0,
        providerRef: String(refid),
      },
    );
    return { workflowId, refid, status: view.status, bill: view.bill, review: view.review };
  }

  /**
   * One execution per business key: a start while it runs finds the running one
   * (USE_EXISTING); a start after it closed is refused (REJECT_DUPLICATE) and is not an error.
   * The search attributes are set at start too, so the payment is findable in the Web UI before
   * its first task runs.
   */
  private startOptions(workflowId: string, input: unknown, sa: StartAttributes) {
    return {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: SA_PROVIDER, value: sa.provider },
        { key: SA_STATUS, value: sa.status },
        { key: SA_ORDER_ID, value: sa.orderId },
        { key: SA_AMOUNT, value: sa.amount },
        { key: SA_NEEDS_REVIEW, value: false },
        ...(sa.providerRef ? [{ key: SA_PROVIDER_REF, value: sa.providerRef }] : []),
      ]),
    };
  }

  private async startOnce(
    workflowType: string,
    workflowId: string,
    input: unknown,
    sa: StartAttributes,
  ): Promise<void> {
    try {
      await this.temporal.workflow.start(workflowType, this.startOptions(workflowId, input, sa));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /**
   * Starts (or finds) the payment and waits for its first answer in the same call: Temporal's
   * update-with-start, so the caller never polls. A payment that already ended answers with its
   * final view.
   */
  private async startWithFirstAnswer<V extends PaymentView>(
    workflowType: string,
    workflowId: string,
    input: unknown,
    sa: StartAttributes,
  ): Promise<V> {
    const startWorkflowOperation = new WithStartWorkflowOperation(
      workflowType,
      this.startOptions(workflowId, input, sa),
    );
    try {
      return (await this.temporal.workflow.executeUpdateWithStart(firstAnswerUpdate, {
        startWorkflowOperation,
      })) as V;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError || isClosedWorkflowError(err))
        return this.status<V>(workflowId);
      throw err;
    }
  }

  /**
   * Starts a pay-by-transfer payment for an order, or finds the one already started for it, and
   * answers with what the payer must do (the instructions) in the same call.
   */
  async startTransfer(raw: unknown): Promise<TransferStartAnswer> {
    const input = parseInput(StartTransferInput, raw);
    const workflowId = transferWorkflowId(input.orderId);
    const view = await this.startWithFirstAnswer<TransferView>(TRANSFER_WORKFLOW_TYPE, workflowId, input, {
      provider: input.method === 'alikassa' ? 'alikassa' : 'klink',
      status: 'CREATING',
      orderId: input.orderId,
      amount: input.amount + (input.payShip ?? 0),
    });
    return { workflowId, status: view.status, instructions: view.instructions, review: view.review };
  }

  /** Starts an AliKassa payout for an order, or finds the one already started: one payout per order id. */
  async startPayout(raw: unknown): Promise<{ workflowId: string }> {
    const input = parseInput(StartPayoutInput, raw);
    const workflowId = payoutWorkflowId(input.orderId);
    await this.startOnce(PAYOUT_WORKFLOW_TYPE, workflowId, input, {
      provider: 'alikassa',
      status: 'CREATING',
      orderId: input.orderId,
      amount: input.amount,
    });
    return { workflowId };
  }

  // ---- K-Wallet ------------------------------------------------------------------------------

  /**
   * Registers a member's K-Wallet VAs (or shows the ones it has: K-Link answers the same numbers
   * again). Runs on the worker, which holds the K-Link credentials.
   */
  async klinkRegisterVa(raw: unknown): Promise<{ idMember: string } & ReadValue<'klinkRegisterVa'>> {
    const input = parseInput(KWalletRegisterVaInput, raw);
    const value = await this.kwalletRead<ReadValue<'klinkRegisterVa'>>({ op: 'register-va', ...input });
    return { idMember: input.idMember, ...value };
  }

  async klinkBalance(raw: unknown): Promise<{ idMember: string; balance: number }> {
    const input = parseInput(KWalletMemberInput, raw);
    const value = await this.kwalletRead<ReadValue<'klinkBalance'>>({ op: 'balance', ...input });
    return { idMember: input.idMember, balance: value.balance };
  }

  /** The member's history, each row with its direction ('in' / 'out') and amount. */
  async klinkHistory(raw: unknown): Promise<{ idMember: string } & ReadValue<'klinkHistory'>> {
    const input = parseInput(KWalletHistoryInput, raw);
    const value = await this.kwalletRead<ReadValue<'klinkHistory'>>({ op: 'history', ...input });
    return { idMember: input.idMember, ...value };
  }

  /**
   * Tops up a member's balance with a voucher code. Sent once per code: the workflow id derives
   * from the code, so asking again answers the first outcome (even `unconfirmed`) and never
   * sends the code again. An unclear answer was confirmed by history inside the workflow.
   */
  async klinkVoucher(raw: unknown): Promise<{ workflowId: string } & VoucherResult> {
    const input = parseInput(KWalletVoucherInput, raw);
    // The code is a bearer value: only its digest goes into the id, which Temporal shows in plaintext.
    const digest = createHash('sha256').update(input.voucherCode).digest('hex').slice(0, 24);
    const workflowId = kwalletVoucherWorkflowId(digest);
    const op: KWalletOperationInput = {
      op: 'voucher',
      voucherCode: input.voucherCode,
      idMemberReceipt: input.idMember,
      amount: input.amount,
      description: input.description,
      reference: `paysaga:voucher-${digest.slice(0, 12)}`,
      confirmDelaysSeconds: input.confirmDelaysSeconds,
    };
    let handle;
    try {
      handle = await this.temporal.workflow.start(KWALLET_OPERATION_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [op],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = this.temporal.workflow.getHandle(workflowId);
    }
    const result = (await this.operationResult(handle.result())) as VoucherResult;
    return { workflowId, ...result };
  }

  /**
   * Starts the K-Wallet transfer for a transfer id (or finds the one already started) and answers
   * with its first outcome in the same call: TRANSFERRED, FAILED, or CONFIRMING while history is
   * asked (then read it with status()).
   */
  async startKWalletTransfer(raw: unknown): Promise<KWalletTransferStartAnswer> {
    const input = parseInput(StartKWalletTransferInput, raw);
    const workflowId = kwalletTransferWorkflowId(input.transferId);
    const view = await this.startWithFirstAnswer<KWalletTransferView>(
      KWALLET_TRANSFER_WORKFLOW_TYPE,
      workflowId,
      input,
      { provider: 'klink', status: 'SENDING', orderId: input.transferId, amount: input.amount },
    );
    return { workflowId, status: view.status, settledBy: view.settledBy, review: view.review };
  }

  /** A K-Wallet read on the worker; K-Link's refusal is a ProviderRefusedError. */
  private async kwalletRead<T>(op: Exclude<KWalletOperationInput, { op: 'voucher' }>): Promise<T> {
    const result = (await this.operationResult(
      this.temporal.workflow.execute(KWALLET_OPERATION_WORKFLOW_TYPE, {
        workflowId: kwalletReadWorkflowId(op.op, op.idMember, randomUUID().slice(0, 8)),
        taskQueue: this.taskQueue,
        args: [op],
        workflowExecutionTimeout: '2 minutes',
      }),
    )) as KWalletRead<T>;
    if (result.outcome === 'refused')
      throw new ProviderRefusedError(`K-Link refused: ${result.code} ${result.message}`);
    return result.value;
  }

  /** A K-Wallet operation that failed on the worker (K-Link unreachable after retries) says so plainly. */
  private async operationResult(result: Promise<unknown>): Promise<unknown> {
    try {
      return await result;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        let cause: Error | undefined = err.cause;
        while (cause?.cause instanceof Error) cause = cause.cause;
        // Answered to the caller: redacted like a log line.
        throw new ProviderUnavailableError(
          `K-Link did not answer: ${redactText(cause?.message ?? err.message)}`,
        );
      }
      throw err;
    }
  }

  /** Postpaid: the caller accepts or declines the bill the inquiry showed. */
  async confirmBill(workflowId: string, raw: unknown): Promise<PpobPurchaseView> {
    return this.update(workflowId, confirmBillUpdate, parseInput(ConfirmBillInput, raw));
  }

  /** The payment a provider reference (PPOB refid, ...) belongs to, open or closed. */
  async findByProviderRef(
    provider: string,
    ref: string,
  ): Promise<{ workflowId: string; running: boolean } | undefined> {
    const query = `PaysagaProvider = ${quote(provider)} AND PaysagaProviderRef = ${quote(ref)}`;
    for await (const wf of this.temporal.workflow.list({ query })) {
      return { workflowId: wf.workflowId, running: wf.status.name === 'RUNNING' };
    }
    return undefined;
  }

  /** An operator agrees to refund the transaction K-Link proposed; returns the refund once settled. */
  async confirmRefund(workflowId: string, raw: unknown): Promise<KLinkRefundView> {
    return this.update(workflowId, confirmRefundUpdate, parseInput(ConfirmRefundInput, raw));
  }

  async rejectRefund(workflowId: string, raw: unknown): Promise<KLinkRefundView> {
    return this.update(workflowId, rejectRefundUpdate, parseInput(RejectRefundInput, raw));
  }

  private async update<R, A>(workflowId: string, def: UpdateDefinition<R, [A]>, arg: A): Promise<R> {
    try {
      return await this.temporal.workflow.getHandle(workflowId).executeUpdate(def, { args: [arg] });
    } catch (err) {
      throw await this.refusalAsInputError(workflowId, err);
    }
  }

  /** Submits the OTP and waits for the authorize outcome (a Temporal Update). */
  async submitOtp(workflowId: string, raw: unknown): Promise<SubmitOtpResult> {
    return this.update(workflowId, submitOtpUpdate, parseInput(OtpInput, raw));
  }

  /**
   * Cancels a payment whose saga takes a cancel (CANCELLABLE_WORKFLOW_TYPES). Temporal records a
   * signal for any running workflow, handled or not, so the type is checked first: any other
   * payment is refused (PaysagaConflictError) rather than answered "accepted" and left as it was.
   */
  async cancel(workflowId: string, raw: unknown): Promise<void> {
    const input = parseInput(CancelInput, raw);
    const handle = this.temporal.workflow.getHandle(workflowId);
    const found = await handle.describe();
    if (!CANCELLABLE_WORKFLOW_TYPES.has(found.type))
      throw new PaysagaConflictError(
        `payment ${workflowId} cannot be cancelled: only a Prakerja payment takes a cancel (this is a ` +
          `${found.type}); an operator resolves the others with review`,
      );
    if (found.status.name !== 'RUNNING')
      throw new PaysagaConflictError(
        `payment ${workflowId} has ended (${found.searchAttributes.PaysagaStatus?.[0] ?? found.status.name})`,
      );
    try {
      await handle.signal(cancelSignal, input);
    } catch (err) {
      // It ended between the describe and the signal.
      throw await this.refusalAsInputError(workflowId, err);
    }
  }

  /** The current view of any saga (every saga answers the one status query). */
  async status<V extends PaymentView = PaymentView>(workflowId: string): Promise<V> {
    return (await this.temporal.workflow.getHandle(workflowId).query(statusQuery)) as V;
  }

  /** Resolves a parked payment of any saga; answers with its view once the action is applied. */
  async review<V extends PaymentView = PaymentView>(workflowId: string, raw: unknown): Promise<V> {
    return (await this.update(workflowId, resolveReviewUpdate, parseInput(ResolveReviewInput, raw))) as V;
  }

  /** Waits for the saga to end and returns its final view. */
  async result<V = PaymentView>(workflowId: string): Promise<V> {
    return this.temporal.workflow.getHandle(workflowId).result();
  }

  /**
   * An Update refused by the workflow's validator, or sent to a payment that has ended, is the
   * caller's mistake: say so plainly (Temporal reports an ended workflow as "not found").
   */
  private async refusalAsInputError(workflowId: string, err: unknown): Promise<unknown> {
    if (err instanceof WorkflowUpdateFailedError)
      return new PaysagaConflictError(err.cause?.message ?? err.message);
    if (err instanceof WorkflowNotFoundError) {
      const found = await this.temporal.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      if (found)
        return new PaysagaConflictError(
          `payment ${workflowId} has ended (${found.searchAttributes.PaysagaStatus?.[0] ?? found.status.name})`,
        );
    }
    return err;
  }

  /** Payments by search attributes: what an operator filters on in the Web UI. */
  async list(raw: ListFilter = {}): Promise<PaymentSummary[]> {
    const filter = parseInput(ListFilterInput, raw);
    const clauses = ['PaysagaProvider IS NOT NULL'];
    if (filter.provider) clauses.push(`PaysagaProvider = ${quote(filter.provider)}`);
    if (filter.status) clauses.push(`PaysagaStatus = ${quote(filter.status)}`);
    if (filter.orderId) clauses.push(`PaysagaOrderId = ${quote(filter.orderId)}`);
    if (filter.needsReview !== undefined) clauses.push(`PaysagaNeedsReview = ${filter.needsReview}`);
    const out: PaymentSummary[] = [];
    for await (const wf of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      const sa = wf.typedSearchAttributes;
      out.push({
        workflowId: wf.workflowId,
        provider: sa.get(SA_PROVIDER),
        status: sa.get(SA_STATUS),
        orderId: sa.get(SA_ORDER_ID),
        amount: sa.get(SA_AMOUNT),
        needsReview: sa.get(SA_NEEDS_REVIEW),
        executionStatus: wf.status.name,
        startTime: wf.startTime.toISOString(),
      });
      if (out.length >= (filter.limit ?? 100)) break;
    }
    return out;
  }
}

/** Temporal did not answer within a caller's deadline (see PaysagaClient.withinDeadline). */
export class TemporalDeadlineError extends Error {
  override readonly name = 'TemporalDeadlineError';
  constructor(
    readonly ms: number,
    cause?: unknown,
  ) {
    super(`Temporal did not answer within ${ms} ms`, { cause });
  }
}

function isDeadlineExceeded(err: unknown): boolean {
  return (
    err instanceof TemporalDeadlineError ||
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    isGrpcDeadlineError(err)
  );
}

/** gRPC status codes (grpc.status, not a direct dependency of ours) that mean "not now". */
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

/** The server is down, unreachable or shedding load: not a refusal of what was asked. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && (e.code === GRPC_UNAVAILABLE || e.code === GRPC_RESOURCE_EXHAUSTED))
      return true;
  }
  return false;
}

/** An update-with-start to a payment that has closed (and may not start again). */
function isClosedWorkflowError(err: unknown): boolean {
  return (
    err instanceof WorkflowNotFoundError ||
    (err instanceof Error && /already completed|closed/i.test(err.message))
  );
}

/** Search attribute values are user input: quote them for the visibility query language. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

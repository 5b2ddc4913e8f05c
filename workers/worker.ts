/**
 * Builds the paysaga worker: workflows from the prebuilt bundle (or from source when it is stale),
 * activities from the provider clients, the encrypting data converter, and a workflow cache size
 * the operator sets (PAYSAGA_MAX_CACHED_WORKFLOWS, default DEFAULT_MAX_CACHED_WORKFLOWS) rather
 * than the SDK's default, which is derived from the heap limit. Each cached workflow keeps its
 * state in the worker's memory; one evicted from the cache is rebuilt by replaying its history
 * on its next task. So the size trades memory for replay work.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createOtpBudgetActivities, otpBudgetKey, type OtpBudgetSettings } from '../activities/otp-budget';
import { OTP_BUDGET_DEFAULTS } from '../workflows/otp-budget-definitions';
import { createFulfilmentActivities, type FulfilFn } from '../activities/fulfilment';
import { createKLinkActivities, unconfiguredKLinkActivities } from '../activities/klink';
import { createPpobActivities, unconfiguredPpobActivities } from '../activities/ppob';
import { createTransferActivities } from '../activities/transfer';
import { createAliKassaActivities } from '../activities/alikassa';
import type { AliKassaClient } from '../providers/alikassa/client';
import type { MidtransActions } from '../providers/klink/midtrans-actions';
import { createPrakerjaActivities, unconfiguredPrakerjaActivities } from '../activities/prakerja';
import type { PpobClient } from '../providers/ppob/client';
import type { KLinkClient } from '../providers/klink/client';
import type { PrakerjaClient } from '../providers/prakerja/client';
import type { CodecKeys } from './codec';
import { paysagaDataConverter } from './data-converter';
import { currentBundlePath, WORKFLOWS_ENTRY } from './workflow-bundle';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from './runtime-settings';

export interface PaysagaWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  codecKeys: CodecKeys;
  /** Absent when the worker has no Prakerja credentials: its activities then fail clearly. */
  prakerja?: PrakerjaClient;
  /** Absent when the worker has no K-Link credentials: its activities then fail clearly. */
  klink?: KLinkClient;
  /** Absent when the worker has no PPOB credentials: its activities then fail clearly. */
  ppob?: PpobClient;
  /** Midtrans' GoPay actions (status, cancel); absent without MIDTRANS_SERVER_KEY. */
  midtrans?: MidtransActions;
  /** Absent when the worker has no AliKassa credentials. */
  alikassa?: { client: AliKassaClient; notificationBaseUrl?: string };
  /** The embedding service's fulfilment; see activities/fulfilment.ts for the defaults. */
  fulfil: FulfilFn;
  maxCachedWorkflows?: number;
  /** The Prakerja OTP guessing budget; default: OTP_BUDGET_DEFAULTS, key derived from the codec key. */
  otpBudget?: OtpBudgetSettings;
  /** For tests: extra Worker options (e.g. a shorter shutdown grace time). */
  overrides?: Partial<WorkerOptions>;
}

export async function createPaysagaWorker(deps: PaysagaWorkerDeps): Promise<Worker> {
  const bundlePath = currentBundlePath();
  // One converter for the worker and the budget activities' client: both seal with the same keys.
  const dataConverter = paysagaDataConverter(deps.codecKeys);
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_ENTRY }),
    activities: {
      ...(deps.prakerja ? createPrakerjaActivities(deps.prakerja) : unconfiguredPrakerjaActivities()),
      ...createFulfilmentActivities(deps.fulfil),
      ...(deps.klink ? createKLinkActivities(deps.klink) : unconfiguredKLinkActivities()),
      ...(deps.ppob ? createPpobActivities(deps.ppob) : unconfiguredPpobActivities()),
      ...createTransferActivities(
        deps.klink,
        deps.alikassa && {
          client: deps.alikassa.client,
          notificationUrl: notificationUrl(deps.alikassa.notificationBaseUrl, 'payment'),
        },
        deps.midtrans,
      ),
      ...createAliKassaActivities(deps.alikassa?.client, {
        payoutNotificationUrl: notificationUrl(deps.alikassa?.notificationBaseUrl, 'payout'),
      }),
      // The budget workflows run on this worker's own task queue, reached over its connection.
      ...createOtpBudgetActivities(
        new Client({
          connection: deps.connection,
          namespace: deps.namespace,
          dataConverter,
        }),
        deps.taskQueue,
        deps.otpBudget ?? defaultOtpBudget(deps.codecKeys),
      ),
    },
    dataConverter,
    maxCachedWorkflows: deps.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    ...deps.overrides,
  });
}

/** Where AliKassa must send its notifications: the gateway's public address. */
function notificationUrl(base: string | undefined, kind: 'payment' | 'payout'): string | undefined {
  return base ? `${base.replace(/\/+$/, '')}/webhooks/alikassa/${kind}` : undefined;
}

function defaultOtpBudget(codecKeys: CodecKeys): OtpBudgetSettings {
  return {
    perToken: OTP_BUDGET_DEFAULTS.perToken,
    perInvoice: OTP_BUDGET_DEFAULTS.perInvoice,
    windowSeconds: OTP_BUDGET_DEFAULTS.windowHours * 3600,
    key: otpBudgetKey(codecKeys),
  };
}

/**
 * Worker process entry. Reads the environment, connects to Temporal and runs until SIGINT/SIGTERM
 * (the SDK drains in-flight activities on shutdown).
 */
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import {
  codecEnv,
  ConfigError,
  exitOnConfigError,
  otpBudgetEnv,
  parseEnv,
  temporalEnv,
} from '../common/config';
import {
  configuredProviders,
  PROVIDER_KEYS,
  PROVIDER_SETTINGS,
  workerProviderEnv,
  type ProviderKey,
} from '../common/provider-settings';
import { createKLinkClient } from '../providers/klink/client';
import { createMidtransActions } from '../providers/klink/midtrans-actions';
import { createPpobClient } from '../providers/ppob/client';
import { createAliKassaClient } from '../providers/alikassa/client';
import { AliKassaKeyError, loadAliKassaKey } from '../providers/alikassa/signature';
import { aliKassaSharedEnv } from '../providers/alikassa/settings';
import { createLogger } from '../common/logger';
import { fileFulfilment, httpFulfilment } from '../activities/fulfilment';
import { otpBudgetKey } from '../activities/otp-budget';
import { createPrakerjaClient } from '../providers/prakerja/client';
import { loadCodecKeys } from './codec-keys';
import { temporalConnectionOptions } from './temporal-connection';
import { createPaysagaWorker } from './worker';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from './runtime-settings';

const workerEnv = {
  ...temporalEnv,
  ...codecEnv,
  ...workerProviderEnv,
  ...otpBudgetEnv,
  PRAKERJA_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  FULFILMENT_URL: z.url().optional(),
  KLINK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  PPOB_TIMEZONE: z.string().refine(isTimeZone, 'not an IANA time zone name').default('Asia/Jakarta'),
  PPOB_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  ALIKASSA_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  ...aliKassaSharedEnv,
  /** The gateway's public URL, for AliKassa's notification_endpoint_url. */
  PAYSAGA_PUBLIC_GATEWAY_URL: z.url().optional(),
  PAYSAGA_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(DEFAULT_MAX_CACHED_WORKFLOWS),
};

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

type WorkerEnv = ReturnType<typeof parseEnv<typeof workerEnv>>;

/** One line for a key that cannot be loaded (AliKassaKeyError never carries the key itself). */
function aliKassaPrivateKey(env: WorkerEnv) {
  try {
    return loadAliKassaKey(env.ALIKASSA_PRIVATE_KEY!, env.ALIKASSA_PASSPHRASE ?? '');
  } catch (err) {
    if (err instanceof AliKassaKeyError)
      throw new ConfigError(`configuration: ALIKASSA_PRIVATE_KEY: ${err.message}`);
    throw err;
  }
}

async function main(): Promise<void> {
  const log = createLogger('worker');
  let env: WorkerEnv;
  let configured: Set<ProviderKey>;
  let aliKassaKey: KeyObject | undefined;
  try {
    env = parseEnv(workerEnv);
    configured = configuredProviders(process.env, ['worker']);
    aliKassaKey = configured.has('alikassa') ? aliKassaPrivateKey(env) : undefined;
  } catch (err) {
    exitOnConfigError(err);
  }
  // The SDK's own log lines (activity failures, worker state) go through the same redacting
  // JSON logger as ours, one line each.
  const sdkLog = log.child({ source: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', ({ level, message, meta }) =>
      sdkLog[levels[level]](meta ?? {}, message),
    ),
  });
  const codecKeys = loadCodecKeys(env, env.PAYSAGA_DATA_DIR);
  const connection = await NativeConnection.connect(temporalConnectionOptions(env));
  const worker = await createPaysagaWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    codecKeys,
    maxCachedWorkflows: env.PAYSAGA_MAX_CACHED_WORKFLOWS,
    otpBudget: {
      perToken: env.PRAKERJA_OTP_BUDGET_PER_TOKEN,
      perInvoice: env.PRAKERJA_OTP_BUDGET_PER_INVOICE,
      windowSeconds: Math.max(1, Math.round(env.PRAKERJA_OTP_BUDGET_WINDOW_HOURS * 3600)),
      key: otpBudgetKey(codecKeys, env.PAYSAGA_OTP_BUDGET_KEY),
    },
    // A provider without settings gets no client: its activities fail as "not configured".
    prakerja: configured.has('prakerja')
      ? createPrakerjaClient({
          baseUrl: env.PRAKERJA_BASE_URL!,
          clientCode: env.PRAKERJA_CLIENT_CODE!,
          signKey: env.PRAKERJA_SIGN_KEY!,
          timeoutMs: env.PRAKERJA_TIMEOUT_MS,
        })
      : undefined,
    // One client per worker process: its session logs in once and is shared by every activity.
    klink: configured.has('klink')
      ? createKLinkClient({
          baseUrl: env.KLINK_BASE_URL!,
          email: env.KLINK_EMAIL!,
          password: env.KLINK_PASSWORD!,
          timeoutMs: env.KLINK_TIMEOUT_MS,
        })
      : undefined,
    ppob: configured.has('ppob')
      ? createPpobClient({
          baseUrl: env.PPOB_BASE_URL!,
          username: env.PPOB_USERNAME!,
          token: env.PPOB_TOKEN!,
          timeZone: env.PPOB_TIMEZONE,
          timeoutMs: env.PPOB_TIMEOUT_MS,
        })
      : undefined,
    midtrans:
      configured.has('klink') && env.MIDTRANS_SERVER_KEY
        ? createMidtransActions({ serverKey: env.MIDTRANS_SERVER_KEY, timeoutMs: env.KLINK_TIMEOUT_MS })
        : undefined,
    alikassa: aliKassaKey
      ? {
          client: createAliKassaClient({
            baseUrl: env.ALIKASSA_BASE_URL!,
            account: env.ALIKASSA_ACCOUNT!,
            privateKey: aliKassaKey,
            timeoutMs: env.ALIKASSA_TIMEOUT_MS,
            signHash: env.ALIKASSA_SIGN_HASH,
          }),
          notificationBaseUrl: env.PAYSAGA_PUBLIC_GATEWAY_URL,
        }
      : undefined,
    fulfil: env.FULFILMENT_URL
      ? httpFulfilment(env.FULFILMENT_URL)
      : fileFulfilment(join(env.PAYSAGA_DATA_DIR, 'fulfilments.jsonl')),
  });
  log.info(
    {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      // Where each provider's calls go (base URLs only, never a credential).
      providers: Object.fromEntries(
        PROVIDER_KEYS.map((k) => [
          k,
          configured.has(k) ? env[PROVIDER_SETTINGS[k].baseUrl] : 'not configured',
        ]),
      ),
    },
    'worker running',
  );
  // The SDK installs SIGINT/SIGTERM handlers that shut the worker down gracefully.
  await worker.run();
  await connection.close();
  log.info('worker stopped');
}

main().catch((err) => {
  createLogger('worker').error({ err }, 'worker failed');
  process.exit(1);
});

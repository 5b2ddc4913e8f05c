/**
 * Worker process entry. Reads the environment, connects to Temporal and runs until SIGINT/SIGTERM
 * (the SDK drains in-flight activities on shutdown).
 */
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { join } from 'node:path';
import { z } from 'zod';
import { codecEnv, ConfigError, exitOnConfigError, parseEnv, temporalEnv } from '../common/config';
import { createKLinkClient } from '../providers/klink/client';
import { createMidtransActions } from '../providers/klink/midtrans-actions';
import { createPpobClient } from '../providers/ppob/client';
import { createAliKassaClient } from '../providers/alikassa/client';
import { loadAliKassaKey } from '../providers/alikassa/signature';
import { createLogger } from '../common/logger';
import { fileFulfilment, httpFulfilment } from '../activities/fulfilment';
import { createPrakerjaClient } from '../providers/prakerja/client';
import { loadCodecKeys } from './codec-keys';
import { temporalConnectionOptions } from './temporal-connection';
import { createPaysagaWorker } from './worker';

const workerEnv = {
  ...temporalEnv,
  ...codecEnv,
  PRAKERJA_BASE_URL: z.url(),
  PRAKERJA_CLIENT_CODE: z.string().min(1),
  PRAKERJA_SIGN_KEY: z.string().min(8),
  PRAKERJA_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  FULFILMENT_URL: z.url().optional(),
  KLINK_BASE_URL: z.url().optional(),
  KLINK_EMAIL: z.string().optional(),
  KLINK_PASSWORD: z.string().optional(),
  KLINK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  PPOB_BASE_URL: z.url().optional(),
  PPOB_USERNAME: z.string().optional(),
  PPOB_TOKEN: z.string().optional(),
  PPOB_TIMEZONE: z.string().default('Asia/Jakarta'),
  PPOB_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  MIDTRANS_SERVER_KEY: z.string().min(8).optional(),
  ALIKASSA_BASE_URL: z.url().optional(),
  ALIKASSA_ACCOUNT: z.string().optional(),
  ALIKASSA_PRIVATE_KEY: z.string().optional(),
  ALIKASSA_PASSPHRASE: z.string().optional(),
  ALIKASSA_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** The gateway's public URL, for AliKassa's notification_endpoint_url. */
  PAYSAGA_PUBLIC_GATEWAY_URL: z.url().optional(),
  PAYSAGA_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(500),
};

async function main(): Promise<void> {
  const log = createLogger('worker');
  let env;
  try {
    env = parseEnv(workerEnv);
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
  const klinkVars = [env.KLINK_BASE_URL, env.KLINK_EMAIL, env.KLINK_PASSWORD];
  if (klinkVars.some(Boolean) && !klinkVars.every(Boolean)) {
    exitOnConfigError(
      new ConfigError('configuration: set all of KLINK_BASE_URL, KLINK_EMAIL, KLINK_PASSWORD, or none'),
    );
  }
  const ppobVars = [env.PPOB_BASE_URL, env.PPOB_USERNAME, env.PPOB_TOKEN];
  if (ppobVars.some(Boolean) && !ppobVars.every(Boolean)) {
    exitOnConfigError(
      new ConfigError('configuration: set all of PPOB_BASE_URL, PPOB_USERNAME, PPOB_TOKEN, or none'),
    );
  }
  const aliKassaVars = [env.ALIKASSA_BASE_URL, env.ALIKASSA_ACCOUNT, env.ALIKASSA_PRIVATE_KEY];
  if (aliKassaVars.some(Boolean) && !aliKassaVars.every(Boolean)) {
    exitOnConfigError(
      new ConfigError(
        'configuration: set all of ALIKASSA_BASE_URL, ALIKASSA_ACCOUNT, ALIKASSA_PRIVATE_KEY (and ALIKASSA_PASSPHRASE), or none',
      ),
    );
  }
  const codecKeys = loadCodecKeys(env, env.PAYSAGA_DATA_DIR);
  const connection = await NativeConnection.connect(temporalConnectionOptions(env));
  const worker = await createPaysagaWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    codecKeys,
    maxCachedWorkflows: env.PAYSAGA_MAX_CACHED_WORKFLOWS,
    prakerja: createPrakerjaClient({
      baseUrl: env.PRAKERJA_BASE_URL,
      clientCode: env.PRAKERJA_CLIENT_CODE,
      signKey: env.PRAKERJA_SIGN_KEY,
      timeoutMs: env.PRAKERJA_TIMEOUT_MS,
    }),
    // One client per worker process: its session logs in once and is shared by every activity.
    klink: env.KLINK_BASE_URL
      ? createKLinkClient({
          baseUrl: env.KLINK_BASE_URL,
          email: env.KLINK_EMAIL!,
          password: env.KLINK_PASSWORD!,
          timeoutMs: env.KLINK_TIMEOUT_MS,
        })
      : undefined,
    ppob: env.PPOB_BASE_URL
      ? createPpobClient({
          baseUrl: env.PPOB_BASE_URL,
          username: env.PPOB_USERNAME!,
          token: env.PPOB_TOKEN!,
          timeZone: env.PPOB_TIMEZONE,
          timeoutMs: env.PPOB_TIMEOUT_MS,
        })
      : undefined,
    midtrans: env.MIDTRANS_SERVER_KEY
      ? createMidtransActions({ serverKey: env.MIDTRANS_SERVER_KEY, timeoutMs: env.KLINK_TIMEOUT_MS })
      : undefined,
    alikassa: env.ALIKASSA_BASE_URL
      ? {
          client: createAliKassaClient({
            baseUrl: env.ALIKASSA_BASE_URL,
            account: env.ALIKASSA_ACCOUNT!,
            privateKey: loadAliKassaKey(env.ALIKASSA_PRIVATE_KEY!, env.ALIKASSA_PASSPHRASE ?? ''),
            timeoutMs: env.ALIKASSA_TIMEOUT_MS,
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
      prakerja: env.PRAKERJA_BASE_URL,
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

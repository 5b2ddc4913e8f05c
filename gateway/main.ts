/** Gateway process entry: reads the environment, connects to Temporal, listens. */
import { z } from 'zod';
import { PaysagaClient } from '../client/paysaga-client';
import type { KeyObject } from 'node:crypto';
import {
  codecEnv,
  ConfigError,
  exitOnConfigError,
  gatewayDeadlineEnv,
  parseEnv,
  portSchema,
  rateLimitEnv,
  temporalEnv,
} from '../common/config';
import {
  configuredProviders,
  gatewayProviderEnv,
  PROVIDER_SETTINGS,
  type ProviderKey,
} from '../common/provider-settings';
import { createLogger } from '../common/logger';
import { AesGcmPayloadCodec } from '../workers/codec';
import { loadCodecKeys } from '../workers/codec-keys';
import { buildGateway } from './server';
import { requireTokensWhenExposed } from './secure-start';
import { AliKassaKeyError, loadAliKassaPublicKey } from '../providers/alikassa/signature';
import { aliKassaSharedEnv } from '../providers/alikassa/settings';

const gatewayEnv = {
  ...temporalEnv,
  ...codecEnv,
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: portSchema.default(8080),
  PAYSAGA_UI_ORIGIN: z.string().default('http://localhost:8233'),
  PAYSAGA_CODEC_AUTH_TOKEN: z.string().min(16).optional(),
  GATEWAY_API_TOKEN: z.string().min(16).optional(),
  ...rateLimitEnv,
  ...gatewayDeadlineEnv,
  ...gatewayProviderEnv,
  ...aliKassaSharedEnv,
};

/** One line for a key that cannot be loaded (AliKassaKeyError never carries the key itself). */
function aliKassaPublicKey(pemOrPath: string): KeyObject {
  try {
    return loadAliKassaPublicKey(pemOrPath);
  } catch (err) {
    if (err instanceof AliKassaKeyError)
      throw new ConfigError(`configuration: ALIKASSA_NOTIFICATION_PUBLIC_KEY: ${err.message}`);
    throw err;
  }
}

async function main(): Promise<void> {
  let env;
  let configured: Set<ProviderKey>;
  let aliKassaKey: KeyObject | undefined;
  try {
    env = parseEnv(gatewayEnv);
    // Before anything connects: an exposed gateway without its tokens never starts.
    requireTokensWhenExposed(env);
    // A provider the worker is set up for (one .env for both) needs its notification key here too.
    configured = configuredProviders(process.env, ['gateway']);
    aliKassaKey = env.ALIKASSA_NOTIFICATION_PUBLIC_KEY
      ? aliKassaPublicKey(env.ALIKASSA_NOTIFICATION_PUBLIC_KEY)
      : undefined;
  } catch (err) {
    exitOnConfigError(err);
  }
  const logger = createLogger('gateway');
  const codecKeys = loadCodecKeys(env, env.PAYSAGA_DATA_DIR);
  const client = await PaysagaClient.connect(env, codecKeys);
  const app = await buildGateway({
    client,
    codec: new AesGcmPayloadCodec(codecKeys),
    uiOrigin: env.PAYSAGA_UI_ORIGIN,
    codecAuthToken: env.PAYSAGA_CODEC_AUTH_TOKEN,
    apiToken: env.GATEWAY_API_TOKEN,
    rateLimitPerMinute: env.GATEWAY_RATE_LIMIT_PER_MINUTE,
    deadlines: {
      callMs: env.GATEWAY_TEMPORAL_TIMEOUT_MS,
      waitMs: env.GATEWAY_TEMPORAL_WAIT_TIMEOUT_MS,
      webhookMs: env.GATEWAY_WEBHOOK_TIMEOUT_MS,
    },
    ppobCallbackSecret: env.PPOB_CALLBACK_SECRET,
    klinkWebhookKey: env.KLINK_WEBHOOK_KEY,
    aliKassaPublicKey: aliKassaKey,
    aliKassaSignHash: env.ALIKASSA_SIGN_HASH,
    logger,
  });
  await app.listen({ host: env.GATEWAY_HOST, port: env.GATEWAY_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.GATEWAY_PORT;
  logger.info(
    { providers: [...configured].map((k) => PROVIDER_SETTINGS[k].label) },
    'provider settings found (their notifications are accepted)',
  );
  console.log(`gateway listening on http://${env.GATEWAY_HOST}:${port}`);
  const stop = async () => {
    await app.close();
    await client.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  createLogger('gateway').error({ err }, 'gateway failed');
  process.exit(1);
});

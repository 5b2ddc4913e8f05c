/** Gateway process entry: reads the environment, connects to Temporal, listens. */
import { z } from 'zod';
import { PaysagaClient } from '../client/paysaga-client';
import { codecEnv, exitOnConfigError, parseEnv, portSchema, temporalEnv } from '../common/config';
import { createLogger } from '../common/logger';
import { AesGcmPayloadCodec } from '../workers/codec';
import { loadCodecKeys } from '../workers/codec-keys';
import { buildGateway } from './server';
import { loadAliKassaPublicKey } from '../providers/alikassa/signature';

const gatewayEnv = {
  ...temporalEnv,
  ...codecEnv,
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: portSchema.default(8080),
  PAYSAGA_UI_ORIGIN: z.string().default('http://localhost:8233'),
  PAYSAGA_CODEC_AUTH_TOKEN: z.string().min(16).optional(),
  GATEWAY_API_TOKEN: z.string().min(16).optional(),
  KLINK_WEBHOOK_KEY: z.string().min(8).optional(),
  ALIKASSA_PUBLIC_KEY: z.string().min(1).optional(),
  PPOB_CALLBACK_SECRET: z.string().min(16, 'PPOB_CALLBACK_SECRET: at least 16 characters').optional(),
};

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv(gatewayEnv);
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
    ppobCallbackSecret: env.PPOB_CALLBACK_SECRET,
    klinkWebhookKey: env.KLINK_WEBHOOK_KEY,
    aliKassaPublicKey: env.ALIKASSA_PUBLIC_KEY ? loadAliKassaPublicKey(env.ALIKASSA_PUBLIC_KEY) : undefined,
    logger,
  });
  await app.listen({ host: env.GATEWAY_HOST, port: env.GATEWAY_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.GATEWAY_PORT;
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

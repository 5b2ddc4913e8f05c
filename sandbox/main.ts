/**
 * Sandbox entry point: `tsx sandbox/main.ts`. Configuration comes from the environment only, so
 * the demo and CI start it the same way:
 *   SANDBOX_PORT (default 8090), SANDBOX_HOST (default 127.0.0.1),
 *   SANDBOX_PRAKERJA_CLIENT_CODE, SANDBOX_PRAKERJA_SIGN_KEY (required),
 *   SANDBOX_STATE_FILE (optional: keep state across restarts),
 *   SANDBOX_KLINK_EMAIL, SANDBOX_KLINK_PASSWORD (optional: the login the K-Link simulator accepts;
 *     defaults 'sandbox@k-link.test' / 'klink-sandbox-password'),
 *   SANDBOX_KLINK_PID_KEY (optional: K-Link's webhook signing key, "PID"; default
 *     'klink-sandbox-pid-key'),
 *   SANDBOX_MIDTRANS_BASE_URL (optional: the sandbox's own address as clients reach it, e.g.
 *     http://127.0.0.1:8090; GoPay actions then point at its /midtrans routes instead of
 *     Midtrans' sandbox host), SANDBOX_MIDTRANS_SERVER_KEY (optional: the server key /midtrans
 *     accepts; default 'SB-Mid-server-sandbox'),
 *   SANDBOX_PPOB_USERNAME, SANDBOX_PPOB_TOKEN (optional: the partner account the PPOB simulator
 *     accepts; defaults 'ppob-sandbox' / 'ppob-sandbox-token'),
 *   SANDBOX_PPOB_CALLBACK_URL (optional: where PPOB transaction reports go; none sent without it,
 *     unless set at run time through /_control/ppob/callback-url),
 *   SANDBOX_PPOB_PENDING_MS, SANDBOX_PPOB_FINAL_MS (optional: Waiting -> Pending and -> final;
 *     defaults 300 and 1500),
 *   SANDBOX_WEBHOOK_BASE_URL (optional: the gateway, e.g. http://127.0.0.1:8080; K-Link and
 *     AliKassa webhooks go to its /webhooks/... paths, none are sent without it),
 *   SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY, SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY (optional, PEM
 *     text, the private key unencrypted: with both set the AliKassa simulator is mounted at
 *     /alikassa), SANDBOX_ALIKASSA_ACCOUNT (optional: the Account uuid it accepts).
 * The K-Link defaults (KLINK_SANDBOX_DEFAULTS) open nothing but this sandbox, so a stack that
 * does not set them still has a working K-Link simulator; set them to test a client's config.
 */
import { z } from 'zod';
import { registerSecret } from '../common/redact';
import { MIDTRANS_SANDBOX_SERVER_KEY } from './klink/catalog';
import { KLINK_SANDBOX_DEFAULTS } from './klink/routes';
import { ALIKASSA_SANDBOX_DEFAULTS } from './alikassa/routes';
import { PPOB_SANDBOX_DEFAULTS } from './ppob/routes';
import { buildSandboxServer } from './server';

const Env = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_PRAKERJA_CLIENT_CODE: z.string().min(1),
  SANDBOX_PRAKERJA_SIGN_KEY: z.string().min(1),
  SANDBOX_STATE_FILE: z.string().min(1).optional(),
  SANDBOX_KLINK_EMAIL: z.string().min(1).default(KLINK_SANDBOX_DEFAULTS.email),
  SANDBOX_KLINK_PASSWORD: z.string().min(1).default(KLINK_SANDBOX_DEFAULTS.password),
  SANDBOX_KLINK_PID_KEY: z.string().min(1).default(KLINK_SANDBOX_DEFAULTS.pidKey),
  SANDBOX_MIDTRANS_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SANDBOX_MIDTRANS_SERVER_KEY: z.string().min(1).default(MIDTRANS_SANDBOX_SERVER_KEY),
  SANDBOX_PPOB_USERNAME: z.string().min(1).default(PPOB_SANDBOX_DEFAULTS.username),
  SANDBOX_PPOB_TOKEN: z.string().min(1).default(PPOB_SANDBOX_DEFAULTS.token),
  SANDBOX_PPOB_CALLBACK_URL: z.url({ protocol: /^https?$/ }).optional(),
  SANDBOX_PPOB_PENDING_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(PPOB_SANDBOX_DEFAULTS.pendingMs),
  SANDBOX_PPOB_FINAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(PPOB_SANDBOX_DEFAULTS.finalMs),
  SANDBOX_WEBHOOK_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SANDBOX_ALIKASSA_ACCOUNT: z.string().min(1).default(ALIKASSA_SANDBOX_DEFAULTS.account),
  SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY: z.string().includes('PUBLIC KEY').optional(),
  SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY: z.string().includes('PRIVATE KEY').optional(),
  // The same setting the worker and the gateway read: the simulated AliKassa uses their hash.
  ALIKASSA_SIGN_HASH: z.enum(['sha256', 'sha1']).default('sha256'),
});

function readEnv(): z.infer<typeof Env> {
  // An empty variable (FOO= in a shell) means "not set", so defaults and "required" apply to it.
  const raw = Object.fromEntries(
    Object.keys(Env.shape).map((key) => [key, process.env[key] === '' ? undefined : process.env[key]]),
  );
  const parsed = Env.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const problem = raw[name] === undefined ? 'is required' : `is invalid (${issue?.message ?? 'bad value'})`;
  process.stderr.write(`sandbox: environment variable ${name} ${problem}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const env = readEnv();
  registerSecret(env.SANDBOX_PRAKERJA_SIGN_KEY);
  // The K-Link login is a credential pair and the PID key signs webhooks: none belongs in a log.
  registerSecret(env.SANDBOX_KLINK_EMAIL);
  registerSecret(env.SANDBOX_KLINK_PASSWORD);
  registerSecret(env.SANDBOX_KLINK_PID_KEY);
  // The Midtrans server key opens the GoPay status and cancel actions.
  registerSecret(env.SANDBOX_MIDTRANS_SERVER_KEY);
  // The PPOB partner account: the token signs every request, the username names the account.
  registerSecret(env.SANDBOX_PPOB_USERNAME);
  registerSecret(env.SANDBOX_PPOB_TOKEN);
  // The report is unsigned, so the receiving URL may carry a secret of its own (the gateway's does).
  registerSecret(env.SANDBOX_PPOB_CALLBACK_URL);
  // The key that signs AliKassa's notifications; the account names the merchant.
  registerSecret(env.SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY);
  registerSecret(env.SANDBOX_ALIKASSA_ACCOUNT);
  const aliKassaKeys = [env.SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY, env.SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY];
  if (aliKassaKeys.filter((k) => k !== undefined).length === 1) {
    process.stderr.write(
      'sandbox: set both SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY and SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY, or neither\n',
    );
    process.exit(1);
  }

  const app = await buildSandboxServer({
    prakerja: { clientCode: env.SANDBOX_PRAKERJA_CLIENT_CODE, signKey: env.SANDBOX_PRAKERJA_SIGN_KEY },
    klink: {
      email: env.SANDBOX_KLINK_EMAIL,
      password: env.SANDBOX_KLINK_PASSWORD,
      pidKey: env.SANDBOX_KLINK_PID_KEY,
      midtransBaseUrl: env.SANDBOX_MIDTRANS_BASE_URL,
      midtransServerKey: env.SANDBOX_MIDTRANS_SERVER_KEY,
    },
    ppob: {
      username: env.SANDBOX_PPOB_USERNAME,
      token: env.SANDBOX_PPOB_TOKEN,
      callbackUrl: env.SANDBOX_PPOB_CALLBACK_URL,
      timings: { pendingMs: env.SANDBOX_PPOB_PENDING_MS, finalMs: env.SANDBOX_PPOB_FINAL_MS },
    },
    webhookBaseUrl: env.SANDBOX_WEBHOOK_BASE_URL,
    alikassa:
      env.SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY && env.SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY
        ? {
            account: env.SANDBOX_ALIKASSA_ACCOUNT,
            merchantPublicKey: env.SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY,
            providerPrivateKey: env.SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY,
            signHash: env.ALIKASSA_SIGN_HASH,
          }
        : undefined,
    stateFile: env.SANDBOX_STATE_FILE,
  });
  await app.listen({ port: env.SANDBOX_PORT, host: env.SANDBOX_HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : env.SANDBOX_PORT;
  process.stdout.write(`sandbox listening on http://${env.SANDBOX_HOST}:${port}\n`);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      // A second Ctrl-C: the user does not want to wait for the graceful close.
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'sandbox shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'sandbox close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * Configuration from the environment, validated with zod at start. A missing or malformed value
 * stops the process with one line naming the variable (and never echoing its value: it may be
 * a secret).
 */
import { z } from 'zod';
import { registerSecret } from './redact';

export const temporalEnv = {
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('paysaga'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('paysaga'),
  /** "true" for server-authenticated TLS (Temporal Cloud with an API key). Implied by a client cert. */
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
};

export const codecEnv = {
  PAYSAGA_DATA_DIR: z.string().default('data'),
  PAYSAGA_CODEC_KEY: z.string().optional(),
  PAYSAGA_CODEC_KEY_ID: z.string().optional(),
  PAYSAGA_CODEC_PREVIOUS_KEYS: z.string().optional(),
  NODE_ENV: z.string().optional(),
};

/**
 * The worker's OTP guessing budget (workflows/otp-budget-definitions.ts): OTPs Prakerja may check
 * and refuse per payment token and per invoice within the window, across payments.
 */
export const otpBudgetEnv = {
  PRAKERJA_OTP_BUDGET_PER_TOKEN: z.coerce.number().int().min(1).max(100).default(5),
  PRAKERJA_OTP_BUDGET_PER_INVOICE: z.coerce.number().int().min(1).max(100).default(5),
  PRAKERJA_OTP_BUDGET_WINDOW_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  /** Base64 of 32 bytes: names a token's budget (HMAC). Unset: derived from the codec key. */
  PAYSAGA_OTP_BUDGET_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'expected base64 of 32 bytes')
    .optional(),
};

/** Requests per minute one client (IP address) may make to /v1; webhooks are not limited. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 300;
export const rateLimitEnv = {
  GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_RATE_LIMIT_PER_MINUTE),
};

/**
 * How long the gateway waits for Temporal (gateway/temporal-deadlines.ts says which route waits
 * how long and what it answers then): calls and queries, calls that wait for a provider through
 * the worker, and provider webhooks (under every provider's own timeout).
 */
export const DEFAULT_GATEWAY_DEADLINES = { callMs: 5_000, waitMs: 40_000, webhookMs: 3_000 };
const deadlineMs = z.coerce.number().int().min(200).max(600_000);
export const gatewayDeadlineEnv = {
  GATEWAY_TEMPORAL_TIMEOUT_MS: deadlineMs.default(DEFAULT_GATEWAY_DEADLINES.callMs),
  GATEWAY_TEMPORAL_WAIT_TIMEOUT_MS: deadlineMs.default(DEFAULT_GATEWAY_DEADLINES.waitMs),
  GATEWAY_WEBHOOK_TIMEOUT_MS: deadlineMs.default(DEFAULT_GATEWAY_DEADLINES.webhookMs),
};

const port = z.coerce.number().int().min(0).max(65535);
export { port as portSchema };

/** Names of variables whose values are secrets: registered for redaction as soon as they are read. */
export const SECRET_VARIABLES = [
  'TEMPORAL_API_KEY',
  'PAYSAGA_CODEC_KEY',
  'PAYSAGA_CODEC_PREVIOUS_KEYS',
  'PAYSAGA_OTP_BUDGET_KEY',
  'PRAKERJA_SIGN_KEY',
  'SANDBOX_PRAKERJA_SIGN_KEY',
  'PAYSAGA_CODEC_AUTH_TOKEN',
  'GATEWAY_API_TOKEN',
  'KLINK_PASSWORD',
  'PPOB_TOKEN',
  'ALIKASSA_PRIVATE_KEY',
  'MIDTRANS_SERVER_KEY',
  'SANDBOX_MIDTRANS_SERVER_KEY',
  'ALIKASSA_PASSPHRASE',
  'SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY',
  'PPOB_CALLBACK_SECRET',
  'SANDBOX_PPOB_TOKEN',
  'KLINK_WEBHOOK_KEY',
  'SANDBOX_KLINK_PASSWORD',
  'SANDBOX_KLINK_PID_KEY',
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  for (const name of SECRET_VARIABLES) registerSecret(env[name]);
  // Empty strings count as unset: `FOO= npm start` should mean "no FOO", not "FOO is empty".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`configuration: ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  }
  return result.data;
}

/** For process entry points: print the one line and exit. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

/**
 * Every provider's settings, in one table, read the same way by the worker, the gateway and
 * `npm start` (scripts/stack.ts):
 *
 * - none of a provider's variables set: the provider is not configured. `npm start` points it at
 *   the sandbox; a worker started by hand fails that provider's activities with
 *   "… is not configured" (its sagas park), a gateway refuses its notifications.
 * - every variable a process needs set: that process talks to the real provider.
 * - some set, not all: a half-configured provider. The process stops at start with one line
 *   naming the provider, what is set and what is missing. A real provider quietly replaced by the
 *   sandbox, or a worker that talks to a provider whose notifications the gateway refuses, is
 *   worse than not starting.
 *
 * "Set" means a non-empty value, as in parseEnv: `FOO= npm start` means no FOO. Timeouts and the
 * PPOB time zone have defaults and select nothing, so they are not in the table.
 *
 * A process counts every variable of a provider (the worker's and the gateway's) when deciding
 * whether the provider is mentioned at all, but asks only for the ones it needs itself: one .env
 * shared by both processes is checked whole, while a gateway started with only its webhook keys
 * is not asked for the worker's credentials.
 */
import { z } from 'zod';
import { ConfigError } from './config';

export type ProviderProcess = 'worker' | 'gateway';

const url = z.url({ protocol: /^https?$/ }).optional();
const text = z.string().min(1).optional();

/** One provider's entry; `baseUrl` must name one of its worker variables. */
function provider<W extends z.ZodRawShape, O extends z.ZodRawShape, G extends z.ZodRawShape>(spec: {
  /** As people write it: in error lines and the banner. */
  label: string;
  /** The variable holding the address calls go to (the banner shows it; never a secret). */
  baseUrl: keyof W & string;
  /** What the worker needs (all of it) and what it takes besides (optional, still the provider's). */
  worker: { required: W; optional: O };
  /** What the gateway needs to accept the provider's notifications. */
  gateway: { required: G };
}) {
  return spec;
}

export const PROVIDER_SETTINGS = {
  prakerja: provider({
    label: 'Prakerja',
    baseUrl: 'PRAKERJA_BASE_URL',
    worker: {
      required: {
        PRAKERJA_BASE_URL: url,
        PRAKERJA_CLIENT_CODE: text,
        PRAKERJA_SIGN_KEY: z.string().min(8).optional(),
      },
      optional: {},
    },
    gateway: { required: {} },
  }),
  klink: provider({
    label: 'K-Link',
    baseUrl: 'KLINK_BASE_URL',
    worker: {
      required: { KLINK_BASE_URL: url, KLINK_EMAIL: text, KLINK_PASSWORD: text },
      // Without it GoPay charges are settled by webhook only, and not cancelled at expiry.
      optional: { MIDTRANS_SERVER_KEY: z.string().min(8).optional() },
    },
    // Without the PID key the gateway refuses K-Link's webhooks, the only news of a VA payment.
    gateway: { required: { KLINK_WEBHOOK_KEY: z.string().min(8).optional() } },
  }),
  ppob: provider({
    label: 'PPOB',
    baseUrl: 'PPOB_BASE_URL',
    worker: {
      required: { PPOB_BASE_URL: url, PPOB_USERNAME: text, PPOB_TOKEN: text },
      optional: {},
    },
    // The secret path segment of the callback URL registered with the aggregator.
    gateway: {
      required: {
        PPOB_CALLBACK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
      },
    },
  }),
  alikassa: provider({
    label: 'AliKassa',
    baseUrl: 'ALIKASSA_BASE_URL',
    worker: {
      required: {
        ALIKASSA_BASE_URL: url,
        ALIKASSA_ACCOUNT: z
          .string()
          .regex(
            /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
            'must be the account uuid',
          )
          .optional(),
        // PEM text or a path to the PEM file.
        ALIKASSA_PRIVATE_KEY: text,
      },
      // An unencrypted private key needs no passphrase.
      optional: { ALIKASSA_PASSPHRASE: text },
    },
    // The public.pem of AliKassa's "API certificate for notifications" (PEM text or a path).
    gateway: { required: { ALIKASSA_NOTIFICATION_PUBLIC_KEY: text } },
  }),
} as const;

export type ProviderKey = keyof typeof PROVIDER_SETTINGS;
export const PROVIDER_KEYS = Object.keys(PROVIDER_SETTINGS) as ProviderKey[];

type Settings = typeof PROVIDER_SETTINGS;
type WorkerShape = {
  [K in ProviderKey]: Settings[K]['worker']['required'] & Settings[K]['worker']['optional'];
}[ProviderKey];
type GatewayShape = { [K in ProviderKey]: Settings[K]['gateway']['required'] }[ProviderKey];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** The worker's provider variables, for its parseEnv shape (each optional: checked whole below). */
export const workerProviderEnv = Object.assign(
  {},
  ...PROVIDER_KEYS.flatMap((k) => [
    PROVIDER_SETTINGS[k].worker.required,
    PROVIDER_SETTINGS[k].worker.optional,
  ]),
) as UnionToIntersection<WorkerShape>;

/** The gateway's provider variables, for its parseEnv shape. */
export const gatewayProviderEnv = Object.assign(
  {},
  ...PROVIDER_KEYS.map((k) => PROVIDER_SETTINGS[k].gateway.required),
) as UnionToIntersection<GatewayShape>;

/** A variable name of one of the tables above (for code that writes provider settings). */
export type WorkerProviderVariable = keyof typeof workerProviderEnv;
export type GatewayProviderVariable = keyof typeof gatewayProviderEnv;

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/** Every variable of the provider, whoever reads it. */
export function providerVariables(key: ProviderKey): string[] {
  const s = PROVIDER_SETTINGS[key];
  return [
    ...Object.keys(s.worker.required),
    ...Object.keys(s.worker.optional),
    ...Object.keys(s.gateway.required),
  ];
}

/** What `processes` need of the provider, all of it. */
export function requiredVariables(key: ProviderKey, processes: readonly ProviderProcess[]): string[] {
  const s = PROVIDER_SETTINGS[key];
  return processes.flatMap((p) => Object.keys(s[p].required));
}

/**
 * The providers `env` configures for `processes` (the worker, the gateway, or both for
 * `npm start`). `env` is the whole environment, not a process's parsed shape: the other
 * process's variables count too. Throws one ConfigError line naming every half-configured provider, what of it is
 * set and what is missing; values are never shown.
 */
export function configuredProviders(
  env: NodeJS.ProcessEnv,
  processes: readonly ProviderProcess[],
): Set<ProviderKey> {
  const configured = new Set<ProviderKey>();
  const problems: string[] = [];
  for (const key of PROVIDER_KEYS) {
    const set = providerVariables(key).filter((v) => isSet(env[v]));
    if (set.length === 0) continue;
    const missing = requiredVariables(key, processes).filter((v) => !isSet(env[v]));
    if (missing.length === 0) {
      configured.add(key);
      continue;
    }
    problems.push(
      `${PROVIDER_SETTINGS[key].label} is half-configured: ${set.join(', ')} set but ${missing.join(', ')} missing`,
    );
  }
  if (problems.length > 0)
    throw new ConfigError(
      `configuration: ${problems.join('; ')} (set all of a provider's variables, or none)`,
    );
  return configured;
}

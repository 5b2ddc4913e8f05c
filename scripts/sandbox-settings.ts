/**
 * The settings that point a provider at the local sandbox, fresh for every start: the worker's
 * and the gateway's side of each provider (the same variables a real provider is given, see
 * common/provider-settings.ts), and the sandbox process's own side that accepts them. Only the
 * providers without real settings are given these; the stack never overwrites a real one.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type {
  GatewayProviderVariable,
  ProviderKey,
  WorkerProviderVariable,
} from '../common/provider-settings';

/** What the worker and the gateway are given for one provider on the sandbox. */
export interface SandboxProviderEnv {
  /** PAYSAGA_PUBLIC_GATEWAY_URL too: the sandbox's AliKassa notifies the local gateway. */
  worker: Partial<Record<WorkerProviderVariable | 'PAYSAGA_PUBLIC_GATEWAY_URL', string>>;
  gateway: Partial<Record<GatewayProviderVariable, string>>;
}

export interface SandboxSettings {
  providers: Record<ProviderKey, SandboxProviderEnv>;
  /** The sandbox process's variables (what its simulators accept, where they call back). */
  sandboxEnv: NodeJS.ProcessEnv;
  /** The sandbox's K-Link login, for demos and tests that act as a K-Link user themselves. */
  klinkLogin: { email: string; password: string };
}

/**
 * `onSandbox`: the providers the sandbox stands in for; its PPOB simulator reports to the gateway
 * only when PPOB is one of them (the gateway knows no other callback secret).
 */
export function sandboxSettings(
  sandboxUrl: string,
  gatewayUrl: string,
  onSandbox: ReadonlySet<ProviderKey>,
): SandboxSettings {
  const prakerja = { clientCode: 'paysaga-sandbox', signKey: randomBytes(24).toString('hex') };
  const klink = { email: 'paysaga@sandbox.test', password: randomBytes(18).toString('hex') };
  const klinkPidKey = randomBytes(16).toString('hex');
  const midtransServerKey = `SB-Mid-server-${randomBytes(12).toString('hex')}`;
  const ppob = { username: 'paysaga-sandbox', token: randomBytes(18).toString('hex') };
  // The unsigned PPOB callback is protected by a secret in its URL (see gateway/ppob-callback.ts).
  const ppobCallbackSecret = randomBytes(18).toString('hex');
  // AliKassa: a merchant key pair (we sign, the simulator verifies) and a provider key pair (the
  // simulator signs notifications, the gateway verifies).
  const passphrase = randomBytes(12).toString('hex');
  const merchant = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  });
  const provider = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const aliKassaAccount = randomUUID();

  return {
    providers: {
      prakerja: {
        worker: {
          PRAKERJA_BASE_URL: `${sandboxUrl}/prakerja`,
          PRAKERJA_CLIENT_CODE: prakerja.clientCode,
          PRAKERJA_SIGN_KEY: prakerja.signKey,
        },
        gateway: {},
      },
      klink: {
        worker: {
          KLINK_BASE_URL: `${sandboxUrl}/klink`,
          KLINK_EMAIL: klink.email,
          KLINK_PASSWORD: klink.password,
          MIDTRANS_SERVER_KEY: midtransServerKey,
        },
        gateway: { KLINK_WEBHOOK_KEY: klinkPidKey },
      },
      ppob: {
        worker: {
          PPOB_BASE_URL: `${sandboxUrl}/ppob`,
          PPOB_USERNAME: ppob.username,
          PPOB_TOKEN: ppob.token,
        },
        gateway: { PPOB_CALLBACK_SECRET: ppobCallbackSecret },
      },
      alikassa: {
        worker: {
          ALIKASSA_BASE_URL: `${sandboxUrl}/alikassa`,
          ALIKASSA_ACCOUNT: aliKassaAccount,
          ALIKASSA_PRIVATE_KEY: merchant.privateKey,
          ALIKASSA_PASSPHRASE: passphrase,
          PAYSAGA_PUBLIC_GATEWAY_URL: gatewayUrl,
        },
        gateway: { ALIKASSA_NOTIFICATION_PUBLIC_KEY: provider.publicKey },
      },
    },
    sandboxEnv: {
      SANDBOX_PRAKERJA_CLIENT_CODE: prakerja.clientCode,
      SANDBOX_PRAKERJA_SIGN_KEY: prakerja.signKey,
      SANDBOX_KLINK_EMAIL: klink.email,
      SANDBOX_KLINK_PASSWORD: klink.password,
      SANDBOX_KLINK_PID_KEY: klinkPidKey,
      // GoPay's Midtrans actions served by the sandbox itself, with its own server key.
      SANDBOX_MIDTRANS_BASE_URL: sandboxUrl,
      SANDBOX_MIDTRANS_SERVER_KEY: midtransServerKey,
      SANDBOX_PPOB_USERNAME: ppob.username,
      SANDBOX_PPOB_TOKEN: ppob.token,
      ...(onSandbox.has('ppob')
        ? { SANDBOX_PPOB_CALLBACK_URL: `${gatewayUrl}/callbacks/ppob/${ppobCallbackSecret}` }
        : {}),
      SANDBOX_WEBHOOK_BASE_URL: gatewayUrl,
      SANDBOX_ALIKASSA_ACCOUNT: aliKassaAccount,
      SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY: merchant.publicKey,
      SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY: provider.privateKey,
    },
    klinkLogin: klink,
  };
}

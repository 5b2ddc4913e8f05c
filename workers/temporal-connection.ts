/**
 * Connection settings for Temporal, shared by the worker (NativeConnection) and every client
 * (Connection): a local dev server, a self-hosted cluster with mTLS, or Temporal Cloud with an
 * API key, chosen by environment variables only.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';
import { temporalEnv } from '../common/config';

export type TemporalEnv = z.infer<z.ZodObject<typeof temporalEnv>>;

export interface TemporalConnectionSettings {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

export function temporalConnectionOptions(env: TemporalEnv): TemporalConnectionSettings {
  const hasCert = env.TEMPORAL_TLS_CERT_PATH !== undefined || env.TEMPORAL_TLS_KEY_PATH !== undefined;
  if (hasCert && !(env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH)) {
    throw new Error('configuration: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  const tls = hasCert
    ? {
        serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
        clientCertPair: {
          crt: readFileSync(env.TEMPORAL_TLS_CERT_PATH!),
          key: readFileSync(env.TEMPORAL_TLS_KEY_PATH!),
        },
      }
    : env.TEMPORAL_TLS === 'true' || env.TEMPORAL_API_KEY !== undefined
      ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME }
      : undefined;
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey: env.TEMPORAL_API_KEY };
}

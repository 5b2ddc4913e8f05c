/**
 * Secure by default: a gateway anyone else can reach never runs without its tokens.
 *
 * Bound to anything but loopback, or with NODE_ENV=production whatever the address, the gateway
 * needs GATEWAY_API_TOKEN (the REST front) and PAYSAGA_CODEC_AUTH_TOKEN (the codec endpoint,
 * which decrypts every payload in history: OTPs, payment tokens). Without them it refuses to
 * start with one configuration line. Only a loopback bind outside production may run without
 * them (the local stack, where only this machine can call it).
 */
import { isIP } from 'node:net';
import { ConfigError } from '../common/config';

export interface ExposureSettings {
  GATEWAY_HOST: string;
  NODE_ENV?: string;
  GATEWAY_API_TOKEN?: string;
  PAYSAGA_CODEC_AUTH_TOKEN?: string;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Throws the one configuration line when an exposed or production gateway lacks a token. */
export function requireTokensWhenExposed(env: ExposureSettings): void {
  const production = env.NODE_ENV === 'production';
  if (!production && isLoopback(env.GATEWAY_HOST)) return;
  const missing = (['GATEWAY_API_TOKEN', 'PAYSAGA_CODEC_AUTH_TOKEN'] as const).filter((name) => !env[name]);
  if (missing.length === 0) return;
  const why = production
    ? 'NODE_ENV=production'
    : `GATEWAY_HOST=${env.GATEWAY_HOST} is not a loopback address`;
  throw new ConfigError(
    `configuration: ${missing.join(' and ')} required (${why}): refusing to start a gateway anyone can reach without its tokens`,
  );
}

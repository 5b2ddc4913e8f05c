/**
 * AliKassa signatures: RSA PKCS#1 v1.5, base64, with the hash of ALIKASSA_SIGN_HASH.
 *
 * Requests (seed document "Signature Generation", and the public pages
 * https://doc-merchant.alikassa.com/payment/check/status and
 * https://doc-merchant.alikassa.com/en/payments/check-payment-status):
 *
 *   sign = base64( openssl_sign( json_encode(data), private.pem + password.txt ) )
 *
 * over the exact JSON bytes that are sent, in header `Sign`, with `Account: <account uuid>`. The
 * shared signed-request layer calls `aliKassaHeaders` once per attempt over the bytes it sends.
 * Notifications are signed by AliKassa with its "API certificate for notifications" and
 * verified with `aliKassaVerify` (see notification.ts for what is signed).
 *
 * The hash is a setting (`ALIKASSA_SIGN_HASH`, `sha256` or `sha1`), for requests and
 * notifications alike, because AliKassa's own samples disagree:
 * - the PHP samples (every page, seed included) call openssl_sign / openssl_verify without an
 *   algorithm, which in PHP means OPENSSL_ALGO_SHA1;
 * - the Node, Python, Java and Go samples of the seed document and of
 *   doc-merchant.alikassa.com/en (requests, and the notification page's Node sample
 *   https://doc-merchant.alikassa.com/en/api/signature-check) name SHA-256 explicitly;
 * - the mirror doc-merchant.alikassa.io (e.g. /payments/check-payment-status) names SHA-1 in
 *   those same samples.
 * The default is `sha256`: it is what the seed document (the specification this integration
 * was written against) and the current English pages state in four languages, where PHP's
 * SHA-1 is only implied by an omitted argument; and it is what paysaga has always sent. A wrong
 * choice cannot move money: AliKassa refuses every request (401, AUTH, final) and the gateway
 * refuses every notification (401), so the first call shows it; set `ALIKASSA_SIGN_HASH=sha1`
 * then. Never both at once: one setting, one algorithm.
 *
 * The key pair comes from the merchant cabinet as an archive with private.pem (encrypted) and
 * password.txt. paysaga takes the PEM (its text, or a path to it) and the passphrase from the
 * environment and loads the key ONCE into a KeyObject; neither the passphrase nor the PEM ever
 * appears in an error raised here (only a Node/OpenSSL error code does).
 *
 * RSA PKCS#1 v1.5 is deterministic: the same key and bytes always give the same signature, which
 * is what lets the tests hold vectors computed with the openssl command line.
 */
import { constants, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The hashes AliKassa's samples use (see the module doc); the first is the default. */
export const ALIKASSA_SIGN_HASHES = ['sha256', 'sha1'] as const;
export type AliKassaSignHash = (typeof ALIKASSA_SIGN_HASHES)[number];
export const DEFAULT_ALIKASSA_SIGN_HASH: AliKassaSignHash = 'sha256';

/** A key that could not be loaded. Its message names what failed and an error code, never the key, its path's content or the passphrase. */
export class AliKassaKeyError extends Error {
  override readonly name = 'AliKassaKeyError';
}

/**
 * The PEM text of `pemOrPath`: the value itself when it holds a PEM block (a literal "\n" from a
 * one-line environment variable is read as a newline), otherwise the content of the file it names.
 */
function readPem(pemOrPath: string, what: string): string {
  const value = pemOrPath.trim();
  if (value === '') throw new AliKassaKeyError(`${what}: empty value (expected a PEM or a path to one)`);
  if (value.includes('-----BEGIN')) return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    // The value is not echoed: a garbled PEM would otherwise be printed as a "path".
    throw new AliKassaKeyError(`${what}: not a PEM and not a readable file (${errorCode(err)})`);
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/** Loads the merchant's RSA private key once (PEM text or path, decrypted with `passphrase`). */
export function loadAliKassaKey(pemOrPath: string, passphrase: string): KeyObject {
  const pem = readPem(pemOrPath, 'AliKassa private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch (err) {
    // No `cause`: OpenSSL's own error objects are kept out so nothing about the key travels on.
    throw new AliKassaKeyError(
      `AliKassa private key could not be loaded: wrong passphrase or not a private key PEM (${errorCode(err)})`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new AliKassaKeyError(`AliKassa private key is not an RSA key (${String(key.asymmetricKeyType)})`);
  return key;
}

/** Loads a public key (PEM text or path; a certificate PEM is accepted too), e.g. AliKassa's notification key. */
export function loadAliKassaPublicKey(pemOrPath: string): KeyObject {
  const pem = readPem(pemOrPath, 'AliKassa public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new AliKassaKeyError(`AliKassa public key could not be loaded (${errorCode(err)})`);
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new AliKassaKeyError(`AliKassa public key is not an RSA key (${String(key.asymmetricKeyType)})`);
  return key;
}

/** base64( RSA PKCS#1 v1.5 with `hash` over exactly `body` ). */
export function aliKassaSign(
  body: Buffer,
  key: KeyObject,
  hash: AliKassaSignHash = DEFAULT_ALIKASSA_SIGN_HASH,
): string {
  return sign(hash, body, { key, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** True only when `signature` (base64) is AliKassa's signature over exactly `data`. Never throws. */
export function aliKassaVerify(
  data: Buffer,
  signature: string | undefined,
  publicKey: KeyObject,
  hash: AliKassaSignHash = DEFAULT_ALIKASSA_SIGN_HASH,
): boolean {
  if (typeof signature !== 'string') return false;
  const sig = signature.trim();
  if (sig === '' || sig.length % 4 !== 0 || !BASE64.test(sig)) return false;
  try {
    return verify(
      hash,
      data,
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(sig, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The headers of one attempt: `Account` and `Sign` over the exact body bytes. */
export function aliKassaHeaders(
  account: string,
  body: Buffer,
  key: KeyObject,
  hash: AliKassaSignHash = DEFAULT_ALIKASSA_SIGN_HASH,
): Record<string, string> {
  return { Account: account, Sign: aliKassaSign(body, key, hash) };
}

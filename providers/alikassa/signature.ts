/**
 * AliKassa request signing, from the document ("Signature Generation"):
 *
 *   sign = base64( openssl_sign( json_encode(data), private.pem + password.txt ) )
 *
 * openssl_sign's default is SHA-256 with RSA PKCS#1 v1.5 (the Node, Python, Java and Go samples of
 * the document say so explicitly), over the exact JSON bytes that are sent. The headers on every
 * request are `Account: <account uuid>` and `Sign: <base64>`; the shared signed-request layer calls
 * `aliKassaHeaders` once per attempt over the bytes it sends.
 *
 * The key pair comes from the merchant cabinet as an archive with private.pem (encrypted) and
 * password.txt. paysaga takes the PEM (its text, or a path to it) and the passphrase from the
 * environment and loads the key ONCE into a KeyObject; neither the passphrase nor the PEM ever
 * appears in an error raised here (only a Node/OpenSSL error code does).
 *
 * RSA PKCS#1 v1.5 is deterministic: the same key and bytes always give the same signature, which
 * is what lets the tests hold a vector computed with the openssl command line.
 */
import { constants, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

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

/** base64( RSA-SHA256 PKCS#1 v1.5 over exactly `body` ). */
export function aliKassaSign(body: Buffer, key: KeyObject): string {
  return sign('sha256', body, { key, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
}

/** The headers of one attempt: `Account` and `Sign` over the exact body bytes. */
export function aliKassaHeaders(account: string, body: Buffer, key: KeyObject): Record<string, string> {
  return { Account: account, Sign: aliKassaSign(body, key) };
}

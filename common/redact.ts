/**
 * Secret redaction for every log line and error message the engine writes.
 *
 * Two nets, because either alone leaks: values registered at start-up (sign keys, passwords,
 * tokens read from the environment) are replaced wherever they appear, and well-known field
 * names (otp, payment_token, Authorization, ...) have their values masked even when the value
 * was never registered (an OTP typed by a user, a token returned by a provider).
 */
const REDACTED = '[REDACTED]';
const registeredSecrets = new Set<string>();

/** Remember a secret value so it is masked wherever it later appears. Short values are ignored: masking "1" everywhere would destroy logs without protecting anything. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) registeredSecrets.add(value);
}

const SECRET_FIELD_NAMES = [
  'otp',
  'payment_token',
  'paymentToken',
  'sign_key',
  'signKey',
  'signature',
  'password',
  'token',
  'authorization',
  'api_key',
  'apiKey',
  'passphrase',
  'codecKey',
];

const NAMES = SECRET_FIELD_NAMES.join('|');
// An optional quote around the name, plain or backslash-escaped (a JSON body logged inside a
// JSON string arrives as \"otp\":\"123456\").
const Q = `(?:\\\\?["'])`;

// 1. Quoted values, kept quoted so a JSON line stays JSON: "otp":"12 34"  \"otp\":\"x\"  otp: 'x'
const QUOTED_VALUE = new RegExp(`(${Q}?\\b(?:${NAMES})${Q}?\\s*[:=]\\s*)(${Q})((?:(?!\\2).)*)\\2`, 'gi');
// 2. JSON scalars that are not strings: "otp":123456, "signature":null  ->  "otp":"[REDACTED]"
const JSON_SCALAR_VALUE = new RegExp(
  `(${Q}\\b(?:${NAMES})${Q}\\s*:\\s*)(-?\\d[\\d.eE+-]*|null|true|false)\\b`,
  'gi',
);
// 3. Unquoted text: otp=123456, Authorization: Payment abc, authorization: Basic xyz
const BARE_VALUE = new RegExp(`(\\b(?:${NAMES})\\s*[:=]\\s*)((?:[A-Za-z]+ )?[^\\s"'&,;}]+)`, 'gi');

/** Masks registered secrets, the call's own `extraSecrets`, and the values of secret-named fields. */
export function redactText(text: string, extraSecrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of [...registeredSecrets, ...extraSecrets]) {
    if (!secret || secret.length < 6) continue;
    // A secret in a URL arrives percent-encoded (a base64 key's "/", "+" and "=").
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out
    .replace(QUOTED_VALUE, (_m, prefix: string, quote: string) => `${prefix}${quote}${REDACTED}${quote}`)
    .replace(JSON_SCALAR_VALUE, (_m, prefix: string) => `${prefix}"${REDACTED}"`)
    .replace(BARE_VALUE, (_m, prefix: string) => `${prefix}${REDACTED}`);
}

/** An Error whose message and stack went through redactText: safe to log or to return to a caller. */
export function redactError(err: unknown): Error {
  if (err instanceof Error) {
    err.message = redactText(err.message);
    if (err.stack) err.stack = redactText(err.stack);
    return err;
  }
  return new Error(redactText(String(err)));
}

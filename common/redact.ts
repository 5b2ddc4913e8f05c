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

// "otp":"123456"  |  otp=123456  |  'otp': '123456'  |  Authorization: Payment abc
const FIELD_PATTERN = new RegExp(
  `(["']?(?:${SECRET_FIELD_NAMES.join('|')})["']?\\s*[:=]\\s*["']?)((?:Payment |Bearer )?[^"'&,;\\s}]+)`,
  'gi',
);

export function redactText(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) out = out.split(secret).join(REDACTED);
  return out.replace(FIELD_PATTERN, (_match, prefix: string) => `${prefix}${REDACTED}`);
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

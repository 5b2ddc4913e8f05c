/**
 * Secret redaction (redactText, redactError), the logger's output, and parseEnv's error messages.
 *
 * createLogger takes no destination (pino on stdout), so logger output is captured by running a
 * child `node --import tsx -e <script>` that logs, and reading its stdout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { z } from 'zod';
import { redactError, redactText, registerSecret } from '../../common/redact';
import { ConfigError, parseEnv, temporalEnv } from '../../common/config';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Run a CommonJS script in a child process with tsx, from the repo root; return its stdout lines. */
function runChild(script: string): string[] {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'debug' },
    timeout: 30_000,
  });
  assert.equal(result.status, 0, `child failed: ${result.stderr}`);
  return result.stdout.split('\n').filter((l) => l.trim() !== '');
}

const CHILD_PRELUDE = `
const { createLogger } = require('./common/logger.ts');
const { registerSecret } = require('./common/redact.ts');
const log = createLogger('redact-test');
`;

describe('redactText', () => {
  it('masks a registered secret everywhere it appears', () => {
    registerSecret('sk_registered_AAAA1111');
    const out = redactText('key=sk_registered_AAAA1111; again sk_registered_AAAA1111 at the end');
    assert.equal(out.includes('sk_registered_AAAA1111'), false);
    assert.equal(out.split('[REDACTED]').length - 1, 2);
    assert.match(out, /again \[REDACTED\] at the end/);
  });

  it('ignores registered values shorter than 6 characters (they would destroy logs)', () => {
    registerSecret('abc12');
    registerSecret(undefined);
    registerSecret('');
    assert.equal(redactText('invoice abc12 ok'), 'invoice abc12 ok');
  });

  it('masks JSON "otp":"123456"', () => {
    assert.equal(
      redactText('{"otp":"123456","invoice_code":"INV-1"}'),
      '{"otp":"[REDACTED]","invoice_code":"INV-1"}',
    );
  });

  it('masks otp=123456 in a query string and keeps the other parameters', () => {
    assert.equal(redactText('/verify?otp=123456&invoice=INV-1'), '/verify?otp=[REDACTED]&invoice=INV-1');
  });

  it('masks an Authorization: Payment <token> header, scheme and token', () => {
    const out = redactText('headers: Authorization: Payment ptk_hdr_9f8e7d');
    assert.equal(out, 'headers: Authorization: [REDACTED]');
    assert.equal(redactText('{"authorization":"Payment ptk_hdr_9f8e7d"}'), '{"authorization":"[REDACTED]"}');
  });

  it('masks "payment_token":"x" and the camelCase and upper-case spellings', () => {
    assert.equal(redactText('{"payment_token":"x"}'), '{"payment_token":"[REDACTED]"}');
    assert.equal(redactText("{ paymentToken: 'ptk_q' }"), "{ paymentToken: '[REDACTED]' }");
    assert.equal(redactText('PAYMENT_TOKEN=ptk_w'), 'PAYMENT_TOKEN=[REDACTED]');
  });

  it('masks sign_key, signature and password fields but leaves ordinary fields alone', () => {
    const out = redactText(
      '{"sign_key":"k-1","signature":"eeaf5a05","password":"pw","transaction_code":"QHBST9"}',
    );
    assert.equal(
      out,
      '{"sign_key":"[REDACTED]","signature":"[REDACTED]","password":"[REDACTED]","transaction_code":"QHBST9"}',
    );
  });

  it('masks the whole value of a secret field, even when it contains spaces or another auth scheme', () => {
    const cases = [
      { input: '{"password":"correct horse battery staple"}', leaked: ['horse', 'battery', 'staple'] },
      { input: 'Authorization: Basic dXNlcjpwYXNzd29yZA==', leaked: ['dXNlcjpwYXNzd29yZA'] },
    ];
    for (const { input, leaked } of cases) {
      const out = redactText(input);
      for (const part of leaked) {
        assert.ok(
          !out.includes(part),
          `BUG (common/redact.ts FIELD_PATTERN): the value stops at the first whitespace and only ` +
            `"Payment "/"Bearer " prefixes are swallowed, so part of a secret field's value survives: ` +
            `redactText(${JSON.stringify(input)}) = ${JSON.stringify(out)} still contains "${part}"`,
        );
      }
    }
  });

  it('redactError masks message and stack in place', () => {
    registerSecret('sk_in_error_BBBB2222');
    const err = redactError(new Error('failed with sk_in_error_BBBB2222 and otp=123456'));
    assert.ok(!err.message.includes('sk_in_error_BBBB2222'));
    assert.ok(!err.message.includes('123456'));
    assert.ok(!(err.stack ?? '').includes('sk_in_error_BBBB2222'));
    assert.ok(!(err.stack ?? '').includes('123456'));
    assert.equal(redactError('otp=654321').message, 'otp=[REDACTED]');
  });
});

describe('createLogger output (child process, stdout)', () => {
  it('contains no registered secret, no OTP, no payment token, no Authorization value', () => {
    const lines = runChild(`${CHILD_PRELUDE}
registerSecret('sk_live_REGISTERED_0001');
log.info({ otp: '123456', payment_token: 'ptk_field_0002', invoice_code: 'INV-1',
  headers: { Authorization: 'Payment ptk_header_0003', 'Content-Type': 'application/json' } }, 'authorize sent');
log.warn('signing with sk_live_REGISTERED_0001 and otp=654321');
log.error({ err: new Error('provider refused Authorization: Payment ptk_err_0004 key sk_live_REGISTERED_0001') }, 'failed');
`);
    assert.equal(lines.length, 3, `expected 3 log lines, got:\n${lines.join('\n')}`);
    const all = lines.join('\n');
    for (const secret of [
      'sk_live_REGISTERED_0001',
      '123456',
      '654321',
      'ptk_field_0002',
      'ptk_header_0003',
      'ptk_err_0004',
    ]) {
      assert.ok(!all.includes(secret), `"${secret}" reached the log:\n${all}`);
    }
    // Redaction happened (not an empty log) and non-secret fields survive.
    assert.ok((all.match(/\[REDACTED\]/g) ?? []).length >= 6, all);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(first.invoice_code, 'INV-1');
    assert.equal(first.component, 'redact-test');
    assert.equal(first.msg, 'authorize sent');
  });

  it('masks secrets inside a JSON body logged as a string (interpolated message or string field)', () => {
    const lines = runChild(`${CHILD_PRELUDE}
const body = JSON.stringify({ otp: '777888', payment_token: 'ptk_json_0005', invoice_code: 'INV-1' });
log.info('sending body ' + body);
log.info({ requestBody: body }, 'sending');
`);
    const all = lines.join('\n');
    for (const secret of ['777888', 'ptk_json_0005']) {
      assert.ok(
        !all.includes(secret),
        `BUG (common/redact.ts via common/logger.ts): a JSON body logged as a string is escaped by pino ` +
          `(\\"otp\\":\\"...\\"), FIELD_PATTERN does not allow a backslash before the quotes, so ` +
          `"${secret}" reaches the log in clear:\n${all}`,
      );
    }
  });

  it('every line stays valid JSON when a secret field holds a number, null or an object', () => {
    const lines = runChild(`${CHILD_PRELUDE}
log.info({ otp: 123456 }, 'numeric otp');
log.info({ signature: null }, 'null signature');
log.info({ authorization: { scheme: 'Payment', token: 'ptk_obj_0006' } }, 'object auth');
`);
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.doesNotThrow(
        () => JSON.parse(line),
        `BUG (common/redact.ts via common/logger.ts): redaction replaces a non-string JSON value ` +
          `without quotes, so the log line is no longer JSON: ${line}`,
      );
      assert.ok(!line.includes('123456'), line);
    }
  });
});

describe('parseEnv', () => {
  const SECRET_VALUE = 'sk_env_value_CCCC3333';
  const shape = {
    PRAKERJA_BASE_URL: z.url(),
    PRAKERJA_CLIENT_CODE: z.string().min(1),
    PRAKERJA_SIGN_KEY: z.string().min(1),
  };
  const fullEnv = {
    PRAKERJA_BASE_URL: 'https://api.example.test',
    PRAKERJA_CLIENT_CODE: 'DP-TEST-01',
    PRAKERJA_SIGN_KEY: SECRET_VALUE,
    UNRELATED_PASSWORD: 'unrelated_value_DDDD4444',
  };

  function configError(fn: () => unknown): ConfigError {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected a ConfigError');
  }

  it('parses a complete environment', () => {
    const cfg = parseEnv(shape, fullEnv);
    assert.equal(cfg.PRAKERJA_CLIENT_CODE, 'DP-TEST-01');
    assert.equal(cfg.PRAKERJA_SIGN_KEY, SECRET_VALUE);
  });

  it('a missing required variable: ConfigError naming it, containing no env value', () => {
    const env: NodeJS.ProcessEnv = { ...fullEnv };
    delete env.PRAKERJA_CLIENT_CODE;
    const err = configError(() => parseEnv(shape, env));
    assert.match(err.message, /PRAKERJA_CLIENT_CODE/);
    for (const value of Object.values(env)) {
      assert.ok(!err.message.includes(String(value)), `message echoes an env value: ${err.message}`);
    }
  });

  it('an empty string counts as unset (required -> error, default -> default)', () => {
    const err = configError(() => parseEnv(shape, { ...fullEnv, PRAKERJA_SIGN_KEY: '' }));
    assert.match(err.message, /PRAKERJA_SIGN_KEY/);
    assert.ok(!err.message.includes('DP-TEST-01'));

    const temporal = parseEnv(temporalEnv, { TEMPORAL_NAMESPACE: '', TEMPORAL_ADDRESS: '' });
    assert.equal(temporal.TEMPORAL_NAMESPACE, 'paysaga');
    assert.equal(temporal.TEMPORAL_ADDRESS, 'localhost:7233');
  });

  it('a malformed value: ConfigError naming the variable without echoing the value', () => {
    const bad = 'not-a-url-secretish_EEEE5555';
    const err = configError(() => parseEnv(shape, { ...fullEnv, PRAKERJA_BASE_URL: bad }));
    assert.match(err.message, /PRAKERJA_BASE_URL/);
    assert.ok(!err.message.includes(bad), err.message);

    const tls = configError(() => parseEnv(temporalEnv, { TEMPORAL_TLS: 'yes_FFFF6666' }));
    assert.match(tls.message, /TEMPORAL_TLS/);
    assert.ok(!tls.message.includes('yes_FFFF6666'), tls.message);
  });

  it('registers secret variables for redaction as soon as the environment is read', () => {
    const key = 'sk_registered_by_parseEnv_7777';
    parseEnv(shape, { ...fullEnv, PRAKERJA_SIGN_KEY: key });
    assert.equal(redactText(`using ${key} now`), 'using [REDACTED] now');
  });
});

/**
 * Secure by default (issue 11): the real gateway entry (gateway/main.ts) refuses to start where
 * others can reach it without its tokens, with one line and a non-zero exit; and the codec
 * endpoint checks the Origin, over real HTTP on a stack whose gateway has both tokens.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startStack, type Stack } from '../../scripts/stack';
import { http } from '../helpers/http';

const ROOT = resolve(__dirname, '../..');
const API_TOKEN = 'api-token-for-the-secure-defaults-test';
const CODEC_TOKEN = 'codec-token-for-the-secure-defaults-test';
const UI_ORIGIN = 'http://localhost:8233';

/** This process's environment without anything that would configure the gateway's security. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['GATEWAY_API_TOKEN', 'PAYSAGA_CODEC_AUTH_TOKEN', 'NODE_ENV', 'GATEWAY_HOST'])
    delete env[name];
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs gateway/main.ts until it exits, or until `until` matches its output (then stops it). */
function runGateway(env: NodeJS.ProcessEnv, until?: RegExp, timeoutMs = 60_000): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/main.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(
        new Error(`the gateway neither exited nor started within ${timeoutMs} ms: ${JSON.stringify(out)}`),
      );
    }, timeoutMs);
    const watch = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      out[key] += chunk.toString();
      if (until?.test(out[key])) child.kill('SIGTERM');
    };
    child.stdout.on('data', watch('stdout'));
    child.stderr.on('data', watch('stderr'));
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, ...out });
    });
  });
}

function assertRefusedInOneLine(run: Run, pattern: RegExp) {
  assert.notEqual(run.code, 0, 'exits non-zero');
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.equal(run.stdout.trim(), '', 'nothing else printed');
}

describe('the gateway refuses to start exposed without its tokens (real process)', () => {
  // A Temporal nobody listens on: a gateway that got past the check would fail differently.
  const unreachable = {
    TEMPORAL_ADDRESS: '127.0.0.1:9',
    PAYSAGA_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-')),
  };

  it('bound to 0.0.0.0 without either token', async () => {
    const run = await runGateway(cleanEnv({ ...unreachable, GATEWAY_HOST: '0.0.0.0', GATEWAY_PORT: '0' }));
    assertRefusedInOneLine(
      run,
      /^configuration: GATEWAY_API_TOKEN and PAYSAGA_CODEC_AUTH_TOKEN required \(GATEWAY_HOST=0\.0\.0\.0 is not a loopback address\)/,
    );
  });

  it('NODE_ENV=production on loopback with only the REST token', async () => {
    const run = await runGateway(
      cleanEnv({
        ...unreachable,
        NODE_ENV: 'production',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        GATEWAY_API_TOKEN: API_TOKEN,
      }),
    );
    assertRefusedInOneLine(run, /^configuration: PAYSAGA_CODEC_AUTH_TOKEN required \(NODE_ENV=production\)/);
    assert.ok(!run.stderr.includes(API_TOKEN), 'the token is never printed');
  });
});

describe('a gateway with its tokens (whole stack over HTTP)', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      dataDir: mkdtempSync(join(tmpdir(), 'paysaga-secure-')),
      log: () => undefined,
      env: { GATEWAY_API_TOKEN: API_TOKEN, PAYSAGA_CODEC_AUTH_TOKEN: CODEC_TOKEN },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it('starts in production when both tokens are set', async () => {
    const run = await runGateway(
      cleanEnv({
        NODE_ENV: 'production',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        GATEWAY_API_TOKEN: API_TOKEN,
        PAYSAGA_CODEC_AUTH_TOKEN: CODEC_TOKEN,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_NAMESPACE: stack.namespace,
        PAYSAGA_DATA_DIR: stack.dataDir,
        // Production also demands its codec key in the environment (workers/codec-keys.ts).
        PAYSAGA_CODEC_KEY: randomBytes(32).toString('base64'),
      }),
      /gateway listening on/,
    );
    assert.match(run.stdout, /gateway listening on http:\/\/127\.0\.0\.1:\d+/);
  });

  const decode = (headers: Record<string, string>) =>
    http('POST', `${stack.gatewayUrl}/codec/decode`, { payloads: [] }, headers);
  const bearer = { Authorization: `Bearer ${CODEC_TOKEN}` };

  it('the codec endpoint: another Origin is refused (403) even with the token, preflight included', async () => {
    for (const origin of ['http://evil.example', 'null', `${UI_ORIGIN}.evil.example`]) {
      const res = await decode({ Origin: origin, ...bearer });
      assert.equal(res.status, 403, origin);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      const preflight = await http('OPTIONS', `${stack.gatewayUrl}/codec/decode`, undefined, {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
      });
      assert.equal(preflight.status, 403, `preflight from ${origin}`);
    }
  });

  it("the codec endpoint: the UI's Origin or no Origin, and always the bearer token", async () => {
    assert.equal((await decode({ Origin: UI_ORIGIN, ...bearer })).status, 200);
    assert.equal((await decode({ Origin: UI_ORIGIN })).status, 401);
    assert.equal((await decode(bearer)).status, 200, 'a script or the temporal CLI sends no Origin');
    assert.equal((await decode({})).status, 401);
    assert.equal((await http('GET', `${stack.gatewayUrl}/v1/payments`)).status, 401, 'REST needs its token');
  });
});

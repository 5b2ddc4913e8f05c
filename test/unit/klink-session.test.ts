/**
 * KLinkSession against a local HTTP server playing K-Link's login and one authenticated call
 * (check_saldo): one login for many calls, single flight, one re-login per expiry, and the
 * password never in an error.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { KLinkSession, KLINK_LOGIN_PATH } from '../../providers/klink/session';
import { createKLinkClient } from '../../providers/klink/client';
import { ProviderRejection } from '../../providers/http/errors';

const EMAIL = 'merchant@example.co.id';
const PASSWORD = 'S3cret-Passw0rd!';

let server: http.Server;
let baseUrl: string;
let tokens = new Set<string>();
let logins = 0;
let loginDelayMs = 0;
let saldoCalls = 0;
/** How the server refuses a token it does not know. */
let refusal: 'http-401' | 'fail-200' = 'http-401';
/** When set, check_saldo answers 500 echoing the token it was sent (a leaky provider). */
let echoTokenIn500 = false;
let seenAuthorization: Array<string | undefined> = [];
/** When set, login hands out tokens that check_saldo never accepts. */
let issueDeadTokens = false;

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (req.url === KLINK_LOGIN_PATH) {
        logins += 1;
        setTimeout(() => {
          if (body.email !== EMAIL || body.password !== PASSWORD)
            return reply(res, 401, { status: 'fail', message: 'Email atau password salah' });
          const token = `tok-${logins}-${randomBytes(8).toString('hex')}`;
          if (!issueDeadTokens) tokens.add(token);
          reply(res, 200, { status: 'success', message: 'Login success', Authorization: token });
        }, loginDelayMs);
        return;
      }
      if (req.url === '/api/kwallet/check_saldo') {
        saldoCalls += 1;
        const auth = req.headers.authorization;
        seenAuthorization.push(auth);
        if (echoTokenIn500) return reply(res, 500, { status: 'fail', message: `backend down for ${auth}` });
        if (!auth || !tokens.has(auth)) {
          return refusal === 'http-401'
            ? reply(res, 401, { status: 'fail', message: 'Unauthorized: token invalid or expired' })
            : reply(res, 200, { status: 'fail', message: 'Token expired, please login' });
        }
        return reply(res, 200, {
          status: 'success',
          message: 'Saldo berhasil ditampilkan!',
          last_saldo: '2000.00',
        });
      }
      reply(res, 404, { status: 'fail', message: 'Endpoint not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  tokens = new Set();
  logins = 0;
  loginDelayMs = 0;
  saldoCalls = 0;
  refusal = 'http-401';
  echoTokenIn500 = false;
  seenAuthorization = [];
  issueDeadTokens = false;
});

function setup(password = PASSWORD) {
  const session = new KLinkSession({ baseUrl, email: EMAIL, password, timeoutMs: 2000 });
  const client = createKLinkClient({ baseUrl, email: EMAIL, password, timeoutMs: 2000, session });
  return { session, client };
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to throw');
}

describe('klink session', () => {
  it('100 sequential calls -> 1 login; the raw token (no scheme) is the Authorization header', async () => {
    const { session, client } = setup();
    for (let i = 0; i < 100; i++)
      assert.equal((await client.checkBalance({ idMember: 'idspaa0012' })).balance, 2000);
    assert.equal(logins, 1);
    assert.equal(session.loginCount, 1);
    assert.equal(saldoCalls, 100);
    const token = await session.token();
    assert.match(token, /^tok-1-/);
    assert.ok(seenAuthorization.every((a) => a === token));
  });

  it('20 concurrent first calls -> 1 login (single flight)', async () => {
    loginDelayMs = 50; // the login is still in flight when the other 19 ask
    const { session, client } = setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => client.checkBalance({ idMember: 'idspaa0012' })),
    );
    assert.equal(results.length, 20);
    assert.ok(results.every((r) => r.balance === 2000));
    assert.equal(logins, 1);
    assert.equal(session.loginCount, 1);
    assert.equal(new Set(seenAuthorization).size, 1);
  });

  it('the server expires the token (HTTP 401 once) -> exactly one re-login and the call succeeds', async () => {
    const { session, client } = setup();
    await client.checkBalance({ idMember: 'idspaa0012' });
    const before = await session.token();
    tokens.clear(); // K-Link forgets every session
    const r = await client.checkBalance({ idMember: 'idspaa0012' });
    assert.equal(r.balance, 2000);
    assert.equal(logins, 2);
    assert.equal(saldoCalls, 3, 'first call, the refused one, the resend');
    const afterToken = await session.token();
    assert.notEqual(afterToken, before);
    assert.equal(seenAuthorization.at(-1), afterToken);
    assert.equal(seenAuthorization.at(-2), before);
  });

  it('a 200 {status:"fail", message:"Token expired"} is read as a rejected token too', async () => {
    refusal = 'fail-200';
    const { client } = setup();
    await client.checkBalance({ idMember: 'idspaa0012' });
    tokens.clear();
    assert.equal((await client.checkBalance({ idMember: 'idspaa0012' })).balance, 2000);
    assert.equal(logins, 2);
  });

  it('10 concurrent calls refused the same expired token -> one re-login, not ten', async () => {
    loginDelayMs = 30;
    const { client } = setup();
    await client.checkBalance({ idMember: 'idspaa0012' });
    tokens.clear();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => client.checkBalance({ idMember: 'idspaa0012' })),
    );
    assert.ok(results.every((r) => r.balance === 2000));
    assert.equal(logins, 2);
  });

  it('invalidate drops only the current token', async () => {
    const { session } = setup();
    const first = await session.token();
    session.invalidate('some-older-token');
    assert.equal(await session.token(), first);
    assert.equal(session.loginCount, 1);
    session.invalidate(first);
    const second = await session.token();
    assert.notEqual(second, first);
    session.invalidate(first); // a late caller still holding the old one
    assert.equal(await session.token(), second);
    assert.equal(session.loginCount, 2);
  });

  it('a token refused again after the re-login -> TOKEN_REJECTED, retryable; only one re-login', async () => {
    const { client } = setup();
    await client.checkBalance({ idMember: 'idspaa0012' });
    tokens.clear();
    issueDeadTokens = true;
    const err = await rejected(client.checkBalance({ idMember: 'idspaa0012' }));
    assert.ok(err instanceof ProviderRejection, String(err));
    assert.equal(err.code, 'TOKEN_REJECTED');
    assert.equal(err.outcomeClass, 'retryable');
    assert.equal(err.httpStatus, 401);
    assert.equal(logins, 2);
  });

  it('wrong password -> LOGIN_FAILED, final, and the password is in neither message nor stack', async () => {
    const wrong = 'Wr0ng-Passw0rd-xyz';
    const { session, client } = setup(wrong);
    const err = await rejected(client.checkBalance({ idMember: 'idspaa0012' }));
    assert.ok(err instanceof ProviderRejection, String(err));
    assert.equal(err.code, 'LOGIN_FAILED');
    assert.equal(err.operation, 'login');
    assert.equal(err.outcomeClass, 'final');
    assert.equal(err.httpStatus, 401);
    assert.equal(err.providerMessage, 'Email atau password salah');
    for (const text of [err.message, err.stack ?? '', JSON.stringify(err), String(err)]) {
      assert.ok(!text.includes(wrong), `password leaked in: ${text}`);
      assert.ok(!text.includes(PASSWORD));
    }
    assert.equal(saldoCalls, 0, 'nothing is called without a session');
    // A failed login is not cached: the next call tries again.
    await rejected(session.token());
    assert.equal(session.loginCount, 2);
  });

  it('a token the provider echoes in a 5xx body does not reach the error', async () => {
    const { session, client } = setup();
    const token = await session.token();
    echoTokenIn500 = true;
    const err = await rejected(client.checkBalance({ idMember: 'idspaa0012' }));
    assert.ok(err instanceof ProviderRejection, String(err));
    assert.equal(err.code, 'HTTP_500');
    assert.equal(err.outcomeClass, 'retryable');
    assert.ok(!err.message.includes(token), err.message);
    assert.ok(!err.providerMessage.includes(token), err.providerMessage);
    assert.match(err.providerMessage, /\[REDACTED\]/);
  });
});

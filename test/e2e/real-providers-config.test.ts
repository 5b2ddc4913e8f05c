/**
 * Every provider configured the same way: the stack (what `npm start` runs) is started with PPOB
 * and AliKassa settings pointing at two small HTTP servers this test runs, standing in for the
 * real providers. A PPOB purchase and an AliKassa transfer go through the gateway; those servers
 * receive the calls, signed with the settings the test gave, and the sandbox receives none.
 * A half-configured provider stops the worker, the gateway and `npm start` with one line.
 *
 * The fake providers answer only what the clients in providers/ppob and providers/alikassa read;
 * they check the signatures independently of our signers (node:crypto's sha256 and RSA verify
 * over the received bytes), so a request signed with the sandbox's credentials would not pass.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, verify } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROVIDER_KEYS, providerVariables } from '../../common/provider-settings';
import { ALIKASSA_STATUS_WORDS } from '../../providers/alikassa/states';
import { startStack, type Stack } from '../../scripts/stack';
import { http, waitUntil } from '../helpers/http';

const ROOT = resolve(__dirname, '../..');

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  body: Record<string, unknown>;
}

/** A JSON-over-HTTP server answering with `answer`, keeping every request it received. */
async function fakeProvider(
  answer: (r: Received) => { status: number; body: unknown },
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> = {};
      try {
        body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // kept raw; the answer below decides
      }
      const r: Received = { path: req.url ?? '', headers: req.headers, raw, body };
      received.push(r);
      const { status, body: out } = answer(r);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** This process's environment without any provider variable, so only the test's settings count. */
function envWithoutProviders(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of PROVIDER_KEYS) for (const v of providerVariables(k)) delete env[v];
  return env;
}

/** Runs a process entry with `env` until it exits; its exit code and output. */
function runEntry(
  entry: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('real providers configured like the sandbox (whole stack over HTTP)', () => {
  const ppobUser = 'shop-partner';
  const ppobToken = randomBytes(16).toString('hex');
  const aliKassaAccount = randomUUID();
  const merchant = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const notifications = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  /** AliKassa's word for a paid payment, as the engine reads it today. */
  const paidWord = Object.keys(ALIKASSA_STATUS_WORDS).find((w) => ALIKASSA_STATUS_WORDS[w] === 'paid')!;

  let ppob: Awaited<ReturnType<typeof fakeProvider>>;
  let aliKassa: Awaited<ReturnType<typeof fakeProvider>>;
  let stack: Stack;
  const created = new Map<string, { amount: unknown; id: string }>();

  before(async () => {
    // PPOB: every purchase succeeds at once (POST /trx/topup, the client's PpobTransactionBody).
    ppob = await fakeProvider(({ path, body }) =>
      path === '/trx/topup'
        ? {
            status: 200,
            body: {
              ref_id: body.refid,
              trx_id: 7001,
              code: body.code,
              destination: body.dest,
              status: 'Success',
              sn: 'FAKE-SN-0001',
              message: 'SUKSES',
              price: 10_500,
            },
          }
        : { status: 404, body: { message: 'no such route' } },
    );
    // AliKassa: a payment is created waiting, and its status says paid in full.
    aliKassa = await fakeProvider(({ path, body }) => {
      const orderId = String(body.order_id);
      if (path === '/v1/payment') {
        const id = String(9000 + created.size);
        created.set(orderId, { amount: body.amount, id });
        return {
          status: 200,
          body: { url: `https://pay.fake.test/${id}`, payment_status: 'wait', id, uuid: randomUUID() },
        };
      }
      if (path === '/v1/payment/status') {
        const c = created.get(orderId);
        if (!c) return { status: 404, body: { message: 'not found' } };
        return {
          status: 200,
          body: {
            id: c.id,
            order_id: orderId,
            payment_status: paidWord,
            amount: c.amount,
            payment_amount: c.amount,
            is_partial_payment: false,
          },
        };
      }
      return { status: 404, body: { message: 'no such route' } };
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-real-providers-'));
    stack = await startStack({
      dataDir,
      log: () => undefined,
      env: {
        ...envWithoutProviders(),
        PPOB_BASE_URL: ppob.url,
        PPOB_USERNAME: ppobUser,
        PPOB_TOKEN: ppobToken,
        PPOB_CALLBACK_SECRET: randomBytes(16).toString('hex'),
        ALIKASSA_BASE_URL: aliKassa.url,
        ALIKASSA_ACCOUNT: aliKassaAccount,
        ALIKASSA_PRIVATE_KEY: merchant.privateKey,
        ALIKASSA_SIGN_HASH: 'sha256',
        ALIKASSA_NOTIFICATION_PUBLIC_KEY: notifications.publicKey,
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await ppob?.close();
    await aliKassa?.close();
  });

  const view = async (id: string) => (await http('GET', `${stack.gatewayUrl}/v1/payments/${id}`)).body;
  const sandboxRequests = async () =>
    (await http('GET', `${stack.sandboxUrl}/_control/requests`)).body as {
      bySimulator: Record<string, number>;
      total: number;
    };

  it('says where every provider points: PPOB and AliKassa at their servers, the others at the sandbox', () => {
    const where = Object.fromEntries(stack.providers.map((p) => [p.key, p]));
    assert.deepEqual(Object.keys(where).sort(), ['alikassa', 'klink', 'ppob', 'prakerja']);
    assert.equal(where.ppob!.baseUrl, ppob.url);
    assert.equal(where.ppob!.sandbox, false);
    assert.equal(where.alikassa!.baseUrl, aliKassa.url);
    assert.equal(where.alikassa!.sandbox, false);
    assert.ok(stack.sandboxUrl, 'the sandbox runs for Prakerja and K-Link');
    assert.equal(where.prakerja!.sandbox, true);
    assert.ok(where.klink!.baseUrl.startsWith(stack.sandboxUrl!));
    assert.equal(stack.sandboxKLink !== undefined, true);
  });

  it('a PPOB purchase goes to the PPOB server, signed with its settings', async () => {
    const orderId = `RP-${process.pid}-1`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/ppob/purchases`, {
      orderId,
      kind: 'prepaid',
      productCode: 'S10',
      destination: '081234500001',
      pollSeconds: 2,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const workflowId = res.body.workflowId as string;
    await waitUntil(async () => (await view(workflowId)).status === 'SUCCEEDED', 60_000, 'SUCCEEDED');
    assert.equal((await view(workflowId)).sn, 'FAKE-SN-0001');
    const topups = ppob.received.filter((r) => r.path === '/trx/topup');
    assert.ok(topups.length >= 1, 'the PPOB server received the purchase');
    const h = topups[0]!.headers;
    assert.equal(h['gw-username'], ppobUser);
    // The document's formula, computed here: sha256(username + datetime + token), hex.
    const expected = createHash('sha256')
      .update(`${ppobUser}${String(h['gw-datetime'])}${ppobToken}`)
      .digest('hex');
    assert.equal(h['gw-signature'], expected);
  });

  it('an AliKassa transfer goes to the AliKassa server, signed with the merchant key given', async () => {
    const orderId = `RA-${process.pid}-1`;
    const res = await http('POST', `${stack.gatewayUrl}/v1/transfers`, {
      orderId,
      method: 'alikassa',
      amount: 150_000,
      customer: {
        fullname: 'Budi Santoso',
        phone: '081234567890',
        email: 'budi@example.test',
        ip: '10.1.2.3',
      },
      service: 'virtual_account_idr_hpp',
      customerCode: 'BCAVA',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const workflowId = res.body.workflowId as string;
    // Paid once its status is asked (the first poll comes a few seconds after the create).
    await waitUntil(async () => (await view(workflowId)).status === 'PAID', 60_000, 'PAID');
    const create = aliKassa.received.find((r) => r.path === '/v1/payment');
    assert.ok(create, 'the AliKassa server received the create');
    assert.equal(create.body.order_id, orderId);
    assert.equal(create.headers.account, aliKassaAccount);
    const signed = verify(
      'sha256',
      create.raw,
      merchant.publicKey,
      Buffer.from(String(create.headers.sign), 'base64'),
    );
    assert.equal(signed, true, 'Sign verifies with the public half of the key the test gave');
    assert.ok(aliKassa.received.some((r) => r.path === '/v1/payment/status' && r.body.order_id === orderId));
  });

  it('the sandbox received no PPOB or AliKassa call (and its counter does count)', async () => {
    const counts = await sandboxRequests();
    assert.equal(counts.bySimulator.ppob ?? 0, 0, JSON.stringify(counts));
    assert.equal(counts.bySimulator.alikassa ?? 0, 0, JSON.stringify(counts));
    // The counter is not blind: a call to the sandbox's PPOB is counted.
    await http('POST', `${stack.sandboxUrl}/ppob/trx/topup`, {});
    assert.equal((await sandboxRequests()).bySimulator.ppob, 1);
  });
});

describe('a half-configured provider stops the start with one line', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paysaga-half-config-'));
  const base = { ...envWithoutProviders(), PAYSAGA_DATA_DIR: dataDir, LOG_LEVEL: 'info' };

  const assertOneLine = (r: { code: number | null; stdout: string; stderr: string }, expected: string) => {
    assert.notEqual(r.code, 0, 'a non-zero exit code');
    assert.equal(r.code, 1);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() !== '');
    assert.deepEqual(lines, [expected], 'one line, no stack trace');
  };

  it('worker: only PPOB_BASE_URL set', async () => {
    const r = await runEntry('workers/main.ts', { ...base, PPOB_BASE_URL: 'https://ppob.example.test' });
    assertOneLine(
      r,
      "configuration: PPOB is half-configured: PPOB_BASE_URL set but PPOB_USERNAME, PPOB_TOKEN missing (set all of a provider's variables, or none)",
    );
  });

  it('gateway: PPOB credentials (a shared .env) but no PPOB_CALLBACK_SECRET', async () => {
    const r = await runEntry('gateway/main.ts', {
      ...base,
      PPOB_BASE_URL: 'https://ppob.example.test',
      PPOB_USERNAME: 'u',
      PPOB_TOKEN: 'secret-token-value',
    });
    assertOneLine(
      r,
      "configuration: PPOB is half-configured: PPOB_BASE_URL, PPOB_USERNAME, PPOB_TOKEN set but PPOB_CALLBACK_SECRET missing (set all of a provider's variables, or none)",
    );
    assert.doesNotMatch(r.stderr + r.stdout, /secret-token-value/, 'never a value');
  });

  it('npm start (scripts/dev.ts): only MIDTRANS_SERVER_KEY of K-Link set, before anything starts', async () => {
    const r = await runEntry('scripts/dev.ts', { ...base, MIDTRANS_SERVER_KEY: 'SB-Mid-server-abcdefgh' });
    assertOneLine(
      r,
      "configuration: K-Link is half-configured: MIDTRANS_SERVER_KEY set but KLINK_BASE_URL, KLINK_EMAIL, KLINK_PASSWORD, KLINK_WEBHOOK_KEY missing (set all of a provider's variables, or none)",
    );
  });

  it('startStack: the same ConfigError, nothing started', async () => {
    await assert.rejects(
      startStack({
        dataDir,
        log: () => undefined,
        env: { ...base, ALIKASSA_BASE_URL: 'https://alikassa.example.test' },
      }),
      /^ConfigError: configuration: AliKassa is half-configured: ALIKASSA_BASE_URL set but ALIKASSA_ACCOUNT, ALIKASSA_PRIVATE_KEY, ALIKASSA_NOTIFICATION_PUBLIC_KEY missing/,
    );
  });
});

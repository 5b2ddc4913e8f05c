/**
 * The whole engine on one machine: Temporal dev server (unless TEMPORAL_ADDRESS points at another
 * cluster), provider sandbox (unless real provider credentials are given), worker and gateway,
 * wired together. Used by `npm start` and by the end-to-end tests, so the tests run the stack a
 * user runs.
 */
import { Connection } from '@temporalio/client';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { PAYSAGA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { ManagedProcess, type LogSink } from './managed-process';
import { temporalCliPath } from './temporal-cli';

const ROOT = resolve(__dirname, '..');

export interface StackOptions {
  dataDir: string;
  namespace?: string;
  taskQueue?: string;
  ports?: Partial<{ temporal: number; ui: number; gateway: number; sandbox: number }>;
  /** An existing Temporal cluster: no local server is started. */
  temporalAddress?: string;
  /** Real Prakerja credentials: no sandbox is started. */
  prakerja?: { baseUrl: string; clientCode: string; signKey: string };
  /** Real K-Link credentials: K-Link calls go there instead of the sandbox. */
  klink?: { baseUrl: string; email: string; password: string };
  /** Real PPOB credentials: PPOB calls go there instead of the sandbox. */
  ppob?: { baseUrl: string; username: string; token: string };
  /** Run the Web UI (the local dev command does; tests do not need it). */
  ui?: boolean;
  /** Environment passed on to every child (TLS, codec key, log level, ...). */
  env?: NodeJS.ProcessEnv;
  log?: LogSink;
}

export interface Stack {
  namespace: string;
  taskQueue: string;
  temporalAddress: string;
  uiUrl?: string;
  gatewayUrl: string;
  sandboxUrl?: string;
  prakerjaBaseUrl: string;
  klinkBaseUrl: string;
  ppobBaseUrl: string;
  /** The URL the provider must call back (it carries the secret). */
  ppobCallbackUrl: string;
  /** The sandbox's K-Link login, for demos and tests that act as a K-Link user themselves. */
  sandboxKLink?: { email: string; password: string };
  dataDir: string;
  startWorker(): Promise<void>;
  /** SIGKILL: the worker dies mid-task, as in a crash. */
  killWorker(): Promise<void>;
  /** Stops the local Temporal server (its state stays in the SQLite file), as in an outage. */
  stopTemporal(): Promise<void>;
  /** Starts it again on the same port and file. */
  startTemporal(): Promise<void>;
  /** Process ids, for benchmarks that read resident memory. */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

/** `count` distinct free ports: every listener stays open until all are chosen. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function tsEntry(path: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', join(ROOT, path)] };
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const namespace = opts.namespace ?? 'paysaga';
  const taskQueue = opts.taskQueue ?? 'paysaga';
  const log: LogSink = opts.log ?? fileAndConsoleLog(join(dataDir, 'logs'));
  // All ports chosen at once (held open together, so no two are the same), including the dev
  // server's HTTP and metrics ports: left to itself it picks random free ones at start, which
  // could be the very port reserved here for the sandbox or the gateway.
  const [temporalPort, uiPort, gatewayPort, sandboxPort, httpPort, metricsPort] = await freePorts(6);
  const ports = {
    temporal: opts.ports?.temporal ?? temporalPort!,
    ui: opts.ports?.ui ?? uiPort!,
    gateway: opts.ports?.gateway ?? gatewayPort!,
    sandbox: opts.ports?.sandbox ?? sandboxPort!,
  };
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...opts.env, PAYSAGA_DATA_DIR: dataDir };
  const started: ManagedProcess[] = [];

  const stopAll = async () => {
    for (const p of [...started].reverse()) await p.stop();
  };

  try {
    // 1. Temporal
    let temporalAddress = opts.temporalAddress;
    let temporal: ManagedProcess | undefined;
    let uiUrl: string | undefined;
    if (!temporalAddress) {
      temporalAddress = `127.0.0.1:${ports.temporal}`;
      const args = [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(ports.temporal),
        '--http-port',
        String(httpPort),
        '--metrics-port',
        String(metricsPort),
        '--namespace',
        namespace,
        '--db-filename',
        join(dataDir, 'temporal.db'),
        // WAL: a commit appends to the log instead of rewriting a rollback journal, and readers
        // do not block the writer. With synchronous=normal the file is synced at checkpoints, not
        // at every commit: a crash of the server loses nothing it committed; a power loss may lose
        // the last commits. Good enough for a local dev server, never for production data.
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
        '--log-level',
        'warn',
        ...PAYSAGA_SEARCH_ATTRIBUTES.flatMap((k) => [
          '--search-attribute',
          `${k.name}=${searchAttributeTypeName(k.type)}`,
        ]),
      ];
      if (opts.ui) {
        args.push('--ui-port', String(ports.ui), '--ui-codec-endpoint', `${gatewayUrl}/codec`);
        uiUrl = `http://localhost:${ports.ui}`;
      } else {
        args.push('--headless');
      }
      // A port chosen free can be taken by another process before the server binds it: then
      // the server dies at once, and (when the port was ours to choose) we try another.
      for (let attempt = 1; ; attempt++) {
        const server = new ManagedProcess(
          { name: 'temporal', command: temporalCliPath(), args, env: baseEnv },
          log,
        );
        temporal = server;
        started.push(server);
        await server.start();
        let ready = false;
        try {
          await Promise.race([
            waitForTemporal(temporalAddress, namespace).then(() => {
              ready = true;
            }),
            server.whenExited().then((code) => {
              if (!ready)
                throw new Error(
                  `Temporal dev server exited (code ${code}) before it was ready${server.tail()}`,
                );
            }),
          ]);
          break;
        } catch (err) {
          await server.stop('SIGKILL');
          started.pop();
          if (opts.ports?.temporal !== undefined || attempt >= 3) throw err;
          ports.temporal = await freePort();
          temporalAddress = `127.0.0.1:${ports.temporal}`;
          args[args.indexOf('--port') + 1] = String(ports.temporal);
        }
      }
    }

    const temporalEnv = {
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
    };

    // 2. Sandbox, for every provider without real credentials
    let sandboxUrl: string | undefined;
    let fulfilmentUrl: string | undefined = baseEnv.FULFILMENT_URL;
    let prakerja = opts.prakerja;
    let klink = opts.klink;
    let sandboxKLinkLogin: { email: string; password: string } | undefined;
    let klinkWebhookKey: string | undefined = baseEnv.KLINK_WEBHOOK_KEY;
    let midtransServerKey: string | undefined = baseEnv.MIDTRANS_SERVER_KEY;
    let ppob = opts.ppob;
    // The unsigned PPOB callback is protected by a secret in its URL (see gateway/ppob-callback.ts).
    const ppobCallbackSecret = baseEnv.PPOB_CALLBACK_SECRET ?? randomBytes(18).toString('hex');
    const ppobCallbackUrl = `${gatewayUrl}/callbacks/ppob/${ppobCallbackSecret}`;
    // AliKassa in the sandbox: a merchant key pair (we sign, the simulator verifies) and a
    // provider key pair (the simulator signs notifications, the gateway verifies), fresh per start.
    let aliKassaEnv:
      { worker: NodeJS.ProcessEnv; gateway: NodeJS.ProcessEnv; sandbox: NodeJS.ProcessEnv } | undefined;
    if (!prakerja || !klink || !ppob) {
      sandboxUrl = `http://127.0.0.1:${ports.sandbox}`;
      // Fresh credentials per start: the sandbox and the worker learn them from this process only.
      const sandboxPrakerja = {
        baseUrl: `${sandboxUrl}/prakerja`,
        clientCode: 'paysaga-sandbox',
        signKey: randomBytes(24).toString('hex'),
      };
      const sandboxKLink = {
        baseUrl: `${sandboxUrl}/klink`,
        email: 'paysaga@sandbox.test',
        password: randomBytes(18).toString('hex'),
      };
      const klinkPidKey = randomBytes(16).toString('hex');
      if (!opts.klink) midtransServerKey = `SB-Mid-server-${randomBytes(12).toString('hex')}`;
      if (!opts.klink) klinkWebhookKey = klinkPidKey;
      const passphrase = randomBytes(12).toString('hex');
      const merchant = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
      });
      const provider = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const account = randomUUID();
      aliKassaEnv = {
        worker: {
          ALIKASSA_BASE_URL: `${sandboxUrl}/alikassa`,
          ALIKASSA_ACCOUNT: account,
          ALIKASSA_PRIVATE_KEY: merchant.privateKey,
          ALIKASSA_PASSPHRASE: passphrase,
          PAYSAGA_PUBLIC_GATEWAY_URL: gatewayUrl,
        },
        gateway: { ALIKASSA_PUBLIC_KEY: provider.publicKey },
        sandbox: {
          SANDBOX_ALIKASSA_ACCOUNT: account,
          SANDBOX_ALIKASSA_MERCHANT_PUBLIC_KEY: merchant.publicKey,
          SANDBOX_ALIKASSA_PROVIDER_PRIVATE_KEY: provider.privateKey,
        },
      };
      const sandboxPpob = {
        baseUrl: `${sandboxUrl}/ppob`,
        username: 'paysaga-sandbox',
        token: randomBytes(18).toString('hex'),
      };
      ppob ??= sandboxPpob;
      sandboxKLinkLogin = { email: sandboxKLink.email, password: sandboxKLink.password };
      prakerja ??= sandboxPrakerja;
      klink ??= sandboxKLink;
      if (prakerja === sandboxPrakerja) fulfilmentUrl ??= `${sandboxUrl}/merchant/fulfil`;
      const sandbox = new ManagedProcess(
        {
          name: 'sandbox',
          ...tsEntry('sandbox/main.ts'),
          env: {
            ...baseEnv,
            SANDBOX_PORT: String(ports.sandbox),
            SANDBOX_PRAKERJA_CLIENT_CODE: sandboxPrakerja.clientCode,
            SANDBOX_PRAKERJA_SIGN_KEY: sandboxPrakerja.signKey,
            SANDBOX_KLINK_EMAIL: sandboxKLink.email,
            SANDBOX_KLINK_PASSWORD: sandboxKLink.password,
            SANDBOX_KLINK_PID_KEY: klinkPidKey,
            SANDBOX_PPOB_USERNAME: sandboxPpob.username,
            SANDBOX_PPOB_TOKEN: sandboxPpob.token,
            SANDBOX_PPOB_CALLBACK_URL: ppobCallbackUrl,
            SANDBOX_WEBHOOK_BASE_URL: gatewayUrl,
            // GoPay's Midtrans actions served by the sandbox itself, with its own server key.
            SANDBOX_MIDTRANS_BASE_URL: sandboxUrl,
            SANDBOX_MIDTRANS_SERVER_KEY: midtransServerKey,
            ...aliKassaEnv.sandbox,
            SANDBOX_STATE_FILE: join(dataDir, 'sandbox-state.json'),
          },
          readyPattern: /sandbox listening on/,
        },
        log,
      );
      started.push(sandbox);
      await sandbox.start();
    }

    // 3. Worker and 4. gateway
    const workerSpec = {
      name: 'worker',
      ...tsEntry('workers/main.ts'),
      env: {
        ...baseEnv,
        ...temporalEnv,
        PRAKERJA_BASE_URL: prakerja.baseUrl,
        PRAKERJA_CLIENT_CODE: prakerja.clientCode,
        PRAKERJA_SIGN_KEY: prakerja.signKey,
        KLINK_BASE_URL: klink.baseUrl,
        KLINK_EMAIL: klink.email,
        KLINK_PASSWORD: klink.password,
        PPOB_BASE_URL: ppob.baseUrl,
        PPOB_USERNAME: ppob.username,
        PPOB_TOKEN: ppob.token,
        ...aliKassaEnv?.worker,
        ...(midtransServerKey ? { MIDTRANS_SERVER_KEY: midtransServerKey } : {}),
        ...(fulfilmentUrl ? { FULFILMENT_URL: fulfilmentUrl } : {}),
      },
      readyPattern: /worker running/,
    };
    let worker = new ManagedProcess(workerSpec, log);
    started.push(worker);
    await worker.start();

    const gateway = new ManagedProcess(
      {
        name: 'gateway',
        ...tsEntry('gateway/main.ts'),
        env: {
          ...baseEnv,
          ...temporalEnv,
          PPOB_CALLBACK_SECRET: ppobCallbackSecret,
          ...(klinkWebhookKey ? { KLINK_WEBHOOK_KEY: klinkWebhookKey } : {}),
          ...aliKassaEnv?.gateway,
          GATEWAY_PORT: String(ports.gateway),
          PAYSAGA_UI_ORIGIN: uiUrl ?? 'http://localhost:8233',
        },
        readyPattern: /gateway listening on/,
      },
      log,
    );
    started.push(gateway);
    await gateway.start();

    return {
      namespace,
      taskQueue,
      temporalAddress,
      uiUrl,
      gatewayUrl,
      sandboxUrl,
      prakerjaBaseUrl: prakerja.baseUrl,
      klinkBaseUrl: klink.baseUrl,
      ppobBaseUrl: ppob.baseUrl,
      ppobCallbackUrl,
      sandboxKLink: sandboxKLinkLogin,
      dataDir,
      async startWorker() {
        if (worker.running) return;
        const index = started.indexOf(worker);
        worker = new ManagedProcess(workerSpec, log);
        started[index] = worker;
        await worker.start();
      },
      async stopTemporal() {
        if (!temporal) throw new Error('this stack uses a remote Temporal');
        await temporal.stop();
      },
      async startTemporal() {
        if (!temporal) throw new Error('this stack uses a remote Temporal');
        if (temporal.running) return;
        const index = started.indexOf(temporal);
        temporal = new ManagedProcess(temporal.spec, log);
        started[index] = temporal;
        await temporal.start();
        await waitForTemporal(temporalAddress!, namespace);
      },
      async killWorker() {
        await worker.stop('SIGKILL');
      },
      pids() {
        return Object.fromEntries(started.map((p) => [p.spec.name, p.pid]));
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Every line of every component goes to <data>/logs/<name>.log; the console gets plain lines and
 * JSON lines at warn or above, so the addresses and the demo stay readable.
 */
export function fileAndConsoleLog(dir: string): LogSink {
  mkdirSync(dir, { recursive: true });
  return (name, line) => {
    appendFileSync(join(dir, `${name}.log`), line + '\n');
    let level = 50;
    if (line.startsWith('{')) {
      try {
        level = (JSON.parse(line) as { level?: number }).level ?? 50;
      } catch {
        // not JSON after all: show it
      }
    } else if (/\[(INFO|DEBUG|TRACE)\]|level=(info|debug)/i.test(line)) {
      level = 30;
    }
    if (level >= 40) console.log(`[${name}] ${line}`);
  };
}

function searchAttributeTypeName(type: string): string {
  // The CLI's --search-attribute takes Keyword, Int, Bool, ...; the SDK's keys say KEYWORD, INT, BOOL.
  return type.charAt(0) + type.slice(1).toLowerCase();
}

/** The dev server accepts connections a moment before the namespace is usable: wait for both. */
async function waitForTemporal(address: string, namespace: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} not ready: ${String(lastError)}`);
}

/**
 * The whole engine on one machine: Temporal dev server (unless TEMPORAL_ADDRESS points at another
 * cluster), provider sandbox (unless real provider credentials are given), worker and gateway,
 * wired together. Used by `npm start` and by the end-to-end tests, so the tests run the stack a
 * user runs.
 */
import { Connection } from '@temporalio/client';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { SECRET_VARIABLES } from '../common/config';
import {
  configuredProviders,
  PROVIDER_KEYS,
  PROVIDER_SETTINGS,
  type ProviderKey,
} from '../common/provider-settings';
import { PAYSAGA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { compiledEntry } from './compiled-entry';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../workers/runtime-settings';
import { ManagedProcess, type LogSink } from './managed-process';
import { DEFAULT_RESTART_POLICY, SupervisedProcess } from './supervisor';
import { sandboxSettings } from './sandbox-settings';
import { temporalCliPath } from './temporal-cli';

/** Requests per minute the local stack's gateway allows its one loopback client (see below). */
const LOCAL_STACK_RATE_LIMIT = '60000';
export interface StackOptions {
  dataDir: string;
  namespace?: string;
  taskQueue?: string;
  ports?: Partial<{ temporal: number; ui: number; gateway: number; sandbox: number }>;
  /** An existing Temporal cluster: no local server is started. */
  temporalAddress?: string;
  /** Run the Web UI (the local dev command does; tests do not need it). */
  ui?: boolean;
  /**
   * Environment passed on to every child (TLS, codec key, log level, ...), over this process's
   * own. A provider's settings here (or in this process's environment) send its calls to it
   * instead of the sandbox, as for a worker and gateway started by hand; see
   * common/provider-settings.ts. A half-configured provider throws a ConfigError.
   */
  env?: NodeJS.ProcessEnv;
  log?: LogSink;
  /**
   * Restart a worker or gateway that dies, with backoff (scripts/supervisor.ts), logging the
   * death: `npm start` and the fault campaign do; tests that kill a worker on purpose do not.
   */
  supervise?: boolean;
  /**
   * Keep the sandbox's books in memory only: no state file rewritten at every change (its cost
   * grows with the books). For the benchmarks, whose figures must be the engine's, not the test
   * double's; the default keeps them on disk so a sandbox restart loses nothing.
   */
  sandboxInMemory?: boolean;
  /**
   * Dynamic config values for the local dev server (`--dynamic-config-value KEY=VALUE`; the value
   * is JSON). The benchmarks run with one task-queue partition: see bench/main.ts.
   */
  temporalDynamicConfig?: Record<string, string | number | boolean>;
  /**
   * Write a V8 CPU profile of the sandbox, worker and gateway into this directory when each
   * exits (`node --cpu-prof`): how the benchmarks find where the engine's time goes
   * (`BENCH_CPU_PROFILE_DIR=... npm run bench`). Open a .cpuprofile in Chrome DevTools.
   */
  cpuProfileDir?: string;
}

export interface ProviderTarget {
  key: ProviderKey;
  label: string;
  /** Never a secret: the banner prints it. */
  baseUrl: string;
  sandbox: boolean;
  /** For a real provider: an optional setting left out, and what that means. */
  note?: string;
}

/** What a real provider's optional settings leave out, said once at start rather than found later. */
function realProviderNote(key: ProviderKey, env: NodeJS.ProcessEnv): string | undefined {
  if (key === 'klink' && !env.MIDTRANS_SERVER_KEY)
    return 'no MIDTRANS_SERVER_KEY: GoPay is settled by webhook only and not cancelled at expiry';
  if (key === 'alikassa' && !env.PAYSAGA_PUBLIC_GATEWAY_URL)
    return 'no PAYSAGA_PUBLIC_GATEWAY_URL: notifications go where the AliKassa cabinet says';
  return undefined;
}

export interface Stack {
  namespace: string;
  taskQueue: string;
  temporalAddress: string;
  uiUrl?: string;
  /** The local dev server's Prometheus endpoint (absent when the stack joined a server). */
  temporalMetricsUrl?: string;
  gatewayUrl: string;
  sandboxUrl?: string;
  /** Every provider and where its calls go: the sandbox's simulator or the real base URL. */
  providers: ProviderTarget[];
  prakerjaBaseUrl: string;
  klinkBaseUrl: string;
  ppobBaseUrl: string;
  aliKassaBaseUrl: string;
  /** The URL the PPOB provider must call back (it carries the secret). */
  ppobCallbackUrl: string;
  /** The sandbox's K-Link login, for demos and tests that act as a K-Link user themselves. */
  sandboxKLink?: { email: string; password: string };
  dataDir: string;
  startWorker(): Promise<void>;
  /** SIGKILL: the worker dies mid-task, as in a crash; it stays down until startWorker(). */
  killWorker(): Promise<void>;
  /**
   * SIGKILL, unasked, as in a crash: a supervised stack logs the death and restarts the process
   * after its backoff; an unsupervised one leaves it down (startWorker brings a worker back).
   */
  crash(name: 'worker' | 'gateway'): void;
  /** Starts the gateway again if it is down (a pending supervised restart is brought forward). */
  startGateway(): Promise<void>;
  /** Restarts after deaths so far, by process (supervised stacks only). */
  restarts(): Record<'worker' | 'gateway', number>;
  /** Stops the local Temporal server (its state stays in the SQLite file), as in an outage. */
  stopTemporal(): Promise<void>;
  /** Starts it again on the same port and file. */
  startTemporal(): Promise<void>;
  /**
   * The value of every secret setting the stack handed its children (SECRET_VARIABLES: provider
   * credentials, the PPOB callback secret, the sandbox's own keys): what a scan of histories and
   * logs must never find.
   */
  secrets(): string[];
  /** One secret setting's value by its variable name (e.g. KLINK_WEBHOOK_KEY), for tools that sign as a provider. */
  secretSetting(name: string): string | undefined;
  /** The CPU-profiling node flags the stack's processes run with (none without cpuProfileDir). */
  profilingNodeFlags: readonly string[];
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
  /** Stopped in reverse order; the worker and the gateway are SupervisedProcesses. */
  const started: Pick<ManagedProcess, 'stop' | 'spec' | 'pid'>[] = [];
  const restartPolicy = opts.supervise ? DEFAULT_RESTART_POLICY : undefined;
  // Checked before anything starts: a half-configured provider throws its one-line ConfigError.
  const real = configuredProviders(baseEnv, ['worker', 'gateway']);
  const onSandbox = new Set(PROVIDER_KEYS.filter((k) => !real.has(k)));

  const nodeFlags = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProfileDir)}`] : [];
  const stopAll = async () => {
    for (const p of [...started].reverse()) await p.stop();
  };

  try {
    // 1. Temporal
    let temporalAddress = opts.temporalAddress;
    let temporal: ManagedProcess | undefined;
    let uiUrl: string | undefined;
    let temporalMetricsUrl: string | undefined;
    if (!temporalAddress) {
      temporalAddress = `127.0.0.1:${ports.temporal}`;
      temporalMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
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
        ...Object.entries(opts.temporalDynamicConfig ?? {}).flatMap(([k, v]) => [
          '--dynamic-config-value',
          `${k}=${JSON.stringify(v)}`,
        ]),
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

    // 2. Sandbox, for every provider without settings of its own. A provider with settings keeps
    // them, untouched: the worker and the gateway read them from the environment as they would
    // when started by hand.
    let sandboxUrl: string | undefined;
    let sandboxEnv: NodeJS.ProcessEnv = {};
    let sandboxKLinkLogin: { email: string; password: string } | undefined;
    const workerProviders: NodeJS.ProcessEnv = {};
    const gatewayProviders: NodeJS.ProcessEnv = {};
    if (onSandbox.size > 0) {
      sandboxUrl = `http://127.0.0.1:${ports.sandbox}`;
      // Fresh credentials per start: the sandbox and the worker learn them from this process only.
      const settings = sandboxSettings(sandboxUrl, gatewayUrl, onSandbox);
      for (const k of onSandbox) {
        Object.assign(workerProviders, settings.providers[k].worker);
        Object.assign(gatewayProviders, settings.providers[k].gateway);
      }
      if (onSandbox.has('klink')) sandboxKLinkLogin = settings.klinkLogin;
      sandboxEnv = settings.sandboxEnv;
      const sandbox = new ManagedProcess(
        {
          name: 'sandbox',
          ...(await compiledEntry('sandbox/main.ts', nodeFlags)),
          env: {
            ...baseEnv,
            ...settings.sandboxEnv,
            SANDBOX_PORT: String(ports.sandbox),
            ...(opts.sandboxInMemory ? {} : { SANDBOX_STATE_FILE: join(dataDir, 'sandbox-state.json') }),
          },
          readyPattern: /sandbox listening on/,
        },
        log,
      );
      started.push(sandbox);
      await sandbox.start();
    }
    // The sandbox's merchant receives the deliveries of sandbox Prakerja purchases.
    const fulfilmentUrl =
      baseEnv.FULFILMENT_URL ?? (onSandbox.has('prakerja') ? `${sandboxUrl}/merchant/fulfil` : undefined);
    // Always one: the sandbox's, or the real provider's (required with its other settings).
    const ppobCallbackSecret = (gatewayProviders.PPOB_CALLBACK_SECRET ?? baseEnv.PPOB_CALLBACK_SECRET)!;

    // 3. Worker and 4. gateway
    const workerEnv: NodeJS.ProcessEnv = {
      ...WORKER_ENV,
      ...baseEnv,
      ...temporalEnv,
      ...workerProviders,
      ...(fulfilmentUrl ? { FULFILMENT_URL: fulfilmentUrl } : {}),
    };
    const workerSpec = {
      name: 'worker',
      ...(await compiledEntry('workers/main.ts', [...WORKER_NODE_FLAGS, ...nodeFlags])),
      env: workerEnv,
      readyPattern: /worker running/,
    };
    const worker = new SupervisedProcess(workerSpec, log, restartPolicy);
    started.push(worker);
    await worker.start();

    const gateway = new SupervisedProcess(
      {
        name: 'gateway',
        ...(await compiledEntry('gateway/main.ts', nodeFlags)),
        env: {
          ...baseEnv,
          ...temporalEnv,
          ...gatewayProviders,
          GATEWAY_PORT: String(ports.gateway),
          // The limit is per client address; on the local stack every caller (the demo, the CLI,
          // the tests, the Web UI's user) is 127.0.0.1, so the production default would throttle
          // them all as one. A value given by the caller or the environment still wins.
          GATEWAY_RATE_LIMIT_PER_MINUTE: baseEnv.GATEWAY_RATE_LIMIT_PER_MINUTE ?? LOCAL_STACK_RATE_LIMIT,
          PAYSAGA_UI_ORIGIN: uiUrl ?? 'http://localhost:8233',
        },
        readyPattern: /gateway listening on/,
      },
      log,
      restartPolicy,
    );
    started.push(gateway);
    await gateway.start();

    const handedOut = [baseEnv, workerEnv, gatewayProviders, sandboxEnv];
    const secretSettings = new Map<string, string>();
    for (const name of SECRET_VARIABLES) {
      const value = handedOut.map((env) => env[name]).find((v): v is string => !!v);
      if (value) secretSettings.set(name, value);
    }

    const providers: ProviderTarget[] = PROVIDER_KEYS.map((key) => ({
      key,
      label: PROVIDER_SETTINGS[key].label,
      baseUrl: workerEnv[PROVIDER_SETTINGS[key].baseUrl]!,
      sandbox: onSandbox.has(key),
      ...(onSandbox.has(key) ? {} : { note: realProviderNote(key, workerEnv) }),
    }));
    const baseUrlOf = (key: ProviderKey) => providers.find((p) => p.key === key)!.baseUrl;
    return {
      namespace,
      taskQueue,
      temporalAddress,
      uiUrl,
      temporalMetricsUrl,
      profilingNodeFlags: nodeFlags,
      gatewayUrl,
      sandboxUrl,
      providers,
      prakerjaBaseUrl: baseUrlOf('prakerja'),
      klinkBaseUrl: baseUrlOf('klink'),
      ppobBaseUrl: baseUrlOf('ppob'),
      aliKassaBaseUrl: baseUrlOf('alikassa'),
      ppobCallbackUrl: `${gatewayUrl}/callbacks/ppob/${ppobCallbackSecret}`,
      sandboxKLink: sandboxKLinkLogin,
      dataDir,
      async startWorker() {
        await worker.ensureRunning();
      },
      async startGateway() {
        await gateway.ensureRunning();
      },
      crash(name) {
        (name === 'worker' ? worker : gateway).crash();
      },
      restarts() {
        return { worker: worker.restarts, gateway: gateway.restarts };
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
      secrets: () => [...new Set(secretSettings.values())],
      secretSetting: (name) => secretSettings.get(name),
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

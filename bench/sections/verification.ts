/**
 * Webhook verification: the gateway's verified-webhook throughput for K-Link (HMAC-SHA256 over
 * the raw body, POST /webhooks/klink/settlement) and AliKassa (RSA PKCS#1 over PHP json_encode of
 * the query's fields, GET /webhooks/alikassa/payment), beside a bare Fastify route on the same
 * machine.
 *
 * What the engine does per request: a verified webhook for an unknown order files an unmatched
 * report (a signal-with-start in Temporal): that would measure Temporal, not verification. So
 * each request here is a REPLAY of a webhook a closed payment already counted, the path that
 * verifies and then answers without starting or signalling anything (gateway/webhooks.ts
 * route(): signature check, parse, then lookUpPayment = describe() + the closed run's result read
 * from its close event, transferCounted() true, 200 {"ok":true,"workflowId":…,"replay":true}).
 * One payment per provider is paid first (klink-va through `klink/customer-pays`, alikassa
 * through `alikassa/pay`); the exact bytes the sandbox delivered (its /_control/webhooks record:
 * the body for K-Link, the signed query string for AliKassa) are then sent again and again. The
 * K-Link signature is made with the PID key, found among stack.secrets() as webhook.ts does (the
 * key under which a signed malformed body is refused 400, not 401).
 *
 * A second pair of rows isolates verification from those two Temporal reads: the same signed
 * bytes sent where they are verified, parsed and then refused 400 by validation with nothing
 * asked of Temporal (the K-Link settlement body at /webhooks/klink/gopay: a valid HMAC, a body
 * without id_trans; the AliKassa payment notification at /webhooks/alikassa/payout: a valid
 * signature, "a payment notification sent to the payout route").
 *
 * Bare: a Fastify app in a child process of its own (as the gateway is), no logger, the same
 * routes reading the raw body as a buffer (as the gateway's webhook scope does) and answering 200
 * with exactly the bytes the gateway answered for that route, so request and answer sizes match.
 *
 * Load: N requests at concurrency C from this process over node:http keep-alive (one socket per
 * concurrent caller), after an untimed warm-up of both servers; three rounds each (two in quick
 * mode), alternating engine and bare, the best round of each kept (a shared machine's noise). The
 * load generator is this process and spends about as much CPU per request as the bare route: on
 * a 2-core machine the bare side is partly bound by it. The gateway's rate limit
 * (GATEWAY_RATE_LIMIT_PER_MINUTE, 60000/min on the local stack) applies to /v1 only, not to the
 * webhook routes (gateway/rate-limit.ts); any 429 seen is counted in the row's detail anyway.
 *
 * Rows: requests/s engine vs bare, ratio engine/bare (higher is better), goal at least 0.8 on
 * the replay rows (the verified webhook answered 2xx).
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import fastify from 'fastify';
import { ManagedProcess } from '../../scripts/managed-process';
import { kLinkSign, KLINK_SIGNATURE_HEADER, KLINK_WEBHOOK_PATHS } from '../../sandbox/klink/webhooks';
import { runPool } from '../bare/drive';
import { withCpuPerUnit } from '../process-cpu';
import type { BenchContext, BenchRow, BenchSection } from '../types';
import { engineDriver, type EngineDriver } from './throughput';

const ROOT = resolve(__dirname, '../..');
const customer = { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' };

/** One kind of request, sent to the gateway and to the bare route alike. */
interface Probe {
  name: string;
  method: 'GET' | 'POST';
  /** Path and, for a GET, its query string. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The status the gateway must answer (anything else is an error of the bench). */
  expect: number;
  /** Goal row (a verified webhook answered 2xx) or an informative one. */
  goal: boolean;
  what: string;
  /** The provider's signature scheme, whose check alone is timed beside (signatureCheckUs). */
  signature: SignatureScheme;
}

type SignatureScheme = 'HMAC-SHA256' | 'RSA-2048';

/**
 * CPU µs of one signature check alone, in this process: the floor of any route that verifies
 * (the provider chose the scheme). RSA: a 2048-bit key, the sandbox's AliKassa key size, over a
 * notification-sized message; HMAC: K-Link's, over the settlement body the probes send.
 */
function signatureCheckUs(scheme: SignatureScheme, body: Buffer): number {
  const count = scheme === 'RSA-2048' ? 3_000 : 30_000;
  let check: () => unknown;
  if (scheme === 'RSA-2048') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signature = sign('sha256', body, privateKey);
    check = () => verify('sha256', body, publicKey, signature);
  } else {
    const key = randomBytes(32);
    check = () => createHmac('sha256', key).update(body).digest('hex');
  }
  for (let i = 0; i < count / 10; i++) check();
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) check();
  const spent = process.cpuUsage(before);
  return round((spent.user + spent.system) / count, 1);
}

interface LoadResult {
  ms: number;
  statuses: Record<string, number>;
  /** The last answer's body, for the bare route to answer the same bytes. */
  lastBody: string;
}

/** `total` requests, `concurrency` at a time, over keep-alive sockets; answers the wall time. */
async function load(base: string, probe: Probe, total: number, concurrency: number): Promise<LoadResult> {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<string, number> = {};
  let lastBody = '';
  const one = () =>
    new Promise<void>((done, fail) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: probe.method,
          path: probe.path,
          headers: {
            ...probe.headers,
            ...(probe.body ? { 'content-length': String(probe.body.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const key = String(res.statusCode);
            statuses[key] = (statuses[key] ?? 0) + 1;
            lastBody = Buffer.concat(chunks).toString('utf8');
            done();
          });
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(probe.body);
    });
  try {
    const { ms } = await runPool(total, concurrency, one);
    return { ms, statuses, lastBody };
  } finally {
    agent.destroy();
  }
}

interface SentWebhook {
  orderId: string | null;
  name: string;
  body: string;
  delivered: boolean;
}

/** The bytes the sandbox delivered for this order (its own record of the webhook it sent). */
async function delivered(d: EngineDriver, orderId: string, name: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { webhooks } = await d.control<{ webhooks: SentWebhook[] }>('webhooks');
    const sent = webhooks.find((w) => w.orderId === orderId && w.name === name && w.delivered);
    if (sent) return sent.body;
    if (Date.now() > deadline) throw new Error(`no delivered ${name} webhook for ${orderId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One payment of `method` paid as the customer would, to PAID; answers the webhook the sandbox sent. */
async function paidPayment(d: EngineDriver, method: 'klink-va' | 'alikassa', runId: string) {
  const orderId = `BENCH-VER-${runId}-${method}`;
  const product =
    method === 'alikassa'
      ? { service: 'virtual_account_idr_hpp', customerCode: 'BCAVA' }
      : { bankCode: '014', productCode: 'BCAATM' };
  const { workflowId } = await d.gateway('POST', '/transfers', {
    orderId,
    method,
    amount: 175_000,
    customer,
    ...product,
  });
  if (method === 'alikassa') await d.control('alikassa/pay', { order_id: orderId });
  else await d.control('klink/customer-pays', { order_id: orderId });
  const view = (await d.client.workflow.getHandle(workflowId).result()) as { status?: string };
  if (view.status !== 'PAID') throw new Error(`${workflowId} ended ${view.status}, not PAID`);
  const body = await delivered(d, orderId, method === 'alikassa' ? 'alikassa.payment' : 'klink.settlement');
  return { orderId, workflowId, body };
}

/** The bare Fastify app (child process): the given routes answer 200 with the given bytes. */
export async function serveBareRoutes(answers: Record<string, { method: 'GET' | 'POST'; body: string }>) {
  const app = fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  for (const [path, a] of Object.entries(answers)) {
    app.route({
      method: a.method,
      url: path,
      handler: async (_req, reply) => reply.code(200).type('application/json; charset=utf-8').send(a.body),
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  // A clean exit on stop, so a --cpu-prof profile is written as the stack's processes write theirs.
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
  const address = app.server.address();
  console.log(`bare route listening on ${typeof address === 'object' && address ? address.port : 0}`);
}

async function startBareRoutes(
  answers: Record<string, { method: 'GET' | 'POST'; body: string }>,
  /** The stack's profiling flags (Stack.profilingNodeFlags): profiled when the gateway is. */
  nodeFlags: readonly string[],
): Promise<{ url: string; proc: ManagedProcess }> {
  let port = 0;
  const proc = new ManagedProcess(
    {
      name: 'bare-route',
      command: process.execPath,
      args: [...nodeFlags, '--import', 'tsx', join(ROOT, 'bench/sections/verification.ts'), '--bare-routes'],
      env: { ...process.env, BARE_ROUTE_ANSWERS: JSON.stringify(answers) },
      readyPattern: /bare route listening on \d+/,
    },
    (_name, line) => {
      const m = /bare route listening on (\d+)/.exec(line);
      if (m) port = Number(m[1]);
    },
  );
  await proc.start();
  return { url: `http://127.0.0.1:${port}`, proc };
}

/** The load, with the CPU the given processes spent on it (ms per request). */
async function measured(
  base: string,
  probe: Probe,
  total: number,
  concurrency: number,
  pids: Record<string, number | undefined>,
): Promise<LoadResult & { cpuPerRequestMs: Record<string, number> }> {
  const { result, cpuPerUnitMs: cpuPerRequestMs } = await withCpuPerUnit(pids, total, () =>
    load(base, probe, total, concurrency),
  );
  return { ...result, cpuPerRequestMs };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const verificationSection: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const { stack, quick } = ctx;
  // A round lasts about a second at full size (the gateway answers a replay from its cache, tens
  // of thousands a second). Rounds of 5,000 lasted a fifth of a second, and one scheduling
  // hiccup moved the K-Link replay ratio between 0.72 and 0.96 from run to run.
  const total = quick ? 4_000 : 20_000;
  const rounds = quick ? 2 : 3;
  const warmup = quick ? 200 : 1_000;
  const concurrency = 32;
  const d = await engineDriver(stack);
  let bare: { url: string; proc: ManagedProcess } | undefined;
  const runId = Date.now().toString(36);
  try {
    const key = stack.secretSetting('KLINK_WEBHOOK_KEY');
    if (!key) throw new Error('no K-Link webhook key (a real K-Link?): nothing to sign with');
    const klink = await paidPayment(d, 'klink-va', runId);
    const alikassa = await paidPayment(d, 'alikassa', runId);
    const klinkBody = Buffer.from(klink.body, 'utf8');
    const klinkHeaders = {
      'content-type': 'application/json',
      [KLINK_SIGNATURE_HEADER]: kLinkSign(key, klinkBody),
    };
    const probes: Probe[] = [
      {
        name: 'K-Link HMAC settlement webhook (replay)',
        method: 'POST',
        path: KLINK_WEBHOOK_PATHS.settlement,
        headers: klinkHeaders,
        body: klinkBody,
        expect: 200,
        goal: true,
        what: "HMAC check + parse + the completed payment's final view (read from Temporal once, then kept by the gateway); 200 replay",
        signature: 'HMAC-SHA256',
      },
      {
        name: 'AliKassa RSA payment notification (replay)',
        method: 'GET',
        path: `/webhooks/alikassa/payment?${alikassa.body}`,
        headers: {},
        expect: 200,
        goal: true,
        what: "RSA check + parse + the completed payment's final view (read from Temporal once, then kept by the gateway); 200 replay",
        signature: 'RSA-2048',
      },
      {
        name: 'K-Link HMAC verification only',
        method: 'POST',
        path: KLINK_WEBHOOK_PATHS.gopay,
        headers: klinkHeaders,
        body: klinkBody,
        expect: 400,
        goal: false,
        what: 'HMAC check + JSON parse + schema refusal (a settlement body at the GoPay route); no Temporal call',
        signature: 'HMAC-SHA256',
      },
      {
        name: 'AliKassa RSA verification only',
        method: 'GET',
        path: `/webhooks/alikassa/payout?${alikassa.body}`,
        headers: {},
        expect: 400,
        goal: false,
        what: 'RSA check + field validation, refused as a payment notification at the payout route; no Temporal call',
        signature: 'RSA-2048',
      },
    ];

    // The gateway's answers, checked once (and the bytes the bare route will answer).
    const answers: Record<string, { method: 'GET' | 'POST'; body: string }> = {};
    for (const p of probes) {
      const once = await load(stack.gatewayUrl, p, 1, 1);
      if (!once.statuses[String(p.expect)])
        throw new Error(`${p.name}: the gateway answered ${JSON.stringify(once.statuses)} ${once.lastBody}`);
      if (p.goal && !/"replay":true/.test(once.lastBody))
        throw new Error(`${p.name}: not answered as a replay: ${once.lastBody}`);
      answers[p.path.split('?')[0]!] = { method: p.method, body: once.lastBody };
    }
    bare = await startBareRoutes(answers, stack.profilingNodeFlags);

    const rows: BenchRow[] = [];
    const checkUsByScheme: Partial<Record<SignatureScheme, number>> = {};
    for (const p of probes) {
      await load(stack.gatewayUrl, p, warmup, concurrency);
      await load(bare.url, p, warmup, concurrency);
      const pids = stack.pids();
      // Best of the rounds each, alternating: a shared machine's noise hits one round, not all.
      type Measured = Awaited<ReturnType<typeof measured>>;
      let engine: Measured | undefined;
      let baseline: Measured | undefined;
      for (let round = 0; round < rounds; round++) {
        const e = await measured(stack.gatewayUrl, p, total, concurrency, {
          gateway: pids.gateway,
          temporal: pids.temporal,
          bench: process.pid,
        });
        const b = await measured(bare.url, p, total, concurrency, {
          bare: bare.proc.pid,
          bench: process.pid,
        });
        if (!engine || e.ms < engine.ms) engine = e;
        if (!baseline || b.ms < baseline.ms) baseline = b;
      }
      if (!engine || !baseline) throw new Error('no round measured');
      const wrong = Object.entries(engine.statuses).filter(([s]) => s !== String(p.expect));
      if (wrong.length > 0)
        ctx.log(`${p.name}: the gateway also answered ${JSON.stringify(Object.fromEntries(wrong))}`);
      const engineRate = total / (engine.ms / 1000);
      const bareRate = total / (baseline.ms / 1000);
      const ratio = engineRate / bareRate;
      // The ratio a route that did nothing but add the signature check to the bare one would
      // reach, were the server's CPU the limit: bare CPU / (bare CPU + the check).
      // Once per scheme: an RSA key pair is made for it.
      const checkUs = (checkUsByScheme[p.signature] ??= signatureCheckUs(
        p.signature,
        p.body ?? Buffer.from(p.path),
      ));
      const bareUs = (baseline.cpuPerRequestMs.bare ?? 0) * 1000;
      const row: BenchRow = {
        section: 'verification',
        name: p.name,
        engine: { value: Math.round(engineRate), unit: 'requests/s' },
        baseline: {
          value: Math.round(bareRate),
          unit: 'requests/s',
          what: 'bare Fastify route, child process, same request, same answer bytes',
        },
        ratio: round(ratio, 2),
        better: 'higher',
        ...(p.goal ? { goal: { text: '≥ 0.8 of bare', met: ratio >= 0.8 } } : {}),
        detail: {
          n: total,
          concurrency,
          rounds: `best of ${rounds}`,
          measured: p.what,
          route: `${p.method} ${p.path.split('?')[0]}`,
          requestBytes: p.body?.length ?? p.path.length,
          answerBytes: Buffer.byteLength(answers[p.path.split('?')[0]!]!.body),
          engineStatuses: JSON.stringify(engine.statuses),
          throttled429: engine.statuses['429'] ?? 0,
          // CPU per request: where the engine's time goes (the bench process is the load and,
          // for the engine, also the stack's log sink that receives the gateway's log lines).
          engineCpuMsPerRequest: JSON.stringify(engine.cpuPerRequestMs),
          bareCpuMsPerRequest: JSON.stringify(baseline.cpuPerRequestMs),
          signature: p.signature,
          signatureCheckUs: checkUs,
          ceilingWithTheCheckAlone: bareUs > 0 ? round(bareUs / (bareUs + checkUs), 2) : 'unmeasured',
        },
      };
      ctx.log(
        `${p.name}: engine ${row.engine.value}/s, bare ${row.baseline.value}/s, ratio ${row.ratio}; ` +
          `cpu ms/request engine ${row.detail!.engineCpuMsPerRequest}, bare ${row.detail!.bareCpuMsPerRequest}; ` +
          `${p.signature} check alone ${checkUs} µs, ceiling with it alone ${row.detail!.ceilingWithTheCheckAlone}`,
      );
      rows.push(row);
    }
    return rows;
  } finally {
    await bare?.proc.stop();
    await d.close();
  }
};

if (require.main === module && process.argv.includes('--bare-routes')) {
  serveBareRoutes(
    JSON.parse(process.env.BARE_ROUTE_ANSWERS ?? '{}') as Record<
      string,
      { method: 'GET' | 'POST'; body: string }
    >,
  ).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

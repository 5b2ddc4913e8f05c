/**
 * Property-based fuzzing of the gateway (fast-check): hostile requests built from the gateway's
 * own route templates (read from the real plugins, so a new route is fuzzed without a change
 * here) and from random paths, with arbitrary methods, query strings (repeated keys included),
 * headers and bodies (JSON-ish, invalid JSON, bytes, huge, wrong content-types); and the
 * property every answer must keep: no 5xx, and no internal text (an exception's name or
 * message, a stack frame, a file path, a gRPC status).
 *
 * Used by test/e2e/gateway-fuzz.test.ts against the running stack, and by
 * test/unit/gateway-fuzz-property.test.ts, which shows the property fails on an app that leaks.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import Fastify from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { PaysagaClient } from '../../client/paysaga-client';
import { registerCodecRoutes } from '../../gateway/codec-routes';
import { registerPaymentRoutes } from '../../gateway/payment-routes';
import { registerPpobCallback } from '../../gateway/ppob-callback';
import { registerWebhooks } from '../../gateway/webhooks';

export interface RouteTemplate {
  method: string;
  /** As Fastify registers it: `/v1/payments/:id`, `/webhooks/*`. */
  url: string;
}

export interface FuzzRequest {
  method: string;
  /** Path and query as sent on the request line (already encoded, or deliberately not). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzAnswer {
  status: number;
  body: string;
}

/** Routes buildGateway adds itself, outside the plugins read below. */
const GATEWAY_OWN_ROUTES: RouteTemplate[] = [
  { method: 'GET', url: '/healthz' },
  { method: 'GET', url: '/metrics/webhooks' },
  { method: 'GET', url: '/metrics/callbacks' },
];

/** Every route of the gateway's plugins, read by registering them on a bare Fastify. */
export async function gatewayRouteTemplates(): Promise<RouteTemplate[]> {
  const app = Fastify();
  const routes: RouteTemplate[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  // Registering reads no option but the ones given; no handler runs.
  const client = {} as PaysagaClient;
  const codec: PayloadCodec = { encode: async (p) => p, decode: async (p) => p };
  await registerCodecRoutes(app, { codec, uiOrigin: 'http://localhost:8233' });
  await registerPaymentRoutes(app, { client });
  await registerWebhooks(app, { client });
  await registerPpobCallback(app, { client, secret: 'fuzz-secret-not-used' });
  await app.ready();
  await app.close();
  return [...routes, ...GATEWAY_OWN_ROUTES];
}

// ---- what an answer must never show ----

/** Text that only an internal error puts in an answer. Each is a leak, wherever it appears. */
const INTERNAL_TEXT: readonly RegExp[] = [
  /\b(TypeError|ReferenceError|SyntaxError|RangeError|EvalError|URIError|AssertionError)\b/,
  /is not a function|is not iterable|is not defined|Cannot read propert|Cannot set propert|Cannot destructure/,
  /undefined is not|null is not|Maximum call stack/,
  // A stack frame: "    at fn (/path/file.ts:12:5)" or "at node:internal/..."
  /^\s{2,}at \S+/m,
  /\bat (async )?[\w$.<>[\]]+ \([^)]*:\d+:\d+\)/,
  /\bat (node:|file:\/\/)/,
  // File paths and module locations.
  /node_modules|\/work\/|\/home\/|\/usr\/(lib|local)|\/tmp\/|[A-Za-z]:\\\\/,
  /\.(ts|js|mjs|cjs):\d+/,
  // Temporal and gRPC internals.
  /\b\d{1,2} (INVALID_ARGUMENT|NOT_FOUND|ALREADY_EXISTS|FAILED_PRECONDITION|UNAVAILABLE|DEADLINE_EXCEEDED|INTERNAL|UNKNOWN|CANCELLED):/,
  /WorkflowNotFoundError|ServiceError|QueryNotRegisteredError|Failed to query Workflow|grpc/i,
  // Fastify's default error body (our handler bypassed) and its codes.
  /FST_ERR_/,
];

/** Every string a JSON answer holds (so an escaped quote does not hide or fake a match), or its text. */
function answerTexts(body: string): string[] {
  try {
    const out: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          out.push(k);
          walk(x);
        }
    };
    walk(JSON.parse(body));
    return out;
  } catch {
    return [body];
  }
}

/** Each part of a path and query decoded on its own, so one bad escape does not hide the others. */
function decoded(text: string): string {
  return text
    .split(/[/?&=]/)
    .map((part) => {
      try {
        return decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        return part;
      }
    })
    .join('\n');
}

/** Everything the request itself said: a refusal may quote it (a key, a status word), and that is not a leak. */
function requestText(req: FuzzRequest): string {
  return [
    req.method,
    req.path,
    decoded(req.path),
    ...Object.entries(req.headers).flat(),
    req.body?.toString('utf8') ?? '',
  ].join('\n');
}

/** What is wrong with an answer, or undefined: a 5xx, or internal text the request did not carry. */
export function answerProblem(req: FuzzRequest, answer: FuzzAnswer): string | undefined {
  if (answer.status >= 500)
    return `${answer.status} for ${req.method} ${req.path}: ${answer.body.slice(0, 300)}`;
  const sent = requestText(req);
  for (const text of answerTexts(answer.body))
    for (const pattern of INTERNAL_TEXT) {
      const m = pattern.exec(text);
      if (m && !sent.includes(m[0].trim()))
        return `internal text ${JSON.stringify(m[0])} in the answer to ${req.method} ${req.path}: ${answer.body.slice(0, 300)}`;
    }
  return undefined;
}

// ---- requests ----

export interface RequestShape {
  templates: readonly RouteTemplate[];
  /** The Authorization headers to draw from (a valid one, wrong ones, none). */
  authorization: fc.Arbitrary<string | undefined>;
  /** Values for `:secret` in the PPOB callback route (the real one only where it may be used). */
  ppobSecret: fc.Arbitrary<string>;
  /** Valid bodies by `METHOD url` (VALID_BODIES): sent as they are, or with one field changed. */
  bodies?: Readonly<Record<string, Record<string, unknown>>>;
  /** Workflow ids that exist, for `:id`: so arbitrary input reaches a real saga's validators. */
  ids?: readonly string[];
}

/** A valid body for each /v1 route (and the codec's): the start of its mutations. */
export const VALID_BODIES: Readonly<Record<string, Record<string, unknown>>> = {
  'POST /v1/prakerja/payments': {
    invoiceCode: 'FZ-INV-1',
    invoiceUrl: 'https://lp.example/invoices/FZ-INV-1',
    paymentToken: 'ptk-fuzz-12345678',
    amount: 150_000,
    orderId: 'FZ-ORDER-1',
  },
  'POST /v1/klink/refunds': {
    idOrder: 'FZ-R-1',
    idMember: 'M-FUZZ',
    expectedAmount: 10_000,
    note: 'fuzz refund',
  },
  'POST /v1/refunds/:id/confirm': { idTrans: 1, operator: 'ana', note: 'checked at K-Link' },
  'POST /v1/refunds/:id/reject': { operator: 'ana', note: 'checked at K-Link' },
  'POST /v1/alikassa/payouts': {
    orderId: 'FZ-P-1',
    amount: 50_000,
    bankCode: 'BCA',
    accountNumber: '1234567890',
    firstName: 'Budi',
    lastName: 'Santoso',
  },
  'POST /v1/transfers': {
    orderId: 'FZ-T-1',
    method: 'klink-va',
    amount: 150_000,
    customer: { fullname: 'Budi Santoso', phone: '081234567890', email: 'budi@example.test' },
    bankCode: '014',
    productCode: 'BCAATM',
  },
  'POST /v1/klink/va': { idMember: 'M-FUZZ', name: 'Budi', hp: '081234567890', email: 'budi@example.test' },
  'POST /v1/klink/vouchers': {
    voucherCode: 'VFUZZ1',
    idMember: 'M-FUZZ',
    amount: 10_000,
    description: 'fuzz',
  },
  'POST /v1/klink/transfers': {
    transferId: 'FZ-K-1',
    idMemberSend: 'M-A',
    idMemberReceipt: 'M-B',
    amount: 1000,
    description: 'fuzz transfer',
  },
  'POST /v1/ppob/purchases': {
    orderId: 'FZ-PP-1',
    kind: 'prepaid',
    productCode: 'PLN20',
    destination: '081234567890',
  },
  'POST /v1/purchases/:id/bill': { accept: true, operator: 'ana' },
  'POST /v1/payments/:id/otp': { otp: '123456' },
  'POST /v1/payments/:id/cancel': { reason: 'fuzz' },
  'POST /v1/payments/:id/review': { action: 'mark-voided', operator: 'ana', note: 'checked at the provider' },
  'POST /codec/encode': { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] },
  'POST /codec/decode': { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] },
};

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;
/**
 * Known methods Node's parser reads, plus tokens it refuses (400 before Fastify). Not CONNECT:
 * Node's server hands that to a 'connect' listener, and without one closes the socket unanswered.
 */
const methodArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...METHODS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('PROPFIND', 'TRACE', 'MKCOL', 'SEARCH', 'PURGE', 'FOO'),
  },
);

/** Printable ASCII text (header values, raw query parts). */
const asciiText = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });
/** Any text, emoji and lone surrogates included, sent percent-encoded. */
const anyText = (maxLength: number) =>
  fc.oneof(fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }));

/** Percent-encodes what the request line cannot carry raw; a lone surrogate becomes bytes anyway. */
function encodePart(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
}

/** What fills a `:id`: ids like the engine's, other saga prefixes, junk, too long, traversal. */
const randomIdArb = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        'prakerja-',
        'transfer-',
        'payout-',
        'ppob-',
        'klink-refund-',
        'unmatched-klink-',
        'otp-budget-',
        '',
      ),
      fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
    )
    .map(([p, k]) => encodePart(p + k)),
  anyText(60).map(encodePart),
  fc.constantFrom(
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '..%2F..%2Fetc%2Fpasswd',
    '%00',
    '%',
    '%zz',
    '%E0%A4%A',
    'a'.repeat(300),
  ),
);

function idArb(shape: RequestShape): fc.Arbitrary<string> {
  if (!shape.ids?.length) return randomIdArb;
  return fc.oneof(randomIdArb, fc.constantFrom(...shape.ids).map(encodePart));
}

/** A path segment for `*` and random paths. */
const segmentArb = fc.oneof(
  fc.webSegment(),
  anyText(20).map(encodePart),
  fc.constantFrom('', '..', '%', '%ff'),
);

/** A method and path: mostly a route template with its own method, sometimes another method or a random path. */
interface Target {
  method: string;
  path: string;
  /** `METHOD url` of the template the path was made from. */
  template?: string;
}

function targetArb(shape: RequestShape): fc.Arbitrary<Target> {
  const fromTemplate = fc.constantFrom(...shape.templates).chain((t) => {
    const parts = t.url.split('/').map((part) => {
      if (part === ':id') return idArb(shape);
      if (part === ':secret') return shape.ppobSecret;
      if (part === '*') return fc.array(segmentArb, { maxLength: 3 }).map((s) => s.join('/'));
      return fc.constant(part);
    });
    const method = fc.oneof(
      { weight: 3, arbitrary: fc.constant(t.method) },
      { weight: 1, arbitrary: methodArb },
    );
    return (
      fc
        .tuple(method, ...parts)
        // A request-target without its leading / (cors's OPTIONS `*`) is refused by Node's parser,
        // before the gateway: sent with one.
        .map(([m, ...p]): Target => ({
          method: m,
          path: `/${p.join('/')}`.replace(/^\/\//, '/'),
          template: `${t.method} ${t.url}`,
        }))
    );
  });
  const random = fc.oneof(
    fc.webPath().map((p) => p || '/'),
    fc.array(segmentArb, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
    fc
      .tuple(fc.constantFrom('/v1/', '/webhooks/', '/callbacks/ppob/', '/codec/', '//', '/v1//'), segmentArb)
      .map(([a, b]) => a + b),
  );
  return fc.oneof(
    { weight: 4, arbitrary: fromTemplate },
    { weight: 1, arbitrary: fc.tuple(methodArb, random).map(([method, path]) => ({ method, path })) },
  );
}

/** Keys the routes read, or that a provider sends, and random ones. */
const KNOWN_KEYS = [
  'provider',
  'status',
  'orderId',
  'needsReview',
  'limit',
  'startDate',
  'endDate',
  'ref_id',
  'sn',
  'type',
  'id',
  'order_id',
  'payment_status',
  'amount',
  'sign',
] as const;

const queryValueArb = fc.oneof(
  fc.constantFrom(
    '',
    'true',
    'false',
    '-5',
    '0',
    '1',
    '1000',
    '1001',
    '1e3',
    'NaN',
    'PAID',
    'AWAITING_OTP',
    'prakerja',
  ),
  fc.constantFrom('2024-01-01', '2024-13-45', "' OR 1=1 --", '\\', "'", '"', '%', '%zz', '__proto__'),
  anyText(40),
  fc.integer().map(String),
);

/** A query string: known and random keys, values encoded or raw, repeated keys, junk separators. */
const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 6,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
            { weight: 1, arbitrary: anyText(12) },
            { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'a[]', 'a.b') },
          ),
          queryValueArb,
          fc.boolean(),
        ),
        { maxLength: 5 },
      )
      .chain((pairs) =>
        // Half the time every key again with another value: `?provider=a&provider=b`.
        fc
          .tuple(fc.boolean(), fc.array(queryValueArb, { minLength: pairs.length, maxLength: pairs.length }))
          .map(([repeat, values]) =>
            repeat ? [...pairs, ...pairs.map(([k, , raw], i) => [k, values[i]!, raw] as const)] : pairs,
          ),
      )
      .map((pairs) =>
        pairs
          .map(([k, v, raw]) => {
            const key = encodePart(k);
            // Raw when the request line can carry it (printable ASCII, no # which ends the URL).
            const value = raw && /^[\x21-\x7e]*$/.test(v) && !v.includes('#') ? v : encodePart(v);
            return `${key}=${value}`;
          })
          .join('&'),
      ),
  },
  { weight: 1, arbitrary: fc.constantFrom('&&', '=', '==&=', '%', 'a=%zz', 'a', '?a=b', ';a=b') },
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'application/vnd.api+json',
  '*/*',
  'json',
  '',
] as const;

/** A body like a real one: the fields the schemas read, with arbitrary values. */
const FIELDS = [
  'invoiceCode',
  'invoiceUrl',
  'paymentToken',
  'amount',
  'orderId',
  'otp',
  'reason',
  'action',
  'operator',
  'note',
  'idOrder',
  'idMember',
  'expectedAmount',
  'idTrans',
  'kind',
  'productCode',
  'destination',
  'method',
  'customer',
  'bankCode',
  'accountNumber',
  'voucherCode',
  'transferId',
  'idMemberSend',
  'idMemberReceipt',
  'description',
  'accept',
  'payloads',
  'order_id',
  'status',
  'success',
] as const;

const fieldValueArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    'javascript:alert(1)',
    'file:///etc/passwd',
    'https://lp.example/x',
    '123456',
    'klink-va',
    'mark-voided',
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const bodyArb: fc.Arbitrary<{ type?: string; body?: Buffer }> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 4,
    arbitrary: fc
      .dictionary(fc.constantFrom(...FIELDS), fieldValueArb, { maxKeys: 8 })
      .map((o) => ({ type: 'application/json', body: Buffer.from(JSON.stringify(o)) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => ({ type: 'application/json', body: Buffer.from(JSON.stringify(v) ?? 'null') })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...CONTENT_TYPES),
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom('{', '{"a":', '[1,', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
        ),
      )
      .map(([type, text]) => ({ type, body: Buffer.from(text) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...CONTENT_TYPES), fc.uint8Array({ maxLength: 256 }))
      .map(([type, bytes]) => ({ type, body: Buffer.from(bytes) })),
  },
  {
    // Huge: past the webhooks' 64 KiB and the gateway's 1 MiB.
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'),
        fc.constantFrom(70 * 1024, 1100 * 1024),
      )
      .map(([type, size]) => ({ type, body: Buffer.from(`{"a":"${'a'.repeat(size)}"}`) })),
  },
);

/** Header names and values Node's client accepts (it refuses invalid ones itself). */
const headerNameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const extraHeadersArb = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'x-servicepayment',
      'origin',
      'accept',
      'x-forwarded-for',
      'content-encoding',
      'x-namespace',
      'accept-version',
    ),
    headerNameArb,
  ),
  fc.oneof(
    asciiText(60).map((s) => s.trim()),
    fc.stringMatching(/^[0-9A-F]{64}$/),
    fc.constantFrom('gzip', 'http://evil.example', 'http://localhost:8233', '127.0.0.1, 10.0.0.1', '*/*'),
  ),
  { maxKeys: 4 },
);

/** Headers Node would refuse, or that change the framing: left to the other cases. */
const RESERVED_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'expect',
  'upgrade',
  'te',
  'trailer',
]);

/** A valid body as it is, with one field changed, one left out, or one added. */
function mutatedArb(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.constant(valid),
    fc.tuple(fc.constantFrom(...keys), fieldValueArb).map(([k, v]) => ({ ...valid, [k]: v })),
    fc
      .constantFrom(...keys)
      .map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))),
    fc.tuple(fc.constantFrom(...FIELDS), fieldValueArb).map(([k, v]) => ({ ...valid, [k]: v })),
  );
}

function bodyFor(shape: RequestShape, target: Target): fc.Arbitrary<{ type?: string; body?: Buffer }> {
  const valid = target.template ? shape.bodies?.[target.template] : undefined;
  if (!valid) return bodyArb;
  const mutated = mutatedArb(valid).map((o) => ({
    type: 'application/json',
    body: Buffer.from(JSON.stringify(o)),
  }));
  return fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 2, arbitrary: bodyArb });
}

export function requestArb(shape: RequestShape): fc.Arbitrary<FuzzRequest> {
  return targetArb(shape)
    .chain((target) =>
      fc.record({
        target: fc.constant(target),
        query: queryArb,
        body: bodyFor(shape, target),
        authorization: shape.authorization,
        extra: extraHeadersArb,
      }),
    )
    .map(({ target: { method, path }, query, body, authorization, extra }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(extra)) if (!RESERVED_HEADERS.has(k)) headers[k] = v;
      if (body.type !== undefined && body.type !== '') headers['content-type'] = body.type;
      if (authorization !== undefined) headers.authorization = authorization;
      return { method, path: query ? `${path}?${query}` : path, headers, body: body.body };
    });
}

// ---- sending ----

/**
 * Sends one request as written (no normalisation of the path) and reads the whole answer. A
 * connection the server closed while a huge body was still being written (it answered 413
 * early) is reported as status 413 when the answer was seen, else as 0.
 */
export function send(baseUrl: string, req: FuzzRequest, timeoutMs = 60_000): Promise<FuzzAnswer> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let answered: FuzzAnswer | undefined;
    // Framed by Content-Length always: Node sends a GET's body unframed otherwise.
    const headers = req.body ? { ...req.headers, 'content-length': String(req.body.length) } : req.headers;
    const r = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          answered = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
          resolve(answered);
        });
        res.on('error', (err) => (answered ? undefined : reject(err)));
      },
    );
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return;
      // The server may refuse a huge body by closing the connection while it is still written.
      if ((err.code === 'EPIPE' || err.code === 'ECONNRESET') && (req.body?.length ?? 0) > 64 * 1024)
        resolve({ status: 0, body: '' });
      else reject(err);
    });
    r.end(req.body);
  });
}

// ---- settings ----

/** PAYSAGA_FUZZ_RUNS / PAYSAGA_FUZZ_SEED / PAYSAGA_FUZZ_SECONDS, with the defaults npm test uses. */
export function fuzzSettings(defaults = { runs: 1000, seed: 11, seconds: 45 }) {
  const int = (name: string, fallback: number) => {
    const v = process.env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${name}: a whole number, not ${JSON.stringify(v)}`);
    return n;
  };
  const runs = int('PAYSAGA_FUZZ_RUNS', defaults.runs);
  return {
    runs,
    seed: int('PAYSAGA_FUZZ_SEED', defaults.seed),
    // A longer run gets time in proportion unless told otherwise.
    seconds: int(
      'PAYSAGA_FUZZ_SECONDS',
      Math.max(defaults.seconds, Math.ceil((defaults.seconds * runs) / defaults.runs)),
    ),
  };
}

/**
 * The property: every request of this shape gets an answer with no 5xx and no internal text,
 * and passes `also` (a further rule of the caller, e.g. "unauthenticated is never 2xx").
 */
export function gatewayProperty(
  baseUrl: string,
  shape: RequestShape,
  also?: (req: FuzzRequest, answer: FuzzAnswer) => string | undefined,
) {
  return fc.asyncProperty(requestArb(shape), async (req) => {
    const answer = await send(baseUrl, req);
    const problem = answerProblem(req, answer) ?? also?.(req, answer);
    if (problem) throw new Error(problem);
  });
}

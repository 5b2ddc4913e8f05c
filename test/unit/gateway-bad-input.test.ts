/**
 * Bad input at the gateway gets a 4xx with a message, never a 500 (issue 11): the one error
 * handler covers the /v1 plugin, query strings and path parameters are schema-checked (repeated
 * keys included), a limit below 1 is refused, unknown routes are 404, oversize bodies 413 (and
 * counted as received by /metrics/webhooks), and an unexpected error is a 500 that says nothing
 * internal. Also: invoiceUrl schemes, cancel only for a saga that takes one, the amount kept in
 * an unmatched payout report.
 *
 * The gateway is the real one (buildGateway), over a real PaysagaClient whose Temporal client is
 * a stand-in recording what it is asked; the whole stack version is test/e2e/gateway-fuzz.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { PaysagaClient } from '../../client/paysaga-client';
import { StartPrakerjaPaymentInput } from '../../client/inputs';
import { buildGateway } from '../../gateway/server';
import { errorAnswer } from '../../gateway/errors';
import type { WebhookCounters } from '../../gateway/webhooks';
import {
  aliKassaNotificationSignedBytes,
  parseNotificationQuery,
} from '../../providers/alikassa/notification';
import { aliKassaSign, loadAliKassaKey, loadAliKassaPublicKey } from '../../providers/alikassa/signature';
import { PRAKERJA_WORKFLOW_TYPE } from '../../workflows/prakerja-definitions';
import { TRANSFER_WORKFLOW_TYPE, transferWorkflowId } from '../../workflows/transfer-definitions';
import { kLinkSign, KLINK_SIGNATURE_HEADER, KLINK_WEBHOOK_PATHS } from '../../sandbox/klink/webhooks';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'alikassa');
const API_TOKEN = 'unit-test-api-token-0123456789';

interface Recorded {
  signals: { workflowId: string; name: string; args: unknown[] }[];
  /** Workflow ids described (a look before or after a signal). */
  describes: string[];
  signalWithStart: { workflowId: string; signalArgs: unknown[] }[];
  listQueries: string[];
}

/** Temporal as the client sees it: workflows by id (type and status), nothing else exists. */
function fakeTemporal(workflows: Record<string, { type: string; status: string }>, recorded: Recorded) {
  const notFound = (id: string) => new WorkflowNotFoundError('not found', id, undefined);
  return {
    connection: {
      withDeadline: async (_deadline: number, fn: () => Promise<unknown>) => fn(),
      withAbortSignal: async (_signal: AbortSignal, fn: () => Promise<unknown>) => fn(),
    },
    // Temporal answers: a route's deadline is never what these tests see.
    workflowService: { getSystemInfo: async () => ({}) },
    workflow: {
      getHandle: (workflowId: string) => ({
        describe: async () => {
          recorded.describes.push(workflowId);
          const wf = workflows[workflowId];
          if (!wf) throw notFound(workflowId);
          return { type: wf.type, status: { name: wf.status }, searchAttributes: {}, runId: 'r1' };
        },
        signal: async (def: { name: string } | string, ...args: unknown[]) => {
          const wf = workflows[workflowId];
          if (!wf || wf.status !== 'RUNNING') throw notFound(workflowId);
          recorded.signals.push({ workflowId, name: typeof def === 'string' ? def : def.name, args });
        },
        query: async () => {
          // What a route that reaches a Temporal call with a bug would meet: an unexpected error.
          throw new TypeError('value.replace is not a function');
        },
      }),
      signalWithStart: async (_type: string, o: { workflowId: string; signalArgs: unknown[] }) => {
        recorded.signalWithStart.push({ workflowId: o.workflowId, signalArgs: o.signalArgs });
        return { workflowId: o.workflowId };
      },
      list: ({ query }: { query: string }) => {
        recorded.listQueries.push(query);
        return (async function* () {})();
      },
    },
  } as unknown as Client;
}

const identityCodec: PayloadCodec = { encode: async (p) => p, decode: async (p) => p };

async function gateway(
  workflows: Record<string, { type: string; status: string }> = {},
  extra: Partial<Parameters<typeof buildGateway>[0]> = {},
) {
  const recorded: Recorded = { signals: [], describes: [], signalWithStart: [], listQueries: [] };
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const app = await buildGateway({
    client: new PaysagaClient(fakeTemporal(workflows, recorded), 'q'),
    codec: identityCodec,
    uiOrigin: 'http://localhost:8233',
    apiToken: API_TOKEN,
    logger,
    ...extra,
  });
  return { app, recorded, logs };
}

const auth = { authorization: `Bearer ${API_TOKEN}` };
const get = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url, headers: auth });

describe('gateway: bad input is a 4xx with a message', () => {
  for (const key of ['provider', 'status', 'orderId'])
    it(`GET /v1/payments with ${key} repeated: 400 naming ${key}, not 500 (issue 11)`, async () => {
      const { app, recorded } = await gateway();
      const res = await get(app, `/v1/payments?${key}=a&${key}=b`);
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().error, new RegExp(`"${key}" is repeated`));
      assert.equal(recorded.listQueries.length, 0, 'nothing reached Temporal');
      await app.close();
    });

  it('limit=-5, 0, 1001, 1.5 and abc are refused with 400; limit=10 lists', async () => {
    const { app, recorded } = await gateway();
    for (const limit of ['-5', '0', '1001', '1.5', 'abc']) {
      const res = await get(app, `/v1/payments?limit=${limit}`);
      assert.equal(res.statusCode, 400, `${limit}: ${res.body}`);
      assert.equal(res.json().error, 'limit: a whole number from 1 to 1000');
    }
    assert.equal(recorded.listQueries.length, 0);
    const ok = await get(app, '/v1/payments?limit=10&needsReview=true&provider=prakerja&status=');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(recorded.listQueries, [
      "PaysagaProvider IS NOT NULL AND PaysagaProvider = 'prakerja' AND PaysagaNeedsReview = true",
    ]);
    await app.close();
  });

  it('a query parameter a route does not take is named; a status no saga has, a control character in an id: 400', async () => {
    const { app } = await gateway();
    const cases: [string, RegExp][] = [
      ['/v1/payments?stauts=PAID', /unknown query parameter "stauts"/],
      ['/v1/payments/transfer-1?verbose=1', /unknown query parameter "verbose"/],
      ['/v1/payments?status=NOT_A_STATUS', /^status: not a status of any saga/],
      ['/v1/payments?needsReview=yes', /^needsReview: true or false$/],
      ['/v1/payments/a%01b', /^id: no control characters$/],
      ['/v1/klink/members/m1/history?startDate=yesterday', /^startDate: YYYY-MM-DD/],
    ];
    for (const [url, message] of cases) {
      const res = await get(app, url);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.match(res.json().error, message, url);
    }
    await app.close();
  });

  it('an unknown route is 404, a bad URL 400, neither echoing the path', async () => {
    const { app } = await gateway();
    for (const [url, status] of [
      ['/v1/no-such-thing', 404],
      ['/nowhere/at/all', 404],
      ['/v1/payments/%E0%A4%A', 400],
    ] as const) {
      const res = await get(app, url);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      assert.doesNotMatch(res.body, /nowhere|no-such-thing|%E0/);
      assert.equal(typeof res.json().error, 'string');
    }
    await app.close();
  });

  it('bodies: not JSON 400, empty JSON 400, wrong content-type 415, too large 413', async () => {
    const { app } = await gateway({}, { bodyLimit: 1024 });
    const post = (payload: string, type: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/transfers',
        headers: { ...auth, 'content-type': type },
        payload,
      });
    const cases: [string, string, number, string][] = [
      ['{"orderId":', 'application/json', 400, 'the body is not valid JSON'],
      ['', 'application/json', 400, 'the body is empty but its content-type says JSON'],
      ['<a/>', 'application/xml', 415, 'unsupported content-type: send application/json'],
      [`{"x":"${'a'.repeat(2048)}"}`, 'application/json', 413, 'body too large'],
      ['"a string"', 'application/json', 400, 'input: '],
    ];
    for (const [payload, type, status, message] of cases) {
      const res = await post(payload, type);
      assert.equal(res.statusCode, status, `${type} ${payload.slice(0, 20)}: ${res.body}`);
      assert.ok(res.json().error.startsWith(message), res.body);
    }
    await app.close();
  });

  it('a field named in its own message is named once ("idMember: 1-64 of", not "idMember: idMember:")', async () => {
    const { app } = await gateway();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/klink/va',
      headers: auth,
      payload: {
        idMember: 'no spaces allowed',
        name: 'Budi',
        hp: '081234567890',
        email: 'budi@example.test',
      },
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error, 'idMember: 1-64 of A-Z a-z 0-9 . _ -');
    await app.close();
  });

  it('the API token only as a bearer token: a bare token or another scheme is 401', async () => {
    const { app } = await gateway();
    const list = (authorization: string) =>
      app.inject({ method: 'GET', url: '/v1/payments', headers: { authorization } });
    for (const refused of [
      API_TOKEN,
      `Basic ${API_TOKEN}`,
      `Bearer ${API_TOKEN}x`,
      `Bearer`,
      `Bearer ${API_TOKEN} x`,
    ])
      assert.equal((await list(refused)).statusCode, 401, refused);
    for (const accepted of [`Bearer ${API_TOKEN}`, `bearer ${API_TOKEN}`, `BEARER  ${API_TOKEN}`])
      assert.equal((await list(accepted)).statusCode, 200, accepted);
    await app.close();
  });

  it('an unexpected error in a /v1 route is a 500 saying only "internal error"; the log has it', async () => {
    const { app, logs } = await gateway({
      'transfer-1': { type: TRANSFER_WORKFLOW_TYPE, status: 'RUNNING' },
    });
    const res = await get(app, '/v1/payments/transfer-1');
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: 'internal error' });
    assert.ok(logs.some((l) => l.includes('value.replace is not a function')));
    await app.close();
  });

  it('errorAnswer: a 4xx of unknown origin keeps its status with a fixed text; 5xx and others are 500', () => {
    assert.deepEqual(errorAnswer(Object.assign(new Error('/srv/app.ts:12 boom'), { statusCode: 400 })), {
      status: 400,
      message: 'bad request',
    });
    assert.deepEqual(errorAnswer(Object.assign(new Error('x'), { statusCode: 502 })), {
      status: 500,
      message: 'internal error',
    });
    assert.deepEqual(errorAnswer(new TypeError("Cannot read properties of undefined (reading 'x')")), {
      status: 500,
      message: 'internal error',
    });
    assert.deepEqual(errorAnswer(undefined), { status: 500, message: 'internal error' });
  });
});

describe('gateway: request logging', () => {
  it('logs each /v1 request but not each provider delivery (a webhook or callback URL carries payer details)', async () => {
    const { app, logs } = await gateway();
    await get(app, '/v1/payments?limit=1');
    const v1Lines = logs.length;
    assert.ok(v1Lines >= 2, 'incoming request and request completed for /v1');
    await app.inject({
      method: 'GET',
      url: '/webhooks/alikassa/payment?order_id=o&payer_email=budi%40example.test',
    });
    await app.inject({ method: 'POST', url: '/webhooks/klink/settlement', payload: '{}' });
    const deliveryLines = logs.slice(v1Lines);
    assert.ok(
      deliveryLines.every((l) => !/incoming request|request completed/.test(l)),
      deliveryLines.join('\n'),
    );
    assert.ok(
      deliveryLines.every((l) => !l.includes('budi')),
      'no payer detail in any line',
    );
    await app.close();
  });
});

describe('invoiceUrl: https only (http for localhost outside production)', () => {
  const base = { invoiceCode: 'INV-1', paymentToken: 'ptk-12345678', amount: 1000, orderId: 'o-1' };
  const accepts = (invoiceUrl: string) =>
    StartPrakerjaPaymentInput.safeParse({ ...base, invoiceUrl }).success;

  it('refuses javascript:, file:, data:, ftp: and http to another host', () => {
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/html,<script>1</script>',
      'ftp://lp.example/x',
      'http://lp.example/invoice',
      'https://',
      'not a url',
    ])
      assert.equal(accepts(url), false, url);
    assert.equal(accepts('https://lp.example/invoices/INV-1'), true);
  });

  it('http to localhost or 127.0.0.1 only outside production', () => {
    const before = process.env.NODE_ENV;
    try {
      delete process.env.NODE_ENV;
      assert.equal(accepts('http://localhost:3000/inv'), true);
      assert.equal(accepts('http://127.0.0.1/inv'), true);
      process.env.NODE_ENV = 'production';
      assert.equal(accepts('http://localhost:3000/inv'), false);
      assert.equal(accepts('http://127.0.0.1/inv'), false);
      assert.equal(accepts('https://lp.example/inv'), true);
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
  });
});

describe('cancel applies only to a saga that takes one', () => {
  const workflows = {
    'transfer-T1': { type: TRANSFER_WORKFLOW_TYPE, status: 'RUNNING' },
    'prakerja-P1': { type: PRAKERJA_WORKFLOW_TYPE, status: 'RUNNING' },
    'prakerja-P2': { type: PRAKERJA_WORKFLOW_TYPE, status: 'COMPLETED' },
  };
  const cancel = (app: FastifyInstance, id: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/payments/${id}/cancel`,
      headers: auth,
      payload: { reason: 'test' },
    });

  it('a transfer: 409 with a clear message, nothing signalled (before: 202 and nothing happened)', async () => {
    const { app, recorded } = await gateway(workflows);
    const res = await cancel(app, 'transfer-T1');
    assert.equal(res.statusCode, 409, res.body);
    assert.match(res.json().error, /cannot be cancelled: only a Prakerja payment takes a cancel/);
    assert.equal(recorded.signals.length, 0);
    await app.close();
  });

  it('a running Prakerja payment: 202 and the cancel signal; an ended one 409; an unknown id 404', async () => {
    const { app, recorded } = await gateway(workflows);
    const ok = await cancel(app, 'prakerja-P1');
    assert.equal(ok.statusCode, 202, ok.body);
    assert.deepEqual(recorded.signals, [
      { workflowId: 'prakerja-P1', name: 'cancel', args: [{ reason: 'test' }] },
    ]);
    const ended = await cancel(app, 'prakerja-P2');
    assert.equal(ended.statusCode, 409, ended.body);
    assert.match(ended.json().error, /has ended/);
    assert.equal((await cancel(app, 'prakerja-nobody')).statusCode, 404);
    await app.close();
  });
});

describe('webhooks', () => {
  it('a body too large is answered 413 and counted as received and refused', async () => {
    const { app } = await gateway({}, { klinkWebhookKey: 'k'.repeat(32) });
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/klink/settlement',
      headers: { 'content-type': 'application/json', 'x-servicepayment': 'AB' },
      payload: 'x'.repeat(70 * 1024),
    });
    assert.equal(res.statusCode, 413);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics/webhooks' })).json() as WebhookCounters;
    assert.equal(metrics.received, 1);
    assert.equal(metrics.refused.tooLarge, 1);
    await app.close();
  });

  it('an AliKassa payout notification no payout can take keeps its amount in the unmatched report', async () => {
    const privateKey = loadAliKassaKey(path.join(FIXTURES, 'private.pem'), 'paysaga-test');
    const aliKassaPublicKey = loadAliKassaPublicKey(path.join(FIXTURES, 'public.pem'));
    const { app, recorded } = await gateway({}, { aliKassaPublicKey });
    const query =
      'type=payout&id=5550001&order_id=PO-LOST-1&payment_status=paid&amount=250000.00&account=acc-1&service=payout_bank_idr&desc=payout';
    const sign = aliKassaSign(aliKassaNotificationSignedBytes(parseNotificationQuery(query)), privateKey);
    const res = await app.inject({
      method: 'GET',
      url: `/webhooks/alikassa/payout?${query}&sign=${encodeURIComponent(sign)}`,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().unmatched, true);
    assert.equal(recorded.signalWithStart.length, 1);
    const report = recorded.signalWithStart[0]!.signalArgs[0] as { key: string; amount?: number };
    assert.equal(report.key, 'PO-LOST-1');
    assert.equal(report.amount, 250_000);
    await app.close();
  });

  describe('K-Link settlement webhooks: the signal first, a look only when it finds no running payment', () => {
    const klinkWebhookKey = 'unit-test-pid-key';
    const settlement = (orderId: string) => {
      const body = Buffer.from(
        JSON.stringify({
          status: 'success',
          rq_uuid: `rq-${orderId}`,
          rq_datetime: '2026-12-01 10:00:00',
          order_id: orderId,
          tot_bayar: '175000',
        }),
      );
      return {
        method: 'POST' as const,
        url: KLINK_WEBHOOK_PATHS.settlement,
        headers: {
          'content-type': 'application/json',
          [KLINK_SIGNATURE_HEADER]: kLinkSign(klinkWebhookKey, body),
        },
        payload: body,
      };
    };

    it('a running payment is signalled with one Temporal call and never described', async () => {
      const id = transferWorkflowId('TRF-RUN-1');
      const { app, recorded } = await gateway(
        { [id]: { type: TRANSFER_WORKFLOW_TYPE, status: 'RUNNING' } },
        { klinkWebhookKey },
      );
      const res = await app.inject(settlement('TRF-RUN-1'));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { ok: true, workflowId: id });
      assert.deepEqual(
        recorded.signals.map((s) => s.workflowId),
        [id],
      );
      assert.deepEqual(recorded.describes, []);
      assert.equal(recorded.signalWithStart.length, 0);
      await app.close();
    });

    it('no payment: the refused signal is followed by a look, and the report is kept for an operator', async () => {
      const { app, recorded } = await gateway({}, { klinkWebhookKey });
      const res = await app.inject(settlement('TRF-NOBODY-1'));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().unmatched, true);
      assert.deepEqual(recorded.describes, [transferWorkflowId('TRF-NOBODY-1')]);
      assert.equal(recorded.signals.length, 0);
      assert.equal(recorded.signalWithStart.length, 1);
      await app.close();
    });

    it('a flood of refusals writes one log line per kind, and counts every one', async () => {
      const { app, logs } = await gateway({}, { klinkWebhookKey });
      for (let i = 0; i < 50; i++) {
        const res = await app.inject({
          ...settlement(`TRF-FORGED-${i}`),
          headers: { [KLINK_SIGNATURE_HEADER]: 'AB' },
        });
        assert.equal(res.statusCode, 401);
        await app.inject({ method: 'POST', url: `/webhooks/made-up-${i}`, payload: '{}' });
      }
      const refusals = logs.filter((l) => l.includes('webhook refused'));
      assert.equal(refusals.length, 2, refusals.join('\n'));
      const metrics = (await app.inject({ method: 'GET', url: '/metrics/webhooks' })).json<WebhookCounters>();
      assert.equal(metrics.refused.badSignature, 50);
      assert.equal(metrics.refused.unknownRoute, 50);
      await app.close();
    });
  });
});

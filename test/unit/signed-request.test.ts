/**
 * sendSignedRequest against real local HTTP servers (node:http on 127.0.0.1, port 0).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendSignedRequest, type SignInput, type SignedRequest } from '../../providers/http/signed-request';
import { ProviderTransportError } from '../../providers/http/errors';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface TestServer {
  server: http.Server;
  port: number;
  baseUrl: string;
  received: Received[];
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

function listen(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function makeServer(handler: Handler): { server: http.Server; received: Received[] } {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  return { server, received };
}

async function startServer(handler: Handler): Promise<TestServer> {
  const { server, received } = makeServer(handler);
  const port = await listen(server);
  return {
    server,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () => closeServer(server),
  };
}

/** A port that was bound and then released: nothing listens there. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  const port = await listen(s);
  await closeServer(s);
  return port;
}

function request(overrides: Partial<SignedRequest> & Pick<SignedRequest, 'baseUrl' | 'sign'>): SignedRequest {
  return {
    provider: 'testprov',
    operation: 'op',
    method: 'POST',
    path: '/api/v1/thing',
    body: { hello: 'world' },
    timeoutMs: 2000,
    ...overrides,
  };
}

async function catchError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the promise to reject');
}

describe('sendSignedRequest', () => {
  it('(a) sign gets the exact bytes the server receives, with a fresh call per attempt', async () => {
    // Non-ASCII on purpose: the signed bytes must be the UTF-8 bytes on the wire.
    const body = { invoice_code: 'INV-1', note: 'Pelatihan — Rp 20.000 ü 日本', n: 1 };
    const port = await closedPort();
    const signCalls: SignInput[] = [];
    let late: { server: http.Server; received: Received[] } | undefined;

    // Attempt 1 hits a closed port (never delivered, retried after 200 ms). Right after the
    // first sign call we start a server on that port, so attempt 2 is delivered.
    const sign = (input: SignInput): Record<string, string> => {
      signCalls.push({ ...input, body: Buffer.from(input.body) });
      if (signCalls.length === 1) {
        late = makeServer((_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"ok":true}');
        });
        setTimeout(() => void listen(late!.server, port), 20);
      }
      return { 'x-attempt': String(signCalls.length), 'x-signature': `sig-${signCalls.length}` };
    };
    try {
      const res = await sendSignedRequest(
        request({ baseUrl: `http://127.0.0.1:${port}`, body, sign, undeliveredAttempts: 3 }),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { ok: true });
      assert.equal(signCalls.length, 2, 'sign must be called once per attempt (2 attempts)');
      assert.ok(late);
      assert.equal(late.received.length, 1);
      const got = late.received[0]!;
      assert.equal(got.headers['x-attempt'], '2', 'the delivered attempt must carry its own fresh headers');
      assert.equal(got.headers['x-signature'], 'sig-2');
      assert.equal(got.method, 'POST');
      assert.equal(got.url, '/api/v1/thing');
      for (const call of signCalls) {
        assert.equal(call.method, 'POST');
        assert.equal(call.path, '/api/v1/thing');
        assert.ok(call.body.equals(got.body), 'signed bytes must equal the bytes the server received');
      }
      assert.ok(got.body.equals(Buffer.from(JSON.stringify(body), 'utf8')));
      assert.equal(got.headers['content-length'], String(got.body.length));
      assert.equal(got.headers['content-type'], 'application/json');
    } finally {
      if (late) await closeServer(late.server);
    }
  });

  it('(a) one attempt, one sign call, path signed without the base URL prefix', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"success":true}');
    });
    try {
      const calls: SignInput[] = [];
      const res = await sendSignedRequest(
        request({
          baseUrl: `${srv.baseUrl}/prefix/`,
          sign: (i) => {
            calls.push(i);
            return { signature: 'abc' };
          },
        }),
      );
      assert.equal(res.status, 200);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.path, '/api/v1/thing');
      assert.equal(srv.received.length, 1);
      assert.equal(srv.received[0]!.url, '/prefix/api/v1/thing');
      assert.ok(calls[0]!.body.equals(srv.received[0]!.body));
      assert.equal(srv.received[0]!.headers.signature, 'abc');
    } finally {
      await srv.close();
    }
  });

  it('(b) a server that never answers: ProviderTransportError timeout, delivered maybe', async () => {
    const srv = await startServer(() => {
      /* never answer */
    });
    try {
      let signs = 0;
      const started = Date.now();
      const err = await catchError(
        sendSignedRequest(
          request({
            baseUrl: srv.baseUrl,
            timeoutMs: 200,
            sign: () => {
              signs++;
              return {};
            },
          }),
        ),
      );
      const elapsed = Date.now() - started;
      assert.ok(err instanceof ProviderTransportError, `expected ProviderTransportError, got ${String(err)}`);
      assert.equal(err.kind, 'timeout');
      assert.equal(err.delivered, 'maybe');
      assert.equal(signs, 1, 'a timeout may have been delivered: no in-layer retry');
      assert.equal(srv.received.length, 1);
      assert.ok(elapsed >= 180 && elapsed < 2000, `timeout after ${elapsed} ms, expected about 200`);
    } finally {
      await srv.close();
    }
  });

  it('(c) connection refused is retried undeliveredAttempts times, then connection-refused / delivered no', async () => {
    const port = await closedPort();
    let signs = 0;
    const err = await catchError(
      sendSignedRequest(
        request({
          baseUrl: `http://127.0.0.1:${port}`,
          undeliveredAttempts: 3,
          sign: () => {
            signs++;
            return {};
          },
        }),
      ),
    );
    assert.ok(err instanceof ProviderTransportError, `expected ProviderTransportError, got ${String(err)}`);
    assert.equal(err.kind, 'connection-refused');
    assert.equal(err.delivered, 'no');
    assert.equal(signs, 3, 'sign is called once per attempt: 3 attempts');
  });

  it('(c) undeliveredAttempts 1 means a single attempt', async () => {
    const port = await closedPort();
    let signs = 0;
    const err = await catchError(
      sendSignedRequest(
        request({
          baseUrl: `http://127.0.0.1:${port}`,
          undeliveredAttempts: 1,
          sign: () => {
            signs++;
            return {};
          },
        }),
      ),
    );
    assert.ok(err instanceof ProviderTransportError);
    assert.equal(err.kind, 'connection-refused');
    assert.equal(signs, 1);
  });

  it('(d) a server that destroys the socket: reset/network, delivered maybe, not retried in-layer', async () => {
    const srv = await startServer((req) => req.socket.destroy());
    try {
      let signs = 0;
      const err = await catchError(
        sendSignedRequest(
          request({
            baseUrl: srv.baseUrl,
            undeliveredAttempts: 5,
            sign: () => {
              signs++;
              return {};
            },
          }),
        ),
      );
      assert.ok(err instanceof ProviderTransportError, `expected ProviderTransportError, got ${String(err)}`);
      assert.ok(err.kind === 'reset' || err.kind === 'network', `kind ${err.kind}`);
      assert.equal(err.delivered, 'maybe');
      assert.equal(signs, 1);
      // Give a (wrong) retry time to arrive before counting.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(srv.received.length, 1, 'the server must see exactly one request');
    } finally {
      await srv.close();
    }
  });

  it('(e) registered secrets never appear in the error message or stack (path and query)', async () => {
    const port = await closedPort();
    const signKey = 'SignKeyInPath0123456789';
    const token = 'ptkQueryToken987654321';
    const err = await catchError(
      sendSignedRequest(
        request({
          baseUrl: `http://127.0.0.1:${port}`,
          path: `/api/${signKey}/x`,
          query: { k: token, other: 'visible-value' },
          undeliveredAttempts: 1,
          sign: () => ({}),
          secrets: [signKey, token],
        }),
      ),
    );
    assert.ok(err instanceof ProviderTransportError);
    // The URL is in the message (so the redaction really had something to do).
    assert.match(err.message, /visible-value/);
    assert.match(err.message, /\[REDACTED\]/);
    for (const text of [err.message, err.stack ?? '', String(err), JSON.stringify(err)]) {
      assert.ok(!text.includes(signKey), `sign key leaked: ${text}`);
      assert.ok(!text.includes(token), `token leaked: ${text}`);
    }
  });

  it('(e) secrets are masked in a reset error too', async () => {
    const srv = await startServer((req) => req.socket.destroy());
    const secret = 'ResetPathSecret_55555';
    try {
      const err = await catchError(
        sendSignedRequest(
          request({
            baseUrl: srv.baseUrl,
            path: `/p/${secret}`,
            query: { s: secret },
            sign: () => ({}),
            secrets: [secret],
          }),
        ),
      );
      assert.ok(err instanceof ProviderTransportError);
      assert.ok(!err.message.includes(secret), err.message);
      assert.ok(!(err.stack ?? '').includes(secret), err.stack);
    } finally {
      await srv.close();
    }
  });

  it('(e) a secret with URL-special characters (base64 key) in the query does not leak percent-encoded', async () => {
    const port = await closedPort();
    // A base64 sign key, as keys are usually issued: '/', '+' and '=' are percent-encoded in a query.
    const secret = 'q0/Zx+Lm9Tr2/Wv8+Yb==';
    const err = await catchError(
      sendSignedRequest(
        request({
          baseUrl: `http://127.0.0.1:${port}`,
          query: { key: secret },
          undeliveredAttempts: 1,
          sign: () => ({}),
          secrets: [secret],
        }),
      ),
    );
    assert.ok(err instanceof ProviderTransportError);
    const encoded = encodeURIComponent(secret);
    for (const text of [err.message, err.stack ?? '']) {
      assert.ok(!text.includes(secret), `secret leaked raw: ${text}`);
      assert.ok(
        !text.includes(encoded),
        `BUG (signed-request/redact): a registered secret leaks in percent-encoded form (${encoded}) ` +
          `through the FetchError URL in the transport error message; redactText only masks the raw value. ` +
          `Message: ${text}`,
      );
    }
  });

  it('(f) a 5xx is returned as a response, not thrown, and not retried', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end('{"code":"DOWN","message":"maintenance"}');
    });
    try {
      let signs = 0;
      const res = await sendSignedRequest(
        request({
          baseUrl: srv.baseUrl,
          sign: () => {
            signs++;
            return {};
          },
        }),
      );
      assert.equal(res.status, 503);
      assert.equal(res.text, '{"code":"DOWN","message":"maintenance"}');
      assert.deepEqual(res.json, { code: 'DOWN', message: 'maintenance' });
      assert.equal(signs, 1);
      assert.equal(srv.received.length, 1);
    } finally {
      await srv.close();
    }
  });

  it('(f) a non-JSON 500 body: text kept, json undefined', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      res.end('<html>Internal Server Error</html>');
    });
    try {
      const res = await sendSignedRequest(request({ baseUrl: srv.baseUrl, sign: () => ({}) }));
      assert.equal(res.status, 500);
      assert.equal(res.text, '<html>Internal Server Error</html>');
      assert.equal(res.json, undefined);
    } finally {
      await srv.close();
    }
  });
});

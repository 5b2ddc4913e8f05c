/**
 * The codec endpoint the Temporal Web UI (and `temporal --codec-endpoint`) calls to show an
 * operator decrypted payloads: POST {endpoint}/decode and /encode with {payloads:[{metadata,data}]}
 * in proto-JSON (base64 bytes).
 *
 * The browser calls it directly, so it needs CORS for the UI's exact origin with credentials.
 * Anyone who can call it can read OTPs and tokens in history: it is bound to localhost in the
 * local stack, and in production PAYSAGA_CODEC_AUTH_TOKEN makes it demand a bearer token (an
 * exposed gateway does not start without it: secure-start.ts).
 *
 * The Origin is checked too, not only announced in CORS headers: a request whose Origin is not
 * PAYSAGA_UI_ORIGIN gets 403 (preflight included), token or not, so a page elsewhere cannot use
 * a browser that holds the token. A request without Origin is not a browser page (the temporal
 * CLI's --codec-endpoint, a script): it passes this check and must carry the bearer token
 * whenever one is set.
 */
import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { bearerMatches } from './bearer';

const JsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
const CodecBody = z.object({ payloads: z.array(JsonPayload).max(10_000) });

export interface CodecRouteOptions {
  codec: PayloadCodec;
  uiOrigin: string;
  authToken?: string;
}

export async function registerCodecRoutes(app: FastifyInstance, opts: CodecRouteOptions): Promise<void> {
  await app.register(async (scope) => {
    // Added before CORS, whose own hook answers a preflight: a foreign Origin never gets that far.
    const uiOrigin = normalOrigin(opts.uiOrigin);
    scope.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin;
      if (origin === undefined || normalOrigin(origin) === uiOrigin) return;
      await reply.code(403).send({ error: 'codec endpoint: requests from this Origin are not allowed' });
    });
    await scope.register(cors, {
      // A trailing slash in the configured origin would never match the browser's Origin header.
      origin: opts.uiOrigin.replace(/\/+$/, ''),
      credentials: true,
      methods: ['POST', 'OPTIONS'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    });
    scope.addHook('onRequest', async (req, reply) => {
      if (!opts.authToken || req.method === 'OPTIONS') return;
      if (!bearerMatches(req.headers.authorization, opts.authToken)) {
        await reply.code(401).send({ error: 'codec endpoint requires a valid bearer token' });
      }
    });
    for (const op of ['encode', 'decode'] as const) {
      scope.post(`/codec/${op}`, async (req, reply) => {
        const body = CodecBody.safeParse(req.body);
        if (!body.success)
          return reply
            .code(400)
            .send({ error: `body must be {payloads:[{metadata,data}]}: ${body.error.issues[0]?.message}` });
        try {
          const payloads = await opts.codec[op](body.data.payloads.map(fromJson));
          return { payloads: payloads.map(toJson) };
        } catch (err) {
          return reply.code(400).send({ error: `cannot ${op} payloads: ${(err as Error).message}` });
        }
      });
    }
  });
}

/** Scheme and host are case-insensitive; a trailing slash in the setting would never match a browser's Origin. */
function normalOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function fromJson(p: z.infer<typeof JsonPayload>): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: p.data ? Buffer.from(p.data, 'base64') : undefined,
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data?: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
  };
}

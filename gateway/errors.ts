/**
 * The gateway's one error handler and its one "no such route" answer, set on the root instance
 * before any plugin is registered: Fastify copies a scope's error handler when a plugin is
 * registered, so a handler set afterwards never reaches the plugin's routes (issue 11: the /v1
 * routes answered 500 with the text of a TypeError).
 *
 * Every error becomes a status and a message a caller may read:
 * - a request refused by its schema (query, path parameters): 400 with the schema's message;
 * - Fastify's own refusals (body too large 413, unsupported content-type 415, malformed JSON,
 *   a bad URL): their status, with Fastify's message (fixed texts) or ours;
 * - anything else, a 4xx of unknown origin included: its status with a fixed text, and every
 *   unexpected error a 500 "internal error" whose detail is only in the log (redacted by the
 *   logger, common/redact.ts). Bad input never reaches that path: a 500 is a bug to fix.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorAnswer {
  status: number;
  message: string;
}

export const INTERNAL_ERROR_MESSAGE = 'internal error';

/** Fastify's refusals whose fixed text is clearer than ours; the rest are rewritten below. */
const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content-type: send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty but its content-type says JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the body does not match its Content-Length',
  FST_ERR_BAD_URL: 'the URL is not valid percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
};

/** Fixed texts for a 4xx raised by something else (a plugin, a stream): its message is not ours to show. */
const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'bad request',
  404: 'no such route',
  405: 'method not allowed',
  413: 'body too large',
  415: 'unsupported content-type: send application/json',
};

/** What to answer for an error a route or Fastify raised. Exported for the unit test. */
export function errorAnswer(err: unknown): ErrorAnswer {
  const e = (err ?? {}) as Partial<FastifyError>;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status < 400 || status >= 500) return { status: 500, message: INTERNAL_ERROR_MESSAGE };
  // A schema refusal: the message is the zod message request-validation.ts wrote.
  if (e.validation !== undefined || e.code === 'FST_ERR_VALIDATION')
    return { status: 400, message: e.message ?? STATUS_MESSAGES[400]! };
  const fixed = e.code ? FASTIFY_MESSAGES[e.code] : undefined;
  if (fixed) return { status, message: fixed };
  return { status, message: STATUS_MESSAGES[status] ?? 'bad request' };
}

export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const answer = errorAnswer(err);
    if (answer.status === 500) req.log.error({ err }, 'request failed');
    // The route template, never the URL: a path may carry a secret (the PPOB callback's).
    else req.log.info({ status: answer.status, route: req.routeOptions.url }, 'request refused');
    void reply.code(answer.status).send({ error: answer.message });
  });
  // The path is not echoed: it is the caller's text, and may be a secret sent to the wrong method.
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: STATUS_MESSAGES[404] });
  });
}

/**
 * Fastify's `frameworkErrors` option (given to Fastify() itself): the router's refusals of a URL
 * it cannot read (bad percent-encoding, a parameter too long) answered like any other, instead of
 * Fastify's default body that echoes the path.
 */
export function answerFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const answer = errorAnswer(err);
  void reply.code(answer.status).send({ error: answer.message });
}

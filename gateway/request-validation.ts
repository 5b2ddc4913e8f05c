/**
 * Query strings and path parameters of a scope's routes, validated with zod (client/inputs.ts)
 * through Fastify's own `schema` option: the refusal happens before the handler, and the error
 * handler (errors.ts) answers it 400 with the message written here.
 *
 * Every route of the scope gets a schema, declared or not: a query string it does not declare
 * is refused (NoQuery), and a path with `:id` gets PaymentIdParams. So no route reads a value it
 * did not validate, and a parameter a caller misspelled is named rather than silently ignored.
 *
 * A repeated key (`?provider=a&provider=b`, which the query parser reads as an array) is refused
 * naming the key: which of the two was meant is the caller's to say. An empty value
 * (`?status=`) counts as not given, as the README's `?needsReview=true&status=&provider=` shows.
 *
 * Bodies are validated where they are used, by the client (parseInput), with the same schemas
 * the library and CLI use.
 */
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { issueText, NoQuery, PaymentIdParams } from '../client/inputs';

/** A key as shown in a message: bounded, and only its printable characters. */
function shown(key: string): string {
  return JSON.stringify(key.replace(/[^\x20-\x7e]/g, '?').slice(0, 40));
}

/** The one message for zod's issues, each with where it is (zod's message names the field). */
export function issuesMessage(part: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map(shown).join(', ');
        return `unknown ${part} parameter${issue.keys.length > 1 ? 's' : ''} ${keys}`;
      }
      return issueText(issue);
    })
    .join('; ');
}

/** Refuses a repeated key; drops empty values. Returns the message of a refusal, or the query. */
export function readQuery(query: unknown): { error: string } | { value: Record<string, string> } {
  const value: Record<string, string> = {};
  for (const [key, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) return { error: `query parameter ${shown(key)} is repeated: give it once` };
    if (v === '') continue;
    value[key] = String(v);
  }
  return { value };
}

const zodCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data: unknown) => {
    let input = data;
    if (httpPart === 'querystring') {
      const read = readQuery(data);
      if ('error' in read) return { error: new Error(read.error) };
      input = read.value;
    }
    const result = schema.safeParse(input);
    if (result.success) return { value: result.data };
    const part =
      httpPart === 'querystring' ? 'query' : httpPart === 'params' ? 'path' : (httpPart ?? 'request');
    return { error: new Error(issuesMessage(part, result.error)) };
  };

/**
 * Call first in a scope, before its routes: validates every route's query and path parameters
 * with the zod schemas it declares (`schema: { querystring, params }`) or the strict defaults.
 */
export function validateQueryAndParams(scope: FastifyInstance): void {
  scope.setValidatorCompiler(zodCompiler);
  scope.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {});
    schema.querystring ??= NoQuery;
    if (route.url.includes(':id')) schema.params ??= PaymentIdParams;
  });
}

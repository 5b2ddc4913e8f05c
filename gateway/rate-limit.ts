/**
 * The REST front's rate limit per client (@fastify/rate-limit): a fixed window of one minute per
 * IP address, on /v1 only. Webhooks and the PPOB callback are not limited (their senders retry,
 * and a refused notification only delays money news); the codec endpoint has its own token and
 * origin check.
 *
 * The check runs first in the /v1 scope, before the bearer-token check, so guessing the API
 * token is limited too. It answers 429 itself (not through an error handler) with Retry-After in
 * seconds and a message saying when to try again.
 *
 * Behind a reverse proxy every request comes from the proxy's address: set Fastify's trustProxy
 * there, or limit at the proxy.
 */
import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';

export const RATE_LIMIT_WINDOW_MS = 60_000;

export async function limitRequestsPerClient(scope: FastifyInstance, perMinute: number): Promise<void> {
  // global: false — only the hook below applies it, and only in this scope.
  await scope.register(rateLimit, { global: false, max: perMinute, timeWindow: RATE_LIMIT_WINDOW_MS });
  const check = scope.createRateLimit();
  scope.addHook('onRequest', async (req, reply) => {
    const limit = await check(req);
    if (limit.isAllowed) return;
    void reply.header('x-ratelimit-limit', limit.max);
    void reply.header('x-ratelimit-remaining', limit.remaining);
    void reply.header('x-ratelimit-reset', limit.ttlInSeconds);
    if (!limit.isExceeded) return;
    await reply
      .code(429)
      .header('retry-after', limit.ttlInSeconds)
      .send({
        error: `rate limit: more than ${limit.max} requests per minute from this client; retry in ${limit.ttlInSeconds} s`,
      });
  });
}

import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { systemClock, type Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import { createRateLimiter, type RateLimiter, type RateSpec } from '../../lib/rate-limit.js';
import type { ApiEnv } from '../context.js';

/**
 * REST request limits, ours rather than a proxy's: a token bucket per remote address and one
 * per authenticated user (REST_REQUESTS_PER_SECOND, REST_REQUEST_BURST). A refused request gets
 * 429 with the usual error body (`rate-limited`, details.retryAfterSeconds) and `Retry-After`.
 *
 * Mount `byIp` early (before authentication: it also bounds token guessing) and `byUser` after
 * `requireIdentity` (it reads the identity; without one it lets the request through).
 */
export interface RestRateLimit {
  byIp: MiddlewareHandler<ApiEnv>;
  byUser: MiddlewareHandler<ApiEnv>;
  /** Buckets held, for tests and metrics. */
  keys(): { ip: number; user: number };
}

export function createRestRateLimit(spec: RateSpec & { maxKeys?: number }, clock: Clock = systemClock): RestRateLimit {
  const ips = createRateLimiter(spec, clock);
  const users = createRateLimiter(spec, clock);
  return {
    byIp: (c, next) => guard(c, next, ips, remoteAddress(c), 'address'),
    byUser: (c, next) => {
      const identity = c.get('identity') as ApiEnv['Variables']['identity'] | undefined;
      return identity ? guard(c, next, users, identity.userId, 'user') : next();
    },
    keys: () => ({ ip: ips.size(), user: users.size() }),
  };
}

async function guard(c: Context<ApiEnv>, next: () => Promise<void>, limiter: RateLimiter, key: string, per: string): Promise<Response | void> {
  const decision = limiter.take(key);
  if (decision.ok) return next();
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const error = new AppError('rate-limited', `Too many requests for this ${per}; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
  return c.json(error.toJSON(), 429, { 'Retry-After': String(retryAfterSeconds) });
}

/** The TCP peer (@hono/node-server puts the IncomingMessage in `env.incoming`); 'unknown' elsewhere. */
function remoteAddress(c: Context<ApiEnv>): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket.remoteAddress ?? 'unknown';
}

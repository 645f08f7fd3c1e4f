import type { MiddlewareHandler } from 'hono';
import { tokenFromRequest } from '../../auth/request-token.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import type { ApiEnv } from '../context.js';

/** Resolves the caller from `Authorization: Bearer` or the session cookie; 401 otherwise. */
export function requireIdentity(verifier: TokenVerifier): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    // Already resolved by enforceAccess (middleware/access.ts) for this request: verify once.
    if (c.get('identity') === undefined) {
      const token = tokenFromRequest(c.req.raw.headers, undefined, { allowQuery: false });
      c.set('identity', await verifier.verify(token));
    }
    await next();
  };
}

/** Service tokens only (`scope: ["admin"]`). Must run after requireIdentity. */
export function requireAdmin(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!c.get('identity').admin) throw new AppError('forbidden', 'This endpoint needs an admin service token');
    await next();
  };
}

/**
 * Feature flags from the original specification: with the feature off, its endpoints exist but
 * answer 503 `feature-disabled`, so clients can tell "off" from "wrong URL".
 */
export function requireFeature(enabled: boolean, variable: string): MiddlewareHandler<ApiEnv> {
  return async (_c, next) => {
    if (!enabled) {
      throw new AppError('feature-disabled', `This feature is turned off on this server (${variable}=false)`, {
        variable,
      });
    }
    await next();
  };
}

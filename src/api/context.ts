import { OpenAPIHono } from '@hono/zod-openapi';
import type { Identity } from '../lib/identity.js';
import { AppError } from '../lib/errors.js';

/** Hono variables set by middleware; handlers read them with `c.get(...)`. */
export interface ApiEnv {
  Variables: {
    identity: Identity;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Every schema validation failure: 400 `validation-failed` with one issue per field. */
const validationHook: ConstructorParameters<typeof OpenAPIHono<ApiEnv>>[0] extends infer O
  ? O extends { defaultHook?: infer H }
    ? H
    : never
  : never = (result) => {
  if (!result.success) {
    throw new AppError('validation-failed', 'The request is not valid', {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
};

/**
 * A new OpenAPI app with the shared validation hook: the root app, and one sub-app per API
 * resource (routes/*.ts), which createApi mounts with `app.route('/', …)`. Mounting copies each
 * sub-app's routes into the root's OpenAPI registry, so /api/openapi.json lists them all. A
 * sub-app sets no error handler: errors reach the root's one handler.
 */
export function createResourceApp(): ApiApp {
  return new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
}

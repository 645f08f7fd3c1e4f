import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Identity } from '../lib/identity.js';

/** Hono variables set by middleware; handlers read them with `c.get(...)`. */
export interface ApiEnv {
  Variables: {
    identity: Identity;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

/**
 * The access level every REST operation declares as the OpenAPI extension `x-access`. The
 * authorization matrix (tests/security/authz-matrix.test.ts) reads it from /api/openapi.json for
 * every operation, so it is the contract; the route's middleware and handler enforce it.
 *
 * - `public`: no token needed;
 * - `dev`: the development token endpoint (404 unless config.devTokens enables it);
 * - `authenticated`: any valid token (the caller's own data, e.g. preferences);
 * - `project:read`: any role in the project the request names;
 * - `project:write`: owner or editor there;
 * - `project:owner`: owner there;
 * - `self-or-owner`: a writer's own numbers, or the project's owner (src/lib/visibility.ts);
 * - `admin`: service tokens with `scope: ["admin"]`, which also pass every level above.
 *
 * The level is the minimum: checks that need the resource (a writing session is changed only
 * by its own writer, in the session's project) stay in the handler.
 */
export const ACCESS_LEVELS = [
  'public',
  'dev',
  'authenticated',
  'project:read',
  'project:write',
  'project:owner',
  'self-or-owner',
  'admin',
] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** Spread into a createRoute definition: `...access('project:read')`. */
export function access<L extends AccessLevel>(level: L): { 'x-access': L } {
  return { 'x-access': level };
}

import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { tokenFromRequest } from '../../auth/request-token.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import { canWrite, roleIn, type Identity } from '../../lib/identity.js';
import { isResourceId } from '../../lib/ids.js';
import { canSeeWriterNumbers } from '../../lib/visibility.js';
import { ACCESS_LEVELS, type AccessLevel } from '../access.js';
import type { ApiApp, ApiEnv } from '../context.js';

/** `METHOD /hono/:path` of every operation -> its declared level. */
export type AccessTable = ReadonlyMap<string, AccessLevel>;

const keyOf = (method: string, honoPath: string) => `${method.toUpperCase()} ${honoPath}`;

/**
 * Reads `x-access` from every operation of the resource apps; throws at start-up when one has
 * none, so an endpoint cannot ship without declaring who may call it.
 */
export function accessTable(apps: readonly ApiApp[]): AccessTable {
  const table = new Map<string, AccessLevel>();
  for (const app of apps) {
    for (const def of app.openAPIRegistry.definitions) {
      if (def.type !== 'route') continue;
      const level = (def.route as { 'x-access'?: unknown })['x-access'];
      const name = `${def.route.method.toUpperCase()} ${def.route.path}`;
      if (!(ACCESS_LEVELS as readonly unknown[]).includes(level)) throw new Error(`${name} declares no valid x-access level`);
      table.set(keyOf(def.route.method, def.route.path.replaceAll(/\{([^}]+)\}/g, ':$1')), level as AccessLevel);
    }
  }
  return table;
}

/** The request's values of the route's `:name` segments. */
function pathParams(pattern: string, path: string): Record<string, string> {
  const want = pattern.split('/');
  const got = path.split('/');
  const params: Record<string, string> = {};
  want.forEach((segment, i) => {
    if (segment.startsWith(':') && got[i] !== undefined) {
      try {
        params[segment.slice(1)] = decodeURIComponent(got[i]!);
      } catch {
        // Left out: the route's own validation answers 400 for it.
      }
    }
  });
  return params;
}

function check(level: AccessLevel, identity: Identity, params: Record<string, string>): void {
  if (identity.admin) return; // admin service tokens pass every level
  if (level === 'admin') throw new AppError('forbidden', 'This endpoint needs an admin service token');
  const projectId = params.projectId ?? params.pId;
  // Levels about a project the path does not name (it is in the body, the query or the
  // resource) are checked by the handler, which has the resource.
  if (projectId === undefined || (!level.startsWith('project:') && level !== 'self-or-owner')) return;
  // A malformed id is the route's validation error (400), not a missing role.
  if (!isResourceId(projectId)) return;
  const role = roleIn(identity, projectId);
  if (role === undefined) throw new AppError('forbidden', `No role in project ${projectId}`, { projectId });
  if (level === 'project:write' && !canWrite(role)) throw new AppError('forbidden', `This needs an owner or editor role in project ${projectId}`, { projectId });
  if (level === 'project:owner' && role !== 'owner') throw new AppError('forbidden', `This needs the owner role in project ${projectId}`, { projectId });
  if (level === 'self-or-owner' && params.userId !== undefined && !canSeeWriterNumbers(identity, projectId, params.userId)) {
    throw new AppError('forbidden', "Only the writer and the project's owners see these numbers", { projectId, userId: params.userId });
  }
}

/**
 * The same rule for a project the path does not name (in the body, or the project of a resource
 * such as a workflow): handlers call it once they know the project.
 */
export function checkProjectAccess(identity: Identity, projectId: string, level: AccessLevel): void {
  check(level, identity, { projectId });
}

/**
 * Enforces each operation's declared `x-access` level before anything else of the route runs,
 * whatever the method (HEAD is answered by the GET route, so it gets GET's level). Sets the
 * `identity` variable for the routes.
 */
export function enforceAccess(table: AccessTable, verifier: TokenVerifier): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    // The first matched operation is the one that answers (routes never fall through).
    const route = matchedRoutes(c).find((r) => r.method !== 'ALL' && r.method.toUpperCase() === method && table.has(keyOf(method, r.path)));
    const level = route ? table.get(keyOf(method, route.path)) : undefined;
    if (route === undefined || level === undefined || level === 'public' || level === 'dev') return next();
    const identity = await verifier.verify(tokenFromRequest(c.req.raw.headers, undefined, { allowQuery: false }));
    c.set('identity', identity);
    check(level, identity, pathParams(route.path, c.req.path));
    await next();
  };
}

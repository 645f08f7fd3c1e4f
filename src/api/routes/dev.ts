import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../lib/errors.js';
import { defaultColor } from '../../lib/identity.js';
import { RESOURCE_ID_MESSAGE, RESOURCE_ID_PATTERN } from '../../lib/ids.js';
import { signToken } from '../../auth/tokens.js';
import type { Clock } from '../../lib/clock.js';
import { createResourceApp, type ApiApp, type ApiEnv } from '../context.js';
import { ErrorBody, json } from '../schemas.js';

export interface DevRoutesDeps {
  /** The secret the server verifies tokens with: a dev token must work everywhere a real one does. */
  secret: string;
  clock: Clock;
  /** Serve only loopback clients that did not come through a proxy (config.devTokens.loopbackOnly). */
  loopbackOnly: boolean;
  /** Claims a dev token carries so the server's own verifier (AUTH_ISSUER / AUTH_AUDIENCE) accepts it. */
  issuer?: string | undefined;
  audience?: string | undefined;
}

/** The project and document the demo at `/` opens. */
export const DEMO_PROJECT = 'demo' as const;
export const DEMO_DOCUMENT = 'demo/chapter-1' as const;
const TOKEN_HOURS = 12;

const DevToken = z
  .object({
    token: z.string(),
    user: z.object({ id: z.string(), name: z.string(), color: z.string() }),
    projectId: z.literal(DEMO_PROJECT),
    document: z.literal(DEMO_DOCUMENT),
    expiresAt: z.string(),
  })
  .openapi('DevToken');

const token = createRoute({
  method: 'get',
  path: '/api/dev/token',
  tags: ['development'],
  summary: 'A token for the demo project (development servers only; 404 unless dev tokens are enabled)',
  description:
    'Anyone who reaches this route gets a token, so it fails closed: it exists only when DEV_TOKENS=true, or by default ' +
    'on a development server without AUTH_SECRET and then only for loopback clients not behind a proxy; never in production ' +
    '(404 wherever it is off). The role is editor (`role=owner` for the project dashboard, which shows every writer); ' +
    'the token expires in 12 h.',
  request: {
    query: z.object({
      user: z.string().regex(RESOURCE_ID_PATTERN, RESOURCE_ID_MESSAGE),
      name: z.string().trim().min(1).max(64).optional(),
      role: z.enum(['editor', 'owner']).default('editor'),
    }),
  },
  responses: { 200: json(DevToken, 'a signed token'), 400: json(ErrorBody, 'invalid user or name'), 404: json(ErrorBody, 'dev tokens are off, or not for this client') },
  'x-access': 'dev',
});

/** Headers a reverse proxy adds: behind one, every client's address is the proxy's (often loopback). */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/** True for a direct connection from 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z). */
export function isLoopbackRequest(c: Context): boolean {
  if (PROXY_HEADERS.some((h) => c.req.header(h) !== undefined)) return false;
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return false; // not on a node:http socket (app.request in tests): no address, no token
  }
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/**
 * Development login for the demo web app. Registered by createApi only when config.devTokens
 * enables it (never in production): a token for anyone who asks is a back door anywhere real
 * data lives.
 */
export function devRoutes(deps: DevRoutesDeps): ApiApp {
  const app = createResourceApp();
  // Before validation, with the same 404 as a server without the route: a remote client learns
  // nothing, not even from a 400 about its query.
  const guard: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (deps.loopbackOnly && !isLoopbackRequest(c)) throw new AppError('not-found', `No route for ${c.req.method} ${c.req.path}`);
    await next();
  };
  app.openapi({ ...token, middleware: [guard] as const }, async (c) => {
    const { user, name, role } = c.req.valid('query');
    const now = deps.clock.now();
    const color = defaultColor(user);
    const displayName = name ?? user;
    const signed = await signToken(
      deps.secret,
      {
        userId: user,
        name: displayName,
        color,
        projects: { [DEMO_PROJECT]: role },
        expiresInSeconds: TOKEN_HOURS * 3600,
        issuer: deps.issuer,
        audience: deps.audience,
      },
      now,
    );
    // signToken floors iat to seconds; expiry is counted from there.
    const expiresAt = new Date((Math.floor(now / 1000) + TOKEN_HOURS * 3600) * 1000).toISOString();
    return c.json(
      { token: signed, user: { id: user, name: displayName, color }, projectId: DEMO_PROJECT, document: DEMO_DOCUMENT, expiresAt },
      200,
    );
  });
  return app;
}

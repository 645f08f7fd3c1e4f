import { createRoute, z } from '@hono/zod-openapi';
import { defaultColor } from '../../lib/identity.js';
import { signToken } from '../../auth/tokens.js';
import type { Clock } from '../../lib/clock.js';
import type { ApiApp } from '../context.js';
import { ErrorBody, json } from '../schemas.js';

export interface DevRoutesDeps {
  /** The secret the server verifies tokens with: a dev token must work everywhere a real one does. */
  secret: string;
  clock: Clock;
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
  summary: 'A token for the demo project (development servers only; 404 when NODE_ENV=production)',
  description:
    'Anyone can get a token here, which is why the route does not exist in production. The role is editor ' +
    '(`role=owner` for the project dashboard, which shows every writer); the token expires in 12 h.',
  request: {
    query: z.object({
      user: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ -'),
      name: z.string().trim().min(1).max(64).optional(),
      role: z.enum(['editor', 'owner']).default('editor'),
    }),
  },
  responses: { 200: json(DevToken, 'a signed token'), 400: json(ErrorBody, 'invalid user or name') },
});

/**
 * Development login for the demo web app. Registered by createApi only outside production: a
 * token for anyone who asks is a back door anywhere real data lives.
 */
export function registerDevRoutes(app: ApiApp, deps: DevRoutesDeps): void {
  app.openapi(token, async (c) => {
    const { user, name, role } = c.req.valid('query');
    const now = deps.clock.now();
    const color = defaultColor(user);
    const displayName = name ?? user;
    const signed = await signToken(
      deps.secret,
      { userId: user, name: displayName, color, projects: { [DEMO_PROJECT]: role }, expiresInSeconds: TOKEN_HOURS * 3600 },
      now,
    );
    // signToken floors iat to seconds; expiry is counted from there.
    const expiresAt = new Date((Math.floor(now / 1000) + TOKEN_HOURS * 3600) * 1000).toISOString();
    return c.json(
      { token: signed, user: { id: user, name: displayName, color }, projectId: DEMO_PROJECT, document: DEMO_DOCUMENT, expiresAt },
      200,
    );
  });
}

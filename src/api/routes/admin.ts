import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireAdmin, requireIdentity } from '../middleware/auth.js';
import { errors } from '../schemas.js';
import { access } from '../access.js';

export interface AdminDeps {
  verifier: TokenVerifier;
  /** Closes every live connection of the user; returns how many sockets were closed. */
  disconnectUser(userId: string): number;
}

const disconnectUser = createRoute({
  method: 'post',
  path: '/api/admin/users/{userId}/disconnect',
  tags: ['admin'],
  summary: "Close all of a user's connections (after the host application revoked access)",
  security: [{ bearer: [] }],
  request: { params: z.object({ userId: z.string().min(1).max(256) }) },
  responses: {
    200: {
      description: 'closed',
      content: { 'application/json': { schema: z.object({ userId: z.string(), closedSockets: z.number().int() }) } },
    },
    ...errors(400, 401, 403),
  },
  ...access('admin'),
});

export function adminRoutes(deps: AdminDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/admin/*', requireIdentity(deps.verifier), requireAdmin());
  app.openapi(disconnectUser, (c) => {
    const { userId } = c.req.valid('param');
    return c.json({ userId, closedSockets: deps.disconnectUser(userId) }, 200);
  });
  return app;
}

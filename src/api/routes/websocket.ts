import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireAdmin, requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors } from '../schemas.js';
import { access } from '../access.js';
import { RESOURCE_ID_SOURCE } from '../../lib/ids.js';

export interface WebsocketRoutesDeps {
  verifier: TokenVerifier;
  stats(): Record<string, unknown>;
  broadcast(message: { path?: 'analytics' | 'notifications' | 'presence'; channel: string; data: unknown }): Promise<void>;
}


const stats = createRoute({
  method: 'get',
  path: '/api/realtime/websocket/stats',
  tags: ['websocket'],
  summary: 'Gateway statistics: connections per path, channels, messages in and out, dropped (admin)',
  ...access('admin'),
  security: [{ bearer: [] }],
  responses: { 200: { description: 'stats', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, ...errors(401, 403) },
});

const broadcast = createRoute({
  method: 'post',
  path: '/api/realtime/websocket/broadcast',
  tags: ['websocket'],
  summary: 'Send a message to every subscriber of a channel, on every instance (admin)',
  ...access('admin'),
  security: [{ bearer: [] }],
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            channel: z.string().regex(new RegExp(`^(project:${RESOURCE_ID_SOURCE}|document:${RESOURCE_ID_SOURCE}/${RESOURCE_ID_SOURCE}|user:\\S{1,256})$`)),
            path: z.enum(['analytics', 'notifications', 'presence']).optional(),
            data: z.unknown(),
          }),
        },
      },
    },
  },
  responses: { 202: { description: 'sent', content: { 'application/json': { schema: z.object({ channel: z.string() }) } } }, ...errors(400, 401, 403, 413) },
});

export function websocketRoutes(deps: WebsocketRoutesDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/realtime/websocket/*', requireIdentity(deps.verifier), requireAdmin());
  app.use('/api/realtime/websocket/broadcast', limitBody(BODY_LIMITS.broadcast));
  app.openapi(stats, (c) => c.json(deps.stats(), 200));
  app.openapi(broadcast, async (c) => {
    const body = c.req.valid('json');
    await deps.broadcast({ channel: body.channel, data: body.data, ...(body.path ? { path: body.path } : {}) });
    return c.json({ channel: body.channel }, 202);
  });
  return app;
}

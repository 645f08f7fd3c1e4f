import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { ApiApp } from '../context.js';
import { requireAdmin, requireIdentity } from '../middleware/auth.js';
import { ErrorBody, json } from '../schemas.js';

export interface WebsocketRoutesDeps {
  verifier: TokenVerifier;
  stats(): Record<string, unknown>;
  broadcast(message: { path?: 'analytics' | 'notifications' | 'presence'; channel: string; data: unknown }): Promise<void>;
}

const errors = {
  400: json(ErrorBody, 'invalid request'),
  401: json(ErrorBody, 'no or bad token'),
  403: json(ErrorBody, 'not an admin token'),
} as const;

const stats = createRoute({
  method: 'get',
  path: '/api/realtime/websocket/stats',
  tags: ['websocket'],
  summary: 'Gateway statistics: connections per path, channels, messages in and out, dropped (admin)',
  security: [{ bearer: [] }],
  responses: { 200: { description: 'stats', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } }, ...errors },
});

const broadcast = createRoute({
  method: 'post',
  path: '/api/realtime/websocket/broadcast',
  tags: ['websocket'],
  summary: 'Send a message to every subscriber of a channel, on every instance (admin)',
  security: [{ bearer: [] }],
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            channel: z.string().regex(/^(project:[A-Za-z0-9_-]{1,64}|document:[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}|user:\S{1,256})$/),
            path: z.enum(['analytics', 'notifications', 'presence']).optional(),
            data: z.unknown(),
          }),
        },
      },
    },
  },
  responses: { 202: { description: 'sent', content: { 'application/json': { schema: z.object({ channel: z.string() }) } } }, ...errors },
});

export function registerWebsocketRoutes(app: ApiApp, deps: WebsocketRoutesDeps): void {
  app.use('/api/realtime/websocket/*', requireIdentity(deps.verifier), requireAdmin());
  app.openapi(stats, (c) => c.json(deps.stats(), 200));
  app.openapi(broadcast, async (c) => {
    const body = c.req.valid('json');
    await deps.broadcast({ channel: body.channel, data: body.data, ...(body.path ? { path: body.path } : {}) });
    return c.json({ channel: body.channel }, 202);
  });
}

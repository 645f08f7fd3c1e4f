import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { NotificationService } from '../../services/notifications/notification-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors, json } from '../schemas.js';
import { NotificationId } from './notifications-schemas.js';

const PATH = '/api/realtime/notifications/push-subscriptions';
/** base64url of the browser's keys (P-256 point: 65 bytes; auth secret: 16 bytes). */
const Base64Url = (min: number, max: number) => z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'expected base64url').min(min).max(max);

const SubscriptionBody = z
  .object({
    endpoint: z
      .url()
      .max(2048)
      .refine((v) => v.startsWith('https://'), { message: 'a push endpoint must be https' }),
    keys: z.object({ p256dh: Base64Url(80, 100), auth: Base64Url(16, 32) }),
  })
  .openapi('PushSubscriptionCreate');
const Subscription = z.object({ id: z.string(), endpoint: z.string(), createdAt: z.string() }).openapi('PushSubscription');

const subscribe = createRoute({
  method: 'post',
  path: PATH,
  tags: ['notifications'],
  summary: "Register this browser's web push subscription (PushSubscription.toJSON())",
  ...access('authenticated'),
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: SubscriptionBody } } } },
  responses: { 201: json(Subscription, 'stored (an endpoint already known is replaced)'), ...errors(400, 401, 413) },
});

const unsubscribe = createRoute({
  method: 'delete',
  path: `${PATH}/{id}`,
  tags: ['notifications'],
  summary: 'Remove one of your push subscriptions',
  ...access('authenticated'),
  security: [{ bearer: [] }],
  request: { params: z.object({ id: NotificationId }) },
  responses: { 200: json(z.object({ ok: z.literal(true) }), 'removed'), ...errors(400, 401, 404) },
});

/** Web push subscriptions of the caller. */
export function notificationPushRoutes(deps: { verifier: TokenVerifier; service: NotificationService }): ApiApp {
  const app = createResourceApp();
  app.use(PATH, requireIdentity(deps.verifier), limitBody(BODY_LIMITS.small));
  app.use(`${PATH}/*`, requireIdentity(deps.verifier));
  app.openapi(subscribe, async (c) => {
    const sub = await deps.service.subscribePush(c.get('identity').userId, c.req.valid('json'));
    return c.json({ id: sub.id, endpoint: sub.endpoint, createdAt: new Date(sub.createdAt).toISOString() }, 201);
  });
  app.openapi(unsubscribe, async (c) => {
    await deps.service.unsubscribePush(c.get('identity').userId, c.req.valid('param').id);
    return c.json({ ok: true as const }, 200);
  });
  return app;
}

import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import { roleIn } from '../../lib/identity.js';
import type { NotificationService } from '../../services/notifications/notification-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { Cursor, Limit, ResourceId } from '../params.js';
import { errors, json } from '../schemas.js';
import { Category, Delivery, Notification, NotificationId, SendBody, presentDelivery, presentNotification } from './notifications-schemas.js';

export interface NotificationRoutesDeps {
  verifier: TokenVerifier;
  service: NotificationService;
  /** Whether `userId` was seen with a role in `projectId` (a sender who owns it may notify its members only). */
  isMember(projectId: string, userId: string): Promise<boolean>;
  /** Verifies the signed List-Unsubscribe links of emails (the auth secret; a purpose-bound key is derived). */
  unsubscribeSecret?: string;
}

const BASE = '/api/realtime/notifications';
const tags = ['notifications'];
const security = [{ bearer: [] }];
const IdParam = z.object({ id: NotificationId });
const Ok = z.object({ ok: z.literal(true) });

const list = createRoute({
  method: 'get',
  path: BASE,
  tags,
  summary: 'Your inbox, newest first, paged by cursor, with the unread count',
  ...access('authenticated'),
  security,
  request: {
    query: z.object({
      unread: z.enum(['true', 'false']).optional().openapi({ description: 'only unread notifications' }),
      category: Category.optional(),
      projectId: ResourceId.optional(),
      cursor: Cursor.optional(),
      limit: Limit(100, 20),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Notification), nextCursor: z.string().nullable(), unreadCount: z.number().int() }).openapi('NotificationPage'), 'a page of the inbox'),
    ...errors(400, 401),
  },
});

const read = createRoute({
  method: 'post',
  path: `${BASE}/{id}/read`,
  tags,
  summary: 'Mark one of your notifications read',
  ...access('authenticated'),
  security,
  request: { params: IdParam },
  responses: { 200: json(Ok, 'marked read'), ...errors(400, 401, 404) },
});

const readAll = createRoute({
  method: 'post',
  path: `${BASE}/read-all`,
  tags,
  summary: 'Mark all your notifications read (optionally of one category or project)',
  ...access('authenticated'),
  security,
  request: { query: z.object({ category: Category.optional(), projectId: ResourceId.optional() }) },
  responses: { 200: json(z.object({ updated: z.number().int() }), 'how many were marked'), ...errors(400, 401) },
});

const archive = createRoute({
  method: 'post',
  path: `${BASE}/{id}/archive`,
  tags,
  summary: 'Archive one of your notifications (it leaves the inbox list)',
  ...access('authenticated'),
  security,
  request: { params: IdParam },
  responses: { 200: json(Ok, 'archived'), ...errors(400, 401, 404) },
});

const send = createRoute({
  method: 'post',
  path: `${BASE}/send`,
  tags,
  summary: "Send a notification: admin tokens to anyone; a project's owner to that project's members",
  description:
    'Routed like every notification (preferences, quiet hours, digests, flow). The level is about the body\'s projectId (checked here): its owners, or admin tokens. 403 for a recipient not seen with a role in the project.',
  ...access('project:owner'),
  security,
  request: { body: { required: true, content: { 'application/json': { schema: SendBody } } } },
  responses: {
    201: json(z.object({ notification: Notification, deliveries: z.array(Delivery) }), 'stored and routed'),
    ...errors(400, 401, 403, 413),
  },
});

const deliveries = createRoute({
  method: 'get',
  path: `${BASE}/deliveries/{id}`,
  tags,
  summary: 'Delivery status of one of your notifications on each channel',
  ...access('authenticated'),
  security,
  request: { params: IdParam },
  responses: { 200: json(z.object({ notification: Notification, deliveries: z.array(Delivery) }), 'its deliveries'), ...errors(400, 401, 404) },
});

const digestPreview = createRoute({
  method: 'get',
  path: `${BASE}/digest/preview`,
  tags,
  summary: 'The digests that will go out next and what they carry so far',
  ...access('authenticated'),
  security,
  responses: {
    200: json(
      z.object({
        digests: z.array(z.object({ channel: z.string(), dueAt: z.string(), status: z.string(), folded: z.number().int(), notifications: z.array(Notification) })),
      }),
      'pending digests',
    ),
    ...errors(401),
  },
});

/** The inbox and sending (preferences and push subscriptions have files of their own). */
export function notificationRoutes(deps: NotificationRoutesDeps): ApiApp {
  const app = createResourceApp();
  const { service } = deps;
  app.use(`${BASE}`, requireIdentity(deps.verifier));
  app.use(`${BASE}/*`, requireIdentity(deps.verifier), limitBody(BODY_LIMITS.small));

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const { userId } = c.get('identity');
    const [page, unreadCount] = await Promise.all([
      service.list({ userId, limit: q.limit, ...(q.unread === 'true' ? { unread: true } : {}), ...(q.category ? { category: q.category } : {}), ...(q.projectId ? { projectId: q.projectId } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) }),
      service.unreadCount(userId),
    ]);
    return c.json({ items: page.items.map(presentNotification), nextCursor: page.nextCursor, unreadCount }, 200);
  });

  app.openapi(read, async (c) => {
    await service.markRead(c.get('identity').userId, c.req.valid('param').id);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(readAll, async (c) => {
    const q = c.req.valid('query');
    const updated = await service.markAllRead(c.get('identity').userId, { ...(q.category ? { category: q.category } : {}), ...(q.projectId ? { projectId: q.projectId } : {}) });
    return c.json({ updated }, 200);
  });

  app.openapi(archive, async (c) => {
    await service.archive(c.get('identity').userId, c.req.valid('param').id);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(send, async (c) => {
    const body = c.req.valid('json');
    const identity = c.get('identity');
    if (!identity.admin) {
      if (roleIn(identity, body.projectId) !== 'owner') throw new AppError('forbidden', `Only admin tokens and owners of ${body.projectId} may send notifications there`, { projectId: body.projectId });
      if (body.userId !== identity.userId && !(await deps.isMember(body.projectId, body.userId))) {
        throw new AppError('forbidden', `User ${body.userId} is not a member of ${body.projectId}`, { projectId: body.projectId, userId: body.userId });
      }
    }
    const notification = await service.notify({ ...body, ...(body.data ? { data: body.data } : {}) });
    // A fresh notification is never deduplicated (no dedupe key), so it exists.
    const stored = await service.deliveries(body.userId, notification!.id);
    return c.json({ notification: presentNotification(stored.notification), deliveries: stored.deliveries.map(presentDelivery) }, 201);
  });

  app.openapi(deliveries, async (c) => {
    const result = await service.deliveries(c.get('identity').userId, c.req.valid('param').id);
    return c.json({ notification: presentNotification(result.notification), deliveries: result.deliveries.map(presentDelivery) }, 200);
  });

  app.openapi(digestPreview, async (c) => {
    const digests = await service.digestPreview(c.get('identity').userId);
    return c.json({ digests: digests.map((d) => ({ ...d, dueAt: new Date(d.dueAt).toISOString(), notifications: d.notifications.map(presentNotification) })) }, 200);
  });
  return app;
}

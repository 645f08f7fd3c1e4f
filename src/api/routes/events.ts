import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { EventBus } from '../../events/bus.js';
import type { ArchiveQueryService } from '../../services/archive/archive-service.js';
import { EVENT_CATEGORIES, EVENT_TYPES, createEvent, eventJsonSchemas, parseEvent, type EventType } from '../../events/schema.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireAdmin, requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors, json } from '../schemas.js';
import { access } from '../access.js';
import { Cursor, Instant, Limit, ResourceId } from '../params.js';

export interface EventRoutesDeps {
  verifier: TokenVerifier;
  bus: EventBus;
  /** The audit archive with the visibility rule applied (services/archive). */
  archive: ArchiveQueryService;
  /** Pseudonymous actor of a user id (HMAC). */
  actorOf(userId: string): string;
}

const Category = z.enum(EVENT_CATEGORIES);
const Event = z
  .object({
    id: z.string(),
    type: z.string(),
    category: z.string(),
    v: z.number().int(),
    occurredAt: z.string(),
    projectId: z.string().optional(),
    documentId: z.string().optional(),
    actor: z.string(),
    payload: z.record(z.string(), z.unknown()),
  })
  .openapi('Event');
const Page = z.object({ items: z.array(Event), nextCursor: z.string().nullable() }).openapi('EventPage');

const publish = createRoute({
  method: 'post',
  path: '/api/realtime/events/publish',
  tags: ['events'],
  summary: 'Publish one event (admin service tokens)',
  ...access('admin'),
  security: [{ bearer: [] }],
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            type: z.enum(EVENT_TYPES),
            projectId: ResourceId.optional(),
            documentId: ResourceId.optional(),
            payload: z.record(z.string(), z.unknown()),
            occurredAt: Instant.optional(),
            /** Publish on behalf of this user; default: the caller. Stored only as an HMAC. */
            actorUserId: z.string().min(1).max(256).optional(),
          }),
        },
      },
    },
  },
  responses: { 202: json(z.object({ id: z.string(), type: z.string() }), 'accepted'), ...errors(400, 401, 403, 413) },
});

const schema = createRoute({
  method: 'get',
  path: '/api/realtime/events/schema',
  tags: ['events'],
  summary: 'JSON Schema of every event type',
  ...access('public'),
  responses: { 200: json(z.record(z.string(), z.unknown()), 'one JSON Schema per event type') },
});

const list = createRoute({
  method: 'get',
  path: '/api/realtime/events/{category}',
  tags: ['events'],
  summary: 'Page through the audit archive, newest first',
  description:
    'Non-admin tokens must name a project they have a role in. Owners (and admins) see every event; other members see ' +
    "project-level events and only their own per-writer events (writing.*, analytics.goal_*), never another writer's.",
  ...access('project:read'),
  security: [{ bearer: [] }],
  request: {
    params: z.object({ category: Category }),
    query: z.object({
      type: z.enum(EVENT_TYPES).optional(),
      projectId: ResourceId.optional(),
      documentId: ResourceId.optional(),
      from: Instant.optional(),
      to: Instant.optional(),
      cursor: Cursor.optional(),
      limit: Limit(500, 100),
    }),
  },
  responses: { 200: json(Page, 'a page'), ...errors(400, 401, 403) },
});

const info = createRoute({
  method: 'get',
  path: '/api/realtime/events/{category}/info',
  tags: ['events'],
  summary: "A category's stream: length, groups, pending and lag, last id, retention (admin)",
  ...access('admin'),
  security: [{ bearer: [] }],
  request: { params: z.object({ category: Category }) },
  responses: { 200: json(z.record(z.string(), z.unknown()), 'stream info'), ...errors(400, 401, 403) },
});

export function eventRoutes(deps: EventRoutesDeps): ApiApp {
  const app = createResourceApp();
  const auth = requireIdentity(deps.verifier);
  app.use('/api/realtime/events/publish', auth, requireAdmin(), limitBody(BODY_LIMITS.publish));
  app.use('/api/realtime/events/:category/info', auth, requireAdmin());

  app.openapi(schema, (c) => c.json(eventJsonSchemas() as Record<string, unknown>, 200));

  app.openapi(publish, async (c) => {
    const body = c.req.valid('json');
    const identity = c.get('identity');
    const event = parseEvent(
      createEvent(body.type as EventType, {
        actor: deps.actorOf(body.actorUserId ?? identity.userId),
        ...(body.projectId ? { projectId: body.projectId } : {}),
        ...(body.documentId ? { documentId: body.documentId } : {}),
        payload: body.payload,
        ...(body.occurredAt ? { occurredAt: Date.parse(body.occurredAt) } : {}),
      } as Parameters<typeof createEvent>[1]),
    );
    await deps.bus.publish(event);
    return c.json({ id: event.id, type: event.type }, 202);
  });

  // Every method: Hono answers HEAD with the GET handler, so a method check here let anonymous
  // HEAD requests reach it. `schema` and `publish` share the path shape and answer for themselves.
  app.use('/api/realtime/events/:category', async (c, next) => {
    if ((EVENT_CATEGORIES as readonly string[]).includes(c.req.param('category'))) return auth(c, next);
    await next();
  });
  app.openapi(list, async (c) => {
    const { category } = c.req.valid('param');
    const q = c.req.valid('query');
    const page = await deps.archive.list(c.get('identity'), {
      category,
      limit: q.limit,
      ...(q.type ? { type: q.type } : {}),
      ...(q.projectId ? { projectId: q.projectId } : {}),
      ...(q.documentId ? { documentId: q.documentId } : {}),
      ...(q.from ? { from: Date.parse(q.from) } : {}),
      ...(q.to ? { to: Date.parse(q.to) } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return c.json(page as z.infer<typeof Page>, 200);
  });

  app.openapi(info, async (c) => c.json((await deps.bus.info(c.req.valid('param').category)) as unknown as Record<string, unknown>, 200));
  return app;
}

import { createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { roleIn } from '../../lib/identity.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { EventArchive } from '../../db/event-archive.js';
import type { EventBus } from '../../events/bus.js';
import { EVENT_CATEGORIES, EVENT_TYPES, createEvent, eventJsonSchemas, parseEvent, type EventType } from '../../events/schema.js';
import { AppError } from '../../lib/errors.js';
import type { ApiApp } from '../context.js';
import { requireAdmin, requireIdentity } from '../middleware/auth.js';
import { ErrorBody, json } from '../schemas.js';

export interface EventRoutesDeps {
  verifier: TokenVerifier;
  bus: EventBus;
  archive: EventArchive;
  /** Pseudonymous actor of a user id (HMAC). */
  actorOf(userId: string): string;
}

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
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
const errors = {
  400: json(ErrorBody, 'invalid request'),
  401: json(ErrorBody, 'no or bad token'),
  403: json(ErrorBody, 'not allowed'),
} as const;

const publish = createRoute({
  method: 'post',
  path: '/api/realtime/events/publish',
  tags: ['events'],
  summary: 'Publish one event (admin service tokens)',
  security: [{ bearer: [] }],
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            type: z.enum(EVENT_TYPES),
            projectId: Id.optional(),
            documentId: Id.optional(),
            payload: z.record(z.string(), z.unknown()),
            occurredAt: z.string().datetime({ offset: true }).optional(),
            /** Publish on behalf of this user; default: the caller. Stored only as an HMAC. */
            actorUserId: z.string().min(1).max(256).optional(),
          }),
        },
      },
    },
  },
  responses: { 202: json(z.object({ id: z.string(), type: z.string() }), 'accepted'), 413: json(ErrorBody, 'payload over 64 KiB'), ...errors },
});

const schema = createRoute({
  method: 'get',
  path: '/api/realtime/events/schema',
  tags: ['events'],
  summary: 'JSON Schema of every event type',
  responses: { 200: json(z.record(z.string(), z.unknown()), 'one JSON Schema per event type') },
});

const list = createRoute({
  method: 'get',
  path: '/api/realtime/events/{category}',
  tags: ['events'],
  summary: 'Page through the audit archive, newest first',
  security: [{ bearer: [] }],
  request: {
    params: z.object({ category: Category }),
    query: z.object({
      type: z.enum(EVENT_TYPES).optional(),
      projectId: Id.optional(),
      documentId: Id.optional(),
      from: z.string().datetime({ offset: true }).optional(),
      to: z.string().datetime({ offset: true }).optional(),
      cursor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(Page, 'a page'), ...errors },
});

const info = createRoute({
  method: 'get',
  path: '/api/realtime/events/{category}/info',
  tags: ['events'],
  summary: "A category's stream: length, groups, pending and lag, last id, retention (admin)",
  security: [{ bearer: [] }],
  request: { params: z.object({ category: Category }) },
  responses: { 200: json(z.record(z.string(), z.unknown()), 'stream info'), ...errors },
});

export function registerEventRoutes(app: ApiApp, deps: EventRoutesDeps): void {
  const auth = requireIdentity(deps.verifier);
  app.use('/api/realtime/events/publish', auth, requireAdmin(), bodyLimit({ maxSize: 256 * 1024, onError: tooLarge }));
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

  app.use('/api/realtime/events/:category', async (c, next) => {
    if (c.req.method === 'GET') return auth(c, next);
    await next();
  });
  app.openapi(list, async (c) => {
    const { category } = c.req.valid('param');
    const q = c.req.valid('query');
    const identity = c.get('identity');
    if (!identity.admin) {
      if (!q.projectId) throw new AppError('validation-failed', 'projectId is required unless the token is an admin token', { field: 'projectId' });
      if (!roleIn(identity, q.projectId)) throw new AppError('forbidden', `No role in project ${q.projectId}`, { projectId: q.projectId });
    }
    const page = await deps.archive.list({
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
}

function tooLarge(): never {
  throw new AppError('message-too-large', 'The request body is over 256 KiB');
}

import { createRoute, z } from '@hono/zod-openapi';
import { canWrite, roleIn, type Identity } from '../../lib/identity.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import { canSeeAllWriterNumbers, canSeeWriterNumbers } from '../../lib/visibility.js';
import type { SessionView, WritingService } from '../../services/writing/writing-service.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors as pickErrors, json } from '../schemas.js';
import { access } from '../access.js';
import { ResourceId, SessionId } from '../params.js';

export interface WritingSessionRoutesDeps {
  verifier: TokenVerifier;
  service: Pick<
    WritingService,
    'startSession' | 'recordKeystrokes' | 'endSession' | 'resumeSession' | 'getSession' | 'activeSessions'
  >;
}

const Id = ResourceId;
const State = z.enum(['idle', 'warming_up', 'active', 'flow', 'paused', 'break', 'ended']);
const count = z.number().int().min(0);

const Totals = z.object({
  wordsAdded: count,
  wordsRemoved: count,
  netWords: z.number().int(),
  composedWords: z.number().int(),
  pastedWords: z.number().int(),
  chars: count,
  edits: count,
  pastes: count,
});
const Session = z
  .object({
    id: z.string(),
    userId: z.string(),
    projectId: z.string(),
    state: State,
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    endReason: z.enum(['timeout', 'explicit']).nullable(),
    lastInputAt: z.string().nullable(),
    wpm: z.number().openapi({ description: 'Composed words per minute over the last 5 minutes' }),
    wordsPerHour: z.number().nullable(),
    totals: Totals,
    documents: z.array(z.string()),
    timeInState: z.record(State, z.number()),
    writingMs: z.number(),
    lengthMs: z.number(),
    flowEpisodes: count,
    live: z.boolean(),
  })
  .openapi('WritingSession');

const Keystroke = z.object({
  at: z
    .union([z.number().int().min(0).max(8.64e15), z.string().datetime({ offset: true })])
    .openapi({ description: 'When it happened: ISO-8601 with offset, or ms since the epoch' }),
  documentId: Id,
  inserted: count.max(1_000_000).openapi({ description: 'Characters inserted' }),
  deleted: count.max(1_000_000).openapi({ description: 'Characters deleted' }),
  wordsAdded: count.max(100_000).optional(),
  wordsRemoved: count.max(100_000).optional(),
  paste: z.boolean().optional().openapi({ description: 'Clipboard, import or an offline batch: counted, never toward pace' }),
});

const errors = pickErrors(400, 401, 403, 413);
const sessionErrors = pickErrors(400, 401, 403, 404, 409, 413);
const base = '/api/realtime/writing/sessions';
const idParam = z.object({ id: SessionId });
const tags = ['writing sessions'];
const security = [{ bearer: [] }];

const start = createRoute({
  method: 'post',
  path: `${base}/start`,
  tags,
  security,
  summary: "The caller's open session in the project, or a new one (idle until the first edit)",
  ...access('project:write'),
  request: { body: { required: true, content: { 'application/json': { schema: z.object({ projectId: Id, documentId: Id.optional() }) } } } },
  responses: { 200: json(Session, 'the open session'), 201: json(Session, 'a new session'), ...pickErrors(400, 401, 403, 409, 413) },
});

const keystroke = createRoute({
  method: 'post',
  path: `${base}/{id}/keystroke`,
  tags,
  security,
  summary: 'Feed a batch of keystroke events into the session (editors that are not on Yjs)',
  description: "Only the session's own writer, with owner or editor in the session's project at the time of the call.",
  ...access('project:write'),
  request: {
    params: idParam,
    body: { required: true, content: { 'application/json': { schema: z.object({ events: z.array(Keystroke).min(1).max(1000) }) } } },
  },
  responses: { 200: json(z.object({ accepted: count, session: Session }), 'accepted; `session` may be a new one if a timeout ended the old one'), ...sessionErrors },
});

const metrics = createRoute({
  method: 'get',
  path: `${base}/{id}/metrics`,
  tags,
  security,
  summary: 'State, pace and totals of a session (live or stored)',
  ...access('self-or-owner'),
  request: { params: idParam },
  responses: { 200: json(Session, 'the session'), ...sessionErrors },
});

const end = createRoute({
  method: 'post',
  path: `${base}/{id}/end`,
  tags,
  security,
  summary: 'End the session now (an ended session is returned as it is)',
  description: "Only the session's own writer, with owner or editor in the session's project at the time of the call.",
  ...access('project:write'),
  request: { params: idParam },
  responses: { 200: json(Session, 'the ended session'), ...sessionErrors },
});

const resume = createRoute({
  method: 'post',
  path: `${base}/{id}/resume`,
  tags,
  security,
  summary: 'The writer is back: leave paused or break',
  description: "Only the session's own writer, with owner or editor in the session's project at the time of the call.",
  ...access('project:write'),
  request: { params: idParam },
  responses: { 200: json(Session, 'the session'), ...sessionErrors },
});

const active = createRoute({
  method: 'get',
  path: `${base}/active`,
  tags,
  security,
  summary: "Open sessions: the caller's own, or with ?projectId= the project's (all of them for its owners)",
  description: 'Without projectId: the caller\'s own sessions in projects the token still has a role in. With it: any role there; owners see every writer.',
  ...access('authenticated'),
  request: { query: z.object({ projectId: Id.optional() }) },
  responses: { 200: json(z.object({ sessions: z.array(Session) }), 'open sessions, oldest first'), ...errors },
});

export function writingSessionRoutes(deps: WritingSessionRoutesDeps): ApiApp {
  const app = createResourceApp();
  const { service } = deps;
  app.use(`${base}/*`, requireIdentity(deps.verifier));
  app.use(`${base}/start`, limitBody(BODY_LIMITS.sessionStart));
  app.use(`${base}/:id/keystroke`, limitBody(BODY_LIMITS.keystroke));

  /**
   * The session, if the caller may see it (`mutate`: only its writer may change it, and only
   * while holding owner/editor in the session's project). Checked against the token of this
   * call, never against what the session remembers: a lowered or revoked role loses the power
   * at once, and a role in another project never reaches it.
   */
  async function authorized(identity: Identity, id: string, mutate: boolean): Promise<SessionView> {
    const view = await service.getSession(id);
    if (view === null) throw new AppError('not-found', `No writing session ${id}`, { sessionId: id });
    if (mutate) {
      if (view.userId !== identity.userId) throw new AppError('forbidden', 'This is another writer’s session', { sessionId: id });
      const role = roleIn(identity, view.projectId);
      if (!identity.admin && (!role || !canWrite(role))) {
        throw new AppError('forbidden', `Writing sessions need an owner or editor role in project ${view.projectId}`, { sessionId: id, projectId: view.projectId });
      }
    } else if (!canSeeWriterNumbers(identity, view.projectId, view.userId)) {
      throw new AppError('forbidden', 'This session is not visible to you', { sessionId: id });
    }
    return view;
  }

  app.openapi(start, async (c) => {
    const { projectId, documentId } = c.req.valid('json');
    const identity = c.get('identity');
    const role = roleIn(identity, projectId);
    if (!identity.admin && (!role || !canWrite(role))) {
      throw new AppError('forbidden', `Writing sessions need an owner or editor role in project ${projectId}`, { projectId });
    }
    const { session, created } = await service.startSession({ userId: identity.userId, projectId, ...(documentId ? { documentId } : {}) });
    return created ? c.json(session, 201) : c.json(session, 200);
  });

  app.openapi(keystroke, async (c) => {
    const { id } = c.req.valid('param');
    const { events } = c.req.valid('json');
    await authorized(c.get('identity'), id, true);
    const inputs = events.map((e) => ({
      at: typeof e.at === 'number' ? e.at : Date.parse(e.at),
      documentId: e.documentId,
      inserted: e.inserted,
      deleted: e.deleted,
      ...(e.wordsAdded === undefined ? {} : { wordsAdded: e.wordsAdded }),
      ...(e.wordsRemoved === undefined ? {} : { wordsRemoved: e.wordsRemoved }),
      ...(e.paste === undefined ? {} : { paste: e.paste }),
    }));
    return c.json(await service.recordKeystrokes(id, inputs), 200);
  });

  app.openapi(metrics, async (c) => c.json(await authorized(c.get('identity'), c.req.valid('param').id, false), 200));

  app.openapi(end, async (c) => {
    const { id } = c.req.valid('param');
    await authorized(c.get('identity'), id, true);
    return c.json(await service.endSession(id), 200);
  });

  app.openapi(resume, async (c) => {
    const { id } = c.req.valid('param');
    await authorized(c.get('identity'), id, true);
    return c.json(await service.resumeSession(id), 200);
  });

  app.openapi(active, async (c) => {
    const { projectId } = c.req.valid('query');
    const identity = c.get('identity');
    if (projectId === undefined) {
      // Only sessions in projects the token still has a role in (a revoked project drops out).
      const own = await service.activeSessions({ userId: identity.userId });
      return c.json({ sessions: own.filter((s) => canSeeWriterNumbers(identity, s.projectId, s.userId)) }, 200);
    }
    if (!roleIn(identity, projectId) && !identity.admin) throw new AppError('forbidden', `No role in project ${projectId}`, { projectId });
    const all = await service.activeSessions({ projectId });
    // Owners see the whole project; other members only their own sessions in it.
    const sessions = canSeeAllWriterNumbers(identity, projectId) ? all : all.filter((s) => canSeeWriterNumbers(identity, projectId, s.userId));
    return c.json({ sessions }, 200);
  });
  return app;
}

import { createRoute, z } from '@hono/zod-openapi';
import { canWrite, roleIn, type Identity } from '../../lib/identity.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import { canSeeAllWriterNumbers, canSeeWriterNumbers } from '../../lib/visibility.js';
import type { PresenceService } from '../../services/presence/presence-service.js';
import { withWriterContributions, type WriterContribution } from '../../services/presence/presence-views.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors as pickErrors, json } from '../schemas.js';
import { access } from '../access.js';
import { DocumentName, ResourceId } from '../params.js';

export interface CollaborationRoutesDeps {
  verifier: TokenVerifier;
  presence: Pick<PresenceService, 'restPresence' | 'recordEdit' | 'collaborators' | 'conflicts' | 'metrics'>;
  /** Stored words and active minutes per writer of a document; without it the words are 0. */
  contributions?: (projectId: string, documentId: string) => Promise<WriterContribution[]>;
}

const Id = ResourceId;
const DocName = DocumentName;
const Block = z.number().int().min(0).max(1_000_000);
const count = z.number().int().min(0);
const Cursor = z.object({ anchorBlock: Block, headBlock: Block });
const EditMode = z.enum(['typing', 'selecting', 'idle']);
const Viewport = z.object({ fromBlock: Block, toBlock: Block }).refine((v) => v.fromBlock <= v.toBlock, 'fromBlock must not exceed toBlock');
const Accepted = z.object({ accepted: z.literal(true) });

const Collaborators = z
  .object({
    collaborators: z.array(
      z.object({
        userId: z.string(),
        clientId: z.number().int(),
        canEdit: z.boolean(),
        block: z.number().int().nullable(),
        anchorBlock: z.number().int().nullable(),
        idleMs: count,
        editMode: EditMode.nullable(),
        via: z.enum(['yjs', 'rest']),
      }),
    ),
    contributions: z
      .record(
        z.string(),
        z.object({
          chars: count,
          share: z.number(),
          words: z.object({ added: count, removed: count, net: z.number().int() }).openapi({ description: 'Words typed in the document (all time, every instance), from the stored minute buckets' }),
          activeMinutes: count.openapi({ description: 'Minutes with writing time or word changes' }),
        }),
      )
      .openapi({
        description:
          'Per user id: surviving-text share (who wrote the text that is there now; 0 when the document is not loaded here) and stored words and active minutes (writers who left still appear). ' +
          "Owners (and admins) see every writer; other members only their own entry (the visibility rule, docs/architecture.md).",
      }),
  })
  .openapi('Collaborators');
const Conflict = z
  .object({ severity: z.enum(['high', 'medium']), users: z.array(z.string()), blocks: z.array(count), since: z.string(), lastSeenAt: z.string() })
  .openapi('ConflictWarning');
const Metrics = z
  .object({
    activeWriters: count,
    concurrentMinutes: count,
    conflictsPredicted: count,
    actualCollisions: count,
    collisionMinutes: count,
    efficiency: z.number().nullable().openapi({ description: '1 − collision minutes / concurrent editing minutes; null without concurrent minutes' }),
    presentWriters: count,
    openConflicts: count,
    since: z.string().openapi({ description: 'In-memory counters of this instance since the document was opened here' }),
  })
  .openapi('CollaborationMetrics');

const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const errors = pickErrors(400, 401, 403, 413, 503);
/** 404: nobody has been present in the document on this instance. */
const readErrors = pickErrors(400, 401, 403, 404, 503);
const base = '/api/realtime/collaboration';
const tags = ['collaboration'];
const security = [{ bearer: [] }];

const presence = createRoute({
  method: 'post',
  path: `${base}/presence`,
  tags,
  security,
  summary: 'Presence of a client that is not on Yjs (block indexes); renews it for 15 minutes',
  ...access('project:write'),
  request: body(z.object({ documentId: DocName, state: z.object({ cursor: Cursor.optional(), editMode: EditMode.optional(), viewport: Viewport.optional() }) })),
  responses: { 202: json(Accepted, 'applied at the next recompute (≤ 500 ms)'), ...errors },
});
const cursor = createRoute({
  method: 'post',
  path: `${base}/cursor`,
  tags,
  security,
  summary: 'Caret of a client that is not on Yjs, as top-level block indexes',
  ...access('project:write'),
  request: body(z.object({ documentId: DocName, anchorBlock: Block, headBlock: Block })),
  responses: { 202: json(Accepted, 'applied at the next recompute'), ...errors },
});
const edit = createRoute({
  method: 'post',
  path: `${base}/edit`,
  tags,
  security,
  summary: 'An edit of a client that is not on Yjs: the top-level blocks it touched',
  ...access('project:write'),
  request: body(z.object({ documentId: DocName, blocks: z.array(Block).min(1).max(64) })),
  responses: { 202: json(Accepted, 'recorded'), ...errors },
});
const docParam = z.object({ id: DocName.openapi({ param: { name: 'id', in: 'path' } }) });
const collaborators = createRoute({
  method: 'get',
  path: `${base}/document/{id}/collaborators`,
  tags,
  security,
  summary: 'Who is present (block, idle time, edit mode) and who wrote the surviving text',
  ...access('project:read'),
  request: { params: docParam },
  responses: { 200: json(Collaborators, 'present collaborators, by client id'), ...readErrors },
});
const conflicts = createRoute({
  method: 'get',
  path: `${base}/document/{id}/conflicts`,
  tags,
  security,
  summary: 'Live conflict warnings of the document',
  ...access('project:read'),
  request: { params: docParam },
  responses: { 200: json(z.object({ conflicts: z.array(Conflict) }), 'current warnings'), ...readErrors },
});
const metrics = createRoute({
  method: 'get',
  path: `${base}/project/{pId}/document/{dId}/metrics`,
  tags,
  security,
  summary: 'Team metrics of the document (in-memory, since it was opened on this instance)',
  ...access('project:read'),
  request: { params: z.object({ pId: Id, dId: Id }) },
  responses: { 200: json(Metrics, 'team metrics'), ...readErrors },
});

/** The caller's role in the document's project, refused with 403 when absent (or not a writer for `write`). */
function authorize(identity: Identity, documentName: string, write: boolean): void {
  if (identity.admin) return; // admin service tokens pass every level (api/access.ts)
  const projectId = documentName.slice(0, documentName.indexOf('/'));
  const role = roleIn(identity, projectId);
  if (role === undefined) throw new AppError('forbidden', `No role in project ${projectId}`, { projectId });
  if (write && !canWrite(role)) throw new AppError('forbidden', `Presence writes need an owner or editor role in project ${projectId}`, { projectId });
}

function found<T>(value: T | null, documentName: string): T {
  if (value === null) throw new AppError('not-found', `Nobody has been present in ${documentName} on this instance`, { documentId: documentName });
  return value;
}

/** Collaboration presence, conflicts and metrics (the REST side of the presence service). */
export function collaborationRoutes(deps: CollaborationRoutesDeps): ApiApp {
  const app = createResourceApp();
  const { presence: service } = deps;
  app.use(`${base}/*`, requireIdentity(deps.verifier));
  app.use(`${base}/*`, limitBody(BODY_LIMITS.small));

  app.openapi(presence, async (c) => {
    const { documentId, state } = c.req.valid('json');
    const identity = c.get('identity');
    authorize(identity, documentId, true);
    service.restPresence(documentId, identity.userId, true, state);
    return c.json({ accepted: true as const }, 202);
  });

  app.openapi(cursor, async (c) => {
    const { documentId, anchorBlock, headBlock } = c.req.valid('json');
    const identity = c.get('identity');
    authorize(identity, documentId, true);
    service.restPresence(documentId, identity.userId, true, { cursor: { anchorBlock, headBlock } });
    return c.json({ accepted: true as const }, 202);
  });

  app.openapi(edit, async (c) => {
    const { documentId, blocks } = c.req.valid('json');
    const identity = c.get('identity');
    authorize(identity, documentId, true);
    service.recordEdit(documentId, identity.userId, blocks, []);
    return c.json({ accepted: true as const }, 202);
  });

  app.openapi(collaborators, async (c) => {
    const { id } = c.req.valid('param');
    authorize(c.get('identity'), id, false);
    const view = found(service.collaborators(id), id);
    const slash = id.indexOf('/');
    const projectId = id.slice(0, slash);
    const writers = deps.contributions ? await deps.contributions(projectId, id.slice(slash + 1)) : [];
    const all = withWriterContributions(view.contributions, writers);
    // Presence is for every member; each writer's numbers only for whom the visibility rule allows.
    const identity = c.get('identity');
    const contributions = canSeeAllWriterNumbers(identity, projectId)
      ? all
      : Object.fromEntries(Object.entries(all).filter(([userId]) => canSeeWriterNumbers(identity, projectId, userId)));
    return c.json({ collaborators: view.collaborators, contributions }, 200);
  });

  app.openapi(conflicts, async (c) => {
    const { id } = c.req.valid('param');
    authorize(c.get('identity'), id, false);
    return c.json({ conflicts: found(service.conflicts(id), id) }, 200);
  });

  app.openapi(metrics, async (c) => {
    const { pId, dId } = c.req.valid('param');
    const id = `${pId}/${dId}`;
    authorize(c.get('identity'), id, false);
    return c.json(found(service.metrics(id), id), 200);
  });
  return app;
}

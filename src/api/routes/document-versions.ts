import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { VersionMeta } from '../../services/versions/ports.js';
import type { VersionService } from '../../services/versions/version-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { Cursor, Limit, ResourceId } from '../params.js';
import { errors, json } from '../schemas.js';

export interface DocumentVersionRoutesDeps {
  verifier: TokenVerifier;
  versions: VersionService;
}

const base = '/api/documents/{projectId}/{documentId}/versions';
const tags = ['versions'];
const security = [{ bearer: [] }];
const count = z.number().int().min(0);

const DocParams = z.object({ projectId: ResourceId, documentId: ResourceId });
const VersionParams = DocParams.extend({ versionId: z.string().uuid('expected a version id (UUID)') });

const Version = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    kind: z.enum(['named', 'auto']).openapi({ description: 'named: kept forever; auto (workflows, before a restore): thinned by the retention policy (docs/versions.md)' }),
    createdAt: z.string().openapi({ description: 'ISO 8601' }),
    createdBy: z.string().openapi({ description: 'A user id, or workflow:<id>' }),
    words: count,
    wordsChanged: count.openapi({ description: 'Words changed against the version that was newest when this one was made (paragraph diff; docs/versions.md)' }),
    size: count.openapi({ description: 'Bytes of the stored Yjs state' }),
  })
  .openapi('DocumentVersion');
const ProseMirrorDoc = z.record(z.string(), z.unknown()).openapi({ description: 'ProseMirror JSON of the editor schema ({type: "doc", content: [...]})' });
const VersionContent = Version.extend({ content: z.object({ json: ProseMirrorDoc, html: z.string() }) }).openapi('DocumentVersionContent');
const Block = z.object({ type: z.string(), text: z.string() });
const BlockChange = z
  .object({
    type: z.enum(['added', 'removed', 'changed']),
    oldIndex: count.optional().openapi({ description: 'Block index in the version (removed, changed)' }),
    newIndex: count.optional().openapi({ description: 'Block index in the current text (added, changed)' }),
    before: Block.optional(),
    after: Block.optional(),
  })
  .openapi('VersionBlockChange');
const VersionDiff = z
  .object({
    versionId: z.string(),
    changes: z.array(BlockChange),
    summary: z.object({ added: count, removed: count, changed: count, unchanged: count, wordsChanged: count }),
  })
  .openapi('DocumentVersionDiff');
const Restored = z
  .object({
    restoredFrom: z.string(),
    newVersionId: z.string().optional().openapi({ description: 'The automatic version of the text before the restore: restore it to undo. Absent when the text already was the version' }),
  })
  .openapi('VersionRestored');

const readErrors = errors(400, 401, 403, 404);
const writeErrors = errors(400, 401, 403, 404, 413);

const create = createRoute({
  method: 'post',
  path: base,
  tags,
  security,
  summary: 'Saves a named version of the document as it is now',
  ...access('project:write'),
  request: {
    params: DocParams,
    body: { required: false, content: { 'application/json': { schema: z.object({ name: z.string().trim().min(1).max(200).optional() }).strict() } } },
  },
  responses: { 201: json(Version, 'the version'), ...writeErrors },
});
const list = createRoute({
  method: 'get',
  path: base,
  tags,
  security,
  summary: 'Versions of the document, newest first (keyset paged)',
  ...access('project:read'),
  request: { params: DocParams, query: z.object({ limit: Limit(200, 50), cursor: Cursor.optional() }) },
  responses: { 200: json(z.object({ versions: z.array(Version), nextCursor: z.string().nullable() }), 'a page of versions'), ...readErrors },
});
const view = createRoute({
  method: 'get',
  path: `${base}/{versionId}`,
  tags,
  security,
  summary: 'One version with its content as ProseMirror JSON and as HTML (read-only)',
  ...access('project:read'),
  request: { params: VersionParams },
  responses: { 200: json(VersionContent, 'the version and its content'), ...readErrors },
});
const diff = createRoute({
  method: 'get',
  path: `${base}/{versionId}/diff`,
  tags,
  security,
  summary: 'Paragraph-level changes from the version to the current text',
  ...access('project:read'),
  request: { params: VersionParams },
  responses: { 200: json(VersionDiff, 'changed, added and removed blocks'), ...readErrors },
});
const restore = createRoute({
  method: 'post',
  path: `${base}/{versionId}/restore`,
  tags,
  security,
  summary: 'Makes the text the version’s, as one new edit every connected writer sees (history is kept)',
  ...access('project:write'),
  request: { params: VersionParams },
  responses: { 200: json(Restored, 'restored'), ...writeErrors },
});

const present = (v: VersionMeta) => ({
  id: v.id,
  name: v.name,
  kind: v.kind,
  createdAt: new Date(v.createdAt).toISOString(),
  createdBy: v.createdBy,
  words: v.words,
  wordsChanged: v.wordsChanged,
  size: v.size,
});

/** Versions of a document (services/versions); roles are checked by the declared x-access levels. */
export function documentVersionRoutes(deps: DocumentVersionRoutesDeps): ApiApp {
  const app = createResourceApp();
  const { versions } = deps;
  // Only this resource's paths: other resources live under /api/documents/ too (export, import).
  for (const path of ['/api/documents/:projectId/:documentId/versions', '/api/documents/:projectId/:documentId/versions/*']) {
    app.use(path, requireIdentity(deps.verifier));
    app.use(path, limitBody(BODY_LIMITS.small));
  }

  app.openapi(create, async (c) => {
    const { projectId, documentId } = c.req.valid('param');
    const body = c.req.valid('json') as { name?: string } | undefined;
    const version = await versions.create({ ref: { projectId, documentId }, name: body?.name ?? null, kind: 'named', createdBy: c.get('identity').userId });
    return c.json(present(version), 201);
  });

  app.openapi(list, async (c) => {
    const { projectId, documentId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const page = await versions.list({ projectId, documentId }, { limit, cursor });
    return c.json({ versions: page.versions.map(present), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(view, async (c) => {
    const { projectId, documentId, versionId } = c.req.valid('param');
    const version = await versions.get({ projectId, documentId }, versionId);
    return c.json({ ...present(version), content: version.content }, 200);
  });

  app.openapi(diff, async (c) => {
    const { projectId, documentId, versionId } = c.req.valid('param');
    return c.json(await versions.diff({ projectId, documentId }, versionId), 200);
  });

  app.openapi(restore, async (c) => {
    const { projectId, documentId, versionId } = c.req.valid('param');
    return c.json(await versions.restore({ projectId, documentId }, versionId, { userId: c.get('identity').userId }), 200);
  });
  return app;
}

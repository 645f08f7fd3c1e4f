import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import { IMPORT_TYPES } from '../../manuscript/formats.js';
import type { PublishingService } from '../../services/publishing/publishing-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { limitBody } from '../middleware/body-limit.js';
import { ResourceId } from '../params.js';
import { errors, json } from '../schemas.js';

export interface DocumentImportRoutesDeps {
  verifier: TokenVerifier;
  publishing: Pick<PublishingService, 'importDocument'>;
  /** MAX_IMPORT_BYTES: this route's own body limit, instead of MAX_BODY_BYTES (a manuscript is larger than an API call). */
  maxImportBytes: number;
}

/**
 * The one path whose body limit is MAX_IMPORT_BYTES instead of MAX_BODY_BYTES: app.ts leaves it
 * out of the global limit and this route applies its own.
 */
export const IMPORT_PATH = /^\/api\/documents\/[^/]+\/[^/]+\/import\/?$/;

const Imported = z
  .object({
    projectId: z.string(),
    documentId: z.string(),
    format: z.enum(['markdown', 'text', 'docx']),
    blocks: z.number().int().min(0).openapi({ description: 'Top-level blocks written' }),
    words: z.number().int().min(0).openapi({ description: "The document's words after the import (the writing tracker's word rule)" }),
  })
  .openapi('ImportResult');

const file = { schema: z.string().openapi({ format: 'binary' }) };

const importDocument = createRoute({
  method: 'post',
  path: '/api/documents/{projectId}/{documentId}/import',
  tags: ['publishing'],
  security: [{ bearer: [] }],
  summary: 'Imports a Markdown, plain-text or DOCX file into an empty or new document',
  description:
    'The raw file is the body, typed by Content-Type. A `# …` line becomes a heading, blank-line-separated text paragraphs. ' +
    'One edit that every connected writer receives; a file that fails to parse, an unknown type, an oversized body (MAX_IMPORT_BYTES) or a document that already has text change nothing. See docs/export.md.',
  ...access('project:write'),
  request: {
    params: z.object({ projectId: ResourceId, documentId: ResourceId }),
    body: { required: true, content: { [IMPORT_TYPES.markdown]: file, [IMPORT_TYPES.text]: file, [IMPORT_TYPES.docx]: file } },
  },
  responses: { 201: json(Imported, 'imported'), ...errors(400, 401, 403, 409, 413) },
});

/** POST /api/documents/{projectId}/{documentId}/import */
export function documentImportRoutes(deps: DocumentImportRoutesDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/documents/:projectId/:documentId/import', requireIdentity(deps.verifier), limitBody(deps.maxImportBytes));
  app.openapi(importDocument, async (c) => {
    const { projectId, documentId } = c.req.valid('param');
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const identity = c.get('identity');
    const result = await deps.publishing.importDocument({ projectId, documentId }, { contentType: c.req.header('content-type'), bytes }, { userId: identity.userId, name: identity.name });
    return c.json(result, 201);
  });
  return app;
}

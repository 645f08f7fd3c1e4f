import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TokenVerifier } from '../../auth/tokens.js';
import { EXPORT_FORMATS, EXPORT_TYPES } from '../../manuscript/formats.js';
import type { ExportResult, PublishingService } from '../../services/publishing/publishing-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp, type ApiEnv } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { ResourceId } from '../params.js';
import { errors } from '../schemas.js';

export interface DocumentExportRoutesDeps {
  verifier: TokenVerifier;
  publishing: Pick<PublishingService, 'exportDocument' | 'exportBook'>;
}

/** One binary response per export format, for the OpenAPI document. */
export const EXPORT_RESPONSE_CONTENT = Object.fromEntries(
  EXPORT_FORMATS.map((f) => [EXPORT_TYPES[f].mediaType.split(';')[0]!, { schema: z.string().openapi({ format: 'binary' }) }]),
);

/** BCP 47 language tag (e.g. `en`, `en-GB`, `pt-BR`). */
export const Language = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'expected a BCP 47 language tag such as en or en-GB');

/** The file as the body, with its MIME type and a Content-Disposition file name. */
export function fileResponse(c: Context<ApiEnv>, file: ExportResult): Response {
  return c.body(file.bytes.slice().buffer as ArrayBuffer, 200, {
    'Content-Type': file.mediaType,
    'Content-Disposition': `attachment; filename="${file.fileName}"`,
    'Content-Length': String(file.bytes.byteLength),
    'Cache-Control': 'no-store',
  });
}

const exportDocument = createRoute({
  method: 'get',
  path: '/api/documents/{projectId}/{documentId}/export',
  tags: ['publishing'],
  security: [{ bearer: [] }],
  summary: 'The document as EPUB 3, DOCX (standard manuscript format), HTML or Markdown',
  description:
    'The current text (every acknowledged edit). Chapters come from top-level headings. Answers the file with its MIME type and a Content-Disposition file name; emits publishing.export_completed. See docs/export.md.',
  ...access('project:read'),
  request: {
    params: z.object({ projectId: ResourceId, documentId: ResourceId }),
    query: z.object({
      format: z.enum(EXPORT_FORMATS),
      title: z.string().min(1).max(200).optional().openapi({ description: 'Book title (default: the document id)' }),
      author: z.string().min(1).max(200).optional().openapi({ description: "Author (default: the caller's name)" }),
      language: Language.optional().openapi({ description: 'Language of the text (default en)' }),
    }),
  },
  responses: { 200: { description: 'the file', content: EXPORT_RESPONSE_CONTENT }, ...errors(400, 401, 403) },
});

/** GET /api/documents/{projectId}/{documentId}/export?format=epub|docx|html|md */
export function documentExportRoutes(deps: DocumentExportRoutesDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/documents/:projectId/:documentId/export', requireIdentity(deps.verifier));
  app.openapi(exportDocument, async (c) => {
    const { projectId, documentId } = c.req.valid('param');
    const { format, title, author, language } = c.req.valid('query');
    const identity = c.get('identity');
    const file = await deps.publishing.exportDocument({ projectId, documentId }, format, { userId: identity.userId, name: identity.name }, { ...(title ? { title } : {}), ...(author ? { author } : {}), ...(language ? { language } : {}) });
    return fileResponse(c, file) as never;
  });
  return app;
}

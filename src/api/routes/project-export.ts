import { createRoute, z } from '@hono/zod-openapi';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError } from '../../lib/errors.js';
import { EXPORT_FORMATS } from '../../manuscript/formats.js';
import type { PublishingService } from '../../services/publishing/publishing-service.js';
import { access } from '../access.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { limitBody } from '../middleware/body-limit.js';
import { ProjectParam, ResourceId } from '../params.js';
import { errors } from '../schemas.js';
import { EXPORT_RESPONSE_CONTENT, Language, fileResponse } from './document-export.js';

export interface ProjectExportRoutesDeps {
  verifier: TokenVerifier;
  publishing: Pick<PublishingService, 'exportBook'>;
}

/** Most documents in one book (a long novel has 100 chapters; a serial a few hundred). */
export const MAX_BOOK_DOCUMENTS = 500;
/** The JSON body: ids and metadata, plus an optional cover image of up to 2 MiB (base64). */
const BOOK_BODY_LIMIT = 3 * 1024 * 1024;
const MAX_COVER_BYTES = 2 * 1024 * 1024;

const Book = z
  .object({
    format: z.enum(EXPORT_FORMATS),
    documents: z.array(ResourceId).min(1).max(MAX_BOOK_DOCUMENTS).openapi({ description: 'Document ids of the project, in reading order; each is one chapter or more' }),
    title: z.string().min(1).max(200),
    author: z.string().min(1).max(200),
    language: Language.optional().openapi({ description: 'BCP 47 language tag (default en)' }),
    cover: z
      .object({ mediaType: z.enum(['image/jpeg', 'image/png']), data: z.string().max(Math.ceil((MAX_COVER_BYTES * 4) / 3) + 4).openapi({ description: 'base64' }) })
      .optional()
      .openapi({ description: 'Cover image for the EPUB (JPEG or PNG, at most 2 MiB); other formats ignore it' }),
  })
  .openapi('BookExport');

const exportBook = createRoute({
  method: 'post',
  path: '/api/projects/{projectId}/export',
  tags: ['publishing'],
  security: [{ bearer: [] }],
  summary: 'Several documents as one book (EPUB 3, DOCX, HTML or Markdown)',
  description: 'Documents in the given order are the chapters (a top-level heading inside one starts another). Emits publishing.export_completed. See docs/export.md.',
  ...access('project:read'),
  request: { params: ProjectParam, body: { required: true, content: { 'application/json': { schema: Book } } } },
  responses: { 200: { description: 'the book', content: EXPORT_RESPONSE_CONTENT }, ...errors(400, 401, 403, 413) },
});

/** POST /api/projects/{projectId}/export */
export function projectExportRoutes(deps: ProjectExportRoutesDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/projects/:projectId/export', requireIdentity(deps.verifier), limitBody(BOOK_BODY_LIMIT));
  app.openapi(exportBook, async (c) => {
    const { projectId } = c.req.valid('param');
    const body = c.req.valid('json');
    const identity = c.get('identity');
    const cover = body.cover ? { mediaType: body.cover.mediaType, bytes: decodeCover(body.cover.data, body.cover.mediaType) } : undefined;
    const file = await deps.publishing.exportBook(
      projectId,
      { format: body.format, documents: body.documents, title: body.title, author: body.author, ...(body.language ? { language: body.language } : {}), ...(cover ? { cover } : {}) },
      { userId: identity.userId, name: identity.name },
    );
    return fileResponse(c, file) as never;
  });
  return app;
}

/** The cover's bytes; refuses what is not the image type it claims (epubcheck would fail the book). */
function decodeCover(data: string, mediaType: 'image/jpeg' | 'image/png'): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(data, 'base64'));
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_COVER_BYTES || (mediaType === 'image/jpeg' ? !isJpeg : !isPng)) {
    throw new AppError('validation-failed', `The cover is not a ${mediaType} image of at most 2 MiB`, { path: 'cover' });
  }
  return bytes;
}

import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { EXPORT_FORMATS } from '../../../manuscript/formats.js';
import type { ActionHandler } from '../action-handlers.js';
import { bookDocumentIds } from './book.js';
import { asActionError } from './errors.js';
import type { ExportPort, ManuscriptPort } from './ports.js';
import type { Sandbox } from './sandbox.js';
import { resourceId } from './ids.js';

const id = resourceId;

const input = z.strictObject({
  format: z.enum(EXPORT_FORMATS),
  /** One document; without it the book of `documents` (default: every document of the project in reading order). */
  documentId: id.optional(),
  documents: z.array(id).max(1000).optional(),
  title: z.string().trim().min(1).max(300).optional(),
  author: z.string().trim().min(1).max(300).optional(),
  language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'expected a BCP 47 language tag').optional(),
});

const output = z.strictObject({
  /** Relative to the project's files directory (what `file`, `epub.check` and `upload` take). */
  path: z.string(),
  bytes: z.number().int(),
  format: z.enum(EXPORT_FORMATS),
  chapters: z.number().int(),
});

/**
 * `document.export`: one document, or the project as a book, as EPUB, DOCX, HTML or Markdown
 * (the publishing service's export, so the same file as the REST export), written to
 * `exports/<runId>/<file>` in the project's files directory.
 */
export function createDocumentExportAction(deps: { publishing: ExportPort; manuscripts: ManuscriptPort; sandbox: Sandbox }): ActionHandler {
  return {
    spec: {
      name: 'document.export',
      description: 'Exports a document, or the project as a book, as epub|docx|html|md into DATA_DIR/files/<projectId>/exports/<runId>/.',
      input,
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      const caller = { userId: `workflow:${ctx.workflowId}`, name: args.author ?? 'Storyloom' };
      let file;
      try {
        if (args.documentId !== undefined) {
          file = await deps.publishing.exportDocument({ projectId: ctx.projectId, documentId: args.documentId }, args.format, caller, {
            ...(args.title ? { title: args.title } : {}),
            ...(args.author ? { author: args.author } : {}),
            ...(args.language ? { language: args.language } : {}),
          });
        } else {
          const documents = await bookDocumentIds(deps.manuscripts, ctx.projectId, args.documents);
          file = await deps.publishing.exportBook(
            ctx.projectId,
            { format: args.format, documents, title: args.title ?? ctx.projectId, author: args.author ?? 'Unknown author', ...(args.language ? { language: args.language } : {}) },
            caller,
          );
        }
      } catch (error) {
        throw asActionError('document.export', error);
      }
      ctx.signal.throwIfAborted();
      const target = await deps.sandbox.resolve(ctx.projectId, `exports/${ctx.runId}/${file.fileName}`, { create: true });
      await writeFile(target, file.bytes);
      return { path: await deps.sandbox.relative(ctx.projectId, target), bytes: file.bytes.byteLength, format: args.format, chapters: file.chapters };
    },
  };
}

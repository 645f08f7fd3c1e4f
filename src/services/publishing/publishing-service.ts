/**
 * Export and import of manuscripts (issue 15), as a service so that REST and the workflow engine
 * call the same operations. Reads and writes go through the LiveDocuments port: an export sees
 * the current text (also edits not yet compacted), an import is one ordinary Yjs edit that every
 * connected writer receives at once.
 */
import { createEvent } from '../../events/schema.js';
import type { Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import { uuidv7 } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { BookDocument } from '../../manuscript/chapters.js';
import { importKindOf, IMPORT_TYPES, type ExportFormat } from '../../manuscript/formats.js';
import { loadConvert, loadExporter, loadImporter } from '../../manuscript/load.js';
import { MANUSCRIPT_FRAGMENT } from '../../manuscript/names.js';
import { countDocumentWords } from '../../tracking/writing/word-count.js';
import type { DocumentRef, LiveDocuments } from '../documents/ports.js';
import type { PublishingPorts } from './ports.js';

export interface PublishingServiceDeps extends PublishingPorts {
  documents: LiveDocuments;
  clock: Clock;
  logger: Logger;
  /** Largest file an import accepts (MAX_IMPORT_BYTES); the route's body limit is the same. */
  maxImportBytes: number;
}

/** Who asks (the caller's user id becomes the events' pseudonymous actor and the import's author). */
export interface Caller {
  userId: string;
  name?: string;
}

export interface BookRequest {
  format: ExportFormat;
  /** Document ids of the project, in reading order. */
  documents: readonly string[];
  title: string;
  author: string;
  language?: string;
  cover?: { bytes: Uint8Array; mediaType: 'image/jpeg' | 'image/png' };
}

export interface ExportResult {
  bytes: Uint8Array;
  mediaType: string;
  /** A safe file name with the format's extension. */
  fileName: string;
  chapters: number;
}

export interface ImportResult {
  projectId: string;
  documentId: string;
  format: 'markdown' | 'text' | 'docx';
  blocks: number;
  words: number;
}

export interface PublishingService {
  exportDocument(ref: DocumentRef, format: ExportFormat, caller: Caller, meta?: { title?: string; author?: string; language?: string }): Promise<ExportResult>;
  exportBook(projectId: string, request: BookRequest, caller: Caller): Promise<ExportResult>;
  /** Into an empty (or not yet existing) document only; a failed import changes nothing. */
  importDocument(ref: DocumentRef, file: { contentType: string | undefined; bytes: Uint8Array }, caller: Caller): Promise<ImportResult>;
}

const EVENT_FORMAT = { epub: 'epub', docx: 'docx', html: 'html', md: 'markdown' } as const;

export function createPublishingService(deps: PublishingServiceDeps): PublishingService {
  const { documents, clock, logger } = deps;

  const readDocument = async (ref: DocumentRef): Promise<BookDocument> => {
    const { docToJSON } = await loadConvert();
    const doc = await documents.snapshot(ref);
    try {
      return { title: ref.documentId, content: docToJSON(doc) };
    } finally {
      doc.destroy();
    }
  };

  const produce = async (projectId: string, documentId: string | undefined, format: ExportFormat, books: readonly BookDocument[], meta: { title: string; author: string; language?: string; cover?: BookRequest['cover'] }, caller: Caller): Promise<ExportResult> => {
    const started = clock.now();
    const exportId = uuidv7(started);
    const { exportBook } = await loadExporter();
    const file = await exportBook(format, books, {
      title: meta.title,
      author: meta.author,
      ...(meta.language ? { language: meta.language } : {}),
      identifier: `urn:uuid:${exportId}`,
      modified: new Date(started),
      ...(meta.cover ? { cover: meta.cover } : {}),
    });
    const durationMs = Math.max(0, clock.now() - started);
    const event = createEvent('publishing.export_completed', {
      actor: deps.actorOf(caller.userId),
      projectId,
      ...(documentId ? { documentId } : {}),
      occurredAt: clock.now(),
      payload: { exportId, format: EVENT_FORMAT[format], bytes: file.bytes.byteLength, durationMs },
    });
    // The file is made; an event bus that is down must not take it from the caller.
    await deps.publish(event).catch((error: unknown) => logger.warn({ err: error, exportId }, 'publishing.export_completed was not published'));
    logger.info({ projectId, documentId, format, bytes: file.bytes.byteLength, chapters: file.chapters, durationMs }, 'export completed');
    return { bytes: file.bytes, mediaType: file.mediaType, fileName: `${fileStem(meta.title)}.${file.extension}`, chapters: file.chapters };
  };

  return {
    async exportDocument(ref, format, caller, meta = {}) {
      const book = await readDocument(ref);
      return produce(ref.projectId, ref.documentId, format, [book], { title: meta.title ?? ref.documentId, author: meta.author ?? caller.name ?? caller.userId, ...(meta.language ? { language: meta.language } : {}) }, caller);
    },

    async exportBook(projectId, request, caller) {
      const seen = new Set<string>();
      for (const id of request.documents) {
        if (seen.has(id)) throw new AppError('validation-failed', `Document ${id} is listed twice`, { documentId: id });
        seen.add(id);
      }
      const books: BookDocument[] = [];
      // One at a time: a book of 60 chapters should not load 60 documents at once.
      for (const documentId of request.documents) books.push(await readDocument({ projectId, documentId }));
      return produce(projectId, undefined, request.format, books, request, caller);
    },

    async importDocument(ref, file, caller) {
      const kind = importKindOf(file.contentType);
      if (kind === null) {
        throw new AppError('validation-failed', `Cannot import ${file.contentType ?? 'a body without Content-Type'}; send one of ${Object.values(IMPORT_TYPES).join(', ')}`, {
          contentType: file.contentType ?? null,
          accepted: Object.values(IMPORT_TYPES),
        });
      }
      if (file.bytes.byteLength > deps.maxImportBytes) {
        throw new AppError('message-too-large', `The file is over the import limit of ${deps.maxImportBytes} bytes`, { maxBytes: deps.maxImportBytes });
      }
      // Parsed and checked against the schema before the document is touched (Yjs cannot roll back).
      const json = await (await loadImporter()).importFile(kind, file.bytes);
      const { isEmptyDoc, writeJSON } = await loadConvert();
      let words = 0;
      await documents.transact(ref, { userId: caller.userId, reason: `import:${kind}` }, (doc) => {
        if (!isEmptyDoc(doc)) throw new AppError('conflict', 'Import goes into an empty or new document; this one has text', { ...ref });
        writeJSON(doc, json);
        words = countDocumentWords(doc.getXmlFragment(MANUSCRIPT_FRAGMENT));
      });
      logger.info({ ...ref, format: kind, words }, 'document imported');
      return { ...ref, format: kind, blocks: json.content?.length ?? 0, words };
    },
  };
}

/** A file name stem any file system and Content-Disposition take: letters, digits, `-` and `_`. */
export function fileStem(title: string): string {
  const stem = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return stem || 'manuscript';
}

/**
 * One entry for every export format: documents in reading order → chapters → the file.
 */
import { splitChapters, type BookDocument, type BookMeta } from './chapters.js';
import { buildDocx } from './docx.js';
import { buildEpub } from './epub.js';
import { chaptersToHtml } from './html.js';
import { EXPORT_TYPES, type ExportFormat } from './formats.js';
import { chaptersToMarkdown } from './markdown.js';

export { EXPORT_FORMATS, EXPORT_TYPES, type ExportFormat } from './formats.js';

export interface ExportedFile {
  bytes: Uint8Array;
  mediaType: string;
  extension: string;
  chapters: number;
}

/** The file of `documents` (one or more, in reading order) in `format`. */
export async function exportBook(format: ExportFormat, documents: readonly BookDocument[], meta: BookMeta): Promise<ExportedFile> {
  const chapters = splitChapters(documents);
  const type = EXPORT_TYPES[format];
  let bytes: Uint8Array;
  switch (format) {
    case 'epub':
      bytes = await buildEpub(chapters, meta);
      break;
    case 'docx':
      bytes = await buildDocx(chapters, { title: meta.title, author: meta.author });
      break;
    case 'html':
      bytes = new TextEncoder().encode(await chaptersToHtml(chapters, meta));
      break;
    case 'md':
      bytes = new TextEncoder().encode(chaptersToMarkdown(chapters));
      break;
  }
  return { bytes, ...type, chapters: chapters.length };
}

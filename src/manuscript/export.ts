/**
 * One entry for every export format: documents in reading order → chapters → the file.
 */
import { splitChapters, type BookDocument, type BookMeta } from './chapters.js';
import { buildDocx } from './docx.js';
import { buildEpub } from './epub.js';
import { chaptersToHtml } from './html.js';
import { chaptersToMarkdown } from './markdown.js';

export const EXPORT_FORMATS = ['epub', 'docx', 'html', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** MIME type and file extension of each format. */
export const EXPORT_TYPES: Readonly<Record<ExportFormat, { mediaType: string; extension: string }>> = {
  epub: { mediaType: 'application/epub+zip', extension: 'epub' },
  docx: { mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extension: 'docx' },
  html: { mediaType: 'text/html; charset=utf-8', extension: 'html' },
  md: { mediaType: 'text/markdown; charset=utf-8', extension: 'md' },
};

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

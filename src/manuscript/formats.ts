/**
 * The export and import formats, their MIME types and file extensions: what the routes and the
 * workflow actions validate against. Constants only, so declaring a route does not load the
 * converters (export.ts, import.ts); the publishing service loads those on first use (libs.ts).
 */

export const EXPORT_FORMATS = ['epub', 'docx', 'html', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** MIME type and file extension of each format. */
export const EXPORT_TYPES: Readonly<Record<ExportFormat, { mediaType: string; extension: string }>> = {
  epub: { mediaType: 'application/epub+zip', extension: 'epub' },
  docx: { mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extension: 'docx' },
  html: { mediaType: 'text/html; charset=utf-8', extension: 'html' },
  md: { mediaType: 'text/markdown; charset=utf-8', extension: 'md' },
};

export const IMPORT_TYPES = {
  markdown: 'text/markdown',
  text: 'text/plain',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const;
export type ImportKind = keyof typeof IMPORT_TYPES;

/** The import kind of a Content-Type header (parameters such as charset ignored), or null. */
export function importKindOf(contentType: string | undefined): ImportKind | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === IMPORT_TYPES.markdown || type === 'text/x-markdown') return 'markdown';
  if (type === IMPORT_TYPES.text) return 'text';
  if (type === IMPORT_TYPES.docx) return 'docx';
  return null;
}

/**
 * Import: Markdown, plain text and DOCX to ProseMirror JSON of the editor's schema. Markdown and
 * DOCX go through HTML (`marked`, `mammoth`) and the schema's own HTML parser (@tiptap/html), so
 * exactly the editor's nodes come out and anything the editor cannot show is dropped, as a paste
 * into the editor would. Every result is checked against the schema (convert.ts validateJSON)
 * before the caller touches a document.
 */
import { AppError } from '../lib/errors.js';
import { validateJSON } from './convert.js';
import type { ImportKind } from './formats.js';
import { loadMammoth, loadMarked, loadTiptapHtml } from './libs.js';
import { NODE, manuscriptExtensions, type ManuscriptJSON } from './schema.js';

export { IMPORT_TYPES, importKindOf, type ImportKind } from './formats.js';

/** Parses a file of `kind`; throws AppError('validation-failed') for a file that is not one. */
export async function importFile(kind: ImportKind, bytes: Uint8Array): Promise<ManuscriptJSON> {
  if (kind === 'docx') return docxToJSON(bytes);
  const text = decodeUtf8(bytes);
  return kind === 'markdown' ? markdownToJSON(text) : plainTextToJSON(text);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError('validation-failed', 'The file is not UTF-8 text');
  }
}

const SCENE_BREAK_LINE = /^\s*(?:#|(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})\s*$/;
const HEADING_LINE = /^(#{1,6})\s+(.*\S)\s*#*\s*$/;

/**
 * Plain text: blank-line-separated blocks become paragraphs (a block's lines are joined with a
 * space: plain-text files are usually hard-wrapped), a `# …` line a heading, a line of only
 * `* * *`, `---` or `#` a scene break.
 */
export function plainTextToJSON(text: string): ManuscriptJSON {
  const content: ManuscriptJSON[] = [];
  let lines: string[] = [];
  const flush = () => {
    const joined = lines.join(' ').replace(/\s+/g, ' ').trim();
    if (joined) content.push({ type: NODE.paragraph, content: [{ type: NODE.text, text: joined }] });
    lines = [];
  };
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    const heading = HEADING_LINE.exec(line);
    if (line.trim() === '') flush();
    else if (heading) {
      flush();
      content.push({ type: NODE.heading, attrs: { level: heading[1]!.length }, content: [{ type: NODE.text, text: heading[2]!.trim() }] });
    } else if (SCENE_BREAK_LINE.test(line)) {
      flush();
      content.push({ type: NODE.horizontalRule });
    } else lines.push(line.trim());
  }
  flush();
  return validateJSON({ type: NODE.doc, content });
}

/** Markdown (CommonMark + GFM) through `marked` and the schema's HTML parser. */
export async function markdownToJSON(markdown: string): Promise<ManuscriptJSON> {
  const marked = await loadMarked();
  const html = marked.parse(markdown.replace(/^\uFEFF/, ''), { async: false, gfm: true });
  return htmlToJSON(html);
}

/** HTML through the schema's parser (what a paste into the editor keeps). */
export async function htmlToJSON(html: string): Promise<ManuscriptJSON> {
  const { generateJSON } = await loadTiptapHtml();
  return validateJSON(generateJSON(html, manuscriptExtensions()) as ManuscriptJSON);
}

/** DOCX through mammoth (styles Heading 1-6, italics, bold, lists, line breaks) and the schema. */
export async function docxToJSON(bytes: Uint8Array): Promise<ManuscriptJSON> {
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) throw new AppError('validation-failed', 'The file is not a DOCX document (not a zip archive)');
  let html: string;
  try {
    // mammoth takes a Node Buffer; a view over the same memory, not a copy.
    const mammoth = await loadMammoth();
    const result = await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    html = result.value;
  } catch (error) {
    throw new AppError('validation-failed', 'The file is not a readable DOCX document', { reason: error instanceof Error ? error.message : String(error) });
  }
  return sceneBreaks(await htmlToJSON(html));
}

/** A paragraph holding only `#`, `* * *` or `***` is a scene break (manuscript convention, and what our DOCX export writes). */
function sceneBreaks(doc: ManuscriptJSON): ManuscriptJSON {
  const content = (doc.content ?? []).map((block) => {
    if (block.type !== NODE.paragraph) return block;
    const text = (block.content ?? []).map((n) => (n.type === NODE.text ? (n.text ?? '') : '\n')).join('');
    return text.trim() !== '' && SCENE_BREAK_LINE.test(text) ? { type: NODE.horizontalRule } : block;
  });
  return { ...doc, content };
}

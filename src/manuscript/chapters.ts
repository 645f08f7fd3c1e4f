/**
 * A book from documents: chapters come from the document order and from top-level headings.
 * Every document starts a chapter; inside a document, each heading of the book's chapter level
 * (the smallest heading level any document uses at its top level, so a manuscript written with
 * `##` chapters splits the same as one with `#`) starts another, unless it is the chapter's first
 * block. Nothing is added to or dropped from the text: the chapters' blocks, in order, are the
 * documents' blocks, which is what keeps exported word counts equal to the documents'.
 */
import { NODE, type ManuscriptJSON } from './names.js';

/** One document of a book, in reading order. */
export interface BookDocument {
  /** Used as the chapter title when the chapter does not open with a heading. */
  title: string;
  content: ManuscriptJSON;
}

export interface Chapter {
  /** The opening heading's text, else the document's title (numbered when a document has several chapters). */
  title: string;
  /** Top-level blocks, the opening heading included. */
  blocks: ManuscriptJSON[];
}

/** The book's metadata, as given by the caller of an export. */
export interface BookMeta {
  title: string;
  author: string;
  /** BCP 47 language tag; default `en`. */
  language?: string;
  /** A stable unique id (e.g. `urn:uuid:…`); the EPUB's dc:identifier. */
  identifier: string;
  /** When the book was produced (EPUB dcterms:modified). */
  modified: Date;
  /** Optional cover image (JPEG or PNG bytes). */
  cover?: { bytes: Uint8Array; mediaType: 'image/jpeg' | 'image/png' };
}

/** The visible text of a node (hard breaks become a newline, blocks are separated by a newline). */
export function textOf(node: ManuscriptJSON): string {
  if (node.type === NODE.text) return node.text ?? '';
  if (node.type === NODE.hardBreak) return '\n';
  const parts = (node.content ?? []).map(textOf);
  return isInlineContainer(node) ? parts.join('') : parts.join('\n');
}

function isInlineContainer(node: ManuscriptJSON): boolean {
  return node.type === NODE.paragraph || node.type === NODE.heading || node.type === NODE.codeBlock;
}

/** The level of the headings that start chapters: the smallest one used at top level, or null. */
export function chapterLevel(documents: readonly BookDocument[]): number | null {
  let level: number | null = null;
  for (const doc of documents) {
    for (const block of doc.content.content ?? []) {
      if (block.type !== NODE.heading) continue;
      const l = headingLevel(block);
      if (level === null || l < level) level = l;
    }
  }
  return level;
}

export function headingLevel(block: ManuscriptJSON): number {
  const level = Number((block.attrs as { level?: unknown } | undefined)?.level ?? 1);
  return Number.isInteger(level) && level >= 1 && level <= 6 ? level : 1;
}

/** Splits the documents into chapters (empty documents give none). */
export function splitChapters(documents: readonly BookDocument[]): Chapter[] {
  const level = chapterLevel(documents);
  const chapters: Chapter[] = [];
  for (const doc of documents) {
    const mine: ManuscriptJSON[][] = [];
    for (const block of doc.content.content ?? []) {
      const opensChapter = level !== null && block.type === NODE.heading && headingLevel(block) === level;
      const current = mine.at(-1);
      if (current === undefined || (opensChapter && current.length > 0)) mine.push([block]);
      else current.push(block);
    }
    mine.forEach((blocks, i) => {
      const first = blocks[0];
      const heading = first?.type === NODE.heading ? textOf(first).replace(/\s+/g, ' ').trim() : '';
      const fallback = mine.length > 1 ? `${doc.title} (${i + 1})` : doc.title;
      chapters.push({ title: heading || fallback || `Chapter ${chapters.length + 1}`, blocks });
    });
  }
  return chapters;
}

/** The chapters' text, one block a line (what a word count of the book reads). */
export function chaptersText(chapters: readonly Chapter[]): string {
  return chapters.map((c) => c.blocks.map(textOf).join('\n')).join('\n');
}

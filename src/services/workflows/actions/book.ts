import { splitChapters, textOf, type BookDocument, type Chapter } from '../../../manuscript/chapters.js';
import { NODE } from '../../../manuscript/names.js';
import { countWords } from '../../../tracking/writing/word-rule.js';
import { ActionError } from '../action-handlers.js';
import type { ManuscriptPort } from './ports.js';

/** Most documents one action reads (a book of 500 chapter documents is already unusual). */
export const MAX_BOOK_DOCUMENTS = 1000;

/** The given documents, or all of the project's in reading order; refuses an empty list and duplicates. */
export async function bookDocumentIds(manuscripts: ManuscriptPort, projectId: string, given: readonly string[] | undefined): Promise<string[]> {
  const ids = given && given.length > 0 ? [...given] : await manuscripts.documentIds(projectId);
  if (ids.length === 0) throw new ActionError(`project ${projectId} has no documents`, { permanent: true });
  if (ids.length > MAX_BOOK_DOCUMENTS) throw new ActionError(`${ids.length} documents; at most ${MAX_BOOK_DOCUMENTS}`, { permanent: true });
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new ActionError(`document ${id} is listed twice`, { permanent: true });
    seen.add(id);
  }
  return ids;
}

/** Reads the documents one at a time (a long book should not load every document at once). */
export async function readBook(manuscripts: ManuscriptPort, projectId: string, ids: readonly string[], signal: AbortSignal): Promise<BookDocument[]> {
  const out: BookDocument[] = [];
  for (const documentId of ids) {
    signal.throwIfAborted();
    out.push(await manuscripts.read({ projectId, documentId }));
  }
  return out;
}

export function chapterText(chapter: Chapter): string {
  return chapter.blocks.map(textOf).join('\n');
}

/** Chapters with their words; `bodyWords` leaves the opening heading out (a heading alone is an empty chapter). */
export function bookChapters(documents: readonly BookDocument[]): { title: string; words: number; bodyWords: number; text: string }[] {
  return splitChapters(documents).map((chapter) => {
    const text = chapterText(chapter);
    const body = chapter.blocks[0]?.type === NODE.heading ? chapter.blocks.slice(1) : chapter.blocks;
    return { title: chapter.title, words: countWords(text), bodyWords: countWords(body.map(textOf).join('\n')), text };
  });
}

/**
 * Word counting of prose and per-transaction word attribution for Yjs documents.
 *
 * The adapter keeps one index per open document, feeds it every transaction from
 * `doc.on('afterTransaction')` and attributes the result to the transaction's user. See
 * docs/writing-analytics.md for the word rule and what "net words" means.
 */
import * as Y from 'yjs';
import { countFragmentWords, createFragmentWordIndex } from './fragment-word-index.js';
import { createTextWordIndex } from './text-word-index.js';
import { countWords } from './word-rule.js';
import { visibleText } from './yjs-items.js';
import type { ParagraphWordIndex, TransactionWords } from './word-index-types.js';

export { countWords, matchWords } from './word-rule.js';
export type { ParagraphWordIndex, TransactionWords } from './word-index-types.js';

/**
 * Index of `root`'s words: per top-level block for a ProseMirror `Y.XmlFragment`, incremental by
 * changed region for a plain `Y.Text` (where a paragraph is a line). Counts the current content
 * once, O(document); after that each transaction costs O(what it changed).
 */
export function createParagraphWordIndex(root: Y.XmlFragment | Y.Text): ParagraphWordIndex {
  return root instanceof Y.XmlFragment ? createFragmentWordIndex(root) : createTextWordIndex(root);
}

/** Words in `root` by full recount, with the same rule and block separation as the index. */
export function countDocumentWords(root: Y.XmlFragment | Y.Text): number {
  return root instanceof Y.XmlFragment ? countFragmentWords(root) : countWords(visibleText(root));
}

/**
 * Creates an index for `root` and feeds it every transaction of `root.doc`, calling `onWords` for
 * those that touched `root`. `onWords` runs inside Yjs's transaction cleanup: keep it cheap and
 * never let it throw (an exception there escapes into whoever applied the update). Returns the
 * index and a function that stops listening.
 */
export function observeParagraphWords(
  root: Y.XmlFragment | Y.Text,
  onWords: (words: TransactionWords, transaction: Y.Transaction) => void,
): { index: ParagraphWordIndex; stop: () => void } {
  const doc = root.doc;
  if (doc === null) throw new Error('observeParagraphWords: the type is not part of a Y.Doc');
  const index = createParagraphWordIndex(root);
  const listener = (transaction: Y.Transaction): void => {
    const words = index.applyTransaction(transaction);
    if (words !== null) onWords(words, transaction);
  };
  doc.on('afterTransaction', listener);
  return { index, stop: () => doc.off('afterTransaction', listener) };
}

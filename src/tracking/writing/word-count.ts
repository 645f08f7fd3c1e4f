/**
 * Word counting of prose and per-transaction word attribution for Yjs documents.
 *
 * The collab document tap (collab/document-tap.ts) keeps one index per writing root of an open
 * document, feeds it every transaction and attributes the result to the transaction's user (it is
 * the only listener: tests drive it too). See docs/writing-analytics.md for the word rule and what
 * "net words" means.
 */
import * as Y from 'yjs';
import { countFragmentWords, createFragmentWordIndex } from './fragment-word-index.js';
import { createTextWordIndex } from './text-word-index.js';
import { countWords } from './word-rule.js';
import { visibleText } from './yjs-items.js';
import type { ParagraphWordIndex } from './word-index-types.js';

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

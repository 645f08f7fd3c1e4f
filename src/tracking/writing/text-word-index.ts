/**
 * Word index of a plain Y.Text (the sequential editing traces, markdown documents).
 *
 * Recounting the whole text per keystroke is O(document) and far too slow for long documents, and
 * so is Yjs's `event.delta` (it walks every item of the type). Instead, for each group of items a
 * transaction inserted or deleted, we walk the neighbouring items outward to the nearest
 * whitespace that exists both before and after the transaction, and count words only inside that
 * window, once as it was (kept items + deleted items) and once as it is (kept items + inserted
 * items). Whitespace never belongs to a word, so the document's count changes by exactly the
 * window's change: the sum over all transactions is exact, not an estimate.
 *
 * Cost: O(changed text + length of the words at the window edges + the items walked to find the
 * start of the line), independent of document length.
 */
import type * as Y from 'yjs';
import { measureRegion } from './region-words.js';
import { countWords } from './word-rule.js';
import { addedItems, deletedItems, isAdded, itemText, visibleText } from './yjs-items.js';
import type { ParagraphWordIndex, TransactionWords } from './word-index-types.js';

export function createTextWordIndex(text: Y.Text): ParagraphWordIndex {
  let total = countWords(visibleText(text));
  return {
    get totalWords() {
      return total;
    },
    applyTransaction(tr: Y.Transaction): TransactionWords | null {
      if (tr.doc !== text.doc || !(tr.changed as Map<unknown, unknown>).has(text)) return null;
      const changed: Y.Item[] = [];
      let insertedChars = 0;
      let deletedChars = 0;
      for (const item of addedItems(tr)) {
        if (item.parent !== text || item.deleted) continue;
        const length = itemText(item).length;
        if (length === 0) continue;
        changed.push(item);
        insertedChars += length;
      }
      for (const item of deletedItems(tr)) {
        if (item.parent !== text || isAdded(tr, item)) continue;
        const length = itemText(item).length;
        if (length === 0) continue;
        changed.push(item);
        deletedChars += length;
      }
      const visited = new Set<Y.Item>();
      const lines = new Set<string>();
      let wordsAdded = 0;
      let wordsRemoved = 0;
      for (const item of changed) {
        if (visited.has(item)) continue;
        const delta = measureRegion(item, tr, visited, lines);
        if (delta > 0) wordsAdded += delta;
        else wordsRemoved -= delta;
      }
      const netWords = wordsAdded - wordsRemoved;
      total += netWords;
      return { insertedChars, deletedChars, netWords, wordsAdded, wordsRemoved, paragraphsTouched: [...lines] };
    },
  };
}

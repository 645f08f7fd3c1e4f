/**
 * The word change of one edited region of a text type (Y.Text or Y.XmlText), measured from the
 * items around the change: walk outward from an inserted or deleted item to the nearest
 * whitespace that exists both before and after the transaction, and count words only inside that
 * window, once as it was (kept items + deleted items) and once as it is (kept items + inserted
 * items). Whitespace never belongs to a word, so the type's count changes by exactly the window's
 * change. Must run in afterTransaction (deleted text is still there).
 */
import type * as Y from 'yjs';
import { countWords, firstWhitespace, lastWhitespace } from './word-rule.js';
import { charId, inNew, inOld, isAdded, itemText } from './yjs-items.js';

/**
 * Word change of the whitespace-bounded region around `start` (an item this transaction inserted
 * or deleted, with text). Marks every changed item of the region as visited (so each region is
 * measured once) and, when `lines` is given, adds the ids of the lines it touches. Cost:
 * O(changed text + the words at the window's edges + items walked to the line start).
 */
export function measureRegion(
  start: Y.Item,
  tr: Y.Transaction,
  visited: Set<Y.Item>,
  lines: Set<string> | null,
): number {
  visited.add(start);
  const startText = itemText(start);
  let oldText = inOld(tr, start) ? startText : '';
  let newText = inNew(start) ? startText : '';
  if (lines !== null) collectNewLines(start, tr, startText, lines);

  // Leftward: prepend until a kept item has whitespace; keep what follows that whitespace.
  let leftStop: Y.Item | null = null;
  let leftCut = 0;
  for (let it = start.left; it !== null; it = it.left) {
    const wasThere = inOld(tr, it);
    const isThere = inNew(it);
    if (!wasThere && !isThere) continue;
    const s = itemText(it);
    if (s === '') continue;
    if (wasThere && isThere) {
      const w = lastWhitespace(s);
      if (w >= 0) {
        leftStop = it;
        leftCut = w + 1;
        const context = s.slice(leftCut);
        oldText = context + oldText;
        newText = context + newText;
        break;
      }
      oldText = s + oldText;
      newText = s + newText;
      continue;
    }
    visited.add(it);
    if (lines !== null) collectNewLines(it, tr, s, lines);
    if (wasThere) oldText = s + oldText;
    else newText = s + newText;
  }

  // Rightward: append until a kept item has whitespace; keep what precedes it.
  for (let it = start.right; it !== null; it = it.right) {
    const wasThere = inOld(tr, it);
    const isThere = inNew(it);
    if (!wasThere && !isThere) continue;
    const s = itemText(it);
    if (s === '') continue;
    if (wasThere && isThere) {
      const w = firstWhitespace(s);
      const context = w >= 0 ? s.slice(0, w) : s;
      oldText += context;
      newText += context;
      if (w >= 0) break;
      continue;
    }
    visited.add(it);
    if (lines !== null) collectNewLines(it, tr, s, lines);
    if (wasThere) oldText += s;
    else newText += s;
  }

  if (lines !== null) lines.add(lineIdBefore(leftStop, leftCut - 1));
  return countWords(newText) - countWords(oldText);
}

/** Inserted newlines open new lines: record their ids. */
function collectNewLines(item: Y.Item, tr: Y.Transaction, s: string, lines: Set<string>): void {
  if (item.deleted || !isAdded(tr, item)) return;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) lines.add(charId(item, i));
}

/**
 * Id of the line containing the character after position `offset` of `item` in the new text: the
 * nearest visible newline at or before it, walking left; `"start"` when there is none.
 */
function lineIdBefore(item: Y.Item | null, offset: number): string {
  let it = item;
  let from = offset;
  while (it !== null) {
    if (inNew(it)) {
      const s = itemText(it);
      const i = from < 0 ? -1 : s.lastIndexOf('\n', from);
      if (i >= 0) return charId(it, i);
    }
    it = it.left;
    from = Infinity;
  }
  return 'start';
}

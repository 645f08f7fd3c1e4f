/**
 * Paragraph-level comparison of two texts (docs/versions.md). Pure.
 *
 * A block is a top-level node of the document (paragraph, heading, list, quote...) with its
 * text. The diff is a longest-common-subsequence alignment of the blocks (type and text equal);
 * between two aligned blocks, removed and added blocks pair up in order as `changed`, the rest
 * are `removed` or `added`.
 */
import { countWords, matchWords } from '../../tracking/writing/word-count.js';

export interface Block {
  /** The node type: paragraph, heading, blockquote, horizontalRule... */
  type: string;
  text: string;
}

export type BlockChange =
  | { type: 'added'; newIndex: number; after: Block }
  | { type: 'removed'; oldIndex: number; before: Block }
  | { type: 'changed'; oldIndex: number; newIndex: number; before: Block; after: Block };

/** Above this many cells the middle is not aligned (every block there counts as replaced). */
const MAX_LCS_CELLS = 16_000_000;

const same = (a: Block, b: Block) => a.type === b.type && a.text === b.text;

/** The changes that turn `before` into `after`, in document order. */
export function diffBlocks(before: readonly Block[], after: readonly Block[]): BlockChange[] {
  // Common head and tail first: edits are usually local, so the LCS table stays small.
  let head = 0;
  while (head < before.length && head < after.length && same(before[head]!, after[head]!)) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && same(before[before.length - 1 - tail]!, after[after.length - 1 - tail]!)) tail++;
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const pairs = alignMiddle(a, b);

  const changes: BlockChange[] = [];
  let i = 0;
  let j = 0;
  const flush = (untilI: number, untilJ: number) => {
    while (i < untilI && j < untilJ) {
      changes.push({ type: 'changed', oldIndex: head + i, newIndex: head + j, before: a[i]!, after: b[j]! });
      i++;
      j++;
    }
    for (; i < untilI; i++) changes.push({ type: 'removed', oldIndex: head + i, before: a[i]! });
    for (; j < untilJ; j++) changes.push({ type: 'added', newIndex: head + j, after: b[j]! });
  };
  for (const [pi, pj] of pairs) {
    flush(pi, pj);
    i = pi + 1;
    j = pj + 1;
  }
  flush(a.length, b.length);
  return changes;
}

/** Index pairs of an LCS of `a` and `b` (empty when the table would be too large). */
function alignMiddle(a: readonly Block[], b: readonly Block[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_LCS_CELLS) return [];
  const width = m + 1;
  const table = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = same(a[i]!, b[j]!) ? table[(i + 1) * width + j + 1]! + 1 : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (same(a[i]!, b[j]!)) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) i++;
    else j++;
  }
  return pairs;
}

/**
 * Words changed by `changes`: an added or removed block counts all its words; a changed block
 * counts the words between its common leading and trailing words, the larger side (so replacing
 * one word is 1, typing five new words is 5, deleting a sentence counts its words).
 */
export function wordsChanged(changes: readonly BlockChange[]): number {
  let total = 0;
  for (const change of changes) {
    if (change.type === 'added') total += countWords(change.after.text);
    else if (change.type === 'removed') total += countWords(change.before.text);
    else total += changedWords(matchWords(change.before.text), matchWords(change.after.text));
  }
  return total;
}

/**
 * How the word count moves from `before` to `after` (words of the after-blocks minus words of the
 * before-blocks the changes touch): the count of a text is the sum of its blocks' counts, so
 * `words(before) + wordsDelta(changes) === words(after)` (property-tested). Lets a new version
 * count only the blocks that changed.
 */
export function wordsDelta(changes: readonly BlockChange[]): number {
  let delta = 0;
  for (const change of changes) {
    if (change.type !== 'removed') delta += countWords(change.after.text);
    if (change.type !== 'added') delta -= countWords(change.before.text);
  }
  return delta;
}

function changedWords(x: readonly string[], y: readonly string[]): number {
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  return Math.max(x.length - head - tail, y.length - head - tail);
}

/**
 * Word index of a ProseMirror-shaped document: a Y.XmlFragment whose children are top-level blocks
 * (paragraph, heading, blockquote, list...), each a Y.XmlElement holding Y.XmlText and nested
 * elements, as y-prosemirror/TipTap write it.
 *
 * One count per top-level block. A transaction updates only the blocks it touched (found from the
 * items it inserted or deleted, walking up to the block): typing and deleting text inside a
 * paragraph is measured by region (./region-words.ts, O(change) however long the paragraph);
 * anything structural inside a block recounts that block; created blocks are counted, deleted
 * ones dropped. Blocks, and text types within a block, are separated by whitespace in the
 * document's text, so the document's count is the sum of the blocks' counts and the
 * per-transaction differences add up exactly.
 */
import * as Y from 'yjs';
import { measureRegion } from './region-words.js';
import { countWords } from './word-rule.js';
import { addedItems, charId, deletedItems, isAdded, isDeletedNow, itemText, visibleText } from './yjs-items.js';
import type { ItemList } from './yjs-items.js';
import { SENDER_CLIENT, type ParagraphWordIndex, type TransactionWords, type UnitWords } from './word-index-types.js';

/**
 * Text of a block: its Y.XmlText runs, with a newline between any two children so that words in
 * different paragraphs, list items or around a hard break never run together.
 */
export function blockText(type: ItemList): string {
  if (type instanceof Y.XmlText || type instanceof Y.Text) return visibleText(type);
  const parts: string[] = [];
  for (let item = type._start; item !== null; item = item.right) {
    if (!item.deleted && item.content instanceof Y.ContentType) parts.push(blockText(item.content.type));
  }
  return parts.join('\n');
}

/** Words in the whole fragment, by full recount (the reference the index must always match). */
export function countFragmentWords(root: Y.XmlFragment): number {
  let total = 0;
  for (let item = root._start; item !== null; item = item.right) {
    if (!item.deleted && item.content instanceof Y.ContentType) total += countWords(blockText(item.content.type));
  }
  return total;
}

export function createFragmentWordIndex(root: Y.XmlFragment): ParagraphWordIndex {
  const counts = new Map<ItemList, number>();
  let total = 0;
  for (let item = root._start; item !== null; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentType)) continue;
    const n = countWords(blockText(item.content.type));
    counts.set(item.content.type, n);
    total += n;
  }

  return {
    get totalWords() {
      return total;
    },
    applyTransaction(tr: Y.Transaction): TransactionWords | null {
      if (tr.doc !== root.doc) return null;
      const blocks = new Map<Y.Item, BlockChange>();
      const chars = { inserted: 0, deleted: 0 };
      for (const item of addedItems(tr)) if (!item.deleted) noteChange(tr, root, item, true, blocks, chars);
      for (const item of deletedItems(tr)) if (!isAdded(tr, item)) noteChange(tr, root, item, false, blocks, chars);
      if (blocks.size === 0) return null;

      let wordsAdded = 0;
      let wordsRemoved = 0;
      const touched: string[] = [];
      const touchedNet: number[] = [];
      const byClient = new Map<number, UnitWords>();
      const visited = new Set<Y.Item>();
      for (const [item, change] of blocks) {
        const type = (item.content as Y.ContentType).type;
        const before = counts.get(type) ?? 0;
        let after = 0;
        if (change.kind === 'deleted') {
          counts.delete(type);
        } else {
          after = change.kind === 'created' || change.recount ? countWords(blockText(type)) : before + regionDelta(tr, change.edits, visited);
          counts.set(type, after);
          touched.push(charId(item));
          touchedNet.push(after - before);
        }
        const delta = after - before;
        if (delta > 0) wordsAdded += delta;
        else wordsRemoved -= delta;
        if (delta !== 0) credit(byClient, writerOf(change), delta);
      }
      const netWords = wordsAdded - wordsRemoved;
      total += netWords;
      return {
        insertedChars: chars.inserted,
        deletedChars: chars.deleted,
        netWords,
        wordsAdded,
        wordsRemoved,
        paragraphsTouched: touched,
        paragraphNetWords: touchedNet,
        byClient,
      };
    },
  };
}

/** What a transaction did to one top-level block. */
interface BlockChange {
  kind: 'created' | 'deleted' | 'changed';
  /** Something other than text inside a kept text type changed: count the block afresh. */
  recount: boolean;
  /** Inserted or deleted text items, measured by region when the block is not recounted. */
  edits: Y.Item[];
  /** Characters (a nested node: 1) each Yjs client inserted into the block in this transaction. */
  inserters: Map<number, number>;
}

/** The client that inserted the most into the block (ties: the lower id, the same on every replica), or SENDER_CLIENT. */
function writerOf(change: BlockChange): number {
  let best = SENDER_CLIENT;
  let most = 0;
  for (const [client, n] of change.inserters) {
    if (n > most || (n === most && client < best)) {
      best = client;
      most = n;
    }
  }
  return best;
}

function credit(byClient: Map<number, UnitWords>, client: number, delta: number): void {
  const w = byClient.get(client) ?? { added: 0, removed: 0, net: 0 };
  if (delta > 0) w.added += delta;
  else w.removed -= delta;
  w.net += delta;
  byClient.set(client, w);
}

/**
 * Records one inserted or deleted item: its characters, and what it means for its top-level
 * block. Text edited inside a text type that existed before and still does is measured by region;
 * anything structural inside a block (a node inserted or removed) makes the block be recounted.
 */
function noteChange(
  tr: Y.Transaction,
  root: Y.XmlFragment,
  item: Y.Item,
  inserted: boolean,
  blocks: Map<Y.Item, BlockChange>,
  chars: { inserted: number; deleted: number },
): void {
  if (item.parentSub !== null) return; // attributes and map entries hold no text
  const blockItem = topLevelItem(item, root);
  if (blockItem === null) return;
  const length = item.content instanceof Y.ContentType ? 0 : itemText(item).length;
  if (inserted) chars.inserted += length;
  else chars.deleted += length;
  let change = blocks.get(blockItem);
  if (change === undefined) {
    const created = isAdded(tr, blockItem);
    if (created && blockItem.deleted) return; // created and deleted again: never counted
    change = { kind: created ? 'created' : isDeletedNow(tr, blockItem) ? 'deleted' : 'changed', recount: false, edits: [], inserters: new Map() };
    blocks.set(blockItem, change);
  }
  if (inserted) change.inserters.set(item.id.client, (change.inserters.get(item.id.client) ?? 0) + Math.max(length, 1));
  if (change.kind !== 'changed' || change.recount) return;
  if (item.content instanceof Y.ContentType) {
    change.recount = true;
    return;
  }
  if (length === 0) return; // formatting marks: no text changed
  const parent = item.parent;
  const keptText = parent instanceof Y.Text && parent._item !== null && !isAdded(tr, parent._item) && !parent._item.deleted;
  if (keptText) change.edits.push(item);
  else change.recount = true;
}

function regionDelta(tr: Y.Transaction, edits: Y.Item[], visited: Set<Y.Item>): number {
  let delta = 0;
  for (const edit of edits) if (!visited.has(edit)) delta += measureRegion(edit, tr, visited, null);
  return delta;
}

/** The item of the top-level block that contains `item` (itself if it is one), or null if not under `root`. */
function topLevelItem(item: Y.Item, root: Y.XmlFragment): Y.Item | null {
  let current: Y.Item = item;
  for (;;) {
    const parent = current.parent;
    if (parent === root) return current.content instanceof Y.ContentType ? current : null;
    if (!(parent instanceof Y.AbstractType) || parent._item === null) return null;
    current = parent._item;
  }
}

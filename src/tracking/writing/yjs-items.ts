/**
 * Reading a finished Yjs transaction at the level of items (Yjs's internal runs of content),
 * without `event.delta`: computing a delta walks the whole item list of the changed type, which
 * costs O(document) per keystroke on a long Y.Text. Everything here is O(items changed).
 *
 * Must run inside the transaction's `afterTransaction` handler (or an observer): after it, Yjs
 * garbage-collects the content of deleted items and merges items, and the old text is gone.
 */
import * as Y from 'yjs';

/** One object replacement character stands for an embed or a nested type inside text. */
const OBJECT_REPLACEMENT = '\uFFFC';

/**
 * The text an item contributes to its parent: string content as is; embeds and nested types as
 * U+FFFC each (not whitespace, not a word character: it splits words but never joins them);
 * formatting marks and map entries nothing.
 */
export function itemText(item: Y.Item): string {
  if (item.parentSub !== null) return '';
  const content = item.content;
  if (content instanceof Y.ContentString) return content.str;
  if (!item.countable || content instanceof Y.ContentFormat) return '';
  return OBJECT_REPLACEMENT.repeat(item.length);
}

// How one item relates to one finished transaction. Plain functions of (transaction, item): no
// closures per transaction, this is the per-keystroke path.

/** Inserted by this transaction (its clock is past the transaction's before-state). */
export function isAdded(tr: Y.Transaction, item: Y.Item): boolean {
  return item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0);
}

/** Deleted by this transaction (it is in the transaction's delete set). */
export function isDeletedNow(tr: Y.Transaction, item: Y.Item): boolean {
  return item.deleted && Y.isDeleted(tr.deleteSet, item.id);
}

/** Part of the text before the transaction. */
export function inOld(tr: Y.Transaction, item: Y.Item): boolean {
  return !isAdded(tr, item) && (!item.deleted || isDeletedNow(tr, item));
}

/** Part of the text after the transaction. */
export function inNew(item: Y.Item): boolean {
  return !item.deleted;
}

/** The items this transaction inserted (including ones it deleted again), in store order. */
export function addedItems(tr: Y.Transaction): Y.Item[] {
  const out: Y.Item[] = [];
  tr.afterState.forEach((after, client) => {
    const before = tr.beforeState.get(client) ?? 0;
    if (after <= before) return;
    const structs = tr.doc.store.clients.get(client);
    if (structs === undefined) return;
    // Items are merged only after afterTransaction, so the first new struct starts at `before`.
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const struct = structs[i]!;
      if (struct.id.clock >= after) break;
      if (struct instanceof Y.Item) out.push(struct);
    }
  });
  return out;
}

/**
 * The items this transaction deleted. Unlike `Y.iterateDeletedStructs` this never splits items
 * (the delete set's ranges already fall on item boundaries), so it does not touch the document.
 */
export function deletedItems(tr: Y.Transaction): Y.Item[] {
  const out: Y.Item[] = [];
  tr.deleteSet.clients.forEach((ranges, client) => {
    const structs = tr.doc.store.clients.get(client);
    if (structs === undefined) return;
    for (const { clock, len } of ranges) {
      const end = clock + len;
      for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
        const struct = structs[i]!;
        if (struct.id.clock >= end) break;
        if (struct instanceof Y.Item) out.push(struct);
      }
    }
  });
  return out;
}

/** Stable id of the character at `offset` inside `item`: the same on every replica. */
export function charId(item: Y.Item, offset = 0): string {
  return `${item.id.client}:${item.id.clock + offset}`;
}

/** Any Yjs type, seen as its list of items (avoids AbstractType's invariant event parameter). */
export interface ItemList {
  readonly _start: Y.Item | null;
}

/** The visible text of a text type (Y.Text or Y.XmlText), built the same way as the index reads items. */
export function visibleText(type: ItemList): string {
  let out = '';
  for (let item = type._start; item !== null; item = item.right) {
    if (!item.deleted) out += itemText(item);
  }
  return out;
}

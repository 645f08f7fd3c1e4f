/**
 * Maps one Yjs transaction to the top-level blocks of the fragment it touched and to the Yjs
 * client ids that created content in it. Cheap by construction: it climbs from each changed type
 * to its top-level block (O(depth)) and builds the block index (O(blocks)) at most once, and only
 * when something under the fragment changed.
 */
import * as Y from 'yjs';

/** What a transaction did, for presence: blocks touched and the client ids that wrote items. */
export interface TransactionTouch {
  /** Sorted, distinct top-level block indexes (after the transaction), at most 64. */
  blocks: number[];
  /** Client ids whose clock advanced in this transaction (they created the new items). */
  clientIds: number[];
  /** The same blocks' identities (`client:clock` of the block's item, as CursorBlocks.headKey). */
  blockKeys: string[];
}

/**
 * The fragment if the document already has one (never defines or re-types a root). A root nobody
 * on this instance asked for yet is a plain AbstractType; its items are the same, so it is walked
 * as it is (re-typing it here would leave this transaction's `changed` keys pointing at the old one).
 */
function fragmentOf(doc: Y.Doc, name: string): Y.AbstractType<unknown> | null {
  const type = doc.share.get(name) as Y.AbstractType<unknown> | undefined;
  if (type === undefined) return null;
  return (type as unknown) instanceof Y.XmlFragment || type.constructor === Y.AbstractType ? type : null;
}

/**
 * Top-level child of `fragment` that `type` is in, or null (another root, or the fragment itself).
 * Depth is bounded by the document's nesting; the guard protects against corrupt cycles.
 */
function topLevelOf(fragment: Y.AbstractType<unknown>, type: Y.AbstractType<unknown>): Y.AbstractType<unknown> | null {
  let current = type;
  for (let depth = 0; depth < 1000; depth++) {
    const item = current._item;
    if (item === null) return null;
    const parent = item.parent;
    if (!(parent instanceof Y.AbstractType)) return null;
    if (parent === fragment) return item.deleted ? null : current;
    current = parent;
  }
  return null;
}

/**
 * Never throws (it runs inside Yjs's transaction cleanup). Blocks deleted in the transaction are
 * not reported: they have no index afterwards.
 */
export function touchOf(tr: Y.Transaction, fragmentName = 'default'): TransactionTouch {
  const clientIds: number[] = [];
  for (const [client, clock] of tr.afterState) if (clock > (tr.beforeState.get(client) ?? 0)) clientIds.push(client);
  const blocks = new Set<number>();
  const keys = new Map<number, string>();
  try {
    const fragment = fragmentOf(tr.doc, fragmentName);
    if (fragment === null || tr.changed.size === 0) return { blocks: [], clientIds, blockKeys: [] };
    const tops = new Set<Y.AbstractType<unknown>>();
    let fragmentChanged = false;
    for (const type of tr.changed.keys()) {
      if ((type as Y.AbstractType<unknown>) === fragment) fragmentChanged = true;
      else {
        const top = topLevelOf(fragment, type as Y.AbstractType<unknown>);
        if (top !== null) tops.add(top);
      }
    }
    if (tops.size === 0 && !fragmentChanged) return { blocks: [], clientIds, blockKeys: [] };
    let index = 0;
    for (let item = fragment._start; item !== null; item = item.right) {
      if (item.deleted || !item.countable) continue;
      const content = item.content;
      const child = content instanceof Y.ContentType ? (content.type as Y.AbstractType<unknown>) : null;
      // Blocks inserted by this transaction count as touched (a new paragraph typed into).
      const inserted = item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0);
      if ((child !== null && tops.has(child)) || (fragmentChanged && inserted)) {
        blocks.add(index);
        keys.set(index, `${item.id.client}:${item.id.clock}`);
      }
      index += item.length;
      if (blocks.size >= 64) break;
    }
  } catch {
    // A malformed document costs this transaction's attribution, never the transaction.
  }
  const sorted = [...blocks].sort((a, b) => a - b);
  return { blocks: sorted, clientIds, blockKeys: sorted.map((b) => keys.get(b)!) };
}

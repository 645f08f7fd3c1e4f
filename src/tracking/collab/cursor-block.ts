/**
 * Resolving a collaboration caret (`cursor: {anchor, head}` in a client's awareness state, as
 * y-prosemirror / TipTap's CollaborationCaret put it there) to top-level block indexes of the
 * document's `Y.XmlFragment`.
 *
 * The positions are `Y.relativePositionToJSON` objects: `{type?: {client, clock}, tname?: string,
 * item?: {client, clock}, assoc?: number}`. They come from the network, so every field is
 * validated before Yjs sees it: Yjs itself throws on malformed ids (`getItem` on an unknown
 * client) and, worse, `doc.get(tname)` with an unknown name silently creates a new root type.
 */
import * as Y from 'yjs';

/** Which top-level blocks a caret's anchor and head are in (equal for a collapsed caret). */
export interface CursorBlocks {
  anchorBlock: number;
  headBlock: number;
  /**
   * The blocks' identities (their Yjs item ids, `client:clock`): unlike indexes they do not shift
   * when a paragraph is inserted above, so an edit's block can be matched a few seconds later.
   */
  anchorKey?: string;
  headKey?: string;
}

/** The identity of a top-level block: its Yjs item id (stable for the block's life). */
export function blockKeyOf(type: Y.AbstractType<unknown>): string | null {
  const id = type._item?.id;
  return id === undefined ? null : `${id.client}:${id.clock}`;
}

/** Options for {@link resolveCursorBlock}. */
export interface ResolveOptions {
  /**
   * Anything that changes whenever the fragment's top-level order may have changed (an update
   * counter, the recompute tick). When omitted, a fingerprint of the doc (state-vector sum plus
   * fragment length) is used: every insertion advances the state vector and every deletion of a
   * visible block shortens the fragment, so a stale cache is never used.
   */
  version?: string | number;
}

interface BlockCache {
  key: string;
  index: Map<Y.AbstractType<unknown>, number>;
  blocks: Y.AbstractType<unknown>[];
}

// Memoisation only (not state): keyed weakly by the fragment so a destroyed doc takes it along.
const caches = new WeakMap<Y.XmlFragment, BlockCache>();

const MAX_ID = Number.MAX_SAFE_INTEGER;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseId(value: unknown): { client: number; clock: number } | null | undefined {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) return undefined;
  const { client, clock } = value;
  if (!Number.isInteger(client) || !Number.isInteger(clock)) return undefined;
  if ((client as number) < 0 || (clock as number) < 0 || (client as number) > MAX_ID || (clock as number) > MAX_ID) return undefined;
  return { client: client as number, clock: clock as number };
}

/**
 * Validates one JSON relative position and returns the Yjs object, or null when it is not a
 * well-formed position (wrong types, negative ids, neither item nor type nor name).
 */
export function parseRelativePosition(json: unknown): Y.RelativePosition | null {
  if (!isRecord(json)) return null;
  const item = parseId(json.item);
  const type = parseId(json.type);
  if (item === undefined || type === undefined) return null;
  const tname = json.tname;
  if (tname !== undefined && tname !== null && (typeof tname !== 'string' || tname.length > 256)) return null;
  const assoc = json.assoc;
  if (assoc !== undefined && assoc !== null && !Number.isInteger(assoc)) return null;
  if (item === null && type === null && (tname === undefined || tname === null)) return null;
  return Y.createRelativePositionFromJSON({
    item,
    type,
    tname: typeof tname === 'string' ? tname : null,
    assoc: typeof assoc === 'number' ? assoc : 0,
  });
}

/** The fragment if the doc already has it (never creates a root type). */
function existingFragment(doc: Y.Doc, name: string): Y.XmlFragment | null {
  if (!doc.share.has(name)) return null;
  try {
    // A root type received from an update starts as a plain AbstractType; this only re-types it.
    return doc.getXmlFragment(name);
  } catch {
    return null; // defined as another type (Y.Text, Y.Map)
  }
}

function stateSum(doc: Y.Doc): number {
  let sum = 0;
  for (const client of doc.store.clients.keys()) sum += Y.getState(doc.store, client);
  return sum;
}

/** Block index of each visible top-level child, rebuilt only when `key` changed. */
function blockIndex(fragment: Y.XmlFragment, key: string): BlockCache {
  const cached = caches.get(fragment);
  if (cached !== undefined && cached.key === key) return cached;
  const index = new Map<Y.AbstractType<unknown>, number>();
  const blocks = fragment.toArray() as Y.AbstractType<unknown>[];
  blocks.forEach((child, i) => index.set(child, i));
  const built = { key, index, blocks };
  caches.set(fragment, built);
  return built;
}

/** Top-level block index of one parsed position, or null (unknown, deleted, outside the fragment). */
function blockOf(doc: Y.Doc, fragment: Y.XmlFragment, rpos: Y.RelativePosition, index: Map<Y.AbstractType<unknown>, number>): number | null {
  // Never let Yjs create a root type from a name it was sent.
  if (rpos.tname !== null && rpos.item === null && !doc.share.has(rpos.tname)) return null;
  const abs = Y.createAbsolutePositionFromRelativePosition(rpos, doc);
  if (abs === null) return null;
  if (abs.type === (fragment as Y.AbstractType<unknown>)) {
    // A position between top-level blocks (y-prosemirror makes these for node selections):
    // it belongs to the block after it, or the last one at the end.
    if (fragment.length === 0) return null;
    return Math.min(Math.max(abs.index, 0), fragment.length - 1);
  }
  let type: Y.AbstractType<unknown> = abs.type;
  // Depth is bounded by the document's nesting; the guard is against cycles in corrupt input.
  for (let depth = 0; depth < 1000; depth++) {
    const item = type._item;
    if (item === null) return null; // reached another root type
    const parent = item.parent;
    if (!(parent instanceof Y.AbstractType)) return null;
    if (parent === (fragment as Y.AbstractType<unknown>)) {
      // Deleted blocks are not in the index: a caret left in removed content is ignored.
      return index.get(type) ?? null;
    }
    type = parent;
  }
  return null;
}

/**
 * Resolves an awareness `cursor` value to the top-level blocks its anchor and head are in.
 * Returns null for anything that is not a valid caret in the live fragment: not an object,
 * malformed positions, unknown client ids, positions inside deleted blocks, a missing fragment.
 * Never throws and never modifies the document.
 *
 * Cost: O(blocks) to rebuild the block index when the fragment changed (at most once per
 * version), then O(depth + items left of the position inside its paragraph) per position.
 */
export function resolveCursorBlock(doc: Y.Doc, cursor: unknown, fragmentName = 'default', options: ResolveOptions = {}): CursorBlocks | null {
  try {
    if (!isRecord(cursor)) return null;
    const anchor = parseRelativePosition(cursor.anchor);
    const head = parseRelativePosition(cursor.head);
    if (anchor === null || head === null) return null;
    const fragment = existingFragment(doc, fragmentName);
    if (fragment === null) return null;
    const key = options.version !== undefined ? `v:${options.version}` : `f:${stateSum(doc)}:${doc.store.clients.size}:${fragment.length}`;
    const cache = blockIndex(fragment, key);
    const anchorBlock = blockOf(doc, fragment, anchor, cache.index);
    if (anchorBlock === null) return null;
    const headBlock = blockOf(doc, fragment, head, cache.index);
    if (headBlock === null) return null;
    const out: CursorBlocks = { anchorBlock, headBlock };
    const anchorKey = cache.blocks[anchorBlock] === undefined ? null : blockKeyOf(cache.blocks[anchorBlock]);
    const headKey = cache.blocks[headBlock] === undefined ? null : blockKeyOf(cache.blocks[headBlock]);
    if (anchorKey !== null) out.anchorKey = anchorKey;
    if (headKey !== null) out.headKey = headKey;
    return out;
  } catch {
    // Defence in depth: a Yjs internal error on hostile input must not reach onAwarenessUpdate.
    return null;
  }
}

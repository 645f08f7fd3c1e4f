/**
 * Presence, carets and conflict warnings, as pure functions over Yjs values: parsing other
 * clients' awareness states (untrusted: every field is checked, nothing throws), turning caret
 * positions into block indexes and back, and reading the server's conflict messages.
 */
import * as Y from 'yjs';
import { parseConflictMessage, type ConflictMessage, type ConflictSeverity } from './protocol.js';

/** The conflict message of a stateless payload, or null for any other message (see protocol.ts). */
export { parseConflictMessage };

export type EditMode = 'typing' | 'selecting' | 'idle';
export type Severity = ConflictSeverity;

/** The identity the server stamps into every awareness state it relays. */
export interface PresenceUser {
  id: string;
  name: string;
  color: string;
}

/** One client (one editor tab) present in the document. */
export interface PresentWriter {
  clientId: number;
  user: PresenceUser;
  /** Top-level block (paragraph) index of the caret's head, null without a resolvable caret. */
  block: number | null;
  /** Block of the selection's anchor (equal to `block` for a collapsed caret). */
  anchorBlock: number | null;
  editMode: EditMode | null;
  viewport: { fromBlock: number; toBlock: number } | null;
  typingVelocity: number | null;
  /** This client (the local awareness state). */
  isSelf: boolean;
}

/** A conflict warning from the server: the protocol's conflict message (see protocol.ts). */
export type ConflictWarning = ConflictMessage;

/** A Yjs relative position in its JSON form (what TipTap's caret plugin puts in awareness). */
export type RelativePositionJSON = Record<string, unknown>;

/**
 * Where a caret end is, without ProseMirror: either a Yjs relative position (object or JSON, as
 * y-prosemirror makes them), or a block index into the `default` XmlFragment with an optional
 * character offset into that block's first text node.
 */
export type CursorPoint = Y.RelativePosition | RelativePositionJSON | { block: number; offset?: number };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlock = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1e9;

function parseUser(value: unknown): PresenceUser | null {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.name !== 'string') return null;
  return { id: value.id, name: value.name, color: typeof value.color === 'string' ? value.color : '#57534e' };
}

function parseEditMode(value: unknown): EditMode | null {
  return value === 'typing' || value === 'selecting' || value === 'idle' ? value : null;
}

function parseId(value: unknown): { client: number; clock: number } | null | undefined {
  if (value === undefined || value === null) return null;
  if (!isRecord(value) || !Number.isSafeInteger(value.client) || !Number.isSafeInteger(value.clock)) return undefined;
  if ((value.client as number) < 0 || (value.clock as number) < 0) return undefined;
  return { client: value.client as number, clock: value.clock as number };
}

/** A checked relative position, or null: Yjs throws on unknown ids and creates root types from names. */
function parseRelativePosition(doc: Y.Doc, json: unknown): Y.RelativePosition | null {
  if (!isRecord(json)) return null;
  const item = parseId(json.item);
  const type = parseId(json.type);
  if (item === undefined || type === undefined) return null;
  const tname = typeof json.tname === 'string' ? json.tname : null;
  if (item === null && type === null && tname === null) return null;
  if (tname !== null && !doc.share.has(tname)) return null;
  const assoc = Number.isInteger(json.assoc) ? (json.assoc as number) : 0;
  return Y.createRelativePositionFromJSON({ item, type, tname, assoc });
}

/** Top-level block of a relative position in `fragment`, or null when it is elsewhere or unknown. */
export function blockOfPosition(doc: Y.Doc, fragment: Y.XmlFragment, json: unknown): number | null {
  try {
    const rpos = json instanceof Y.RelativePosition ? json : parseRelativePosition(doc, json);
    if (rpos === null) return null;
    const abs = Y.createAbsolutePositionFromRelativePosition(rpos, doc);
    if (abs === null) return null;
    if (abs.type === (fragment as Y.AbstractType<unknown>)) return fragment.length === 0 ? null : Math.min(abs.index, fragment.length - 1);
    let type: Y.AbstractType<unknown> = abs.type;
    for (let depth = 0; depth < 1000; depth++) {
      const item = type._item;
      if (item === null || !(item.parent instanceof Y.AbstractType)) return null;
      if (item.parent === (fragment as Y.AbstractType<unknown>)) {
        if (item.deleted) return null;
        const index = fragment.toArray().indexOf(type as Y.XmlElement);
        return index < 0 ? null : index;
      }
      type = item.parent;
    }
    return null;
  } catch {
    return null; // an id this replica has not seen yet
  }
}

/**
 * Every present client with a server-stamped user, from the awareness states (`states` as
 * `awareness.getStates()`). The local state carries no stamp (the server stamps what it relays),
 * so `self` supplies it. Ordered by client id; blocks are resolved against `doc`'s `field`.
 */
export function parsePresence(
  states: ReadonlyMap<number, unknown>,
  selfClientId: number,
  doc: Y.Doc | null,
  self: PresenceUser | null,
  field = 'default',
): PresentWriter[] {
  const fragment = doc !== null && doc.share.has(field) ? doc.getXmlFragment(field) : null;
  const writers: PresentWriter[] = [];
  for (const [clientId, raw] of states) {
    if (!isRecord(raw)) continue;
    const isSelf = clientId === selfClientId;
    const user = isSelf ? (self ?? parseUser(raw.user)) : parseUser(raw.user);
    if (user === null) continue;
    let block: number | null = null;
    let anchorBlock: number | null = null;
    if (fragment !== null && doc !== null && isRecord(raw.cursor)) {
      block = blockOfPosition(doc, fragment, raw.cursor.head);
      anchorBlock = blockOfPosition(doc, fragment, raw.cursor.anchor);
    }
    const vp = raw.viewport;
    const viewport = isRecord(vp) && isBlock(vp.fromBlock) && isBlock(vp.toBlock) && vp.fromBlock <= vp.toBlock ? { fromBlock: vp.fromBlock, toBlock: vp.toBlock } : null;
    const v = raw.typingVelocity;
    writers.push({
      clientId,
      user,
      block,
      anchorBlock,
      editMode: parseEditMode(raw.editMode),
      viewport,
      typingVelocity: typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null,
      isSelf,
    });
  }
  return writers.sort((a, b) => a.clientId - b.clientId);
}

/**
 * A caret point as relative-position JSON. `{block, offset}` points into the block's first text
 * node (clamped to its length), or at the block itself when it has no text; a block past the end
 * is clamped to the last one, and an empty fragment gives its start.
 */
export function toRelativePositionJSON(doc: Y.Doc, point: CursorPoint, field = 'default'): RelativePositionJSON {
  if (point instanceof Y.RelativePosition) return Y.relativePositionToJSON(point) as RelativePositionJSON;
  if (!('block' in point)) return point;
  const { block, offset = 0 } = point as { block: number; offset?: number };
  if (!isBlock(block) || !Number.isInteger(offset) || offset < 0) throw new RangeError(`block and offset must be non-negative integers (got ${block}, ${offset})`);
  const fragment = doc.getXmlFragment(field);
  if (fragment.length === 0) return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(fragment, 0)) as RelativePositionJSON;
  const node = fragment.get(Math.min(block, fragment.length - 1));
  if (node instanceof Y.XmlElement) {
    const text = node.toArray().find((child): child is Y.XmlText => child instanceof Y.XmlText);
    const target = text ?? node;
    const index = text ? Math.min(offset, text.length) : 0;
    return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(target, index)) as RelativePositionJSON;
  }
  if (node instanceof Y.XmlText) {
    return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(node, Math.min(offset, node.length))) as RelativePositionJSON;
  }
  return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(fragment, Math.min(block, fragment.length))) as RelativePositionJSON;
}

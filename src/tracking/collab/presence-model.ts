/**
 * Pure presence model of one document: who is connected, which top-level block each caret is in,
 * how long each writer has been idle, and which pairs of writers actually collided (edited the
 * same block within the collision window). Conflict prediction over this state is in
 * conflict-prediction.ts (re-exported here).
 *
 * Every function takes `now`/`at` and returns a new state; nothing throws on untrusted input.
 * The adapter resolves carets with resolveCursorBlock (it owns the Y.Doc) and passes the result.
 */
import type { CursorBlocks } from './cursor-block.js';
import {
  DEFAULT_PRESENCE_OPTIONS,
  exceedsJsonSize,
  isRecord,
  pairOf,
  parseEditMode,
  parseTypingVelocity,
  parseViewport,
  lastActivityAt,
  type CollisionHit,
  type Footprint,
  type PresenceEntry,
  type PresenceOptions,
  type PresenceState,
} from './presence-types.js';

export { predict, shouldRecompute, type PredictResult } from './conflict-prediction.js';

/** A fresh state for a document nobody has joined yet. */
export function createPresenceState(): PresenceState {
  return { clients: new Map(), lastEdits: new Map(), blockEdits: new Map(), footprints: new Map() };
}

/** One awareness message, after the adapter authenticated the connection and resolved the caret. */
export interface AwarenessInput {
  clientId: number;
  userId: string;
  /** Role allows editing (owner, editor); readers and reviewers never count for prediction. */
  canEdit: boolean;
  /** The client's raw awareness state; `null` means the client cleared it (left). */
  awarenessState: unknown;
  at: number;
  blocks: CursorBlocks | null;
}

function cursorKeyOf(state: Record<string, unknown>): { key: string | null; selection: boolean } {
  const cursor = state.cursor;
  if (!isRecord(cursor)) return { key: null, selection: false };
  try {
    const anchor = JSON.stringify(cursor.anchor) ?? null;
    const head = JSON.stringify(cursor.head) ?? null;
    return { key: `${anchor}|${head}`, selection: anchor !== head };
  } catch {
    return { key: null, selection: false };
  }
}

function sameBlocks(a: CursorBlocks | null, b: CursorBlocks | null): boolean {
  return a === b || (a !== null && b !== null && a.anchorBlock === b.anchorBlock && a.headBlock === b.headBlock);
}

/**
 * Applies one awareness message. Oversized states are dropped whole (the state is returned
 * unchanged, not even renewing presence: a client that only sends oversized states times out).
 * Garbage fields are ignored individually. Typing, selecting (`editMode`), a positive
 * `typingVelocity`, or a changed non-empty selection count as activity.
 */
export function applyAwareness(state: PresenceState, input: AwarenessInput, options: Partial<PresenceOptions> = {}): PresenceState {
  const { maxAwarenessBytes } = { ...DEFAULT_PRESENCE_OPTIONS, ...options };
  if (input.awarenessState === null) return removeClient(state, input.clientId, input.at);
  if (!Number.isFinite(input.at) || typeof input.userId !== 'string') return state;
  if (exceedsJsonSize(input.awarenessState, maxAwarenessBytes)) return state;
  const raw = isRecord(input.awarenessState) ? input.awarenessState : {};
  const prev = state.clients.get(input.clientId);
  const editMode = parseEditMode(raw);
  const typingVelocity = parseTypingVelocity(raw);
  const { key: cursorKey, selection } = cursorKeyOf(raw);
  const selectionChanged = selection && cursorKey !== (prev?.cursorKey ?? null);
  const active = editMode === 'typing' || editMode === 'selecting' || (typingVelocity ?? 0) > 0 || selectionChanged;
  // A reconnect under the same client id by another user starts a fresh entry.
  const same = prev !== undefined && prev.userId === input.userId ? prev : undefined;
  const moved = same === undefined || !sameBlocks(same.blocks, input.blocks);
  const entry: PresenceEntry = {
    clientId: input.clientId,
    userId: input.userId,
    canEdit: input.canEdit === true,
    joinedAt: same?.joinedAt ?? input.at,
    renewedAt: input.at,
    blocks: input.blocks,
    blocksSince: input.blocks === null ? null : moved ? input.at : (same?.blocksSince ?? input.at),
    previousBlocks: moved ? (same?.blocks ?? null) : (same?.previousBlocks ?? null),
    cursorKey,
    editMode,
    typingVelocity,
    viewport: parseViewport(raw),
    activeAt: active ? input.at : (same?.activeAt ?? null),
  };
  const clients = new Map(state.clients);
  clients.set(input.clientId, entry);
  return { ...state, clients };
}

/** Removes a client on disconnect (or when its awareness state is cleared). */
export function removeClient(state: PresenceState, clientId: number, _at: number): PresenceState {
  if (!state.clients.has(clientId)) return state;
  const clients = new Map(state.clients);
  clients.delete(clientId);
  return { ...state, clients };
}

/**
 * Drops clients without an awareness renewal for `presenceTimeoutMs` (15 min), edits older than
 * the collision and activity windows, and last-edit records of users who are gone.
 */
export function expire(state: PresenceState, now: number, options: Partial<PresenceOptions> = {}): PresenceState {
  const o = { ...DEFAULT_PRESENCE_OPTIONS, ...options };
  const clients = new Map([...state.clients].filter(([, e]) => now - e.renewedAt < o.presenceTimeoutMs));
  const present = new Set([...clients.values()].map((e) => e.userId));
  const keep = Math.max(o.collisionWindowMs, o.activeWindowMs);
  const lastEdits = new Map([...state.lastEdits].filter(([user, e]) => present.has(user) || now - e.at <= keep));
  const blockEdits = new Map<number, ReadonlyMap<string, number>>();
  for (const [block, users] of state.blockEdits) {
    const live = new Map([...users].filter(([, at]) => now - at <= o.collisionWindowMs));
    if (live.size > 0) blockEdits.set(block, live);
  }
  const footprints = new Map<string, ReadonlyMap<string, Footprint>>();
  for (const [user, keys] of state.footprints) {
    const live = new Map([...keys].filter(([, f]) => now - f.at <= o.collisionWindowMs));
    if (live.size > 0) footprints.set(user, live);
  }
  return { clients, lastEdits, blockEdits, footprints };
}

/** One user's edit, from a document update (the adapter maps the changed items to blocks). */
export interface EditInput {
  userId: string;
  blocks: readonly number[];
  /** The same blocks' identities (CursorBlocks.headKey form), when the adapter knows them. */
  blockKeys?: readonly string[];
  at: number;
}

/**
 * Records an edit (it makes the user active for prediction) and reports the actual collisions it
 * completes: one hit per other user who edited one of the same blocks within `collisionWindowMs`.
 */
export function recordEdit(
  state: PresenceState,
  edit: EditInput,
  options: Partial<PresenceOptions> = {},
): { state: PresenceState; collisions: CollisionHit[] } {
  return recordEdits(state, [edit], options);
}

/**
 * recordEdit over several edits in order, with the same result as applying them one by one. The
 * service applies a tick's edits together: the state's maps are copied once per batch instead of
 * once per keystroke (with 50 writers in a document that copying was most of presence's cost).
 */
export function recordEdits(
  state: PresenceState,
  edits: readonly EditInput[],
  options: Partial<PresenceOptions> = {},
): { state: PresenceState; collisions: CollisionHit[] } {
  const { collisionWindowMs, footprintLeaveBlocks } = { ...DEFAULT_PRESENCE_OPTIONS, ...options };
  const valid = edits.filter((e) => typeof e.userId === 'string' && Number.isFinite(e.at));
  if (valid.length === 0) return { state, collisions: [] };
  const lastEdits = new Map(state.lastEdits);
  const blockEdits = new Map(state.blockEdits);
  let footprints: Map<string, ReadonlyMap<string, Footprint>> | undefined;
  // Inner maps copied in this batch may be changed in place; the others belong to `state`.
  const ownBlocks = new Set<number>();
  const ownFootprints = new Set<string>();
  const collisions: CollisionHit[] = [];
  for (const edit of valid) {
    const blocks = [...new Set(edit.blocks.filter((b) => Number.isInteger(b) && b >= 0))].sort((a, b) => a - b).slice(0, 64);
    lastEdits.set(edit.userId, { at: edit.at, blocks });
    for (const block of blocks) {
      const before = blockEdits.get(block);
      let users: Map<string, number>;
      if (ownBlocks.has(block)) users = before as Map<string, number>;
      else {
        users = new Map(before ?? []);
        ownBlocks.add(block);
        blockEdits.set(block, users);
      }
      for (const [other, at] of users) {
        if (edit.at - at > collisionWindowMs) users.delete(other);
        else if (other !== edit.userId) collisions.push({ users: pairOf(other, edit.userId).users, block, at: edit.at });
      }
      users.set(edit.userId, edit.at);
    }
    // blockKeys parallels the adapter's sorted, de-duplicated blocks; without a match in length
    // the keys are still recorded, at the edit's first block.
    const rawKeys = edit.blockKeys ?? [];
    const keys = rawKeys
      .map((k, i) => ({ k, block: rawKeys.length === edit.blocks.length ? edit.blocks[i]! : (blocks[0] ?? 0) }))
      .filter(({ k }) => typeof k === 'string' && k.length <= 64)
      .slice(0, 64);
    if (keys.length > 0) {
      footprints ??= new Map(state.footprints);
      let mine: Map<string, Footprint>;
      if (ownFootprints.has(edit.userId)) mine = footprints.get(edit.userId) as Map<string, Footprint>;
      else {
        mine = new Map(footprints.get(edit.userId) ?? []);
        ownFootprints.add(edit.userId);
        footprints.set(edit.userId, mine);
      }
      // A writer is where they now type: a block they typed in is dropped once they type
      // `footprintLeaveBlocks` (2) or more blocks away, and once it is older than the collision
      // window (so a writer typing for hours keeps a bounded footprint between expiries).
      const here = keys.map(({ block }) => block);
      for (const [k, f] of mine) {
        if (edit.at - f.at > collisionWindowMs || here.every((b) => Math.abs(b - f.block) >= footprintLeaveBlocks)) mine.delete(k);
      }
      for (const { k, block } of keys) mine.set(k, { at: edit.at, block });
    }
  }
  return { state: { ...state, lastEdits, blockEdits, footprints: footprints ?? state.footprints }, collisions };
}

/** What a presence listing shows about one client. */
export interface PresenceView {
  clientId: number;
  userId: string;
  canEdit: boolean;
  /** The head's block (where the caret is), null without a valid caret. */
  block: number | null;
  /** Time since the user last typed or selected (or since joining), in ms. */
  idleMs: number;
}

/** Who is present, where their caret is and how long they have been idle, ordered by client id. */
export function presenceView(state: PresenceState, now: number): PresenceView[] {
  return [...state.clients.values()]
    .sort((a, b) => a.clientId - b.clientId)
    .map((e) => ({
      clientId: e.clientId,
      userId: e.userId,
      canEdit: e.canEdit,
      block: e.blocks?.headBlock ?? null,
      idleMs: Math.max(0, now - (lastActivityAt(state, e) ?? e.joinedAt)),
    }));
}

/**
 * Types, defaults and input parsing of the presence and conflict model (docs/conflict-prediction.md
 * explains the numbers). Everything from awareness is untrusted: parsers return null or a default
 * and never throw.
 */
import type { CursorBlocks } from './cursor-block.js';

export type EditMode = 'typing' | 'selecting' | 'idle';
export type Severity = 'high' | 'medium';

/** Blocks visible in the client's editor (set by the client SDK), inclusive. */
export interface Viewport {
  fromBlock: number;
  toBlock: number;
}

/** One connected client (one browser tab) of a document. */
export interface PresenceEntry {
  readonly clientId: number;
  readonly userId: string;
  readonly canEdit: boolean;
  readonly joinedAt: number;
  /** Last awareness message: presence expires 15 min after it. */
  readonly renewedAt: number;
  /** The resolved caret, null when the client sent none or garbage. */
  readonly blocks: CursorBlocks | null;
  /** When the caret entered its current block range (unchanged since); null without a caret. */
  readonly blocksSince: number | null;
  /** The caret's block range before its last change, to tell which way it moved. */
  readonly previousBlocks: CursorBlocks | null;
  /** The raw cursor JSON of the last message, to notice selection changes (bounded in size). */
  readonly cursorKey: string | null;
  readonly editMode: EditMode | null;
  readonly typingVelocity: number | null;
  readonly viewport: Viewport | null;
  /** Last evidence from awareness that the writer typed or selected. */
  readonly activeAt: number | null;
}

/** Last edit of a user from document updates. */
export interface UserEdit {
  readonly at: number;
  readonly blocks: readonly number[];
}

/** Pure presence state of one document. Treat as immutable: every operation returns a new one. */
export interface PresenceState {
  readonly clients: ReadonlyMap<number, PresenceEntry>;
  readonly lastEdits: ReadonlyMap<string, UserEdit>;
  /** block -> user -> time of that user's last edit there, pruned to the collision window. */
  readonly blockEdits: ReadonlyMap<number, ReadonlyMap<string, number>>;
  /**
   * user -> block key (CursorBlocks.headKey) -> their last edit there (time, and the block's
   * index then), pruned to the collision window and dropped once the writer types two or more
   * blocks away: where each writer just typed, by identity, for prediction.
   */
  readonly footprints: ReadonlyMap<string, ReadonlyMap<string, Footprint>>;
}

/** A writer's last edit of one block: when, and the block's index at that time. */
export interface Footprint {
  readonly at: number;
  readonly block: number;
}

/** Two writers' edits in the same block within the collision window: the ground truth. */
export interface CollisionHit {
  /** Sorted user ids. */
  readonly users: readonly [string, string];
  readonly block: number;
  readonly at: number;
}

/** A live conflict warning between two users (pair key = sorted user ids). */
export interface Warning {
  readonly key: string;
  readonly users: readonly [string, string];
  readonly severity: Severity;
  /**
   * Where the two writers overlap (sorted, at most 64): the shared blocks at distance 0, the two
   * facing blocks when adjacent.
   */
  readonly blocks: readonly number[];
  readonly raisedAt: number;
  /** Last time the keep condition held; the warning clears `clearAfterMs` after it. */
  readonly lastSeenAt: number;
  /**
   * Since when the two writers are known to be apart (both placed, two or more blocks between
   * them, no shared footprint); the warning clears `partClearMs` after it. Null while they are not.
   */
  readonly apartSince?: number | null;
}

/** Thresholds of the model; see DEFAULT_PRESENCE_OPTIONS for the reasoning behind each value. */
export interface PresenceOptions {
  /** N: a writer counts for prediction only if they typed or selected within this window. */
  activeWindowMs: number;
  /** Largest block distance that raises a warning (0: same block only, 1: adjacent too). */
  raiseDistance: number;
  /**
   * A caret counts only after it stayed in its block range this long (or while its writer types):
   * a caret travelling by arrow keys or scrolling past a paragraph is not a writer there.
   */
  settleMs: number;
  /** The blocks a writer edited this recently count as where they are, as well as the caret. */
  footprintMs: number;
  /**
   * A block leaves a writer's footprint once they type this many blocks away from it: a writer is
   * where they now type, not where they typed ten seconds ago (Infinity: footprints only age).
   */
  footprintLeaveBlocks: number;
  /**
   * An adjacent (medium) warning is raised only when one writer's caret moved toward the other
   * and has counted (settled) for at most this long; 0 raises on adjacency alone. Once raised it
   * is kept on adjacency alone.
   */
  approachMs: number;
  /**
   * A warning whose writers are not known to be apart (one went quiet, a caret is unresolved)
   * clears only after its keep condition has been false this long: a pause or a hop to the next
   * paragraph and back must not flap it.
   */
  clearAfterMs: number;
  /**
   * A warning whose writers have parted (two or more blocks apart, and the footprint of the one
   * who moved dropped because they typed in the new place) clears after this long: leaving is
   * not flapping, and a banner about a writer seven paragraphs away teaches people to ignore it.
   */
  partClearMs: number;
  /** Two edits of one block by two users this close are an actual collision. */
  collisionWindowMs: number;
  /** Presence is dropped without an awareness renewal for this long. */
  presenceTimeoutMs: number;
  /** Awareness states larger than this (approximate JSON bytes) are dropped. */
  maxAwarenessBytes: number;
}

/**
 * Defaults, from the tuning seeds of bench/conflict-eval.ts (evaluated on separate seeds; numbers
 * in docs/conflict-prediction.md). activeWindowMs = 7 s and clearAfterMs = 10 s were the most
 * precise setting meeting the recall target there (a 10 s clear outlasts a pause between
 * sentences, so a warning does not flap while both stay put). partClearMs = 0 (of 0, 1, 2 s) was
 * the most precise setting that also clears within 2 s (p50) / 5 s (p95) of parting: leaving is
 * not flapping, and a hop to the next paragraph and back is still held by the keep condition
 * (distance <= 1). footprintLeaveBlocks = 2: typing in the next paragraph is still "here". settleMs = 300 ms
 * is one or two awareness messages at TipTap's 5 Hz. footprintMs = the collision window: an
 * older edit cannot be half of a collision. raiseDistance = 1 keeps the medium
 * (adjacent) warnings, gated by approachMs because neighbours who stay put rarely collide; they
 * are advisory: the target is met by the high ones. presenceTimeoutMs = 15 min is from the
 * issue; y-protocols renews awareness every 15 s, so a live client never expires.
 * 8 KiB is about ten times a TipTap state with a user name, colour and caret.
 */
export const DEFAULT_PRESENCE_OPTIONS: Readonly<PresenceOptions> = Object.freeze({
  activeWindowMs: 7_000,
  raiseDistance: 1,
  settleMs: 300,
  footprintMs: 10_000,
  footprintLeaveBlocks: 2,
  approachMs: 1_000,
  clearAfterMs: 10_000,
  partClearMs: 0,
  collisionWindowMs: 10_000,
  presenceTimeoutMs: 15 * 60_000,
  maxAwarenessBytes: 8 * 1024,
});

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function blockNumber(value: unknown): number | null {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 1e9 ? (value as number) : null;
}

/** `editMode` from an awareness state, null unless one of the three known values. */
export function parseEditMode(state: Record<string, unknown>): EditMode | null {
  const mode = state.editMode;
  return mode === 'typing' || mode === 'selecting' || mode === 'idle' ? mode : null;
}

/** `viewport: {fromBlock, toBlock}`, null unless two ordered non-negative integers. */
export function parseViewport(state: Record<string, unknown>): Viewport | null {
  const vp = state.viewport;
  if (!isRecord(vp)) return null;
  const from = blockNumber(vp.fromBlock);
  const to = blockNumber(vp.toBlock);
  return from !== null && to !== null && from <= to ? { fromBlock: from, toBlock: to } : null;
}

/** `typingVelocity` (characters per second by convention), null unless finite and >= 0. */
export function parseTypingVelocity(state: Record<string, unknown>): number | null {
  const v = state.typingVelocity;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e6 ? v : null;
}

/**
 * Whether the JSON size of `value` exceeds `limit` bytes (approximately: string lengths in UTF-16
 * units plus punctuation). Stops as soon as the limit is passed, so a huge state costs O(limit),
 * not O(size). Every node costs budget, so a cyclic value runs out of it and counts as oversized;
 * functions, symbols and bigints (not JSON) count as oversized too.
 */
export function exceedsJsonSize(value: unknown, limit: number): boolean {
  let budget = limit;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') budget -= v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) budget -= 8;
    else if (typeof v === 'object') {
      if (Array.isArray(v)) {
        budget -= 2 + v.length;
        if (budget < 0) return true;
        for (const x of v) stack.push(x);
      } else {
        const keys = Object.keys(v);
        budget -= 2 + keys.length;
        if (budget < 0) return true;
        for (const k of keys) {
          budget -= k.length + 3;
          stack.push((v as Record<string, unknown>)[k]);
        }
      }
    } else return true; // functions, symbols, bigints: not JSON
    if (budget < 0) return true;
  }
  return false;
}

/** Sorted pair and its key; the key is stable whichever user comes first. */
export function pairOf(a: string, b: string): { key: string; users: readonly [string, string] } {
  const users: [string, string] = a < b ? [a, b] : [b, a];
  return { key: JSON.stringify(users), users };
}

/** Time of the user's last activity through this client: awareness evidence or any edit. */
export function lastActivityAt(state: PresenceState, entry: PresenceEntry): number | null {
  const edit = state.lastEdits.get(entry.userId)?.at ?? null;
  if (edit === null) return entry.activeAt;
  return entry.activeAt === null ? edit : Math.max(edit, entry.activeAt);
}

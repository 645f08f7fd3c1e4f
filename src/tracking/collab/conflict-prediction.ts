/**
 * Conflict prediction over a document's presence state, with hysteresis.
 *
 * Raise: two different users who may edit and were active (typed or selected) within
 * `activeWindowMs` are at block distance 0 (same block, overlapping selections, or a caret in a
 * block the other just edited: high), or 1 (adjacent: medium) with one caret moving toward the
 * other. Keep: a raised warning stays while the pair is within `raiseDistance`. Clear: once the
 * writers have parted (two or more blocks apart with no shared footprint; a writer's footprint
 * drops once they type elsewhere) for `partClearMs`; otherwise (one went quiet, a caret is
 * unknown) after the keep condition has been false for `clearAfterMs`, so a caret hopping to the
 * next paragraph and back, or a pause, does not flap it. At once when either user has no client.
 */
import type { CursorBlocks } from './cursor-block.js';
import {
  DEFAULT_PRESENCE_OPTIONS,
  lastActivityAt,
  pairOf,
  type PresenceEntry,
  type PresenceOptions,
  type PresenceState,
  type Severity,
  type Warning,
} from './presence-types.js';

export interface PredictResult {
  /** Every live warning after this tick (pass it back as `previous` next time). */
  warnings: Warning[];
  /** Raised in this tick, or escalated from medium to high: emit collaboration.conflict_predicted. */
  predicted: Warning[];
  /** Cleared in this tick: emit collaboration.conflict_cleared. */
  cleared: Warning[];
}

/**
 * Whether a document's prediction is due: at most one recompute per `minIntervalMs` (500 ms =
 * 2 Hz), whatever the awareness message rate. `lastAt` null means never computed.
 */
export function shouldRecompute(lastAt: number | null, now: number, minIntervalMs = 500): boolean {
  return lastAt === null || now - lastAt >= minIntervalMs || now < lastAt;
}

interface Range {
  lo: number;
  hi: number;
}

/** Block distance between two caret ranges: 0 when they overlap. */
function distance(a: Range, b: Range): number {
  return Math.max(0, Math.max(a.lo, b.lo) - Math.min(a.hi, b.hi));
}

function rangeOf(blocks: CursorBlocks): Range {
  return { lo: Math.min(blocks.anchorBlock, blocks.headBlock), hi: Math.max(blocks.anchorBlock, blocks.headBlock) };
}

/** The caret's range if it counts: settled (or typing) and, unless typing, inside the viewport. */
function caretOf(entry: PresenceEntry, now: number, o: PresenceOptions): Range | null {
  if (entry.blocks === null) return null;
  const r = rangeOf(entry.blocks);
  const typing = entry.editMode === 'typing';
  const vp = entry.viewport;
  // A caret scrolled out of the client's own viewport: the writer is reading elsewhere.
  if (vp !== null && !typing && (r.hi < vp.fromBlock || r.lo > vp.toBlock)) return null;
  const settled = typing || entry.blocksSince === null || now - entry.blocksSince >= o.settleMs;
  return settled ? r : null;
}

interface Writer {
  userId: string;
  /** Where the writer is by index: the counted caret (without one, the last edit's blocks). */
  places: Range[];
  /** Identities of the counted caret's blocks, with the caret's block index. */
  caretKeys: string[];
  caretBlock: number | null;
  /** Identities of the blocks the user edited within `footprintMs` -> the block's index then. */
  footprint: ReadonlyMap<string, number>;
  /** The caret when it moved within `approachMs`, and where it came from. */
  move: { from: Range; to: Range } | null;
  /** Indexes of the blocks of the user's last edit (to name the blocks of a by-identity match). */
  editBlocks: readonly number[];
}

function footprintOf(state: PresenceState, userId: string, now: number, o: PresenceOptions): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, f] of state.footprints.get(userId) ?? []) if (now - f.at <= o.footprintMs) out.set(key, f.block);
  return out;
}

/**
 * Where a client's writer is, for prediction: the settled caret, and the blocks the user edited
 * within `footprintMs` (by identity: two writers' edits of one block within the collision window
 * are the collision, even when the first writer's caret has moved on or pressed Enter); without
 * a caret, the blocks of the last edit.
 */
function writerOf(state: PresenceState, entry: PresenceEntry, now: number, o: PresenceOptions): Writer | null {
  const caret = caretOf(entry, now, o);
  const places = caret !== null ? [caret] : [];
  if (entry.blocks === null) {
    const edit = state.lastEdits.get(entry.userId);
    if (edit !== undefined && edit.blocks.length > 0) places.push({ lo: Math.min(...edit.blocks), hi: Math.max(...edit.blocks) });
  }
  const caretKeys = caret === null ? [] : [entry.blocks?.anchorKey, entry.blocks?.headKey].filter((k): k is string => k !== undefined);
  const footprint = footprintOf(state, entry.userId, now, o);
  if (places.length === 0 && footprint.size === 0) return null;
  // The window opens when the caret starts to count (settled), so every recompute tick sees it.
  const recent = entry.blocksSince !== null && now - entry.blocksSince <= o.settleMs + o.approachMs;
  const move = caret !== null && recent && entry.previousBlocks !== null ? { from: rangeOf(entry.previousBlocks), to: caret } : null;
  const caretBlock = caret === null || entry.blocks === null ? null : entry.blocks.headBlock;
  return { userId: entry.userId, places, caretKeys, caretBlock, footprint, move, editBlocks: state.lastEdits.get(entry.userId)?.blocks ?? [] };
}

/**
 * Where the two writers are in one block by identity (a caret where the other just typed, or
 * both typed there): the indexes of those blocks, empty when there is none.
 */
function sharedBlocksByKey(a: Writer, b: Writer): number[] {
  const out = new Set<number>();
  for (const [w, other] of [[a, b], [b, a]] as const) {
    for (const k of w.caretKeys) {
      const block = other.footprint.get(k);
      if (block !== undefined) out.add(w.caretBlock ?? block);
    }
  }
  for (const [k, block] of a.footprint) if (b.footprint.has(k)) out.add(block);
  return [...out].sort((x, y) => x - y);
}

function gap(a: readonly Range[], b: readonly Range[]): { d: number; a: Range | null; b: Range | null } {
  let best: { d: number; a: Range | null; b: Range | null } = { d: Infinity, a: null, b: null };
  for (const x of a) for (const y of b) {
    const d = distance(x, y);
    if (d < best.d) best = { d, a: x, b: y };
  }
  return best;
}

/** Whether `w`'s last caret move brought it closer to `other` (the trajectory, not just adjacency). */
function approaching(w: Writer, other: Writer): boolean {
  if (w.move === null) return false;
  return gap([w.move.from], other.places).d > gap([w.move.to], other.places).d;
}

interface Candidate {
  key: string;
  users: readonly [string, string];
  severity: Severity;
  blocks: number[];
  /** Strong enough to raise a new warning (not only to keep one). */
  raises: boolean;
}

/**
 * Where the closest pair of places meets: the shared blocks when they overlap, the two facing
 * blocks when adjacent; undefined when there is no pair of places.
 */
function blocksOf(a: Range | null, b: Range | null): number[] | undefined {
  if (a === null || b === null) return undefined;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  if (lo <= hi) {
    const out: number[] = [];
    for (let i = lo; i <= hi && out.length < 64; i++) out.push(i);
    return out;
  }
  // Apart: the facing ends (hi of the lower range, lo of the upper one).
  return a.hi < b.lo ? [a.hi, b.lo] : [b.hi, a.lo];
}

/**
 * A by-identity match (a caret where the other just typed, before the caret settled) has no
 * pair of places to name: name the blocks either writer is at or last edited.
 */
function matchedBlocks(a: Writer, b: Writer): number[] {
  const out = new Set<number>();
  for (const w of [a, b]) {
    for (const r of w.places) for (let i = r.lo; i <= r.hi && out.size < 64; i++) out.add(i);
    for (const i of w.editBlocks) if (out.size < 64) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * Pairs whose keep condition holds now (distance <= raiseDistance), with the closest pair of
 * their clients, and whether they may raise: distance 0 always; adjacency only when one writer
 * is moving toward the other (`approachMs`), since neighbours who stay put rarely collide.
 */
function candidates(state: PresenceState, now: number, o: PresenceOptions): Map<string, Candidate> {
  const writers: Writer[] = [];
  for (const entry of state.clients.values()) {
    if (!entry.canEdit) continue;
    const active = lastActivityAt(state, entry);
    if (active === null || now - active > o.activeWindowMs) continue;
    const w = writerOf(state, entry, now, o);
    if (w !== null) writers.push(w);
  }
  const out = new Map<string, Candidate>();
  for (let i = 0; i < writers.length; i++) {
    for (let j = i + 1; j < writers.length; j++) {
      const a = writers[i]!;
      const b = writers[j]!;
      if (a.userId === b.userId) continue; // one writer in two tabs is not a conflict
      const g = gap(a.places, b.places);
      const shared = sharedBlocksByKey(a, b);
      const byKey = shared.length > 0 && g.d > 0;
      if (shared.length > 0) g.d = 0;
      if (g.d > o.raiseDistance) continue;
      const severity: Severity = g.d === 0 ? 'high' : 'medium';
      const raises = g.d === 0 || o.approachMs <= 0 || approaching(a, b) || approaching(b, a);
      const { key, users } = pairOf(a.userId, b.userId);
      const prev = out.get(key);
      if (prev === undefined || (prev.severity === 'medium' && severity === 'high') || (prev.severity === severity && raises && !prev.raises)) {
        const blocks = byKey ? shared : (blocksOf(g.a, g.b) ?? matchedBlocks(a, b));
        out.set(key, { key, users, severity, blocks, raises });
      }
    }
  }
  return out;
}

/**
 * Whether two users are known to be apart now: each has at least one client that may edit with
 * a place (counted caret or, without one, last edit), the least distance between them is two or
 * more blocks and no footprint of one is where the other is. Activity does not matter here: a
 * writer who stopped typing after moving away has still moved away.
 */
function apart(state: PresenceState, users: readonly [string, string], now: number, o: PresenceOptions): boolean {
  const byUser = new Map<string, Writer[]>([[users[0], []], [users[1], []]]);
  for (const entry of state.clients.values()) {
    const list = byUser.get(entry.userId);
    if (list === undefined || !entry.canEdit) continue;
    const w = writerOf(state, entry, now, o);
    if (w !== null) list.push(w);
  }
  const as = byUser.get(users[0])!;
  const bs = byUser.get(users[1])!;
  if (as.length === 0 || bs.length === 0) return false;
  for (const a of as) {
    for (const b of bs) {
      if (a.places.length === 0 || b.places.length === 0) return false;
      if (gap(a.places, b.places).d < Math.max(2, o.raiseDistance + 1)) return false;
      if (sharedBlocksByKey(a, b).length > 0) return false;
    }
  }
  return true;
}

/**
 * One prediction tick for a document. `previous` is the `warnings` of the last tick (empty at
 * first). Pure: the same inputs give the same result.
 */
export function predict(
  state: PresenceState,
  now: number,
  previous: readonly Warning[],
  options: Partial<PresenceOptions> = {},
): PredictResult {
  const o = { ...DEFAULT_PRESENCE_OPTIONS, ...options };
  const current = candidates(state, now, o);
  const present = new Set([...state.clients.values()].map((e) => e.userId));
  const warnings: Warning[] = [];
  const predicted: Warning[] = [];
  const cleared: Warning[] = [];
  const seen = new Set<string>();
  for (const w of previous) {
    seen.add(w.key);
    const c = current.get(w.key);
    if (c !== undefined) {
      const escalated = w.severity === 'medium' && c.severity === 'high';
      const next: Warning = { ...w, severity: escalated ? 'high' : w.severity, blocks: c.blocks, lastSeenAt: now, apartSince: null };
      warnings.push(next);
      if (escalated) predicted.push(next);
    } else if (!present.has(w.users[0]) || !present.has(w.users[1]) || now - w.lastSeenAt >= o.clearAfterMs) {
      cleared.push(w);
    } else if (apart(state, w.users, now, o)) {
      const apartSince = w.apartSince ?? now;
      if (now - apartSince >= o.partClearMs) cleared.push(w);
      else warnings.push(w.apartSince === apartSince ? w : { ...w, apartSince });
    } else {
      warnings.push(w.apartSince == null ? w : { ...w, apartSince: null });
    }
  }
  for (const c of current.values()) {
    if (seen.has(c.key) || !c.raises) continue;
    const w: Warning = { ...c, raisedAt: now, lastSeenAt: now };
    warnings.push(w);
    predicted.push(w);
  }
  return { warnings, predicted, cleared };
}

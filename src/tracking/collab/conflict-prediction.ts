/**
 * Conflict prediction over a document's presence state, with hysteresis.
 *
 * Raise: two different users who may edit and were active (typed or selected) within
 * `activeWindowMs` have carets at block distance <= `raiseDistance`; distance 0 (same block or
 * overlapping selections) is high, 1 (adjacent blocks) medium.
 * Keep: a raised warning stays until its raise condition has been false for `clearAfterMs`, so a
 * caret hopping to the next paragraph and back, or a pause of a second, does not flap it. It
 * clears at once when either user has no client left (nobody to warn).
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

/**
 * Where a client's writer is, for prediction: the caret; without a caret, the blocks of the
 * user's last edit. A caret scrolled out of the client's own viewport is not where the writer is
 * looking (they are reading elsewhere) unless they are typing.
 */
function placeOf(state: PresenceState, entry: PresenceEntry): Range | null {
  if (entry.blocks !== null) {
    const r = rangeOf(entry.blocks);
    const vp = entry.viewport;
    if (vp !== null && entry.editMode !== 'typing' && (r.hi < vp.fromBlock || r.lo > vp.toBlock)) return null;
    return r;
  }
  const edit = state.lastEdits.get(entry.userId);
  if (edit === undefined || edit.blocks.length === 0) return null;
  return { lo: Math.min(...edit.blocks), hi: Math.max(...edit.blocks) };
}

interface Candidate {
  key: string;
  users: readonly [string, string];
  severity: Severity;
  blocks: number[];
}

function blocksOf(a: Range, b: Range): number[] {
  const out = new Set<number>();
  for (const r of [a, b]) for (let i = r.lo; i <= r.hi && out.size < 64; i++) out.add(i);
  return [...out].sort((x, y) => x - y);
}

/** Pairs whose raise condition holds now, with the closest pair of their clients. */
function candidates(state: PresenceState, now: number, o: PresenceOptions): Map<string, Candidate> {
  const writers: { userId: string; range: Range }[] = [];
  for (const entry of state.clients.values()) {
    if (!entry.canEdit) continue;
    const active = lastActivityAt(state, entry);
    if (active === null || now - active > o.activeWindowMs) continue;
    const range = placeOf(state, entry);
    if (range !== null) writers.push({ userId: entry.userId, range });
  }
  const out = new Map<string, Candidate>();
  for (let i = 0; i < writers.length; i++) {
    for (let j = i + 1; j < writers.length; j++) {
      const a = writers[i]!;
      const b = writers[j]!;
      if (a.userId === b.userId) continue; // one writer in two tabs is not a conflict
      const d = distance(a.range, b.range);
      if (d > o.raiseDistance) continue;
      const severity: Severity = d === 0 ? 'high' : 'medium';
      const { key, users } = pairOf(a.userId, b.userId);
      const prev = out.get(key);
      if (prev === undefined || (prev.severity === 'medium' && severity === 'high')) {
        out.set(key, { key, users, severity, blocks: blocksOf(a.range, b.range) });
      }
    }
  }
  return out;
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
      const next: Warning = { ...w, severity: escalated ? 'high' : w.severity, blocks: c.blocks, lastSeenAt: now };
      warnings.push(next);
      if (escalated) predicted.push(next);
    } else if (!present.has(w.users[0]) || !present.has(w.users[1]) || now - w.lastSeenAt >= o.clearAfterMs) {
      cleared.push(w);
    } else {
      warnings.push(w);
    }
  }
  for (const c of current.values()) {
    if (seen.has(c.key)) continue;
    const w: Warning = { ...c, raisedAt: now, lastSeenAt: now };
    warnings.push(w);
    predicted.push(w);
  }
  return { warnings, predicted, cleared };
}

/**
 * Contributions per collaborator (share of the surviving text) and team metrics per project or
 * document. Pure: the document is only read, the metrics are computed from rows the adapter
 * stored.
 */
import * as Y from 'yjs';
import type { CollisionHit } from './presence-types.js';

/** Surviving characters of one user and their share of all surviving characters (0..1). */
export interface SurvivingShare {
  chars: number;
  share: number;
}

/**
 * Counts the visible characters of every `Y.XmlText` under the fragment by the user who typed
 * them. Yjs items carry the client id that created them; `clientToUser` is the map the adapter
 * built as updates arrived (client id -> authenticated user). Characters of client ids not in the
 * map count as 'unknown' (content from before tracking, or from a snapshot import). Formatting
 * marks, embeds and attributes are not text and are not counted. Deleted content never counts,
 * so this is "who wrote what is there now", not "who typed the most".
 *
 * Cost: one walk over the fragment's items (O(items), not O(characters)).
 */
export function survivingShare(doc: Y.Doc, clientToUser: ReadonlyMap<number, string>, fragmentName = 'default'): Record<string, SurvivingShare> {
  const chars = new Map<string, number>();
  if (doc.share.has(fragmentName)) {
    let fragment: Y.XmlFragment | null = null;
    try {
      fragment = doc.getXmlFragment(fragmentName);
    } catch {
      fragment = null; // defined as another type
    }
    if (fragment !== null) {
      // Iterative walk: nesting depth is the document's, but no recursion limit to worry about.
      const stack: Y.AbstractType<unknown>[] = [fragment as Y.AbstractType<unknown>];
      while (stack.length > 0) {
        const type = stack.pop()!;
        for (let item = type._start; item !== null; item = item.right) {
          if (item.deleted) continue;
          const content = item.content;
          if (content instanceof Y.ContentString) {
            const user = clientToUser.get(item.id.client) ?? 'unknown';
            chars.set(user, (chars.get(user) ?? 0) + content.str.length);
          } else if (content instanceof Y.ContentType) {
            stack.push(content.type as Y.AbstractType<unknown>);
          }
        }
      }
    }
  }
  let total = 0;
  for (const n of chars.values()) total += n;
  const out: Record<string, SurvivingShare> = {};
  for (const [user, n] of [...chars].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[user] = { chars: n, share: total === 0 ? 0 : n / total };
  }
  return out;
}

/** One user active (edited) in one minute, as the adapter stores it. */
export interface ActivityRow {
  userId: string;
  /** Start of the minute, ms since the epoch (any multiple of 60 000). */
  minute: number;
  projectId?: string;
  documentId?: string;
}

/** A collision episode: hits of one pair no more than the gap apart. */
export interface CollisionEpisode {
  users: readonly [string, string];
  blocks: number[];
  startAt: number;
  endAt: number;
  hits: number;
}

/**
 * Groups collision hits into episodes per pair: a new episode starts when the pair's previous hit
 * is more than `gapMs` (default 10 s, the collision window) before. Hits need not be sorted.
 */
export function collisionEpisodes(hits: readonly CollisionHit[], gapMs = 10_000): CollisionEpisode[] {
  const sorted = [...hits].sort((a, b) => a.at - b.at);
  const open = new Map<string, CollisionEpisode>();
  const out: CollisionEpisode[] = [];
  for (const h of sorted) {
    const key = JSON.stringify(h.users);
    const ep = open.get(key);
    if (ep !== undefined && h.at - ep.endAt <= gapMs) {
      ep.endAt = h.at;
      ep.hits++;
      if (!ep.blocks.includes(h.block)) ep.blocks.push(h.block);
      continue;
    }
    const next: CollisionEpisode = { users: h.users, blocks: [h.block], startAt: h.at, endAt: h.at, hits: 1 };
    open.set(key, next);
    out.push(next);
  }
  return out;
}

/** Team metrics of one project or document. */
export interface TeamMetrics {
  /** Distinct users with at least one active minute. */
  activeWriters: number;
  /** Minutes in which at least two distinct users were active. */
  concurrentMinutes: number;
  conflictsPredicted: number;
  /** Collision episodes. */
  actualCollisions: number;
  /** Distinct minutes touched by a collision episode (start to end, inclusive). */
  collisionMinutes: number;
  /** 1 − collisionMinutes / concurrentMinutes, clamped to [0, 1]; null without concurrent minutes. */
  efficiency: number | null;
}

const MINUTE = 60_000;

/**
 * Team metrics from per-minute activity rows, collision episodes and the number of conflict
 * warnings raised, all already filtered to one scope (see teamMetricsBy). Collision minutes are
 * counted as distinct minute buckets so two pairs colliding in the same minute count once, the
 * same unit as concurrent minutes.
 */
export function teamMetrics(rows: readonly ActivityRow[], collisions: readonly CollisionEpisode[], conflictsPredicted: number): TeamMetrics {
  const usersByMinute = new Map<number, Set<string>>();
  const writers = new Set<string>();
  for (const r of rows) {
    const m = Math.floor(r.minute / MINUTE);
    writers.add(r.userId);
    const set = usersByMinute.get(m) ?? new Set<string>();
    set.add(r.userId);
    usersByMinute.set(m, set);
  }
  let concurrentMinutes = 0;
  for (const users of usersByMinute.values()) if (users.size >= 2) concurrentMinutes++;
  const collisionBuckets = new Set<number>();
  for (const c of collisions) {
    for (let m = Math.floor(c.startAt / MINUTE); m <= Math.floor(c.endAt / MINUTE); m++) collisionBuckets.add(m);
  }
  const collisionMinutes = collisionBuckets.size;
  const efficiency = concurrentMinutes === 0 ? null : Math.min(1, Math.max(0, 1 - collisionMinutes / concurrentMinutes));
  return {
    activeWriters: writers.size,
    concurrentMinutes,
    conflictsPredicted,
    actualCollisions: collisions.length,
    collisionMinutes,
    efficiency,
  };
}

/**
 * Team metrics per project or per document: rows grouped by `projectId` or `documentId` (rows
 * without one are skipped); collisions and conflict counts are looked up by the same id.
 */
export function teamMetricsBy(
  scope: 'projectId' | 'documentId',
  rows: readonly ActivityRow[],
  collisionsById: ReadonlyMap<string, readonly CollisionEpisode[]>,
  conflictsById: ReadonlyMap<string, number>,
): Map<string, TeamMetrics> {
  const groups = new Map<string, ActivityRow[]>();
  for (const r of rows) {
    const id = r[scope];
    if (id === undefined) continue;
    const list = groups.get(id) ?? [];
    list.push(r);
    groups.set(id, list);
  }
  const out = new Map<string, TeamMetrics>();
  for (const [id, list] of groups) out.set(id, teamMetrics(list, collisionsById.get(id) ?? [], conflictsById.get(id) ?? 0));
  return out;
}

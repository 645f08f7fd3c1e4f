/**
 * Which automatic versions to thin (docs/versions.md). Pure: the caller passes `now`.
 *
 * - Named versions are never dropped (they are not even candidates: any passed in are kept).
 * - Automatic versions younger than `keepAllMs` (a day): all kept.
 * - Older than that, younger than `hourlyMs` (a week): the newest of each UTC hour is kept.
 * - Older still: the newest of each UTC day is kept.
 * - Size-aware: if the automatic versions kept still weigh more than `maxAutoBytes`, the oldest
 *   go until they fit; the newest automatic version is always kept, whatever its size.
 *
 * Keeping the NEWEST of each bucket makes the policy stable over time: a version that survives
 * an hourly bucket and later falls into a daily one competes only with other survivors, so
 * applying the policy again (now or later) never needs a version it already dropped, and
 * applying it twice at the same moment drops nothing more (both properties are tested).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface RetentionPolicy {
  keepAllMs: number;
  hourlyMs: number;
  /** Budget for a document's automatic versions, in stored bytes. */
  maxAutoBytes: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepAllMs: DAY_MS, hourlyMs: 7 * DAY_MS, maxAutoBytes: 256 * 1024 * 1024 };

export interface RetentionCandidate {
  id: string;
  kind: 'named' | 'auto';
  /** Milliseconds since the epoch. */
  createdAt: number;
  size: number;
}

/** Newest first; equal times by id, descending (the list's order). */
const newestFirst = (a: RetentionCandidate, b: RetentionCandidate) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The ids of automatic versions to delete now. */
export function versionsToDrop(versions: readonly RetentionCandidate[], now: number, policy: RetentionPolicy = DEFAULT_RETENTION): string[] {
  const autos = versions.filter((v) => v.kind === 'auto').sort(newestFirst);
  const seen = new Set<string>();
  const kept: RetentionCandidate[] = [];
  const dropped: string[] = [];
  for (const version of autos) {
    const age = now - version.createdAt;
    const bucket = age < policy.keepAllMs ? null : age < policy.hourlyMs ? `h${Math.floor(version.createdAt / HOUR_MS)}` : `d${Math.floor(version.createdAt / DAY_MS)}`;
    if (bucket !== null && seen.has(bucket)) {
      dropped.push(version.id);
      continue;
    }
    if (bucket !== null) seen.add(bucket);
    kept.push(version);
  }
  let bytes = kept.reduce((sum, v) => sum + v.size, 0);
  // kept is newest first: drop from the end, never index 0.
  for (let i = kept.length - 1; i > 0 && bytes > policy.maxAutoBytes; i--) {
    bytes -= kept[i]!.size;
    dropped.push(kept[i]!.id);
  }
  return dropped;
}

/**
 * Pace: words over a sliding time window. Entries are the composed (not pasted) words of single
 * edits, sorted by time. A window `(t - width, t]` includes an entry at `at` iff
 * `t - width < at <= t`, so an entry leaves the window exactly at `at + width`.
 */
export interface PaceEntry {
  readonly at: number;
  readonly words: number;
}

const MINUTE = 60_000;

/** Words of entries with `from < at <= to`. */
export function wordsBetween(entries: readonly PaceEntry[], from: number, to: number): number {
  let sum = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.at <= from) break;
    if (e.at <= to) sum += e.words;
  }
  return sum;
}

/** Words per minute over the window of width `windowMs` ending at `at`. */
export function paceWpm(entries: readonly PaceEntry[], at: number, windowMs: number): number {
  return wordsBetween(entries, at - windowMs, at) / (windowMs / MINUTE);
}

/**
 * The first time `t >= from` at which the window ending at `t` holds fewer than `minWords`
 * words, assuming no entry is added after `from` (pace only decays between edits). `from` itself
 * when it already does. Entries after `from` must not exist.
 */
export function paceDropsBelowAt(
  entries: readonly PaceEntry[],
  from: number,
  windowMs: number,
  minWords: number,
): number {
  let kept = wordsBetween(entries, from - windowMs, from);
  if (kept < minWords) return from;
  // Walk the entries in the window oldest first; each leaves at its time + width.
  let i = entries.length - 1;
  while (i > 0 && entries[i - 1]!.at > from - windowMs) i--;
  for (; i < entries.length; i++) {
    const leaveAt = entries[i]!.at + windowMs;
    kept -= entries[i]!.words;
    // Entries with the same time leave together.
    while (i + 1 < entries.length && entries[i + 1]!.at + windowMs === leaveAt) kept -= entries[++i]!.words;
    if (kept < minWords) return leaveAt;
  }
  return from; // unreachable when minWords > 0: an empty window holds 0 words
}

/**
 * `entries` plus `words` at `at` (>= the last entry's time). With `bucketMs` 0 an edit joins the
 * last entry only at the same instant (traces with 1 s timestamps, bursts within a millisecond);
 * with a bucket, edits in the same bucket (floor(at / bucketMs)) share one entry dated by the
 * latest, which bounds the history's size whatever the edit rate. A joined entry leaves windows
 * less than one bucket later, never earlier, so rules about "too fast" stay conservative.
 */
export function appendEntry(entries: readonly PaceEntry[], at: number, words: number, bucketMs = 0): readonly PaceEntry[] {
  const last = entries[entries.length - 1];
  const same =
    last !== undefined && (bucketMs > 0 ? Math.floor(at / bucketMs) === Math.floor(last.at / bucketMs) : at === last.at);
  if (same) return [...entries.slice(0, -1), { at, words: last.words + words }];
  return [...entries, { at, words }];
}

/** The entries still needed at time `now` for windows reaching back `keepMs`. */
export function pruneEntries(entries: readonly PaceEntry[], now: number, keepMs: number): readonly PaceEntry[] {
  let i = 0;
  while (i < entries.length && entries[i]!.at <= now - keepMs) i++;
  return i === 0 ? entries : entries.slice(i);
}

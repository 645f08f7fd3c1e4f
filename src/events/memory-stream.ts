/**
 * One stream of the in-process bus (memory-bus.ts), as Redis keeps one: entries with
 * `<ms>-<seq>` ids, consumer groups with a cursor and a pending list, dead letters, and the
 * trimming rules. Kept apart from the bus so the bus file is about consumers, and this one about
 * what a stream holds and when an entry may go.
 */
import type { DeadLetter } from './bus.js';
import type { StoryloomEvent } from './schema.js';

export interface Entry {
  seq: number;
  id: string;
  at: number;
  data: string;
  /** The event as validated at publish: in-process deliveries skip parsing it again per group. */
  event: StoryloomEvent;
}

export interface PendingEntry {
  entry: Entry;
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}

export interface Group {
  nextSeq: number;
  pending: Map<string, PendingEntry>;
  consumers: Set<string>;
}

export interface Stream {
  /** Live entries are entries[start..]; the prefix is compacted away in bulk (amortised O(1) trim). */
  entries: Entry[];
  start: number;
  nextSeq: number;
  lastMs: number;
  lastCounter: number;
  lastId: string | null;
  groups: Map<string, Group>;
  dead: DeadLetter[];
  waiters: Set<() => void>;
}

export interface StreamLimits {
  maxLen: number | null;
  maxAgeMs: number | null;
  /** Entries every group has read are kept only up to this many. */
  keepConsumed: number;
}

export function createStream(): Stream {
  return { entries: [], start: 0, nextSeq: 0, lastMs: 0, lastCounter: 0, lastId: null, groups: new Map(), dead: [], waiters: new Set() };
}

export const streamLength = (stream: Stream): number => stream.entries.length - stream.start;
export const firstSeq = (stream: Stream): number => stream.entries[stream.start]?.seq ?? stream.nextSeq;

/** Drops what retention allows: past the length or age ceiling, or read by every group. */
export function trimStream(stream: Stream, limits: StreamLimits, now: number): void {
  const { maxLen, maxAgeMs, keepConsumed } = limits;
  while (maxLen !== null && streamLength(stream) > maxLen) stream.start++;
  while (maxAgeMs !== null && streamLength(stream) > 0 && stream.entries[stream.start]!.at < now - maxAgeMs) stream.start++;
  // Entries before every group's cursor were read by all (pending ones are held by their group).
  let readByAll = stream.nextSeq;
  for (const group of stream.groups.values()) readByAll = Math.min(readByAll, group.nextSeq);
  while (streamLength(stream) > keepConsumed && firstSeq(stream) < readByAll) stream.start++;
  // Trimmed entries stay referenced until the prefix is cut: at most max(64, live) of them.
  if (stream.start > 64 && stream.start * 2 > stream.entries.length) {
    stream.entries = stream.entries.slice(stream.start);
    stream.start = 0;
  }
}

/** Appends an entry with an id as Redis makes it: milliseconds, then a counter within the millisecond. */
export function appendEntry(stream: Stream, data: string, event: StoryloomEvent, now: number): void {
  if (now > stream.lastMs) {
    stream.lastMs = now;
    stream.lastCounter = 0;
  } else {
    stream.lastCounter++;
  }
  const id = `${stream.lastMs}-${stream.lastCounter}`;
  stream.entries.push({ seq: stream.nextSeq++, id, at: now, data, event });
  stream.lastId = id;
}

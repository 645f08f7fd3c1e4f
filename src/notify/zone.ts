import { zoneOffsetAt } from '../lib/time-zones.js';

/**
 * Wall-clock time in IANA zones for quiet hours and digests, on the shared zone offsets of
 * lib/time-zones.ts (Intl only, cached per zone and UTC day). Pure: callers pass the instant.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
}

/** The wall clock in `timeZone` at instant `at`. Throws a RangeError for an unknown zone. */
export function localTime(at: number, timeZone: string): LocalTime {
  const wall = new Date(at + zoneOffsetAt(at, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: wall.getUTCDay(),
  };
}

/** Minutes after local midnight at `at`. */
export function minuteOfDay(at: number, timeZone: string): number {
  const t = localTime(at, timeZone);
  return t.hour * 60 + t.minute;
}

function offsetAt(at: number, timeZone: string): number {
  return zoneOffsetAt(at, timeZone);
}

/**
 * The instant the local wall time `minutes` after midnight of the local date (y, m, d) occurs.
 * In a spring-forward gap (a 02:30 that never happens) it answers the wall time moved forward
 * by the gap (03:30), as Temporal's 'compatible' disambiguation does; in a fall-back overlap,
 * the first of the two.
 */
export function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day) + minutes * MINUTE;
  // The offsets 3 h either side of a first guess: a DST change moves the wall clock by an hour
  // at most, so one of them is the offset in force at the answer (checked below, earlier first).
  // Sampling around the wall time read as UTC instead misses it for +13:45 zones (Chatham).
  const guess = wall - offsetAt(wall, timeZone);
  const before = wall - offsetAt(guess - 3 * HOUR, timeZone);
  const after = wall - offsetAt(guess + 3 * HOUR, timeZone);
  const candidates = [Math.min(before, after), Math.max(before, after)];
  for (const c of candidates) {
    const t = localTime(c, timeZone);
    if (Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute) === wall) return c;
  }
  // In a gap: the earlier offset applied, which lands past the gap by its length.
  return candidates[1]!;
}

/** The first instant strictly after `at` whose local wall time is `minutes` after midnight (or just past a DST gap). */
export function nextLocalTime(at: number, minutes: number, timeZone: string): number {
  const t = localTime(at, timeZone);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    const d = new Date(Date.UTC(t.year, t.month - 1, t.day + dayOffset));
    const candidate = instantOf(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), minutes, timeZone);
    if (candidate > at) return candidate;
  }
  // Unreachable for real zones (a local time recurs every day); a day later is a safe answer.
  return at + DAY;
}

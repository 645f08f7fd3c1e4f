/**
 * IANA time zones, validated and named with Intl only (no tz database of our own). A leaf so
 * every layer that takes a zone from a user (writing goals, notification quiet hours, workflow
 * cron triggers) accepts and spells zones the same way; days and streaks are
 * tracking/calendar.ts.
 */
import { LRUCache } from 'lru-cache';
import { AppError } from './errors.js';

/** Longer than any IANA name; a bound on what anyone can make us look up. */
const MAX_ZONE_LENGTH = 64;

/** What Intl made of one spelling: the name to store, and the key its formatters are cached by. */
interface ZoneAnswer {
  /** The caller's spelling with ICU's case ("utc" -> "UTC"), kept otherwise ("Asia/Kolkata" stays). */
  stored: string;
  /** ICU's own name ("Asia/Calcutta" for "Asia/Kolkata"): spellings of one zone share formatters. */
  resolved: string;
}

/**
 * Answers by spelling, unknown spellings included (as `false`), since anyone can send one.
 * Building an Intl.DateTimeFormat costs ~0.5 ms, and every report validates its zone twice;
 * the LRU bound keeps a flood of distinct spellings from growing the process.
 */
const zoneAnswers = new LRUCache<string, ZoneAnswer | false>({ max: 1_000 });

function answerFor(timeZone: string): ZoneAnswer | null {
  if (timeZone.length === 0 || timeZone.length > MAX_ZONE_LENGTH) return null;
  let answer = zoneAnswers.get(timeZone);
  if (answer === undefined) {
    try {
      const resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
      answer = { stored: resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone, resolved };
    } catch {
      answer = false;
    }
    zoneAnswers.set(timeZone, answer);
  }
  return answer === false ? null : answer;
}

/**
 * The IANA name to store for a time zone the runtime knows, or null. The caller's spelling is
 * kept ("Asia/Kolkata" stays, though ICU resolves it to the legacy "Asia/Calcutta"); only a
 * difference in case is fixed ("utc" -> "UTC"). Intl is the validator; Postgres knows the same
 * zone database (and its zone lookups ignore case).
 */
export function canonicalTimeZone(timeZone: string): string | null {
  return answerFor(timeZone)?.stored ?? null;
}

/** `canonicalTimeZone`, or AppError 'validation-failed' naming the zone (for writes and queries). */
export function requireTimeZone(timeZone: string): string {
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === null) throw new AppError('validation-failed', `Unknown time zone: ${JSON.stringify(timeZone)}`, { field: 'timeZone', timeZone });
  return canonical;
}

/**
 * A zone that is safe to count days in: the zone when the runtime knows it, else UTC. For zones
 * read back from storage on the edit path, where a bad stored zone must not stop tracking.
 */
export function usableTimeZone(timeZone: string | null | undefined): string {
  return (timeZone === null || timeZone === undefined ? null : canonicalTimeZone(timeZone)) ?? 'UTC';
}

/** ICU's own name for a zone ("Asia/Calcutta" for "Asia/Kolkata"), or null: a key for caches. */
export function resolvedTimeZone(timeZone: string): string | null {
  return answerFor(timeZone)?.resolved ?? null;
}

// ---------------------------------------------------------------- offsets

const DAY_MS = 86_400_000;

/** Full wall-clock formatters by ICU's resolved name ("utc", "UTC" and "Etc/UTC" share one). */
const wallFormats = new LRUCache<string, Intl.DateTimeFormat>({ max: 500 });

function wallFormatOf(timeZone: string): Intl.DateTimeFormat {
  const zone = resolvedTimeZone(timeZone);
  if (zone === null) throw new RangeError(`Unknown time zone: ${JSON.stringify(timeZone)}`);
  let format = wallFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallFormats.set(zone, format);
  }
  return format;
}

/** The zone's offset from UTC at `at` in ms, straight from Intl (the slow path). */
function intlOffsetAt(at: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of wallFormatOf(timeZone).formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(at / 1000) * 1000;
}

/**
 * Offset of each zone per UTC day when it is the same at the day's first and last second (NaN:
 * a DST switch falls inside that day). formatToParts is most of the cost of wall-clock math and
 * a zone's offset changes on two days a year, so the other days answer from here. Bounded:
 * cleared when large.
 */
const dayOffsets = new Map<string, number>();

/**
 * Offset of `timeZone` from UTC at the instant `at`, in ms (Paris in winter: +3,600,000).
 * Throws a RangeError for a zone the runtime does not know.
 */
export function zoneOffsetAt(at: number, timeZone: string): number {
  const day = Math.floor(at / DAY_MS);
  const key = `${timeZone}|${day}`;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const start = intlOffsetAt(day * DAY_MS, timeZone);
    const end = intlOffsetAt(day * DAY_MS + DAY_MS - 1000, timeZone);
    offset = start === end ? start : Number.NaN;
    if (dayOffsets.size > 100_000) dayOffsets.clear();
    dayOffsets.set(key, offset);
  }
  return Number.isNaN(offset) ? intlOffsetAt(at, timeZone) : offset;
}

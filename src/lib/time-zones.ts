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

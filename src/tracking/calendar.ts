/**
 * Calendar days, IANA time zones and streaks: the one place for day/zone rules, pure (callers
 * pass the instant; no clock is read here) and with Intl only, no tz database of our own. Goal
 * days (services/writing), report ranges (api) and streaks (db reports) all count days with
 * these functions, so "which day was it for this writer" has one answer. The SQL side keeps its
 * own `coalesce(goal zone, preference zone, 'UTC')` because it must run inside a query; it
 * mirrors `writerZone` below.
 */
import { zoneOffsetAt } from '../lib/time-zones.js';

const DAY = 86_400_000;
const DASH = 45;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// ---------------------------------------------------------------- zones

/**
 * The zone a writer's days count in for a project: the goal's zone, else the writer's
 * preference, else UTC. (SQL mirrors it as `coalesce(g.time_zone, p.time_zone, 'UTC')`.)
 */
export function writerZone(goal: { timeZone: string } | null | undefined, preferences: { timeZone: string } | null | undefined): string {
  return goal?.timeZone ?? preferences?.timeZone ?? 'UTC';
}

// ---------------------------------------------------------------- days in a zone

/**
 * The calendar day (YYYY-MM-DD) that the instant `at` (ms since the epoch) falls on in
 * `timeZone`. Throws a RangeError for a zone the runtime does not know (pass stored zones
 * through `usableTimeZone` first).
 */
export function dayIn(timeZone: string, at: number): string {
  // The wall clock as a UTC date: its UTC calendar fields are the local ones.
  return new Date(at + zoneOffsetAt(at, timeZone)).toISOString().slice(0, 10);
}


/**
 * The instant local midnight starts `day` in `timeZone`. Two passes settle the offset when a
 * DST change falls between UTC midnight and local midnight.
 */
export function dayStart(day: string, timeZone: string): number {
  const utcMidnight = parseDayOrThrow(day);
  const guess = utcMidnight - zoneOffsetAt(utcMidnight, timeZone);
  return utcMidnight - zoneOffsetAt(guess, timeZone);
}

/** The instants [from, to) that `day` covers in `timeZone` (23 or 25 hours on a DST day). */
export function dayRange(day: string, timeZone: string): { from: number; to: number } {
  return { from: dayStart(day, timeZone), to: dayStart(addDays(day, 1), timeZone) };
}

// ---------------------------------------------------------------- calendar dates

/** Midnight UTC of a YYYY-MM-DD calendar date; null unless it is a real date ("2025-02-30" is not). */
export function parseDay(day: string): number | null {
  // Hand-parsed: reports parse thousands of days (a year of streak days per writer), and a
  // regex plus a Date round trip per day was most of their JavaScript time.
  if (day.length !== 10 || day.charCodeAt(4) !== DASH || day.charCodeAt(7) !== DASH) return null;
  const year = digits(day, 0, 4);
  const month = digits(day, 5, 7);
  const date = digits(day, 8, 10);
  // Date.UTC maps years 0-99 to 1900-1999: such a date never round-tripped, so it is not one.
  if (year < 100 || month < 1 || month > 12 || date < 1) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (date > (month === 2 ? (leap ? 29 : 28) : MONTH_DAYS[month - 1]!)) return null;
  return Date.UTC(year, month - 1, date);
}

function parseDayOrThrow(day: string): number {
  const ms = parseDay(day);
  if (ms === null) throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return ms;
}

/** The decimal number in day[from, to), or -1 unless every character is a digit. */
function digits(day: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = day.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `day` plus `n` calendar days (n may be negative). Throws a RangeError for an invalid `day`. */
export function addDays(day: string, n: number): string {
  return utcDay(parseDayOrThrow(day) + n * DAY);
}

/** The day after `day`. */
export function nextDay(day: string): string {
  return addDays(day, 1);
}

/** Calendar days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseDayOrThrow(to) - parseDayOrThrow(from)) / DAY);
}

// ---------------------------------------------------------------- streaks

export interface Streaks {
  currentStreak: number;
  longestStreak: number;
}

/**
 * Streaks over per-day net words. A day counts when its net words reach `dailyGoal`, or are
 * positive when there is no goal. `currentStreak` is the run of counting days ending at `toDay`;
 * when `toDay` has not ended yet (`today` is given and `toDay >= today`) and does not count
 * yet, the run ending the day before is current: a day in progress cannot break a streak.
 * `longestStreak` is the longest run among `days` up to `toDay`. Days after `toDay` and days
 * that are not calendar dates are ignored.
 */
export function computeStreaks(
  days: ReadonlyArray<{ day: string; wordsNet: number }>,
  toDay: string,
  dailyGoal: number | null,
  today: string | null = null,
): Streaks {
  const counts = (net: number) => (dailyGoal === null ? net > 0 : net >= dailyGoal);
  // Day numbers, not strings: a year of days per writer is walked with integer arithmetic.
  const last = parseDayOrThrow(toDay) / DAY;
  const counted = new Set<number>();
  for (const d of days) {
    const n = parseDay(d.day);
    if (n !== null && n / DAY <= last && counts(d.wordsNet)) counted.add(n / DAY);
  }
  let longestStreak = 0;
  for (const day of counted) {
    if (counted.has(day - 1)) continue; // not the start of a run
    let length = 1;
    while (counted.has(day + length)) length++;
    longestStreak = Math.max(longestStreak, length);
  }
  let end = last;
  if (!counted.has(end) && today !== null && toDay >= today) end -= 1;
  let currentStreak = 0;
  while (counted.has(end - currentStreak)) currentStreak++;
  return { currentStreak, longestStreak };
}

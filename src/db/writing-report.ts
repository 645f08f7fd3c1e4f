/**
 * Calendar-day arithmetic and streaks for the writing reports: pure functions over YYYY-MM-DD
 * strings, so the SQL side only has to group by day and the rules live (and are tested) here.
 */

const DAY = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight UTC of a YYYY-MM-DD calendar date; null unless it is a real date ("2025-02-30" is not). */
export function parseDay(day: string): number | null {
  const match = DAY_PATTERN.exec(day);
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, date);
  const back = new Date(ms);
  return back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === date ? ms : null;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `day` plus `n` calendar days (n may be negative). `day` must be valid. */
export function addDays(day: string, n: number): string {
  return dayOf(parseDay(day)! + n * DAY);
}

/** Calendar days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseDay(to)! - parseDay(from)!) / DAY);
}

/**
 * The IANA name to store for a time zone the runtime knows, or null. The caller's spelling is
 * kept ("Asia/Kolkata" stays, though ICU resolves it to the legacy "Asia/Calcutta"); only a
 * difference in case is fixed ("utc" -> "UTC"). Intl is the validator; Postgres knows the same
 * zone database (and its zone lookups ignore case).
 */
export function canonicalTimeZone(timeZone: string): string | null {
  if (timeZone.length === 0 || timeZone.length > 64) return null;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone;
  } catch {
    return null;
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date at `at` (ms since the epoch) in `timeZone`, as YYYY-MM-DD. */
export function dayIn(timeZone: string, at: number): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export interface Streaks {
  currentStreak: number;
  longestStreak: number;
}

/**
 * Streaks over per-day net words. A day counts when its net words reach `dailyGoal`, or are
 * positive when there is no goal. `currentStreak` is the run of counting days ending at `toDay`;
 * when `toDay` has not ended yet (`today` is given and `toDay >= today`) and does not count
 * yet, the run ending the day before is current: a day in progress cannot break a streak.
 * `longestStreak` is the longest run among `days` up to `toDay`. Days after `toDay` are ignored.
 */
export function computeStreaks(
  days: ReadonlyArray<{ day: string; wordsNet: number }>,
  toDay: string,
  dailyGoal: number | null,
  today: string | null = null,
): Streaks {
  const counts = (net: number) => (dailyGoal === null ? net > 0 : net >= dailyGoal);
  // Day numbers, not strings: a year of days per writer is walked with integer arithmetic.
  const last = parseDay(toDay)! / DAY;
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

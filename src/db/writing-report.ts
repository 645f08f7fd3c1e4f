/**
 * Calendar-day arithmetic and streaks for the writing reports: pure functions over YYYY-MM-DD
 * strings, so the SQL side only has to group by day and the rules live (and are tested) here.
 */

const DAY = 86_400_000;

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

const DASH = 45;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

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
  const cached = canonicalZones.get(timeZone);
  if (cached !== undefined) return cached;
  let canonical: string | null;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    canonical = resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone;
  } catch {
    canonical = null;
  }
  // Building an Intl.DateTimeFormat costs ~0.5 ms, and every report validates its zone twice.
  if (canonicalZones.size >= CANONICAL_ZONES_CACHED) canonicalZones.clear();
  canonicalZones.set(timeZone, canonical);
  return canonical;
}

/** Answers by spelling; bounded (unknown spellings are cached too, and anyone can send one). */
const canonicalZones = new Map<string, string | null>();
const CANONICAL_ZONES_CACHED = 1_000;

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

/**
 * Wall-clock time in IANA zones with Intl only (the same approach as src/tracking/calendar.ts,
 * which a domain module may not import). Pure: callers pass the instant.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    // Bounded: zones come from stored preferences, a few hundred at most in practice.
    if (formatters.size > 1_000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the zone. */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

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

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall clock in `timeZone` at instant `at` straight from Intl (the slow path). */
function intlLocalTime(at: number, timeZone: string): LocalTime {
  const p: Record<string, string> = {};
  for (const part of formatterOf(timeZone).formatToParts(at)) if (part.type !== 'literal') p[part.type] = part.value;
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
    weekday: WEEKDAYS[p.weekday!] ?? 0,
  };
}

/**
 * Offset of each zone per UTC day, when it is the same at the day's first and last millisecond
 * (NaN: a DST switch falls inside that day). Routing asks for the wall clock of one or two
 * instants per notification and Intl's formatToParts is most of its cost; a zone's offset
 * changes on two days a year, so the other days answer from here. Bounded: cleared when large.
 */
const dayOffsets = new Map<string, number>();

function cachedOffset(at: number, timeZone: string): number {
  const day = Math.floor(at / DAY);
  const key = `${timeZone}|${day}`;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const start = intlOffsetAt(day * DAY, timeZone);
    const end = intlOffsetAt(day * DAY + DAY - 1000, timeZone);
    offset = start === end ? start : Number.NaN;
    if (dayOffsets.size > 100_000) dayOffsets.clear();
    dayOffsets.set(key, offset);
  }
  return Number.isNaN(offset) ? intlOffsetAt(at, timeZone) : offset;
}

/** The wall clock in `timeZone` at instant `at`. Throws a RangeError for an unknown zone. */
export function localTime(at: number, timeZone: string): LocalTime {
  const wall = new Date(at + cachedOffset(at, timeZone));
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

function intlOffsetAt(at: number, timeZone: string): number {
  const t = intlLocalTime(at, timeZone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - Math.floor(at / 1000) * 1000;
}

function offsetAt(at: number, timeZone: string): number {
  return cachedOffset(at, timeZone);
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

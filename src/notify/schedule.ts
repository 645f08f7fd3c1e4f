/**
 * Quiet hours and digest times: when a delivery may go out, in the recipient's own zone.
 * Pure: every function takes the instant.
 */
import { parseTimeOfDay, type DigestCadence, type QuietHours } from './model.js';
import { localTime, minuteOfDay, nextLocalTime } from './zone.js';

/** Digests go out at this local hour (daily, and Mondays for weekly). */
export const DIGEST_HOUR = 9;
const HOUR = 3_600_000;

/**
 * When the quiet hours holding instant `at` end, or null when `at` is outside them. A window
 * whose start is after its end crosses midnight (22:00-08:00); start == end is no window.
 * Decided on the local wall clock, so a DST switch inside the window shortens or lengthens it
 * by the hour, as it does for the person sleeping through it.
 */
export function quietUntil(quiet: QuietHours | null, at: number): number | null {
  if (quiet === null) return null;
  const start = parseTimeOfDay(quiet.start);
  const end = parseTimeOfDay(quiet.end);
  if (start === null || end === null || start === end) return null;
  const inside = (instant: number) => {
    const minute = minuteOfDay(instant, quiet.timeZone);
    return start < end ? minute >= start && minute < end : minute >= start || minute < end;
  };
  if (!inside(at)) return null;
  // An end that falls in a spring-forward gap (02:00 on the night clocks jump to 03:00) answers
  // the wall time just past the gap; when that is itself inside the window (a window such as
  // 02:30-02:00), the quiet hours did not end that night: the next night's end is the answer.
  let until = nextLocalTime(at, end, quiet.timeZone);
  for (let night = 0; night < 2 && inside(until); night++) until = nextLocalTime(until, end, quiet.timeZone);
  return until;
}

/** The next digest time for `cadence` after `at` in `timeZone` (null for 'off'). */
export function nextDigestAt(cadence: DigestCadence, timeZone: string, at: number): number | null {
  switch (cadence) {
    case 'off':
      return null;
    case 'hourly': {
      // The next top of the local hour (zones with :30 and :45 offsets included).
      const t = localTime(at, timeZone);
      return at - ((t.minute * 60 + t.second) * 1000 + (at % 1000)) + HOUR;
    }
    case 'daily':
      return nextLocalTime(at, DIGEST_HOUR * 60, timeZone);
    case 'weekly': {
      let next = nextLocalTime(at, DIGEST_HOUR * 60, timeZone);
      // At most six more days to the next Monday.
      for (let i = 0; i < 7 && localTime(next, timeZone).weekday !== 1; i++) next = nextLocalTime(next, DIGEST_HOUR * 60, timeZone);
      return next;
    }
  }
}

/** `at`, or the end of the quiet hours holding it. */
export function outsideQuiet(quiet: QuietHours | null, at: number): number {
  return quietUntil(quiet, at) ?? at;
}

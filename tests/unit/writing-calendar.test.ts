import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import { canonicalTimeZone, requireTimeZone, usableTimeZone } from '../../src/lib/time-zones.js';
import {
  addDays,
  computeStreaks,
  dayIn,
  dayRange,
  daysBetween,
  dayStart,
  nextDay,
  parseDay,
  writerZone,
} from '../../src/tracking/calendar.js';

const HOUR = 3_600_000;
const utc = (iso: string) => Date.parse(iso);

describe('calendar: zones', () => {
  it('keeps the caller spelling, fixes only case, and rejects unknown zones', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('Mars/Olympus')).toBeNull();
    expect(canonicalTimeZone('')).toBeNull();
    expect(canonicalTimeZone('x'.repeat(65))).toBeNull();
  });

  it('requireTimeZone names the zone it refuses', () => {
    expect(requireTimeZone('america/new_york')).toBe('America/New_York');
    const error = (() => {
      try {
        requireTimeZone('Mars/Olympus');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation-failed');
    expect((error as AppError).message).toContain('Mars/Olympus');
  });

  it('counts stored zones it cannot read in UTC, and day keys refuse unknown zones clearly', () => {
    expect(usableTimeZone('Mars/Olympus')).toBe('UTC');
    expect(usableTimeZone(null)).toBe('UTC');
    expect(usableTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(() => dayIn('Mars/Olympus', 0)).toThrow(/Unknown time zone: "Mars\/Olympus"/);
  });

  it('spellings of one zone give the same days', () => {
    const at = utc('2026-03-29T22:30:00Z');
    expect(dayIn('europe/berlin', at)).toBe(dayIn('Europe/Berlin', at));
    expect(dayIn('Asia/Kolkata', at)).toBe(dayIn('Asia/Calcutta', at));
  });

  it("the writer's zone: the goal's, else the preference, else UTC", () => {
    expect(writerZone({ timeZone: 'Asia/Tokyo' }, { timeZone: 'Europe/Berlin' })).toBe('Asia/Tokyo');
    expect(writerZone(null, { timeZone: 'Europe/Berlin' })).toBe('Europe/Berlin');
    expect(writerZone(undefined, null)).toBe('UTC');
  });
});

describe('calendar: days in a zone', () => {
  it('Europe/Berlin spring forward (2026-03-29) is a 23-hour day', () => {
    const { from, to } = dayRange('2026-03-29', 'Europe/Berlin');
    expect(new Date(from).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(to).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(to - from).toBe(23 * HOUR);
    expect(dayIn('Europe/Berlin', to - 1)).toBe('2026-03-29');
    expect(dayIn('Europe/Berlin', to)).toBe('2026-03-30');
  });

  it('Europe/Berlin fall back (2026-10-25) is a 25-hour day', () => {
    const { from, to } = dayRange('2026-10-25', 'Europe/Berlin');
    expect(new Date(from).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(to - from).toBe(25 * HOUR);
  });

  it('America/New_York switches (2026-03-08, 2026-11-01)', () => {
    const spring = dayRange('2026-03-08', 'America/New_York');
    expect(new Date(spring.from).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(spring.to - spring.from).toBe(23 * HOUR);
    const fall = dayRange('2026-11-01', 'America/New_York');
    expect(new Date(fall.from).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(fall.to - fall.from).toBe(25 * HOUR);
    // 23:30 local on the fall-back day is already 04:30 UTC the next day.
    expect(dayIn('America/New_York', utc('2026-11-02T04:30:00Z'))).toBe('2026-11-01');
  });

  it('dayStart is the first instant of its own day', () => {
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Australia/Lord_Howe']) {
      for (const day of ['2026-01-01', '2026-03-08', '2026-03-29', '2026-04-05', '2026-10-04', '2026-10-25', '2026-11-01']) {
        const start = dayStart(day, zone);
        expect(dayIn(zone, start), `${zone} ${day}`).toBe(day);
        expect(dayIn(zone, start - 1), `${zone} ${day}`).toBe(addDays(day, -1));
      }
    }
  });

  it('day keys never go backwards in time (property)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Kiritimati'];
    const from = utc('2025-12-01T00:00:00Z');
    const to = utc('2027-01-31T00:00:00Z');
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: from, max: to }), fc.integer({ min: 0, max: 3 * 86_400_000 }), (zone, a, gap) => {
        const first = dayIn(zone, a);
        const second = dayIn(zone, a + gap);
        expect(second >= first).toBe(true);
        // And the day a key names really contains the instant.
        const { from: start, to: end } = dayRange(first, zone);
        expect(a >= start && a < end).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('calendar: dates and streaks', () => {
  it('parses only real calendar dates', () => {
    expect(parseDay('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDay('2025-02-29')).toBeNull();
    expect(parseDay('2025-13-01')).toBeNull();
    expect(parseDay('0099-01-01')).toBeNull();
    expect(parseDay('2025-1-01')).toBeNull();
  });

  it('adds and counts days across month and year ends', () => {
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(nextDay('2026-03-28')).toBe('2026-03-29');
    expect(daysBetween('2025-12-30', '2026-01-02')).toBe(3);
    expect(() => addDays('2025-02-30', 1)).toThrow(RangeError);
  });

  it('streaks: goal days, a day in progress does not break the current run', () => {
    const days = [
      { day: '2026-03-01', wordsNet: 600 },
      { day: '2026-03-02', wordsNet: 500 },
      { day: '2026-03-03', wordsNet: 100 },
      { day: '2026-03-04', wordsNet: 700 },
      { day: '2026-03-05', wordsNet: 900 },
      { day: '2026-03-06', wordsNet: 10 },
    ];
    expect(computeStreaks(days, '2026-03-05', 500)).toEqual({ currentStreak: 2, longestStreak: 2 });
    expect(computeStreaks(days, '2026-03-06', 500)).toEqual({ currentStreak: 0, longestStreak: 2 });
    expect(computeStreaks(days, '2026-03-06', 500, '2026-03-06')).toEqual({ currentStreak: 2, longestStreak: 2 });
    expect(computeStreaks(days, '2026-03-06', null)).toEqual({ currentStreak: 6, longestStreak: 6 });
    expect(computeStreaks([{ day: 'nope', wordsNet: 1 }], '2026-03-06', null)).toEqual({ currentStreak: 0, longestStreak: 0 });
  });
});

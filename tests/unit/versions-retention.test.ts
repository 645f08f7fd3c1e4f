/**
 * The retention policy of automatic versions (services/versions/retention.ts, docs/versions.md),
 * with a fake clock: examples for each band, and properties over random histories.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_RETENTION, HOUR_MS, versionsToDrop, type RetentionCandidate } from '../../src/services/versions/retention.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const auto = (id: string, agoMs: number, size = 100): RetentionCandidate => ({ id, kind: 'auto', createdAt: NOW - agoMs, size });
const named = (id: string, agoMs: number, size = 100): RetentionCandidate => ({ id, kind: 'named', createdAt: NOW - agoMs, size });
const kept = (all: RetentionCandidate[], now = NOW, policy = DEFAULT_RETENTION) => {
  const drop = new Set(versionsToDrop(all, now, policy));
  return all.filter((v) => !drop.has(v.id)).map((v) => v.id);
};

describe('versions retention', () => {
  it('keeps every automatic version of the last day', () => {
    const all = Array.from({ length: 50 }, (_, i) => auto(`a${i}`, i * 60_000));
    expect(kept(all)).toHaveLength(50);
  });

  it('keeps the newest automatic version of each hour for a week, then of each day', () => {
    // 12:00 now; two versions in the 09:00 hour three days ago, two on one day ten days ago.
    const all = [auto('h-new', 3 * DAY_MS + 2.5 * HOUR_MS), auto('h-old', 3 * DAY_MS + 2.9 * HOUR_MS), auto('d-new', 10 * DAY_MS), auto('d-old', 10 * DAY_MS + 5 * HOUR_MS)];
    expect(kept(all)).toEqual(['h-new', 'd-new']);
  });

  it('never drops a named version, however old or many', () => {
    const all = [named('n1', 30 * DAY_MS), named('n2', 30 * DAY_MS + 1), auto('a1', 30 * DAY_MS + 2), auto('a2', 30 * DAY_MS + 3)];
    expect(kept(all)).toEqual(['n1', 'n2', 'a1']);
  });

  it('drops the oldest automatic versions over the byte budget, but never the newest one', () => {
    const policy = { ...DEFAULT_RETENTION, maxAutoBytes: 250 };
    const all = [auto('a0', 0), auto('a1', 1000), auto('a2', 2000), named('n', 3000, 10_000)];
    expect(kept(all, NOW, policy)).toEqual(['a0', 'a1', 'n']);
    expect(kept([auto('huge', 0, 10_000)], NOW, policy)).toEqual(['huge']);
  });

  const history = fc.array(
    fc.record({ kind: fc.constantFrom('named' as const, 'auto' as const), agoMs: fc.integer({ min: 0, max: 60 * DAY_MS }), size: fc.integer({ min: 1, max: 1000 }) }),
    { maxLength: 200 },
  );
  const build = (h: { kind: 'named' | 'auto'; agoMs: number; size: number }[]) => h.map((x, i) => ({ id: `v${String(i).padStart(4, '0')}`, kind: x.kind, createdAt: NOW - x.agoMs, size: x.size }));

  it('property: named versions and the last day are never dropped; at most one per hour, then per day', () => {
    fc.assert(
      fc.property(history, (h) => {
        const all = build(h);
        const drop = new Set(versionsToDrop(all, NOW));
        for (const v of all) {
          if (v.kind === 'named') expect(drop.has(v.id)).toBe(false);
          if (v.kind === 'auto' && NOW - v.createdAt < DAY_MS) expect(drop.has(v.id)).toBe(false);
        }
        const buckets = new Map<string, number>();
        for (const v of all.filter((x) => x.kind === 'auto' && !drop.has(x.id) && NOW - x.createdAt >= DAY_MS)) {
          const key = NOW - v.createdAt < 7 * DAY_MS ? `h${Math.floor(v.createdAt / HOUR_MS)}` : `d${Math.floor(v.createdAt / DAY_MS)}`;
          buckets.set(key, (buckets.get(key) ?? 0) + 1);
        }
        for (const n of buckets.values()) expect(n).toBe(1);
      }),
    );
  });

  it('property: idempotent now, and stable later (a later pass never wants back what an earlier one dropped)', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 0, max: 30 * DAY_MS }), (h, laterMs) => {
        const all = build(h);
        const drop = new Set(versionsToDrop(all, NOW));
        const survivors = all.filter((v) => !drop.has(v.id));
        expect(versionsToDrop(survivors, NOW)).toEqual([]);
        // Applying at NOW then later equals applying only later: no version is needed back.
        const later = NOW + laterMs;
        const direct = new Set(versionsToDrop(all, later));
        const dropLater = new Set(versionsToDrop(survivors, later));
        expect(survivors.filter((v) => !dropLater.has(v.id)).map((v) => v.id)).toEqual(all.filter((v) => !direct.has(v.id)).map((v) => v.id));
      }),
    );
  });
});

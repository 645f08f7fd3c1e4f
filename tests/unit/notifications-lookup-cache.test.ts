import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.js';
import { createLookupCache } from '../../src/services/notifications/lookup-cache.js';

/**
 * The rules consumer's lookup cache (src/services/notifications/lookup-cache.ts): answers from
 * the source, absent keys stay absent, a write's invalidation is seen by the next lookup, an
 * answer loaded across an invalidation is not kept, and entries expire after the TTL.
 */
function source() {
  const rows = new Map<string, string>([['a', 'A1']]);
  const loads: string[][] = [];
  let gate: Promise<void> | undefined;
  return {
    rows,
    loads,
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
    async load(keys: readonly string[]) {
      loads.push([...keys]);
      const snapshot = new Map(keys.flatMap((k) => (rows.has(k) ? [[k, rows.get(k)!] as const] : [])));
      await gate;
      return snapshot;
    },
  };
}

describe('notifications lookup cache', () => {
  it('loads only missing keys, caches absent ones, and sees an invalidated write at once', async () => {
    const clock = createManualClock(1_000);
    const src = source();
    const cache = createLookupCache({ load: (k) => src.load(k), clock, ttlMs: 10_000 });
    expect(await cache.getMany(['a', 'b', 'a'])).toEqual(new Map([['a', 'A1']]));
    expect(await cache.getMany(['a', 'b'])).toEqual(new Map([['a', 'A1']]));
    expect(src.loads).toEqual([['a', 'b']]);
    src.rows.set('b', 'B1');
    src.rows.set('a', 'A2');
    cache.invalidate(['b']);
    expect(await cache.getMany(['a', 'b'])).toEqual(new Map([['a', 'A1'], ['b', 'B1']]));
    expect(src.loads).toEqual([['a', 'b'], ['b']]);
    // Not invalidated (a write through another instance): seen once the entry is ttlMs old.
    clock.advance(10_000);
    expect(await cache.getMany(['a'])).toEqual(new Map([['a', 'A2']]));
  });

  it('does not keep an answer loaded while an invalidation happened', async () => {
    const clock = createManualClock(0);
    const src = source();
    const cache = createLookupCache({ load: (k) => src.load(k), clock, ttlMs: 10_000 });
    const release = src.hold();
    const inFlight = cache.getMany(['a']);
    src.rows.set('a', 'A2');
    cache.invalidate(['a']);
    release();
    expect(await inFlight).toEqual(new Map([['a', 'A1']]));
    expect(await cache.getMany(['a'])).toEqual(new Map([['a', 'A2']]));
    expect(src.loads).toEqual([['a'], ['a']]);
  });

  it('with ttlMs 0 every lookup goes to the source', async () => {
    const src = source();
    const cache = createLookupCache({ load: (k) => src.load(k), clock: createManualClock(0), ttlMs: 0 });
    await cache.getMany(['a']);
    await cache.getMany(['a']);
    expect(src.loads).toEqual([['a'], ['a']]);
  });
});

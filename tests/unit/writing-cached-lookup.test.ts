import { describe, expect, it } from 'vitest';
import { createCachedLookup } from '../../src/services/writing/cached-lookup.js';

describe('writing cached lookup', () => {
  it('answers synchronously while fresh, shares one load per miss, reloads after the TTL', async () => {
    let t = 1_000;
    let loads = 0;
    let answer: string | null = 'a';
    const lookup = createCachedLookup<string | null>({
      load: async () => {
        loads++;
        return answer;
      },
      ttlMs: 100,
      fallback: (_k, _e, last) => last ?? null,
      now: () => t,
    });
    const first = lookup.get('k');
    expect(first).toBeInstanceOf(Promise);
    expect(lookup.get('k')).toBe(first); // concurrent misses share the load
    expect(await first).toBe('a');
    expect(lookup.get('k')).toBe('a');
    answer = null;
    t += 99;
    expect(lookup.get('k')).toBe('a');
    t += 2;
    expect(await lookup.get('k')).toBeNull(); // null is cached like any answer
    expect(lookup.get('k')).toBeNull();
    expect(loads).toBe(2);
    lookup.invalidate('k');
    await lookup.get('k');
    expect(loads).toBe(3);
  });

  it('a failed load returns the fallback with the last value, even an expired one, and is not cached', async () => {
    let t = 5_000;
    let fail = false;
    let loads = 0;
    const lookup = createCachedLookup<boolean>({
      load: async () => {
        loads++;
        if (fail) throw new Error('down');
        return false;
      },
      ttlMs: 10,
      fallback: (_k, _e, last) => last ?? true,
      now: () => t,
    });
    expect(await lookup.get('fresh-fail')).toBe(false);
    fail = true;
    t += 50;
    expect(await lookup.get('fresh-fail')).toBe(false); // the expired last value
    expect(await lookup.get('never-loaded')).toBe(true); // the safe default
    fail = false;
    expect(await lookup.get('never-loaded')).toBe(false); // the failure was not cached
    expect(loads).toBe(4);
  });
});

import { describe, expect, it } from 'vitest';
import { createBatchLoader } from '../../src/lib/batch-loader.js';
import { createCachedLookup } from '../../src/services/writing/cached-lookup.js';

describe('batch loader', () => {
  it('serves the calls of one turn with one run, one place per key, each caller its own answer', async () => {
    const runs: string[][] = [];
    const loader = createBatchLoader<string, string>({
      keyOf: (k) => k,
      run: async (keys) => {
        runs.push([...keys]);
        return keys.map((k) => k.toUpperCase());
      },
    });
    const answers = await Promise.all(['a', 'b', 'a', 'c'].map((k) => loader.load(k)));
    expect(answers).toEqual(['A', 'B', 'A', 'C']);
    expect(runs).toEqual([['a', 'b', 'c']]);
    // A later turn is a new batch.
    expect(await loader.load('d')).toBe('D');
    expect(runs).toHaveLength(2);
  });

  it('splits a turn larger than maxBatch; with a delay it also groups calls of later turns', async () => {
    const runs: number[][] = [];
    const loader = createBatchLoader<number, number>({
      maxBatch: 2,
      delayMs: 20,
      run: async (items) => {
        runs.push([...items]);
        return items.map((i) => i * 10);
      },
    });
    const first = [loader.load(1), loader.load(2)];
    await new Promise((resolve) => setImmediate(resolve));
    const later = loader.load(3);
    expect(await Promise.all([...first, later])).toEqual([10, 20, 30]);
    expect(runs).toEqual([[1, 2], [3]]);
  });

  it('one batch in flight at a time: calls arriving meanwhile go together in the next one', async () => {
    const runs: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = createBatchLoader<number, number>({
      run: async (items) => {
        runs.push([...items]);
        if (runs.length === 1) await gate;
        return items.map((i) => -i);
      },
    });
    const first = loader.load(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([[1]]);
    const during = [2, 3, 4].map((i) => loader.load(i));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs).toEqual([[1]]); // waiting for the first
    release();
    expect(await Promise.all([first, ...during])).toEqual([-1, -2, -3, -4]);
    expect(runs).toEqual([[1], [2, 3, 4]]);
  });

  it('the last item of a key is what runs (a newer row of one record), and all its callers settle', async () => {
    const ran: { id: string; v: number }[][] = [];
    const loader = createBatchLoader<{ id: string; v: number }, void>({
      keyOf: (row) => row.id,
      run: async (rows) => {
        ran.push([...rows]);
        return rows.map(() => undefined);
      },
    });
    await Promise.all([loader.load({ id: 'x', v: 1 }), loader.load({ id: 'y', v: 1 }), loader.load({ id: 'x', v: 2 })]);
    expect(ran).toEqual([[{ id: 'x', v: 2 }, { id: 'y', v: 1 }]]);
  });

  it('a failed batch rejects every caller; with retrySingly each item is run alone and fails alone', async () => {
    const plain = createBatchLoader<string, string>({
      run: async () => {
        throw new Error('down');
      },
    });
    const failed = await Promise.allSettled([plain.load('a'), plain.load('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);

    const runs: string[][] = [];
    const isolating = createBatchLoader<string, string>({
      retrySingly: true,
      run: async (items) => {
        runs.push([...items]);
        if (items.includes('bad')) throw new Error('bad row');
        return items.map((i) => `${i}!`);
      },
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((i) => isolating.load(i)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual(['a!', 'rejected', 'c!']);
    expect(runs).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('a run answering with the wrong number of results fails its callers', async () => {
    const loader = createBatchLoader<string, string>({ run: async () => [] });
    await expect(loader.load('a')).rejects.toThrow(/0 results for 1 items/);
  });
});

describe('cached lookup over a batch loader', () => {
  it('concurrent misses of different keys are one load; fresh values stay synchronous', async () => {
    const runs: string[][] = [];
    const batch = createBatchLoader<string, number | null>({
      keyOf: (k) => k,
      run: async (keys) => {
        runs.push([...keys]);
        return keys.map((k) => (k === 'none' ? null : k.length));
      },
    });
    const lookup = createCachedLookup<number | null>({ load: (k) => batch.load(k), ttlMs: 1_000, fallback: (_k, _e, last) => last ?? null, now: () => 0 });
    const misses = ['ab', 'abc', 'none', 'ab'].map((k) => lookup.get(k));
    expect(await Promise.all(misses)).toEqual([2, 3, null, 2]);
    expect(runs).toEqual([['ab', 'abc', 'none']]);
    expect(lookup.get('abc')).toBe(3);
    expect(lookup.get('none')).toBeNull();
  });

  it('a failed batch falls back per key: the last known value, else the safe default; nothing cached', async () => {
    let t = 0;
    let fail = false;
    let runs = 0;
    const batch = createBatchLoader<string, boolean>({
      keyOf: (k) => k,
      run: async (keys) => {
        runs++;
        if (fail) throw new Error('down');
        return keys.map(() => false);
      },
    });
    const lookup = createCachedLookup<boolean>({ load: (k) => batch.load(k), ttlMs: 10, fallback: (_k, _e, last) => last ?? true, now: () => t });
    expect(await lookup.get('known')).toBe(false);
    fail = true;
    t += 50;
    expect(await Promise.all([lookup.get('known'), lookup.get('unknown')])).toEqual([false, true]);
    expect(runs).toBe(2); // both misses were one failed batch
    fail = false;
    expect(await Promise.all([lookup.get('known'), lookup.get('unknown')])).toEqual([false, false]);
    expect(runs).toBe(3);
  });
});

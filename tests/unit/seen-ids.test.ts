import { describe, expect, it } from 'vitest';
import { SeenIds } from '../../src/events/seen-ids.js';
import { uuidv7 } from '../../src/lib/ids.js';

/**
 * The consumers' dedupe window (src/events/seen-ids.ts): exact, FIFO by count, O(1). Our UUIDs
 * live in typed arrays with a hash table that deletes by backward shift, so the table is checked
 * against a plain reference window through a long churn, where a wrong shift would lose or keep
 * an id.
 */
class ReferenceWindow {
  private readonly order: string[] = [];
  constructor(private readonly size: number) {}
  has(id: string): boolean {
    return this.order.includes(id);
  }
  add(id: string): void {
    if (this.has(id)) return;
    this.order.push(id);
    if (this.order.length > this.size) this.order.shift();
  }
}

describe('SeenIds', () => {
  it('remembers the last `size` ids and forgets the older ones', () => {
    const seen = new SeenIds(3);
    const ids = [uuidv7(1), uuidv7(1), uuidv7(2), uuidv7(3)];
    ids.forEach((id) => seen.add(id));
    expect(seen.has(ids[0]!)).toBe(false);
    expect(ids.slice(1).every((id) => seen.has(id))).toBe(true);
    expect(seen.has(uuidv7(1))).toBe(false);
  });

  it('adding an id already there does not take a place in the window', () => {
    const seen = new SeenIds(2);
    const [a, b] = [uuidv7(), uuidv7()];
    seen.add(a);
    seen.add(b);
    seen.add(b);
    expect(seen.has(a)).toBe(true);
  });

  it('keeps ids that are not lowercase UUIDs exactly, and an upper-case UUID distinct from its lowercase form', () => {
    const seen = new SeenIds(10);
    const ulid = '01JEP1V6Z8Q3M4N5P6R7S8T9VW';
    const lower = uuidv7();
    seen.add(ulid);
    seen.add(lower.toUpperCase());
    seen.add('e-1');
    expect(seen.has(ulid)).toBe(true);
    expect(seen.has('e-1')).toBe(true);
    expect(seen.has(lower.toUpperCase())).toBe(true);
    expect(seen.has(lower)).toBe(false);
    seen.add(lower);
    expect(seen.has(lower)).toBe(true);
    // Near misses of the UUID form are other ids, not parse errors.
    expect(seen.has(lower.replace(/-/g, '_'))).toBe(false);
    expect(seen.has(`${lower.slice(0, 35)}g`)).toBe(false);
  });

  it('agrees with a reference window through a long churn of ids, repeats included', () => {
    const size = 257;
    const seen = new SeenIds(size);
    const reference = new ReferenceWindow(size);
    const recent: string[] = [];
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20_000; i++) {
      // Many ids of one millisecond (alike high words), and repeats from anywhere in the recent past.
      const id = recent.length > 0 && random() < 0.3 ? recent[Math.floor(random() * recent.length)]! : uuidv7(Math.floor(i / 50));
      recent.push(id);
      if (recent.length > size * 2) recent.shift();
      expect(seen.has(id)).toBe(reference.has(id));
      seen.add(id);
      reference.add(id);
      if (i % 97 === 0) for (const r of recent) expect(seen.has(r)).toBe(reference.has(r));
    }
  });

  it('stays O(1): a full window of the default size turns over in microseconds per id', () => {
    const seen = new SeenIds(20_000);
    const ids = Array.from({ length: 200_000 }, (_, i) => uuidv7(i));
    const started = performance.now();
    for (const id of ids) {
      if (!seen.has(id)) seen.add(id);
    }
    const perIdUs = ((performance.now() - started) * 1000) / ids.length;
    // ~0.3 µs here; the bound leaves room for a loaded CI machine, not for a scan of the window.
    expect(perIdUs).toBeLessThan(10);
    expect(seen.has(ids.at(-1)!)).toBe(true);
    expect(seen.has(ids.at(-20_001)!)).toBe(false);
  });
});

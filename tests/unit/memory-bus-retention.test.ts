import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventBus } from '../../src/events/bus.js';
import { createMemoryBus } from '../../src/events/memory-bus.js';
import { createEvent } from '../../src/events/schema.js';

/**
 * The in-process bus keeps an entry only while some group has not read it, plus a short history
 * of read ones: it used to keep every event up to the Redis-sized retention (250,000 per busy
 * category), and the heap grew with every edit ever made (tests/faults/load-leaks.fault.ts).
 */
const ACTOR = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const words = (n: number) => createEvent('writing.words_written', { actor: ACTOR, projectId: 'p1', documentId: 'd1', payload: { sessionId: 's1', added: n, removed: 0, net: n } });

describe('memory bus: read entries are not retained', () => {
  const buses: EventBus[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });

  it('keeps only keepConsumed entries once every group has read them', async () => {
    const bus = createMemoryBus({ keepConsumed: 10 });
    buses.push(bus);
    const seen: string[] = [];
    bus.subscribe({ group: 'g1', categories: ['writing'], handle: async (event) => void seen.push(event.id) });
    bus.subscribe({ group: 'g2', categories: ['writing'], handle: async () => {} });
    for (let i = 0; i < 300; i++) await bus.publish(words(i));
    await vi.waitFor(async () => {
      expect(seen).toHaveLength(300);
      const info = await bus.info('writing');
      expect(info.groups.every((g) => g.lag === 0 && g.pending === 0)).toBe(true);
      expect(info.length).toBe(10);
    });
  });

  it('keeps what a group has not read yet, up to the retention ceiling', async () => {
    const bus = createMemoryBus({ keepConsumed: 10, batchSize: 1, retention: { writing: { maxLen: 200 } } });
    buses.push(bus);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    // A stalled consumer: its first batch waits, so everything after it stays unread.
    bus.subscribe({
      group: 'slow',
      categories: ['writing'],
      handle: async (event) => {
        await gate;
        seen.push(event.id);
      },
    });
    for (let i = 0; i < 150; i++) await bus.publish(words(i));
    expect((await bus.info('writing')).length).toBeGreaterThanOrEqual(140);
    release();
    await vi.waitFor(() => expect(seen).toHaveLength(150));
    await vi.waitFor(async () => expect((await bus.info('writing')).length).toBe(10));
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConsumerSpec, EventBus, Subscription } from '../../src/events/bus.js';
import type { BusCommonOptions } from '../../src/events/bus-options.js';
import { createEvent, type EventCategory, type StoryloomEvent } from '../../src/events/schema.js';
import { isAppError } from '../../src/lib/errors.js';
import { uniqueName } from '../helpers/services.js';

/**
 * Options every bus under the contract must be opened with: short timings so takeovers and
 * retries happen within a test, and a tiny exactly-trimmed analytics stream for the retention test.
 */
export const CONTRACT_BUS_OPTIONS = {
  claimIdleMs: 400,
  blockMs: 200,
  retryDelayMs: { base: 20, max: 100 },
  drainTimeoutMs: 300,
  exactTrim: true,
  retention: { analytics: { maxLen: 5 } },
} satisfies Partial<BusCommonOptions>;

export interface OpenedBus {
  bus: EventBus;
  /** Closes everything `open` and `reopen` created and removes what they stored. */
  cleanup(): Promise<void>;
  /** Another instance on the same storage (another process, for Redis); absent: the same bus serves as the other member. */
  reopen?: () => Promise<EventBus>;
}

const ACTOR = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const WAIT = { timeout: 8_000, interval: 20 };

const wordsWritten = (n: number, sessionId = 's1') =>
  createEvent('writing.words_written', { actor: ACTOR, projectId: 'p1', documentId: 'd1', payload: { sessionId, added: n, removed: 0, net: n } });

/** The EventBus contract (bus.ts), run once per implementation with CONTRACT_BUS_OPTIONS. */
export function eventBusContract(name: string, open: () => Promise<OpenedBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    let opened: OpenedBus | undefined;
    let subscriptions: Subscription[] = [];
    const bus = () => opened!.bus;

    /** Subscribes and waits until the group exists; stopped after the test. */
    const subscribe = async (spec: Partial<ConsumerSpec> & Pick<ConsumerSpec, 'handle'>, on: EventBus = bus()) => {
      const subscription = on.subscribe({ group: uniqueName('g'), categories: ['writing'], ...spec });
      subscriptions.push(subscription);
      await subscription.ready;
      return subscription;
    };
    const collector = () => {
      const seen: StoryloomEvent[] = [];
      return { seen, handle: async (event: StoryloomEvent) => void seen.push(event) };
    };
    /**
     * A batch handler whose first call waits until `release()`. Given the opener event alone (see
     * publishBehind), everything published while it waits is in the stream at the next read, so it
     * arrives as one batch on both buses. `fail` decides which calls throw.
     */
    const batchRecorder = (fail: (events: StoryloomEvent[]) => boolean = () => false) => {
      const calls: StoryloomEvent[][] = [];
      const succeeded: StoryloomEvent[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handleBatch = async (events: StoryloomEvent[]) => {
        calls.push(events);
        if (calls.length === 1) await gate;
        if (fail(events)) throw new Error('batch insert failed');
        succeeded.push(...events);
      };
      return { calls, succeeded, release: () => release(), handleBatch };
    };
    /** Publishes `opener`, then `events` while the opener's batch is held, then lets the consumer go on. */
    const publishBehind = async (recorder: ReturnType<typeof batchRecorder>, opener: StoryloomEvent, events: StoryloomEvent[]) => {
      await bus().publish(opener);
      await vi.waitFor(() => expect(recorder.calls).toHaveLength(1), WAIT);
      for (const event of events) await bus().publish(event);
      await bus().flush();
      recorder.release();
    };
    const ids = (events: StoryloomEvent[]) => events.map((e) => e.id);
    const pendingOf = async (category: EventCategory, group: string) => (await bus().info(category)).groups.find((g) => g.name === group)?.pending;
    const expectAppError = async (promise: Promise<unknown>, code: string) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAppError(error), `expected AppError(${code}), got ${String(error)}`).toBe(true);
      expect((error as { code: string }).code).toBe(code);
    };

    beforeAll(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
      subscriptions = [];
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    it('delivers events of a category in publish order', async () => {
      const { seen, handle } = collector();
      await subscribe({ handle });
      const events = Array.from({ length: 60 }, (_, i) => wordsWritten(i + 1));
      await Promise.all(events.map((event) => bus().publish(event)));
      await vi.waitFor(() => expect(seen).toHaveLength(60), WAIT);
      expect(seen.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(seen[0]).toEqual(events[0]);
    });

    it('delivers an event published right after subscribe() returns, without awaiting ready', async () => {
      const { seen, handle } = collector();
      const subscription = bus().subscribe({ group: uniqueName('g'), categories: ['writing'], handle });
      subscriptions.push(subscription);
      const event = wordsWritten(7);
      await bus().publish(event);
      await vi.waitFor(() => expect(seen.map((e) => e.id)).toEqual([event.id]), WAIT);
    });

    it('redelivers an event whose handler threw (at least once)', async () => {
      const calls: string[] = [];
      const flaky = wordsWritten(1);
      const steady = wordsWritten(2);
      await subscribe({
        handle: async (event) => {
          calls.push(event.id);
          if (event.id === flaky.id && calls.filter((id) => id === flaky.id).length === 1) throw new Error('first attempt fails');
        },
      });
      await bus().publish(flaky);
      await bus().publish(steady);
      await vi.waitFor(() => expect(calls.filter((id) => id === flaky.id)).toHaveLength(2), WAIT);
      expect(calls.filter((id) => id === steady.id)).toHaveLength(1);
    });

    it('hands an event to another member when its consumer dies mid-handling', async () => {
      const group = uniqueName('g');
      const other = opened!.reopen ? await opened!.reopen() : bus();
      let started = 0;
      const dying = other.subscribe({ group, consumer: 'dying', categories: ['collaboration'], handle: () => (started++, new Promise(() => {})) });
      await dying.ready;
      const event = createEvent('collaboration.user_joined', { actor: ACTOR, projectId: 'p1', documentId: 'd1', payload: { role: 'editor' } });
      await bus().publish(event);
      await vi.waitFor(() => expect(started).toBe(1), WAIT);
      // The handler never finishes: stopping abandons it unacknowledged (after drainTimeoutMs).
      if (other === bus()) await dying.stop();
      else await other.close();

      const { seen, handle } = collector();
      await subscribe({ group, consumer: 'survivor', categories: ['collaboration'], handle });
      await vi.waitFor(() => expect(seen.map((e) => e.id)).toEqual([event.id]), WAIT);
      await vi.waitFor(async () => {
        const info = await bus().info('collaboration');
        expect(info.groups.find((g) => g.name === group)?.pending).toBe(0);
      }, WAIT);
      expect(started).toBe(1);
    });

    it('dedupes on event id: the same event published twice reaches a group once', async () => {
      const { seen, handle } = collector();
      await subscribe({ handle });
      const event = wordsWritten(3);
      const sentinel = wordsWritten(4);
      await bus().publish(event);
      await bus().publish(event);
      await bus().publish(sentinel);
      await vi.waitFor(() => expect(seen.map((e) => e.id)).toContain(sentinel.id), WAIT);
      expect(seen.map((e) => e.id)).toEqual([event.id, sentinel.id]);
    });

    it('gives every group every event, and each event to one member of a group', async () => {
      const first = collector();
      const second = collector();
      const shared = { group: uniqueName('g'), seen: [] as string[] };
      await subscribe({ handle: first.handle });
      await subscribe({ handle: second.handle });
      for (const member of ['m1', 'm2']) {
        await subscribe({ group: shared.group, consumer: member, handle: async (e) => void shared.seen.push(e.id) });
      }
      const events = Array.from({ length: 20 }, (_, i) => wordsWritten(i + 1));
      for (const event of events) await bus().publish(event);
      await vi.waitFor(() => expect([first.seen.length, second.seen.length, shared.seen.length]).toEqual([20, 20, 20]), WAIT);
      expect(new Set(shared.seen).size).toBe(20);
    });

    it('acknowledges events of other types without calling the handler when types are given', async () => {
      const { seen, handle } = collector();
      const group = uniqueName('g');
      await subscribe({ group, types: ['writing.session_started'], handle });
      await bus().publish(wordsWritten(1));
      const started = createEvent('writing.session_started', { actor: ACTOR, payload: { sessionId: 's9', wordCount: 1200 } });
      await bus().publish(started);
      await vi.waitFor(() => expect(seen.map((e) => e.id)).toEqual([started.id]), WAIT);
      await vi.waitFor(async () => expect((await bus().info('writing')).groups.find((g) => g.name === group)?.pending).toBe(0), WAIT);
    });

    it('keeps a stream within its retention', async () => {
      for (let i = 0; i < 20; i++) {
        await bus().publish(createEvent('analytics.goal_met', { actor: 'system', payload: { goalId: `g${i}`, kind: 'daily_words', target: 500, actual: 612 } }));
      }
      const info = await bus().info('analytics');
      expect(info.retention).toEqual({ maxLen: 5, maxAgeMs: null });
      expect(info.length).toBe(5);
      expect(info.lastId).toMatch(/^\d+-\d+$/);
    });

    it('moves an event to the dead letters after maxDeliveries failed deliveries', async () => {
      const category: EventCategory = 'automation';
      const before = (await bus().info(category)).deadLetters;
      const group = uniqueName('g');
      let calls = 0;
      await subscribe({
        group,
        categories: [category],
        maxDeliveries: 3,
        handle: async () => {
          calls++;
          throw new Error('step handler is broken');
        },
      });
      const event = createEvent('automation.step_failed', { actor: 'system', payload: { runId: 'r1', workflowId: 'w1', step: 'upload', error: 'timeout' } });
      await bus().publish(event);
      await vi.waitFor(async () => expect((await bus().info(category)).deadLetters).toBe(before + 1), WAIT);
      expect(calls).toBe(3);
      const info = await bus().info(category);
      expect(info.groups.find((g) => g.name === group)?.pending).toBe(0);
      const [dead] = await bus().readDeadLetters!(category, 1);
      expect(dead).toMatchObject({ category, group, deliveries: 3, reason: 'step handler is broken' });
      expect(JSON.parse(dead!.data).id).toBe(event.id);
    });

    it('hands a read to handleBatch in one call, each event once and in order', async () => {
      const recorder = batchRecorder();
      const single = collector();
      const group = uniqueName('g');
      await subscribe({ group, handle: single.handle, handleBatch: recorder.handleBatch });
      const opener = wordsWritten(1);
      const events = Array.from({ length: 12 }, (_, i) => wordsWritten(i + 2));
      // A producer's retry within the batch: handled once, as without a batch handler.
      await publishBehind(recorder, opener, [...events.slice(0, 6), events[3]!, ...events.slice(6)]);
      await vi.waitFor(() => expect(recorder.succeeded).toHaveLength(1 + events.length), WAIT);
      expect(recorder.calls.map((c) => c.length)).toEqual([1, events.length]);
      expect(ids(recorder.succeeded)).toEqual(ids([opener, ...events]));
      expect(recorder.succeeded[1]).toEqual(events[0]);
      await vi.waitFor(async () => expect(await pendingOf('writing', group)).toBe(0), WAIT);
      expect(single.seen).toEqual([]);
    });

    it('hands every event of a failed batch to handle, and acknowledges them', async () => {
      const opener = wordsWritten(1);
      const events = Array.from({ length: 8 }, (_, i) => wordsWritten(i + 2));
      const recorder = batchRecorder((batch) => batch.some((e) => e.id !== opener.id));
      const single = collector();
      const group = uniqueName('g');
      await subscribe({ group, handle: single.handle, handleBatch: recorder.handleBatch });
      await publishBehind(recorder, opener, events);
      await vi.waitFor(() => expect(single.seen).toHaveLength(events.length), WAIT);
      await vi.waitFor(async () => expect(await pendingOf('writing', group)).toBe(0), WAIT);
      expect(recorder.calls.map((c) => c.length)).toEqual([1, events.length]);
      expect(ids(recorder.succeeded)).toEqual([opener.id]);
      expect(ids(single.seen)).toEqual(ids(events));
    });

    it('dead-letters a poison event of a failed batch and handles the rest of the batch', async () => {
      const category: EventCategory = 'automation';
      const before = (await bus().info(category)).deadLetters;
      const stepFailed = (runId: string) =>
        createEvent('automation.step_failed', { actor: 'system', payload: { runId, workflowId: 'w1', step: 'upload', error: 'timeout' } });
      const opener = stepFailed('r0');
      const poison = stepFailed('r-poison');
      const events = [stepFailed('r1'), stepFailed('r2'), poison, stepFailed('r3'), stepFailed('r4')];
      const recorder = batchRecorder((batch) => batch.some((e) => e.id === poison.id));
      const handled: string[] = [];
      let poisonCalls = 0;
      const group = uniqueName('g');
      await subscribe({
        group,
        categories: [category],
        maxDeliveries: 3,
        handleBatch: recorder.handleBatch,
        handle: async (event) => {
          if (event.id === poison.id) {
            poisonCalls++;
            throw new Error('archive rejects this event');
          }
          handled.push(event.id);
        },
      });
      await publishBehind(recorder, opener, events);
      await vi.waitFor(async () => expect((await bus().info(category)).deadLetters).toBe(before + 1), WAIT);
      await vi.waitFor(async () => expect(await pendingOf(category, group)).toBe(0), WAIT);
      expect(handled).toEqual(ids(events.filter((e) => e !== poison)));
      expect(poisonCalls).toBe(3);
      expect(recorder.calls.map((c) => c.length)).toEqual([1, events.length]);
      const [dead] = await bus().readDeadLetters!(category, 1);
      expect(dead).toMatchObject({ category, group, deliveries: 3, reason: 'archive rejects this event' });
      expect(JSON.parse(dead!.data).id).toBe(poison.id);
    });

    it('reports length, last id, groups with pending and lag in info()', async () => {
      const category: EventCategory = 'publishing';
      const active = collector();
      const activeGroup = uniqueName('g');
      await subscribe({ group: activeGroup, categories: [category], handle: active.handle });
      const idleGroup = uniqueName('g');
      const idle = bus().subscribe({ group: idleGroup, categories: [category], handle: async () => {} });
      await idle.ready;
      await idle.stop();
      const sale = () => createEvent('publishing.sales_recorded', { actor: 'system', projectId: 'p1', payload: { platform: 'kobo', units: 3, revenueCents: 897, currency: 'EUR' } });
      const before = (await bus().info(category)).length;
      for (let i = 0; i < 3; i++) await bus().publish(sale());
      await vi.waitFor(() => expect(active.seen).toHaveLength(3), WAIT);
      const info = await bus().info(category);
      expect(info).toMatchObject({ category, length: before + 3, deadLetters: 0 });
      expect(info.stream.endsWith(`:${category}`)).toBe(true);
      expect(info.lastId).not.toBeNull();
      await vi.waitFor(async () => {
        const groups = (await bus().info(category)).groups;
        expect(groups.find((g) => g.name === activeGroup)).toMatchObject({ consumers: 1, pending: 0, lag: 0 });
        expect(groups.find((g) => g.name === idleGroup)).toMatchObject({ consumers: 0, pending: 0, lag: 3 });
      }, WAIT);
    });

    it('rejects invalid events on publish and never stores them', async () => {
      const before = (await bus().info('writing')).length;
      const valid = wordsWritten(1);
      await expectAppError(bus().publish({ ...valid, type: 'writing.words_typed' } as never), 'validation-failed');
      await expectAppError(bus().publish({ ...valid, category: 'analytics' } as never), 'validation-failed');
      await expectAppError(bus().publish({ ...valid, payload: { sessionId: 's1', added: -1 } } as never), 'validation-failed');
      await expectAppError(bus().publish({ ...valid, payload: { ...valid.payload, note: 'x'.repeat(70_000) } } as never), 'message-too-large');
      await bus().flush();
      expect((await bus().info('writing')).length).toBe(before);
    });

    it('rejects a subscription to an unknown category or type', () => {
      const handle = async () => {};
      for (const spec of [
        { group: uniqueName('g'), categories: ['marketing'], handle },
        { group: uniqueName('g'), categories: [], handle },
        { group: uniqueName('g'), categories: ['writing'], types: ['writing.words_typed'], handle },
        { group: 'has space', categories: ['writing'], handle },
      ]) {
        let error: unknown;
        try {
          subscriptions.push(bus().subscribe(spec as unknown as ConsumerSpec));
        } catch (e) {
          error = e;
        }
        expect(isAppError(error) && error.code).toBe('validation-failed');
      }
    });
  });
}

import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { PendingWords } from './effect-events.js';
import type { GoalSlot } from './goal-tracker.js';
import type { LiveSessionRecord } from './session-view.js';

/** Everything this instance holds for one writer in one project. Only its queue touches it. */
export interface Slot extends GoalSlot {
  readonly key: string;
  record: LiveSessionRecord | null;
  /** Inputs run one at a time, in arrival order, on this chain. */
  queue: Promise<unknown>;
  queued: number;
  dirty: boolean;
  /** Session whose writer pointer and group entries are in the live store. */
  indexedId: string | null;
  createdAt: number;
  savedAt: number;
  words: PendingWords | null;
  lastWordsAt: number;
  metricsDue: boolean;
  lastMetricsAt: number;
  flushQueued: boolean;
  tickQueued: boolean;
}

export interface SlotTable {
  /** Slots by `${projectId}\u0000${userId}`. */
  readonly slots: Map<string, Slot>;
  /** Slots by the id of the session they hold (or held last), for REST lookups. */
  readonly byId: Map<string, Slot>;
  slotOf(userId: string, projectId: string): Slot;
  /** Runs `fn` on the slot's queue; its result (or error) goes to the caller, never to the chain. */
  run<T>(slot: Slot, fn: () => Promise<T>): Promise<T>;
  /** `run` for the edit path: nobody awaits it, failures are logged. */
  background(slot: Slot, what: string, fn: () => Promise<void>): void;
  /** Resolves once every queue is empty, including inputs queued while waiting. */
  drain(): Promise<void>;
}

/**
 * The per-writer queues. One promise chain per (writer, project): a writer's inputs (Yjs edits,
 * REST calls, ticks, flushes) run one at a time in arrival order, while different writers never
 * wait for each other.
 */
export function createSlotTable(clock: Clock, logger: Logger): SlotTable {
  const slots = new Map<string, Slot>();
  const byId = new Map<string, Slot>();

  function run<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
    slot.queued++;
    const result = slot.queue.then(fn);
    slot.queue = result
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        slot.queued--;
        const id = slot.record?.session.sessionId;
        if (id !== undefined) byId.set(id, slot);
      });
    return result;
  }

  return {
    slots,
    byId,
    slotOf(userId, projectId) {
      const key = `${projectId}\u0000${userId}`;
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = {
          key, userId, projectId, goalDay: null, record: null, queue: Promise.resolve(), queued: 0, dirty: false, indexedId: null,
          createdAt: clock.now(), savedAt: clock.now(), words: null, lastWordsAt: -Infinity, metricsDue: false, lastMetricsAt: -Infinity,
          flushQueued: false, tickQueued: false,
        };
        slots.set(key, slot);
      }
      return slot;
    },
    run,
    background(slot, what, fn) {
      run(slot, fn).catch((error: unknown) => logger.error({ err: error, step: what }, 'writing step failed'));
    },
    async drain() {
      while ([...slots.values()].some((s) => s.queued > 0)) await Promise.all([...slots.values()].map((s) => s.queue));
    },
  };
}

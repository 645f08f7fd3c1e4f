import { randomUUID } from 'node:crypto';
import type { StoryloomEvent } from '../../events/schema.js';
import { AppError } from '../../lib/errors.js';
import { editFromWords } from '../../tracking/writing/session-model.js';
import { resolveWritingThresholds } from '../../tracking/writing/thresholds.js';
import { createBucketAggregator } from './bucket-aggregator.js';
import { createCachedLookup } from './cached-lookup.js';
import { createGoalTracker } from './goal-tracker.js';
import type { WritingGoal } from './ports.js';
import type { WritingService, WritingServiceDeps } from './service-types.js';
import { createSessionRunner, type RunnerEdit } from './session-runner.js';
import { liveKeys, parseRecord, storedOf, viewOfSession, viewOfStored, type SessionView } from './session-view.js';
import { createSlotTable, type Slot } from './slot-table.js';

export type { SessionView } from './session-view.js';
export type { KeystrokeInput, TrackedEdit, WritingService, WritingServiceDeps } from './service-types.js';

const FUTURE_SKEW_MS = 60_000;
/**
 * `writing.words_written` at most this often per session. Every event is archived, bridged and
 * read by each consumer group (~1.5 ms of CPU in all on embedded PGlite), so one a second per
 * typing writer was most of the event platform's load; workflows and notifications need no finer
 * grain, and live numbers reach dashboards by the metrics push below, not by this event.
 */
const WORDS_EVENT_INTERVAL_MS = 5_000;
/** Live metrics to `user:`/`project:` on /ws/analytics at most this often per writer. */
const METRICS_PUSH_INTERVAL_MS = 1_000;
/** Writers flushed between two yields to I/O in the periodic flush. */
const FLUSH_SLICE = 8;

/**
 * The live writing service: one session per writer per project, driven by the pure model
 * (src/tracking/writing) with the injected clock. Inputs of one writer in one project run in
 * order on that slot's queue, so the model sees edits exactly in the order Yjs applied them.
 */
export function createWritingService(deps: WritingServiceDeps): WritingService {
  const { store, live, clock, logger } = deps;
  const thresholds = resolveWritingThresholds(deps.thresholds);
  const instanceId = randomUUID();
  const buckets = createBucketAggregator({ store, logger });
  const prefs = createCachedLookup<boolean>({
    load: async (userId) => (await store.getPreferences(userId))?.analyticsOptOut === true,
    ttlMs: deps.preferencesTtlMs ?? 30_000,
    // Privacy first: a writer whose choice cannot be read is not tracked until it can.
    fallback: (userId, error, last) => {
      logger.warn({ err: error, user: userId }, 'writing preferences unavailable');
      return last ?? true;
    },
  });
  const goalLookup = createCachedLookup<WritingGoal | null>({
    load: (key) => {
      const [projectId, userId] = key.split('\u0000') as [string, string];
      return store.getGoal(userId, projectId);
    },
    ttlMs: 60_000,
    fallback: (_key, _error, last) => last ?? null,
  });
  const medians = createCachedLookup<number | null>({
    load: (userId) => store.medianWpm(userId, clock.now() - 30 * 86_400_000),
    ttlMs: 3_600_000,
    fallback: (_key, _error, last) => last ?? null,
  });
  const publish = async (event: StoryloomEvent) => deps.publish(event);
  const goals = createGoalTracker({ store, goals: goalLookup, live, buckets, actorOf: deps.actorOf, publish, logger });
  const runner = createSessionRunner({
    store,
    live,
    buckets,
    goals,
    goalLookup,
    medians,
    publish,
    push: (channel, data) => void deps.push({ path: 'analytics', channel, data }).catch(() => {}),
    actorOf: deps.actorOf,
    clock,
    logger,
    instanceId,
    thresholds,
    wordsIntervalMs: WORDS_EVENT_INTERVAL_MS,
    metricsIntervalMs: METRICS_PUSH_INTERVAL_MS,
    milestoneWords: 100,
    saveOpenEveryMs: 60_000,
  });

  const table = createSlotTable(clock, logger);
  const { slots, byId, slotOf, run, background, drain } = table;
  let closed = false;

  /** Opted-out writers: no session, no events, no buckets; a session already open is dropped silently. */
  async function optedOut(slot: Slot): Promise<boolean> {
    const cached = prefs.get(slot.userId);
    const out = typeof cached === 'boolean' ? cached : await cached;
    if (out && slot.record !== null) {
      const id = slot.record.session.sessionId;
      slot.record = null;
      slot.words = null;
      slot.goalDay = null;
      slot.dirty = false;
      byId.delete(id);
      await runner.unindex(slot, id).catch(() => {});
    }
    return out;
  }

  const conflict = (message: string) => new AppError('conflict', message);

  async function locate(sessionId: string): Promise<{ userId: string; projectId: string; view: SessionView } | null> {
    const local = byId.get(sessionId);
    if (local?.record?.session.sessionId === sessionId) return { userId: local.userId, projectId: local.projectId, view: viewOfSession(local.record.session) };
    const rec = parseRecord(await live.get(liveKeys.session(sessionId)));
    if (rec !== null) return { userId: rec.session.writerId, projectId: rec.session.projectId, view: viewOfSession(rec.session) };
    const stored = await store.getSession(sessionId);
    return stored === null ? null : { userId: stored.userId, projectId: stored.projectId, view: viewOfStored(stored) };
  }

  /** Runs `fn` on the slot of an open session (taken over from the live store if need be). */
  async function onOpenSession<T>(sessionId: string, fn: (slot: Slot) => Promise<T>, ifClosed: (view: SessionView) => T): Promise<T> {
    const where = await locate(sessionId);
    if (where === null) throw new AppError('not-found', `No writing session ${sessionId}`, { sessionId });
    const slot = slotOf(where.userId, where.projectId);
    return run(slot, async () => {
      if (await optedOut(slot)) throw conflict('This writer opted out of writing analytics');
      const open = slot.record !== null && slot.record.session.state !== 'ended' ? slot.record : await runner.adopt(slot, sessionId);
      if (open === null || open.session.sessionId !== sessionId) {
        const view = slot.record?.session.sessionId === sessionId ? viewOfSession(slot.record.session) : where.view;
        return ifClosed(view);
      }
      return fn(slot);
    });
  }

  const currentView = (slot: Slot): SessionView => viewOfSession(slot.record!.session);
  const ended = (view: SessionView): never => {
    throw new AppError('conflict', `Writing session ${view.id} has ended; start a new one`, { sessionId: view.id, state: view.state });
  };

  async function tickAll(): Promise<void> {
    const now = clock.now();
    const steps: Promise<void>[] = [];
    for (const [key, slot] of slots) {
      const open = slot.record !== null && slot.record.session.state !== 'ended';
      if (!open && slot.goalDay === null && slot.queued === 0 && slot.words === null) {
        slots.delete(key);
        if (slot.record !== null) byId.delete(slot.record.session.sessionId);
        continue;
      }
      if (slot.tickQueued) continue;
      slot.tickQueued = true;
      steps.push(
        run(slot, async () => {
          slot.tickQueued = false;
          await tickSlot(slot, now);
        }).catch((error: unknown) => logger.error({ err: error }, 'writing tick failed')),
      );
    }
    await Promise.all(steps);
  }

  async function tickSlot(slot: Slot, now: number): Promise<void> {
    const rec = slot.record;
    if (rec !== null && rec.session.state !== 'ended') {
      // Another instance took the session over (the writer's edits or REST calls went there): let it run it.
      const shared = parseRecord(await live.get(liveKeys.session(rec.session.sessionId)));
      if (shared !== null && shared.owner !== instanceId) {
        slot.record = null;
        slot.indexedId = null;
        slot.words = null;
      } else if (rec.session.state === 'idle') {
        if (now - slot.createdAt >= thresholds.endAfterMs) {
          slot.record = null;
          await runner.unindex(slot, rec.session.sessionId);
        }
      } else {
        await runner.applyInput(slot, { kind: 'tick', at: now });
      }
    }
    await goals.onTick(slot, now);
  }

  /** Starts the flush of one slot if it is due; undefined when it is not. */
  function flushSlotIfDue(slot: Slot, now: number, force: boolean): Promise<void> | undefined {
    const due = slot.dirty || (slot.words !== null && (force || now - slot.lastWordsAt >= WORDS_EVENT_INTERVAL_MS)) || (slot.metricsDue && (force || now - slot.lastMetricsAt >= METRICS_PUSH_INTERVAL_MS));
    if (!due || (slot.flushQueued && !force)) return undefined;
    slot.flushQueued = true;
    return run(slot, async () => {
      slot.flushQueued = false;
      await runner.flushSlot(slot, force);
    }).catch((error: unknown) => logger.warn({ err: error }, 'writing flush failed'));
  }

  function flushAll(force: boolean): Promise<void>[] {
    const steps: Promise<void>[] = [];
    const now = clock.now();
    for (const slot of slots.values()) {
      const step = flushSlotIfDue(slot, now, force);
      if (step) steps.push(step);
    }
    steps.push(buckets.flush().catch(() => {}));
    return steps;
  }

  /**
   * The periodic flush, in slices: every writer's words event, metrics push and session record
   * at once made a 10-20 ms burst every flush with a hundred writers, and every WebSocket message
   * arriving meanwhile waited behind it. Yielding to I/O every few writers lets them through.
   */
  async function flushPaced(): Promise<void> {
    const steps: Promise<void>[] = [];
    const now = clock.now();
    let started = 0;
    for (const slot of [...slots.values()]) {
      const step = flushSlotIfDue(slot, now, false);
      if (!step) continue;
      steps.push(step);
      if (++started % FLUSH_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    steps.push(buckets.flush().catch(() => {}));
    await Promise.all(steps);
  }

  const tickTimer = setInterval(() => void tickAll(), deps.tickMs ?? 5_000);
  tickTimer.unref();
  let pacing = false;
  const flushTimer = setInterval(() => {
    if (pacing || closed) return; // a slow flush is not stacked on by the next tick
    pacing = true;
    void flushPaced().finally(() => (pacing = false));
  }, deps.flushMs ?? 500);
  flushTimer.unref();

  return {
    recordEdit(edit) {
      if (closed) return;
      try {
        const w = edit.words;
        if (w.insertedChars === 0 && w.deletedChars === 0 && w.netWords === 0 && w.wordsAdded === 0 && w.wordsRemoved === 0) return;
        const slot = slotOf(edit.userId, edit.projectId);
        const input: RunnerEdit = {
          ...editFromWords(w, edit.documentId, edit.at),
          ...(edit.documentWords === undefined ? {} : { documentWords: edit.documentWords }),
        };
        background(slot, 'edit', async () => {
          if (!(await optedOut(slot))) await runner.applyEdit(slot, input);
        });
      } catch (error) {
        logger.error({ err: error }, 'edit not tracked');
      }
    },

    async startSession({ userId, projectId, documentId }) {
      const slot = slotOf(userId, projectId);
      return run(slot, async () => {
        if (await optedOut(slot)) throw conflict('This writer opted out of writing analytics');
        const existing = slot.record !== null && slot.record.session.state !== 'ended' ? slot.record.session.sessionId : null;
        const rec = await runner.ensureSession(slot, clock.now());
        if (documentId !== undefined && rec.currentDocument === null) rec.currentDocument = documentId;
        const created = existing === null && rec.session.state === 'idle';
        await runner.persist(slot);
        byId.set(rec.session.sessionId, slot);
        return { session: viewOfSession(rec.session), created };
      });
    },

    async recordKeystrokes(sessionId, events) {
      const limit = clock.now() + FUTURE_SKEW_MS;
      const late = events.findIndex((e) => e.at > limit);
      if (late >= 0) throw new AppError('validation-failed', 'Keystroke events may not be in the future', { issues: [{ path: `events.${late}.at`, message: 'later than the server clock' }] });
      const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
      return onOpenSession(
        sessionId,
        async (slot) => {
          for (const { e } of sorted) {
            const added = e.wordsAdded ?? 0;
            const removed = e.wordsRemoved ?? 0;
            await runner.applyEdit(slot, { kind: 'edit', documentId: e.documentId, wordsAdded: added, wordsRemoved: removed, netWords: added - removed, chars: e.inserted + e.deleted, paste: e.paste ?? false, at: e.at });
          }
          return { accepted: events.length, session: currentView(slot) };
        },
        ended,
      );
    },

    endSession: (sessionId) =>
      onOpenSession(
        sessionId,
        async (slot) => {
          const id = slot.record!.session.sessionId;
          await runner.applyInput(slot, { kind: 'end', at: clock.now() });
          return slot.record?.session.sessionId === id ? currentView(slot) : ((await locate(id))?.view ?? currentView(slot));
        },
        (view) => view,
      ),

    resumeSession: (sessionId) =>
      onOpenSession(
        sessionId,
        async (slot) => {
          await runner.applyInput(slot, { kind: 'resume', at: clock.now() });
          return currentView(slot);
        },
        ended,
      ),

    async getSession(sessionId) {
      return (await locate(sessionId))?.view ?? null;
    },

    async activeSessions(query) {
      const group = 'projectId' in query ? liveKeys.projectGroup(query.projectId) : liveKeys.userGroup(query.userId);
      const views: SessionView[] = [];
      const staleBefore = Date.now() - thresholds.endAfterMs - 60_000;
      for (const sessionId of (await live.members(group)).keys()) {
        const local = byId.get(sessionId)?.record;
        if (local?.session.sessionId === sessionId) {
          if (local.session.state !== 'ended') views.push(viewOfSession(local.session));
          continue;
        }
        const rec = parseRecord(await live.get(liveKeys.session(sessionId)));
        // A record nobody refreshed for longer than a session can idle belongs to a dead instance.
        if (rec !== null && rec.session.state !== 'ended' && rec.writtenAt >= staleBefore) views.push(viewOfSession(rec.session));
      }
      return views.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
    },

    invalidatePreferences: (userId) => prefs.invalidate(userId),
    invalidateGoal: (userId, projectId) => goalLookup.invalidate(`${projectId}\u0000${userId}`),
    tick: tickAll,

    async flush() {
      await drain();
      await Promise.all(flushAll(true));
      await drain();
      await buckets.flush().catch(() => {});
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(tickTimer);
      clearInterval(flushTimer);
      await drain();
      await Promise.all(flushAll(true));
      await drain();
      for (const slot of slots.values()) {
        const s = slot.record?.session;
        if (s && s.state !== 'ended' && s.startedAt !== null) {
          const row = storedOf(s, clock.now());
          if (row) await store.saveSession(row).catch((error: unknown) => logger.warn({ err: error }, 'open session not saved at shutdown'));
        }
      }
      await buckets.flush().catch((error: unknown) => logger.error({ err: error }, 'writing buckets lost at shutdown'));
    },
  };
}

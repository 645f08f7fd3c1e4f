/**
 * The live writing service: one WriterSession per writer per project, driven by the pure model
 * (src/tracking/writing) with the injected clock. This file is the thin facade: it finds the
 * writer's session object, checks the opt-out, queues the input on that session and shapes
 * errors; the state and the steps live in writer-session.ts, the sweeps in session-table.ts.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import { editFromWords } from '../../tracking/writing/session-model.js';
import { resolveWritingThresholds } from '../../tracking/writing/thresholds.js';
import { createBucketAggregator } from './bucket-aggregator.js';
import { endCutShortSessions } from './cut-short.js';
import { createGoalTracker } from './goal-tracker.js';
import type { SessionContext } from './session-context.js';
import { DocumentMilestones, type RunnerEdit } from './session-outputs.js';
import { SessionTable } from './session-table.js';
import type { WritingService, WritingServiceDeps } from './service-types.js';
import { liveKeys, parseRecord, viewOfSession, viewOfStored, type SessionView } from './session-view.js';
import type { WriterSession } from './writer-session.js';
import { createWriterLookups, goalKey } from './writer-lookups.js';

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

/** How often open sessions nobody holds are looked for (cut-short.ts). */
const CUT_SHORT_SWEEP_MS = 60_000;

/** The shared context every writer session runs with (caches, aggregators, pacing). */
function createSessionContext(deps: WritingServiceDeps): SessionContext {
  const { store, live, clock, logger } = deps;
  const buckets = createBucketAggregator({ store, logger, now: () => clock.now() });
  const { goalLookup, medians, optOut, sessions } = createWriterLookups({ store, clock, logger, preferencesTtlMs: deps.preferencesTtlMs });
  const publish = async (event: Parameters<WritingServiceDeps['publish']>[0]) => deps.publish(event);
  return {
    store: sessions,
    optOut,
    live,
    buckets,
    goals: createGoalTracker({ store, goals: goalLookup, live, buckets, actorOf: deps.actorOf, publish, logger }),
    goalLookup,
    medians,
    publish,
    push: (channel, data) => void deps.push({ path: 'analytics', channel, data }).catch(() => {}),
    actorOf: deps.actorOf,
    clock,
    logger,
    instanceId: randomUUID(),
    thresholds: resolveWritingThresholds(deps.thresholds),
    milestones: new DocumentMilestones(100),
    wordsIntervalMs: WORDS_EVENT_INTERVAL_MS,
    metricsIntervalMs: METRICS_PUSH_INTERVAL_MS,
    saveOpenEveryMs: 60_000,
  };
}

/**
 * Inputs of one writer in one project run in order on that writer's session queue, so the model
 * sees edits exactly in the order Yjs applied them; different writers never wait for each other.
 */
export function createWritingService(deps: WritingServiceDeps): WritingService {
  const { store, live, clock, logger } = deps;
  const ctx = createSessionContext(deps);
  const { buckets, thresholds } = ctx;
  const prefs = ctx.optOut;
  const table = new SessionTable(ctx);
  let closed = false;

  /** Opted-out writers: no session, no events, no buckets; a session already open is dropped silently. Runs on the queue. */
  async function optedOut(session: WriterSession): Promise<boolean> {
    const cached = prefs.get(session.userId);
    const out = typeof cached === 'boolean' ? cached : await cached;
    if (out) {
      const dropped = await session.discard();
      if (dropped !== null) table.forget(dropped);
    }
    return out;
  }

  const optedOutError = () => new AppError('conflict', 'This writer opted out of writing analytics');

  async function locate(sessionId: string): Promise<{ userId: string; projectId: string; view: SessionView } | null> {
    const local = table.byWritingSession(sessionId);
    if (local?.sessionId === sessionId) return { userId: local.userId, projectId: local.projectId, view: local.view()! };
    const rec = parseRecord(await live.get(liveKeys.session(sessionId)));
    if (rec !== null) return { userId: rec.session.writerId, projectId: rec.session.projectId, view: viewOfSession(rec.session) };
    const stored = await store.getSession(sessionId);
    return stored === null ? null : { userId: stored.userId, projectId: stored.projectId, view: viewOfStored(stored) };
  }

  /** Runs `fn` on the session object holding open session `sessionId` (taken over from the live store if need be). */
  async function onOpenSession<T>(sessionId: string, fn: (session: WriterSession) => Promise<T>, ifClosed: (view: SessionView) => T): Promise<T> {
    const where = await locate(sessionId);
    if (where === null) throw new AppError('not-found', `No writing session ${sessionId}`, { sessionId });
    const session = table.of(where.userId, where.projectId);
    return session.run(async () => {
      if (await optedOut(session)) throw optedOutError();
      if ((await session.openOrAdopt(sessionId)) !== sessionId) return ifClosed(session.sessionId === sessionId ? session.view()! : where.view);
      return fn(session);
    });
  }

  const ended = (view: SessionView): never => {
    throw new AppError('conflict', `Writing session ${view.id} has ended; start a new one`, { sessionId: view.id, state: view.state });
  };

  async function flushEverything(): Promise<void> {
    await table.drain();
    await Promise.all([...table.flushAll(clock.now(), true), buckets.flush().catch(() => {})]);
    await table.drain();
  }

  const tick = () => table.tickAll(clock.now());
  const cutShort = {
    store,
    live,
    endAfterMs: thresholds.endAfterMs,
    heldHere: (id: string) => table.byWritingSession(id)?.sessionId === id,
    logger,
  };
  const endCutShort = () =>
    endCutShortSessions(cutShort, clock.now(), Date.now()).catch((error: unknown) => {
      logger.warn({ err: error }, 'sessions cut short by a crash not ended; retrying in a minute');
      return 0;
    });
  // At start (the previous process's sessions) and every minute (another instance's, once stale).
  const cutShortTimer = setInterval(() => void endCutShort(), CUT_SHORT_SWEEP_MS);
  cutShortTimer.unref();
  setImmediate(() => void (closed ? undefined : endCutShort()));
  const tickTimer = setInterval(() => void tick(), deps.tickMs ?? 5_000);
  tickTimer.unref();
  let pacing = false;
  const flushTimer = setInterval(() => {
    if (pacing || closed) return; // a slow flush is not stacked on by the next tick
    pacing = true;
    void table
      .flushPaced(clock.now())
      .then((steps) => Promise.all([...steps, buckets.flush().catch(() => {})]))
      .finally(() => (pacing = false));
  }, deps.flushMs ?? 500);
  flushTimer.unref();

  return {
    recordEdit(edit) {
      if (closed) return;
      try {
        const w = edit.words;
        if (w.insertedChars === 0 && w.deletedChars === 0 && w.netWords === 0 && w.wordsAdded === 0 && w.wordsRemoved === 0) return;
        const session = table.of(edit.userId, edit.projectId);
        const input: RunnerEdit = {
          ...editFromWords(w, edit.documentId, edit.at),
          ...(edit.documentWords === undefined ? {} : { documentWords: edit.documentWords }),
          ...(edit.journaled === true ? { journaled: true } : {}),
        };
        session.background('edit', async () => {
          if (!(await optedOut(session))) await session.applyEdit(input);
        });
      } catch (error) {
        logger.error({ err: error }, 'edit not tracked');
      }
    },

    async startSession({ userId, projectId, documentId }) {
      const session = table.of(userId, projectId);
      return session.run(async () => {
        if (await optedOut(session)) throw optedOutError();
        const started = await session.start(documentId);
        table.index(session);
        return started;
      });
    },

    async recordKeystrokes(sessionId, events) {
      const limit = clock.now() + FUTURE_SKEW_MS;
      const late = events.findIndex((e) => e.at > limit);
      if (late >= 0) throw new AppError('validation-failed', 'Keystroke events may not be in the future', { issues: [{ path: `events.${late}.at`, message: 'later than the server clock' }] });
      const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
      return onOpenSession(
        sessionId,
        async (session) => {
          for (const { e } of sorted) {
            const added = e.wordsAdded ?? 0;
            const removed = e.wordsRemoved ?? 0;
            await session.applyEdit({ kind: 'edit', documentId: e.documentId, wordsAdded: added, wordsRemoved: removed, netWords: added - removed, chars: e.inserted + e.deleted, paste: e.paste ?? false, at: e.at });
          }
          return { accepted: events.length, session: session.view()! };
        },
        ended,
      );
    },

    endSession: (sessionId) =>
      onOpenSession(
        sessionId,
        async (session) => {
          await session.applyInput({ kind: 'end', at: clock.now() });
          return session.sessionId === sessionId ? session.view()! : ((await locate(sessionId))?.view ?? session.view()!);
        },
        (view) => view,
      ),

    resumeSession: (sessionId) =>
      onOpenSession(
        sessionId,
        async (session) => {
          await session.applyInput({ kind: 'resume', at: clock.now() });
          return session.view()!;
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
        const local = table.byWritingSession(sessionId);
        if (local?.sessionId === sessionId) {
          const view = local.view()!;
          if (view.state !== 'ended') views.push(view);
          continue;
        }
        const rec = parseRecord(await live.get(liveKeys.session(sessionId)));
        // A record nobody refreshed for longer than a session can idle belongs to a dead instance.
        if (rec !== null && rec.session.state !== 'ended' && rec.writtenAt >= staleBefore) views.push(viewOfSession(rec.session));
      }
      return views.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
    },

    invalidatePreferences: (userId) => prefs.invalidate(userId),
    invalidateGoal: (userId, projectId) => ctx.goalLookup.invalidate(goalKey(userId, projectId)),
    tick,
    endCutShort,

    async flush() {
      await flushEverything();
      await buckets.flush().catch(() => {});
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(tickTimer);
      clearInterval(flushTimer);
      clearInterval(cutShortTimer);
      await flushEverything();
      for (const session of table.all()) await session.saveOpenRow('open session not saved at shutdown');
      await buckets.flush().catch((error: unknown) => logger.error({ err: error }, 'writing buckets lost at shutdown'));
    },
  };
}

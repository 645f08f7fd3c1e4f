import type { StoryloomEvent } from '../../events/schema.js';
import type { Clock } from '../../lib/clock.js';
import { uuidv7 } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import { createWritingSession, currentWpm, transition } from '../../tracking/writing/session-model.js';
import type { EditInput, Transition, WritingSession } from '../../tracking/writing/session-model.js';
import { WRITING_TIME_STATES } from '../../tracking/writing/session-types.js';
import type { WritingThresholds } from '../../tracking/writing/thresholds.js';
import type { BucketAggregator } from './bucket-aggregator.js';
import type { CachedLookup } from './cached-lookup.js';
import { eventOfEffect, milestoneEvent, wordsWrittenEvent } from './effect-events.js';
import type { GoalTracker } from './goal-tracker.js';
import type { LiveSessionStore, WritingGoal, WritingStore } from './ports.js';
import { liveKeys, parseRecord, storedOf, viewOfSession, type LiveSessionRecord } from './session-view.js';
import type { Slot } from './slot-table.js';

/** An edit as the runner takes it, from the Yjs tracker or from REST keystrokes. */
export interface RunnerEdit extends EditInput {
  /** Words in the document after the edit, when known (session_started's wordCount). */
  readonly documentWords?: number;
}

export interface RunnerDeps {
  store: Pick<WritingStore, 'saveSession'>;
  live: LiveSessionStore;
  buckets: BucketAggregator;
  goals: GoalTracker;
  goalLookup: CachedLookup<WritingGoal | null>;
  medians: CachedLookup<number | null>;
  publish(event: StoryloomEvent): Promise<void>;
  push(channel: string, data: Record<string, unknown>): void;
  actorOf(userId: string): string;
  clock: Clock;
  logger: Logger;
  instanceId: string;
  thresholds: Partial<WritingThresholds>;
  wordsIntervalMs: number;
  metricsIntervalMs: number;
  milestoneWords: number;
  saveOpenEveryMs: number;
}

const isWriting = (state: string) => (WRITING_TIME_STATES as readonly string[]).includes(state);

/** Writing-state intervals a transition covered (writing time accrues only in them). */
function writingSegments(before: WritingSession, t: Transition): [number, number][] {
  const out: [number, number][] = [];
  let state: string = before.state;
  let from = before.clock;
  for (const e of t.effects) {
    if (e.type !== 'session_state_changed') continue;
    if (isWriting(state) && from !== null && e.at > from) out.push([from, e.at]);
    state = e.to;
    from = from === null ? e.at : Math.max(from, e.at);
  }
  const end = t.state.clock;
  if (isWriting(state) && from !== null && end !== null && end > from) out.push([from, end]);
  return out;
}

/**
 * The per-slot steps of the writing service: runs the pure model on one input and turns the
 * result into events, buckets, goal progress, live pushes and live-store writes. Every function
 * here runs inside the slot's queue; none throws for an IO failure except where documented.
 */
export function createSessionRunner(deps: RunnerDeps) {
  const { live, buckets, logger, clock } = deps;
  /**
   * Highest milestone announced per document (`<projectId>/<documentId>`), shared by all its
   * writers: a milestone marks the document's own word count passing a multiple of 100, whoever
   * wrote the words (the auto-save template saves a version then). Starts at the count the
   * document had when this instance first saw it, so reopening a long novel announces nothing.
   */
  const documentMarks = new Map<string, number>();

  /** The milestone `edit` reaches, if any: from the document's word count when the editor is on Yjs. */
  function documentMilestone(slot: Slot, edit: RunnerEdit, sessionNet: number): { reached: number; value: number } | null {
    const step = deps.milestoneWords;
    if (edit.documentWords === undefined) {
      // Keystroke API (no CRDT document): the writer's own net words in the document, this session.
      const reached = Math.floor(sessionNet / step) * step;
      const rec = slot.record!;
      if (reached <= (rec.milestones[edit.documentId] ?? 0)) return null;
      rec.milestones[edit.documentId] = reached;
      return { reached, value: sessionNet };
    }
    const key = `${slot.projectId}/${edit.documentId}`;
    const mark = documentMarks.get(key) ?? Math.floor(Math.max(0, edit.documentWords - edit.netWords) / step) * step;
    const reached = Math.floor(edit.documentWords / step) * step;
    documentMarks.set(key, Math.max(mark, reached));
    return reached > mark ? { reached, value: edit.documentWords } : null;
  }

  async function persist(slot: Slot): Promise<void> {
    const rec = slot.record;
    if (rec === null) return;
    rec.owner = deps.instanceId;
    rec.writtenAt = Date.now();
    const id = rec.session.sessionId;
    slot.dirty = false;
    await live.set(liveKeys.session(id), JSON.stringify(rec));
    if (slot.indexedId !== id && rec.session.state !== 'ended') {
      await live.set(liveKeys.writer(slot.projectId, slot.userId), id);
      await live.addMember(liveKeys.projectGroup(slot.projectId), id, slot.userId);
      await live.addMember(liveKeys.userGroup(slot.userId), id, slot.projectId);
      slot.indexedId = id;
    }
  }

  /** Removes a session from the live store (closed, discarded, or taken over). */
  async function unindex(slot: Slot, sessionId: string): Promise<void> {
    await live.delete(liveKeys.session(sessionId));
    await live.removeMember(liveKeys.projectGroup(slot.projectId), sessionId);
    await live.removeMember(liveKeys.userGroup(slot.userId), sessionId);
    const pointer = liveKeys.writer(slot.projectId, slot.userId);
    if ((await live.get(pointer)) === sessionId) await live.delete(pointer);
    if (slot.indexedId === sessionId) slot.indexedId = null;
  }

  /** Live-store trouble (Redis down) must not stop tracking: the record is written again at the next flush. */
  async function persistSoon(slot: Slot): Promise<void> {
    await persist(slot).catch((error: unknown) => {
      slot.dirty = true;
      logger.warn({ err: error }, 'live session state not written; retrying at the next flush');
    });
  }

  function resetCounters(slot: Slot): void {
    slot.words = null;
    slot.lastWordsAt = -Infinity;
    slot.lastMetricsAt = -Infinity;
    slot.metricsDue = false;
    slot.createdAt = clock.now();
    slot.savedAt = clock.now();
  }

  /** The writer's open session here, adopted from the live store (another instance's), or a new idle one. */
  async function ensureSession(slot: Slot, at: number): Promise<LiveSessionRecord> {
    if (slot.record !== null && slot.record.session.state !== 'ended') return slot.record;
    const adopted = await adopt(slot, null).catch((error: unknown) => {
      logger.warn({ err: error }, 'live session state unreadable; starting a new session');
      return null;
    });
    if (adopted !== null) return adopted;
    const median = await deps.medians.get(slot.userId);
    const session = createWritingSession({
      sessionId: uuidv7(Math.max(0, at)),
      writerId: slot.userId,
      projectId: slot.projectId,
      medianWpm: median,
      thresholds: deps.thresholds,
    });
    slot.record = { v: 1, owner: deps.instanceId, writtenAt: Date.now(), session, currentDocument: null, documentNet: {}, milestones: {} };
    resetCounters(slot);
    await persistSoon(slot);
    return slot.record;
  }

  /** Takes over the writer's open session from the live store (only `sessionId`, when given). */
  async function adopt(slot: Slot, sessionId: string | null): Promise<LiveSessionRecord | null> {
    const pointer = await live.get(liveKeys.writer(slot.projectId, slot.userId));
    if (pointer === null || (sessionId !== null && pointer !== sessionId)) return null;
    const rec = parseRecord(await live.get(liveKeys.session(pointer)));
    if (rec === null || rec.session.state === 'ended' || rec.session.writerId !== slot.userId) return null;
    slot.record = rec;
    slot.indexedId = pointer;
    resetCounters(slot);
    await persistSoon(slot);
    return rec;
  }

  async function publish(event: StoryloomEvent | null): Promise<void> {
    if (event === null) return;
    try {
      await deps.publish(event);
    } catch (error) {
      logger.warn({ err: error, type: event.type }, 'writing event not published');
    }
  }

  async function publishWords(slot: Slot, at: number): Promise<void> {
    const words = slot.words;
    const rec = slot.record;
    if (words === null || rec === null) return;
    slot.words = null;
    slot.lastWordsAt = at;
    if (words.added === 0 && words.removed === 0 && words.net === 0) return;
    const actor = deps.actorOf(slot.userId);
    await publish(wordsWrittenEvent(rec.session.sessionId, words, currentWpm(rec.session), actor, slot.projectId));
  }

  function pushMetrics(slot: Slot, now: number): void {
    const rec = slot.record;
    if (rec === null) return;
    slot.metricsDue = false;
    slot.lastMetricsAt = now;
    const v = viewOfSession(rec.session);
    const data = {
      kind: 'writing.metrics',
      sessionId: v.id,
      userId: v.userId,
      projectId: v.projectId,
      state: v.state,
      wpm: v.wpm,
      wordsPerHour: v.wordsPerHour,
      totals: v.totals,
      documents: v.documents,
      at: new Date(now).toISOString(),
    };
    deps.push(`user:${slot.userId}`, data);
    deps.push(`project:${slot.projectId}`, data);
  }

  function maybePushMetrics(slot: Slot, now: number): void {
    if (now - slot.lastMetricsAt >= deps.metricsIntervalMs) pushMetrics(slot, now);
    else slot.metricsDue = true;
  }

  /** Closes an ended session: its row, the live store, the buckets, a last push. */
  async function closeSession(slot: Slot, session: WritingSession): Promise<void> {
    const row = storedOf(session, clock.now());
    if (row !== null) await deps.store.saveSession(row).catch((error: unknown) => logger.error({ err: error, session: session.sessionId }, 'closed session not stored'));
    await unindex(slot, session.sessionId).catch((error: unknown) => logger.warn({ err: error }, 'live session state not cleared'));
    slot.dirty = false;
    await buckets.flush().catch(() => {}); // logged by the aggregator; retried by the next flush
    pushMetrics(slot, clock.now());
  }

  /** Applies a transition's result: words, events, goals, time, close. */
  async function commit(slot: Slot, before: WritingSession, t: Transition, edit: RunnerEdit | null): Promise<void> {
    const rec = slot.record!;
    rec.session = t.state;
    const bucketKey = (documentId: string) => ({ userId: slot.userId, projectId: slot.projectId, documentId });
    const timeDoc = rec.currentDocument ?? edit?.documentId ?? null;
    if (timeDoc !== null) for (const [from, to] of writingSegments(before, t)) buckets.addWritingTime(bucketKey(timeDoc), from, to);

    const actor = deps.actorOf(slot.userId);
    let milestone: StoryloomEvent | null = null;
    if (edit !== null && !t.ignored) {
      const at = t.state.clock ?? edit.at;
      await deps.goals.onEdit(slot, at, edit.netWords).catch((error: unknown) => logger.warn({ err: error }, 'daily goal not updated'));
      buckets.addWords(bucketKey(edit.documentId), at, { added: edit.wordsAdded, removed: edit.wordsRemoved, net: edit.netWords });
      rec.currentDocument = edit.documentId;
      const net = (rec.documentNet[edit.documentId] ?? 0) + edit.netWords;
      rec.documentNet[edit.documentId] = net;
      const reached = documentMilestone(slot, edit, net);
      if (reached) milestone = milestoneEvent(t.state.sessionId, edit.documentId, reached.reached, reached.value, at, actor, slot.projectId);
      if (slot.words !== null && slot.words.documentId !== edit.documentId) await publishWords(slot, at);
      const paste = t.state.totals.pastes > before.totals.pastes;
      const w = slot.words ?? { documentId: edit.documentId, added: 0, removed: 0, net: 0, paste: false, firstAt: at, lastAt: at };
      slot.words = { ...w, added: w.added + edit.wordsAdded, removed: w.removed + edit.wordsRemoved, net: w.net + edit.netWords, paste: w.paste || paste, lastAt: at };
    }

    for (const effect of t.effects) {
      if (effect.type === 'session_ended') await publishWords(slot, effect.at);
      if (effect.type === 'break_suggested') {
        deps.push(`user:${slot.userId}`, { kind: 'writing.break_suggested', sessionId: effect.sessionId, projectId: slot.projectId, writingMs: effect.writingMs, wpm: effect.wpm, earlierWpm: effect.earlierWpm, at: new Date(effect.at).toISOString() });
        continue;
      }
      const startedWith = effect.type === 'session_started' && edit?.documentWords !== undefined ? { wordCount: edit.documentWords - edit.netWords } : {};
      const goal = effect.type === 'session_started' ? await deps.goalLookup.get(`${slot.projectId}\u0000${slot.userId}`) : null;
      try {
        await publish(
          eventOfEffect(effect, {
            actor,
            projectId: slot.projectId,
            documentId: edit?.documentId ?? rec.currentDocument,
            startedWith: { ...startedWith, ...(goal ? { goalWords: goal.dailyWords } : {}) },
          }),
        );
      } catch (error) {
        logger.error({ err: error, effect: effect.type }, 'writing effect could not become an event');
      }
    }
    // Also a session ended while still idle (REST start, then end): no effect, but closed all the same.
    if (t.state.state === 'ended') {
      await closeSession(slot, t.state);
      return;
    }
    if (edit !== null && slot.words !== null && slot.words.lastAt - slot.lastWordsAt >= deps.wordsIntervalMs) await publishWords(slot, slot.words.lastAt);
    await publish(milestone);
    slot.dirty = true;
    maybePushMetrics(slot, clock.now());
  }

  return {
    ensureSession,
    adopt,
    persist,
    unindex,
    publishWords,
    pushMetrics,

    /** One edit; a session that timed out before it is closed and the edit starts the next one. */
    async applyEdit(slot: Slot, edit: RunnerEdit): Promise<void> {
      let rec = await ensureSession(slot, edit.at);
      let before = rec.session;
      let t = transition(before, edit);
      if (t.ignored) {
        await commit(slot, before, t, null);
        rec = await ensureSession(slot, edit.at);
        before = rec.session;
        t = transition(before, edit);
      }
      await commit(slot, before, t, edit);
    },

    /** tick, end or resume of the slot's open session (nothing when there is none). */
    async applyInput(slot: Slot, input: { kind: 'tick' | 'end' | 'resume'; at: number }): Promise<void> {
      const rec = slot.record;
      if (rec === null || rec.session.state === 'ended') return;
      const before = rec.session;
      const t = transition(before, input);
      if (t.state === before && t.effects.length === 0) return;
      await commit(slot, before, t, null);
      const s = slot.record?.session;
      if (s && s.state !== 'ended' && s.startedAt !== null && clock.now() - slot.savedAt >= deps.saveOpenEveryMs) {
        slot.savedAt = clock.now();
        const row = storedOf(s, clock.now());
        if (row !== null) await deps.store.saveSession(row).catch((error: unknown) => logger.warn({ err: error }, 'open session not saved'));
      }
    },

    /** Publishes words and pushes metrics that are due (all of them with `force`), writes the live record. */
    async flushSlot(slot: Slot, force: boolean): Promise<void> {
      const now = clock.now();
      if (slot.words !== null && (force || now - slot.lastWordsAt >= deps.wordsIntervalMs)) await publishWords(slot, Math.max(now, slot.words.lastAt));
      if (slot.metricsDue && (force || now - slot.lastMetricsAt >= deps.metricsIntervalMs)) pushMetrics(slot, now);
      if (slot.dirty) await persist(slot);
    },
  };
}

export type SessionRunner = ReturnType<typeof createSessionRunner>;

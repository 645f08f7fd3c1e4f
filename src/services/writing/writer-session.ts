/**
 * One writer in one project on this instance: the state the writing service keeps for them (the
 * live session record, coalesced words, push and flush bookkeeping) and the queue their inputs
 * run on. Only this object writes that state (through the parts it owns: LiveRecord for the
 * record and its place in the live store, OutputPacer for words and metrics pacing; the goal
 * tracker owns `goal.goalDay`), and every
 * method that touches it runs on the queue, so the model sees inputs in exactly the order Yjs
 * and REST delivered them while different writers never wait for each other.
 */
import type { StoryloomEvent } from '../../events/schema.js';
import { uuidv7 } from '../../lib/ids.js';
import { createWritingSession, currentWpm, transition } from '../../tracking/writing/session-model.js';
import type { Transition, WritingSession } from '../../tracking/writing/session-model.js';
import { eventOfEffect, milestoneEvent, wordsWrittenEvent } from './effect-events.js';
import type { GoalSlot } from './goal-tracker.js';
import { LiveRecord } from './live-record.js';
import { OutputPacer } from './output-pacer.js';
import { SerialQueue } from './serial-queue.js';
import type { SessionContext } from './session-context.js';
import { metricsMessage, writingSegments, type RunnerEdit } from './session-outputs.js';
import { storedOf, viewOfSession, type LiveSessionRecord, type SessionView } from './session-view.js';

export class WriterSession {
  /** The goal tracker's state for this writer (goal-tracker.ts writes it). */
  readonly goal: GoalSlot;
  private readonly live: LiveRecord;
  /** The writer's inputs, in arrival order (the table drains it). */
  readonly queue: SerialQueue;
  private createdAt: number;
  private savedAt: number;
  private readonly pacer: OutputPacer;
  private flushQueued = false;
  private tickQueued = false;

  /** `settled` runs after each queued step (the table re-indexes the session id then). */
  constructor(
    private readonly ctx: SessionContext,
    readonly userId: string,
    readonly projectId: string,
    settled: (session: WriterSession) => void,
  ) {
    this.goal = { userId, projectId, goalDay: null };
    this.live = new LiveRecord(ctx, userId, projectId);
    this.pacer = new OutputPacer(ctx);
    this.queue = new SerialQueue(() => settled(this));
    this.createdAt = this.savedAt = ctx.clock.now();
  }

  private get record(): LiveSessionRecord | null {
    return this.live.record;
  }

  /** The session held here (open or ended), or null. */
  get sessionId(): string | null {
    return this.record?.session.sessionId ?? null;
  }

  /** The open (not ended) session's id, or null. */
  get openId(): string | null {
    const s = this.record?.session;
    return s !== undefined && s.state !== 'ended' ? s.sessionId : null;
  }

  view(): SessionView | null {
    return this.record === null ? null : viewOfSession(this.record.session);
  }

  /** Nothing open, pending or queued: the table may forget this writer. */
  get disposable(): boolean {
    return this.openId === null && this.goal.goalDay === null && !this.queue.busy && this.pacer.pendingWords === null;
  }

  /** Runs `fn` on the queue; its result (or error) goes to the caller, never to the chain. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  /** `run` for the edit path: nobody awaits it, failures are logged. */
  background(what: string, fn: () => Promise<void>): void {
    this.run(fn).catch((error: unknown) => this.ctx.logger.error({ err: error, step: what }, 'writing step failed'));
  }

  /** Queues a tick unless one is queued already; undefined then. Failures are logged. */
  scheduleTick(now: number): Promise<void> | undefined {
    if (this.tickQueued) return undefined;
    this.tickQueued = true;
    return this.run(async () => {
      this.tickQueued = false;
      await this.tick(now);
    }).catch((error: unknown) => this.ctx.logger.error({ err: error }, 'writing tick failed'));
  }

  /** Queues a flush if one is due (words, metrics, a dirty record); undefined when none is. */
  scheduleFlush(now: number, force: boolean): Promise<void> | undefined {
    const due = this.live.dirty || this.pacer.wordsDue(now, force) || this.pacer.metricsOwed(now, force);
    if (!due || (this.flushQueued && !force)) return undefined;
    this.flushQueued = true;
    return this.run(async () => {
      this.flushQueued = false;
      await this.flush(force);
    }).catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'writing flush failed'));
  }

  // ------------------------------------------------ steps (each runs on the queue)

  /** The writer opted out: forgets the session without a trace; the id it held, if any. */
  async discard(): Promise<string | null> {
    if (this.record === null) return null;
    const id = this.record.session.sessionId;
    this.live.forget();
    this.pacer.dropWords();
    this.goal.goalDay = null;
    await this.live.unindex(id).catch(() => {});
    return id;
  }

  /** The open session here, else the one adopted from the live store (that `sessionId` only); its id or null. */
  async openOrAdopt(sessionId: string): Promise<string | null> {
    return this.openId ?? (await this.adopt(sessionId))?.session.sessionId ?? null;
  }

  /** The REST start: the open session or a new idle one, written to the live store. */
  async start(documentId: string | undefined): Promise<{ session: SessionView; created: boolean }> {
    const existing = this.openId;
    const rec = await this.ensureSession(this.ctx.clock.now());
    if (documentId !== undefined && rec.currentDocument === null) rec.currentDocument = documentId;
    const created = existing === null && rec.session.state === 'idle';
    await this.live.persist();
    return { session: viewOfSession(rec.session), created };
  }

  /** One edit; a session that timed out before it is closed and the edit starts the next one. */
  async applyEdit(edit: RunnerEdit): Promise<void> {
    let rec = await this.ensureSession(edit.at);
    let before = rec.session;
    let t = transition(before, edit);
    if (t.ignored) {
      await this.commit(before, t, null);
      rec = await this.ensureSession(edit.at);
      before = rec.session;
      t = transition(before, edit);
    }
    await this.commit(before, t, edit);
  }

  /** tick, end or resume of the open session (nothing when there is none). */
  async applyInput(input: { kind: 'tick' | 'end' | 'resume'; at: number }): Promise<void> {
    const rec = this.record;
    if (rec === null || rec.session.state === 'ended') return;
    const before = rec.session;
    const t = transition(before, input);
    if (t.state === before && t.effects.length === 0) return;
    await this.commit(before, t, null);
    const s = this.record?.session;
    if (s && s.state !== 'ended' && s.startedAt !== null && this.ctx.clock.now() - this.savedAt >= this.ctx.saveOpenEveryMs) {
      this.savedAt = this.ctx.clock.now();
      await this.saveOpenRow('open session not saved');
    }
  }

  /** The periodic tick: lets another instance's takeover win, ends a stale idle session, advances the model, settles goal days. */
  async tick(now: number): Promise<void> {
    const rec = this.record;
    if (rec !== null && rec.session.state !== 'ended') {
      // Another instance took the session over (the writer's edits or REST calls went there): let it run it.
      if (await this.live.takenOver()) {
        this.live.release();
        this.pacer.dropWords();
      } else if (rec.session.state === 'idle') {
        if (now - this.createdAt >= this.ctx.thresholds.endAfterMs) {
          this.live.forget();
          await this.live.unindex(rec.session.sessionId);
        }
      } else {
        await this.applyInput({ kind: 'tick', at: now });
      }
    }
    await this.ctx.goals.onTick(this.goal, now);
  }

  /** Publishes words and pushes metrics that are due (all of them with `force`), writes the live record. */
  async flush(force: boolean): Promise<void> {
    const now = this.ctx.clock.now();
    const words = this.pacer.pendingWords;
    if (words !== null && this.pacer.wordsDue(now, force)) await this.publishWords(Math.max(now, words.lastAt));
    if (this.pacer.metricsOwed(now, force)) this.pushMetrics(now);
    if (this.live.dirty) await this.live.persist();
  }

  /** Stores the open, started session as an open row (periodically and at shutdown). */
  async saveOpenRow(failure: string): Promise<void> {
    const s = this.record?.session;
    if (s === undefined || s.state === 'ended' || s.startedAt === null) return;
    const row = storedOf(s, this.ctx.clock.now());
    if (row !== null) await this.ctx.store.saveSession(row).catch((error: unknown) => this.ctx.logger.warn({ err: error }, failure));
  }

  // ------------------------------------------------ internals

  /** A record new to this object (created or adopted): its words, pushes and timers start over. */
  private resetCounters(): void {
    this.pacer.reset();
    this.createdAt = this.savedAt = this.ctx.clock.now();
  }

  /** The open session here, adopted from the live store (another instance's), or a new idle one. */
  private async ensureSession(at: number): Promise<LiveSessionRecord> {
    if (this.record !== null && this.record.session.state !== 'ended') return this.record;
    const adopted = await this.adopt(null).catch((error: unknown) => {
      this.ctx.logger.warn({ err: error }, 'live session state unreadable; starting a new session');
      return null;
    });
    if (adopted !== null) return adopted;
    const median = await this.ctx.medians.get(this.userId);
    const session = createWritingSession({ sessionId: uuidv7(Math.max(0, at)), writerId: this.userId, projectId: this.projectId, medianWpm: median, thresholds: this.ctx.thresholds });
    const rec: LiveSessionRecord = { v: 1, owner: this.ctx.instanceId, writtenAt: Date.now(), session, currentDocument: null, documentNet: {}, milestones: {} };
    this.live.hold(rec);
    this.resetCounters();
    await this.live.persistSoon();
    return rec;
  }

  /** Takes over the writer's open session from the live store (only `sessionId`, when given). */
  private async adopt(sessionId: string | null): Promise<LiveSessionRecord | null> {
    const rec = await this.live.adopt(sessionId);
    if (rec === null) return null;
    this.resetCounters();
    await this.live.persistSoon();
    return rec;
  }

  private async publish(event: StoryloomEvent | null): Promise<void> {
    if (event === null) return;
    await this.ctx.publish(event).catch((error: unknown) => this.ctx.logger.warn({ err: error, type: event.type }, 'writing event not published'));
  }

  private async publishWords(at: number): Promise<void> {
    const rec = this.record;
    if (rec === null) return;
    const words = this.pacer.takeWords(at);
    if (words === null) return;
    if (words.added === 0 && words.removed === 0 && words.net === 0) return;
    await this.publish(wordsWrittenEvent(rec.session.sessionId, words, currentWpm(rec.session), this.ctx.actorOf(this.userId), this.projectId));
  }

  private pushMetrics(now: number): void {
    const view = this.view();
    if (view === null) return;
    this.pacer.metricsPushed(now);
    const data = metricsMessage(view, now);
    this.ctx.push(`user:${this.userId}`, data);
    this.ctx.push(`project:${this.projectId}`, data);
  }

  /** Closes an ended session: its row, the live store, the buckets, a last push. */
  private async close(session: WritingSession): Promise<void> {
    const { store, buckets, logger, clock } = this.ctx;
    const row = storedOf(session, clock.now());
    if (row !== null) await store.saveSession(row).catch((error: unknown) => logger.error({ err: error, session: session.sessionId }, 'closed session not stored'));
    await this.live.unindex(session.sessionId).catch((error: unknown) => logger.warn({ err: error }, 'live session state not cleared'));
    this.live.settle();
    await buckets.flush().catch(() => {}); // logged by the aggregator; retried by the next flush
    this.pushMetrics(clock.now());
  }

  /** Applies a transition's result: words, events, goals, time, close. */
  private async commit(before: WritingSession, t: Transition, edit: RunnerEdit | null): Promise<void> {
    const { buckets, logger, clock } = this.ctx;
    const rec = this.record!;
    rec.session = t.state;
    const bucketKey = (documentId: string) => ({ userId: this.userId, projectId: this.projectId, documentId });
    const timeDoc = rec.currentDocument ?? edit?.documentId ?? null;
    if (timeDoc !== null) for (const [from, to] of writingSegments(before, t)) buckets.addWritingTime(bucketKey(timeDoc), from, to);

    const actor = this.ctx.actorOf(this.userId);
    let milestone: StoryloomEvent | null = null;
    if (edit !== null && !t.ignored) {
      const at = t.state.clock ?? edit.at;
      await this.ctx.goals.onEdit(this.goal, at, edit.netWords).catch((error: unknown) => logger.warn({ err: error }, 'daily goal not updated'));
      // Journaled words are already durable with the update's log row; storage folds them into the buckets.
      if (edit.journaled !== true) buckets.addWords(bucketKey(edit.documentId), at, { added: edit.wordsAdded, removed: edit.wordsRemoved, net: edit.netWords });
      rec.currentDocument = edit.documentId;
      const net = (rec.documentNet[edit.documentId] ?? 0) + edit.netWords;
      rec.documentNet[edit.documentId] = net;
      const reached = this.ctx.milestones.reached(this.projectId, edit, net, rec.milestones);
      if (reached) milestone = milestoneEvent(t.state.sessionId, edit.documentId, reached.reached, reached.value, at, actor, this.projectId);
      if (this.pacer.pendingWords !== null && this.pacer.pendingWords.documentId !== edit.documentId) await this.publishWords(at);
      this.pacer.addEdit(edit, at, t.state.totals.pastes > before.totals.pastes);
    }

    for (const effect of t.effects) {
      if (effect.type === 'session_ended') await this.publishWords(effect.at);
      if (effect.type === 'break_suggested') {
        this.ctx.push(`user:${this.userId}`, { kind: 'writing.break_suggested', sessionId: effect.sessionId, projectId: this.projectId, writingMs: effect.writingMs, wpm: effect.wpm, earlierWpm: effect.earlierWpm, at: new Date(effect.at).toISOString() });
        continue;
      }
      const startedWith = effect.type === 'session_started' && edit?.documentWords !== undefined ? { wordCount: edit.documentWords - edit.netWords } : {};
      const goal = effect.type === 'session_started' ? await this.ctx.goalLookup.get(`${this.projectId}\u0000${this.userId}`) : null;
      try {
        await this.publish(eventOfEffect(effect, { actor, projectId: this.projectId, documentId: edit?.documentId ?? rec.currentDocument, startedWith: { ...startedWith, ...(goal ? { goalWords: goal.dailyWords } : {}) } }));
      } catch (error) {
        logger.error({ err: error, effect: effect.type }, 'writing effect could not become an event');
      }
    }
    // Stored open from its start, so a crash at any point leaves a row for the cut-short sweep to end (cut-short.ts).
    if (t.state.state !== 'ended' && t.effects.some((e) => e.type === 'session_started')) {
      this.savedAt = clock.now();
      await this.saveOpenRow('open session not saved');
    }
    // Also a session ended while still idle (REST start, then end): no effect, but closed all the same.
    if (t.state.state === 'ended') {
      await this.close(t.state);
      return;
    }
    const words = this.pacer.pendingWords;
    if (edit !== null && words !== null && this.pacer.wordsWindowFull()) await this.publishWords(words.lastAt);
    await this.publish(milestone);
    this.live.touch();
    const now = clock.now();
    if (this.pacer.metricsNow(now)) this.pushMetrics(now);
  }
}

/**
 * The writer sessions this instance holds, by writer and by session id, and the sweeps over all
 * of them (tick, flush, drain). Each sweep only queues work on each session; the sessions do it.
 */
import type { SessionContext } from './session-context.js';
import { WriterSession } from './writer-session.js';

/** Writers flushed between two yields to I/O in the periodic flush. */
const FLUSH_SLICE = 8;

export class SessionTable {
  /** Sessions by `${projectId}\u0000${userId}`. */
  private readonly sessions = new Map<string, WriterSession>();
  /** Sessions by the id of the writing session they hold (or held last), for REST lookups. */
  private readonly byId = new Map<string, WriterSession>();

  constructor(private readonly ctx: SessionContext) {}

  /** The writer's session object, created on first use. */
  of(userId: string, projectId: string): WriterSession {
    const key = `${projectId}\u0000${userId}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = new WriterSession(this.ctx, userId, projectId, (s) => this.index(s));
      this.sessions.set(key, session);
    }
    return session;
  }

  /** The session object that holds (or held last) writing session `sessionId` here. */
  byWritingSession(sessionId: string): WriterSession | undefined {
    return this.byId.get(sessionId);
  }

  index(session: WriterSession): void {
    const id = session.sessionId;
    if (id !== null) this.byId.set(id, session);
  }

  forget(sessionId: string): void {
    this.byId.delete(sessionId);
  }

  all(): WriterSession[] {
    return [...this.sessions.values()];
  }

  /** Resolves once every queue is empty, including inputs queued while waiting. */
  async drain(): Promise<void> {
    while (this.all().some((s) => s.queue.busy)) await Promise.all(this.all().map((s) => s.queue.idle));
  }

  /** Forgets writers with nothing left to do, and queues a tick on every other one. */
  async tickAll(now: number): Promise<void> {
    const steps: Promise<void>[] = [];
    for (const [key, session] of this.sessions) {
      if (session.disposable) {
        this.sessions.delete(key);
        const id = session.sessionId;
        if (id !== null) this.byId.delete(id);
        continue;
      }
      const step = session.scheduleTick(now);
      if (step) steps.push(step);
    }
    await Promise.all(steps);
  }

  /** Queues every flush that is due (all pending output with `force`); the steps to await. */
  flushAll(now: number, force: boolean): Promise<void>[] {
    const steps: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      const step = session.scheduleFlush(now, force);
      if (step) steps.push(step);
    }
    return steps;
  }

  /**
   * The periodic flush, in slices: every writer's words event, metrics push and session record
   * at once made a 10-20 ms burst every flush with a hundred writers, and every WebSocket message
   * arriving meanwhile waited behind it. Yielding to I/O every few writers lets them through.
   */
  async flushPaced(now: number): Promise<Promise<void>[]> {
    const steps: Promise<void>[] = [];
    let started = 0;
    for (const session of this.all()) {
      const step = session.scheduleFlush(now, false);
      if (!step) continue;
      steps.push(step);
      if (++started % FLUSH_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return steps;
  }
}

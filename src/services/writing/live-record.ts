/**
 * One writer's session record as this instance holds it, and its place in the live store (see
 * LiveSessionStore and liveKeys): the record, the writer's pointer to it, and its entries in the
 * project and user groups that activeSessions reads across instances. WriterSession owns one;
 * this class is the only writer of the record slot, the dirty flag and the index bookkeeping.
 */
import type { Logger } from '../../lib/logger.js';
import type { LiveSessionStore } from './ports.js';
import { liveKeys, parseRecord, type LiveSessionRecord } from './session-view.js';

export class LiveRecord {
  private current: LiveSessionRecord | null = null;
  private changed = false;
  /** Session whose writer pointer and group entries are in the live store. */
  private indexedId: string | null = null;

  constructor(
    private readonly ctx: { live: LiveSessionStore; instanceId: string; logger: Logger },
    private readonly userId: string,
    private readonly projectId: string,
  ) {}

  get record(): LiveSessionRecord | null {
    return this.current;
  }

  /** Changed in memory since the last write to the live store. */
  get dirty(): boolean {
    return this.changed;
  }

  /** The record's content changed: write it at the next flush. */
  touch(): void {
    this.changed = true;
  }

  /** Nothing left to write (the session was closed and stored). */
  settle(): void {
    this.changed = false;
  }

  /** Holds a new record from now on. */
  hold(rec: LiveSessionRecord): void {
    this.current = rec;
  }

  /** Forgets the record here (discarded, or an idle session that never started); the live store is the caller's. */
  forget(): void {
    this.current = null;
    this.changed = false;
  }

  /** Another instance took the session over: forget it here and leave its live entries to the new owner. */
  release(): void {
    this.forget();
    this.indexedId = null;
  }

  /** Writes the record as owned by this instance, and indexes it once (not an ended one). */
  async persist(): Promise<void> {
    const rec = this.current;
    if (rec === null) return;
    const { live } = this.ctx;
    rec.owner = this.ctx.instanceId;
    rec.writtenAt = Date.now();
    const id = rec.session.sessionId;
    this.changed = false;
    await live.set(liveKeys.session(id), JSON.stringify(rec));
    if (this.indexedId !== id && rec.session.state !== 'ended') {
      await live.set(liveKeys.writer(this.projectId, this.userId), id);
      await live.addMember(liveKeys.projectGroup(this.projectId), id, this.userId);
      await live.addMember(liveKeys.userGroup(this.userId), id, this.projectId);
      this.indexedId = id;
    }
  }

  /** Live-store trouble (Redis down) must not stop tracking: the record is written again at the next flush. */
  async persistSoon(): Promise<void> {
    await this.persist().catch((error: unknown) => {
      this.changed = true;
      this.ctx.logger.warn({ err: error }, 'live session state not written; retrying at the next flush');
    });
  }

  /** Removes a session from the live store (closed, discarded, or timed out idle). */
  async unindex(sessionId: string): Promise<void> {
    const { live } = this.ctx;
    await live.delete(liveKeys.session(sessionId));
    await live.removeMember(liveKeys.projectGroup(this.projectId), sessionId);
    await live.removeMember(liveKeys.userGroup(this.userId), sessionId);
    const pointer = liveKeys.writer(this.projectId, this.userId);
    if ((await live.get(pointer)) === sessionId) await live.delete(pointer);
    if (this.indexedId === sessionId) this.indexedId = null;
  }

  /** Takes over the writer's open session from the live store (only `sessionId`, when given); null when there is none. */
  async adopt(sessionId: string | null): Promise<LiveSessionRecord | null> {
    const { live } = this.ctx;
    const pointer = await live.get(liveKeys.writer(this.projectId, this.userId));
    if (pointer === null || (sessionId !== null && pointer !== sessionId)) return null;
    const rec = parseRecord(await live.get(liveKeys.session(pointer)));
    if (rec === null || rec.session.state === 'ended' || rec.session.writerId !== this.userId) return null;
    this.current = rec;
    this.indexedId = pointer;
    return rec;
  }

  /** Whether another instance wrote itself as the owner of the held session meanwhile. */
  async takenOver(): Promise<boolean> {
    if (this.current === null) return false;
    const shared = parseRecord(await this.ctx.live.get(liveKeys.session(this.current.session.sessionId)));
    return shared !== null && shared.owner !== this.ctx.instanceId;
  }
}

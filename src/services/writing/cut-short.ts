/**
 * Sessions cut short by a crash. A session lives in its instance's memory (and the live store);
 * when the instance dies, nobody times it out: its stored row stays open forever, or, with Redis,
 * its live record lingers until it expires. This sweep ends such a session at its writer's last
 * edit, as recorded durably (the word journal and the minute buckets it is folded into, which
 * survive the crash), not at the restart: the downtime was no writing. Words, streaks and goals
 * need no repair: they are derived from those same buckets.
 */
import type { Logger } from '../../lib/logger.js';
import type { LiveSessionStore, StoredSession, WritingStore } from './ports.js';
import { liveKeys, parseRecord } from './session-view.js';

/** Open rows looked at per sweep (oldest first; a backlog takes several sweeps). */
const SWEEP_LIMIT = 100;
/** A live record is someone's while it was written within endAfterMs plus this (activeSessions' rule). */
const LIVE_GRACE_MS = 60_000;

export interface CutShortDeps {
  store: Pick<WritingStore, 'saveSession' | 'openSessions' | 'lastWordsAt'>;
  live: LiveSessionStore;
  endAfterMs: number;
  /** Whether this instance holds the session (it then times out here, as usual). */
  heldHere(sessionId: string): boolean;
  logger: Logger;
}

/** The stored row of a session ended at `endedAt` because its instance died. */
export function endedAt(row: StoredSession, endedAtMs: number, now: number): StoredSession {
  const end = Math.max(row.startedAt, endedAtMs);
  return { ...row, state: 'ended', endedAt: end, endReason: 'timeout', summary: { ...row.summary, lengthMs: end - row.startedAt }, updatedAt: now };
}

/**
 * Ends every open session no live instance holds, at its writer's last durable edit (else its
 * live record's last edit, else its start); returns how many it ended. `wallNow` is wall time
 * (the live store's `writtenAt`), `now` the service clock.
 */
export async function endCutShortSessions(deps: CutShortDeps, now: number, wallNow: number): Promise<number> {
  const { store, live } = deps;
  if (store.openSessions === undefined || store.lastWordsAt === undefined) return 0;
  let ended = 0;
  for (const row of await store.openSessions(SWEEP_LIMIT)) {
    if (deps.heldHere(row.id)) continue;
    const rec = parseRecord(await live.get(liveKeys.session(row.id)));
    // Written lately by some instance: alive there, or about to be adopted by the writer's next edit.
    if (rec !== null && rec.session.state !== 'ended' && rec.writtenAt >= wallNow - deps.endAfterMs - LIVE_GRACE_MS) continue;
    const durable = await store.lastWordsAt(row.userId, row.projectId, row.startedAt);
    const last = Math.max(durable ?? row.startedAt, rec?.session.lastEditAt ?? row.startedAt);
    await store.saveSession(endedAt(row, last, now));
    if (rec !== null) {
      await live.delete(liveKeys.session(row.id));
      await live.removeMember(liveKeys.projectGroup(row.projectId), row.id);
      await live.removeMember(liveKeys.userGroup(row.userId), row.id);
      const pointer = liveKeys.writer(row.projectId, row.userId);
      if ((await live.get(pointer)) === row.id) await live.delete(pointer);
    }
    deps.logger.info({ session: row.id, user: row.userId, endedAt: new Date(last).toISOString() }, 'ended a writing session cut short by a crash at its last edit');
    ended++;
  }
  return ended;
}

/**
 * The presence recompute tick: a shared pass over this instance's documents that, for each dirty
 * one (at most once per `minIntervalMs`), applies the queued edits and awareness to the pure
 * model, predicts conflicts, and publishes what changed: the conflict warning (src/protocol) as
 * a stateless message to the document's connections and on its `document:` channel, and
 * collaboration.* events (joined/left, sampled cursor moves, conflict predicted/cleared).
 */
import { createEvent, type EventFields, type EventType, type StoryloomEvent } from '../../events/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { conflictMessage, type ConflictStatus } from '../../protocol/collaboration.js';
import { resolveCursorBlock } from '../../tracking/collab/cursor-block.js';
import { applyAwareness, expire, predict, recordEdits, shouldRecompute } from '../../tracking/collab/presence-model.js';
import type { PresenceOptions, Warning } from '../../tracking/collab/presence-types.js';
import { noteCollisions, type DocumentPresence } from './document-presence.js';
import type { PresencePorts } from './ports.js';

export interface PresenceTick {
  /** One recompute pass over due documents of `docs` (forgets idle REST-only ones). */
  tick(docs: Map<string, DocumentPresence>): void;
  /** Applies the edits queued since the last recompute (one copy of the model's maps for all). */
  settleEdits(entry: DocumentPresence): void;
}

export function createPresenceTick(deps: {
  ports: Pick<PresencePorts, 'publish' | 'push' | 'broadcast' | 'actorOf'>;
  clock: Clock;
  logger: Logger;
  options: PresenceOptions;
  /** Least time between two recomputes of one document. */
  minIntervalMs: number;
  /** A writer's `cursor_moved` is sampled at most this often. */
  cursorSampleMs: number;
  /** A document nobody is on (no doc, no client, nothing queued) is forgotten this long after its last touch. */
  idleRetentionMs: number;
}): PresenceTick {
  const { ports, clock, logger, options } = deps;

  function emit<T extends EventType>(entry: DocumentPresence, type: T, userId: string, payload: EventFields<T>['payload'], at: number): void {
    try {
      const event = createEvent(type, { actor: ports.actorOf(userId), projectId: entry.projectId, documentId: entry.documentId, payload, occurredAt: at });
      ports.publish(event as StoryloomEvent).catch((error: unknown) => logger.warn({ err: error, type }, 'presence event not published'));
    } catch (error) {
      logger.warn({ err: error, type }, 'presence event not built');
    }
  }

  /**
   * One warning, once per channel: stateless to the document's connections, the same message on
   * `document:` (the event bridge leaves conflict events off that channel), the event for the bus.
   */
  function announce(entry: DocumentPresence, status: ConflictStatus, w: Warning, now: number): void {
    const message = conflictMessage({ status, document: entry.name, severity: w.severity, users: w.users, blocks: w.blocks, since: w.raisedAt, at: now });
    try {
      ports.broadcast(entry.name, message);
    } catch (error) {
      logger.warn({ err: error, document: entry.name }, 'conflict stateless not sent');
    }
    ports.push({ path: 'presence', channel: `document:${entry.name}`, data: message }).catch((error: unknown) =>
      logger.warn({ err: error, document: entry.name }, 'conflict not pushed'),
    );
    const actor = w.users[0];
    const users = w.users.map((u) => ports.actorOf(u));
    if (status === 'predicted') {
      entry.conflictsPredicted++;
      emit(entry, 'collaboration.conflict_predicted', actor, { severity: w.severity, blocks: w.blocks.length > 0 ? [...w.blocks] : [0], users }, now);
    } else {
      emit(entry, 'collaboration.conflict_cleared', actor, { blocks: [...w.blocks], users, durationMs: Math.max(0, now - w.raisedAt) }, now);
    }
  }

  function settleEdits(entry: DocumentPresence): void {
    if (entry.pendingEdits.length === 0) return;
    const result = recordEdits(entry.state, entry.pendingEdits, options);
    entry.pendingEdits = [];
    entry.state = result.state;
    noteCollisions(entry, result.collisions);
  }

  function applyPending(entry: DocumentPresence, now: number): void {
    const version = entry.lastComputeAt ?? 0;
    for (const [clientId, p] of entry.pending) {
      let blocks = p.blocks ?? null;
      if (p.blocks === undefined && entry.doc !== null && typeof p.state === 'object' && p.state !== null) {
        blocks = resolveCursorBlock(entry.doc, (p.state as Record<string, unknown>).cursor, 'default', { version: `${version}:${now}` });
      }
      entry.state = applyAwareness(entry.state, { clientId, userId: p.userId, canEdit: p.canEdit, awarenessState: p.state, at: p.at, blocks }, options);
    }
    entry.pending.clear();
  }

  /** joined/left events and sampled cursor moves, from the users present before and after. */
  function diffUsers(entry: DocumentPresence, now: number): void {
    const present = new Map<string, number | null>();
    for (const e of entry.state.clients.values()) if (!present.has(e.userId) || e.blocks !== null) present.set(e.userId, e.blocks?.headBlock ?? null);
    for (const [userId, info] of entry.users) {
      if (present.has(userId)) continue;
      entry.users.delete(userId);
      emit(entry, 'collaboration.user_left', userId, { durationMs: Math.max(0, now - info.joinedAt) }, now);
    }
    for (const [userId, block] of present) {
      let info = entry.users.get(userId);
      if (info === undefined) {
        info = { joinedAt: now, sampledBlock: null, sampledAt: -Infinity };
        entry.users.set(userId, info);
        emit(entry, 'collaboration.user_joined', userId, {}, now);
      }
      if (block !== null && block !== info.sampledBlock && now - info.sampledAt >= deps.cursorSampleMs) {
        info.sampledBlock = block;
        info.sampledAt = now;
        emit(entry, 'collaboration.cursor_moved', userId, { block }, now);
      }
    }
  }

  function recompute(entry: DocumentPresence, now: number): void {
    settleEdits(entry);
    applyPending(entry, now);
    entry.state = expire(entry.state, now, options);
    const result = predict(entry.state, now, entry.warnings, options);
    entry.warnings = result.warnings;
    for (const w of result.predicted) announce(entry, 'predicted', w, now);
    for (const w of result.cleared) announce(entry, 'cleared', w, now);
    diffUsers(entry, now);
    entry.dirty = false;
    entry.lastComputeAt = now;
  }

  return {
    settleEdits,
    tick(docs) {
      const now = clock.now();
      for (const entry of docs.values()) {
        try {
          // Warnings need ticks without messages too: their hysteresis runs on time alone.
          const idleCheck = entry.state.clients.size > 0 && now - (entry.lastComputeAt ?? 0) >= 30_000;
          if ((entry.dirty || entry.warnings.length > 0 || idleCheck) && shouldRecompute(entry.lastComputeAt, now, deps.minIntervalMs)) recompute(entry, now);
          // Forget documents nobody is on (unloaded, or REST-only) once untouched for the retention:
          // until then their counters stay readable (metrics route). Recomputed first (not dirty),
          // so the last leave was announced.
          const idle = entry.doc === null && !entry.dirty && entry.state.clients.size === 0 && entry.pending.size === 0 && entry.pendingEdits.length === 0;
          if (idle && now - entry.lastTouchedAt > deps.idleRetentionMs) docs.delete(entry.name);
        } catch (error) {
          logger.error({ err: error, document: entry.name }, 'presence recompute failed');
        }
      }
    },
  };
}

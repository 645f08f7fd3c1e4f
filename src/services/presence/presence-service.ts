/**
 * The presence service: owns every document's presence state on this instance, applies
 * awareness at a bounded rate (a shared interval over dirty documents, each recomputed at most
 * every `minIntervalMs`), and publishes what changed: stateless conflict messages to the
 * document's connections, `document:<p>/<d>` pushes on /ws/presence, and collaboration.* events.
 *
 * Multi-instance: each instance predicts over every client of the document, its own and those
 * the presence extension learns of through Redis (identity and canEdit stamped by their
 * instance), and warns its own connections; counters and metrics stay per instance.
 */
import type * as Y from 'yjs';
import { parseDocumentName } from '../../collab/document-name.js';
import { createEvent, type EventType, type EventFields, type StoryloomEvent } from '../../events/schema.js';
import type { GatewayMessage } from '../../gateway/gateway.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { resolveCursorBlock } from '../../tracking/collab/cursor-block.js';
import { applyAwareness, expire, predict, recordEdits, removeClient, shouldRecompute } from '../../tracking/collab/presence-model.js';
import { DEFAULT_PRESENCE_OPTIONS, type PresenceOptions, type Warning } from '../../tracking/collab/presence-types.js';
import { createDocumentPresence, noteActivity, noteCollisions, type DocumentPresence, type PendingAwareness, type RestState } from './document-presence.js';
import { collaboratorsOf, conflictsOf, metricsOf, type CollaboratorsView, type ConflictView, type DocumentMetricsView } from './presence-views.js';

/** Where the Yjs client id -> user map is kept across reloads (db.documentClients). */
export interface ClientMapStore {
  record(sightings: readonly { documentName: string; clientId: number; userId: string; seenAt: number }[]): Promise<void>;
  load(documentName: string): Promise<Map<number, string>>;
}

export interface PresenceServiceDeps {
  clock: Clock;
  logger: Logger;
  publish(event: StoryloomEvent): Promise<void>;
  push(message: GatewayMessage): Promise<void>;
  /** Sends a stateless message to every connection of the document on this instance (and, with Redis, the others). */
  broadcast(documentName: string, payload: string): void;
  actorOf(userId: string): string;
  /** Persists client ids on first sight and loads them with the document; memory only without. */
  clients?: ClientMapStore;
  /** Least time between two batched writes of new client ids. Default 1 s. */
  clientFlushMs?: number;
  options?: Partial<PresenceOptions>;
  /** Shared tick over dirty documents. Default 250 ms. */
  tickMs?: number;
  /** Least time between two recomputes of one document. Default 500 ms (2 Hz). */
  minIntervalMs?: number;
  /** A writer's `cursor_moved` is sampled at most this often. Default 10 s. */
  cursorSampleMs?: number;
}

/** Block positions sent by REST clients that are not on Yjs. */
export type RestPresenceState = RestState;

export interface PresenceService {
  /** The Y.Doc carets are resolved against (afterLoadDocument); `null` detaches it (unload). */
  attachDocument(documentName: string, doc: Y.Doc | null): void;
  /** Stores a client's latest raw awareness; applied at the next recompute, never here. */
  awareness(documentName: string, clientId: number, input: PendingAwareness): void;
  removeClients(documentName: string, clientIds: readonly number[]): void;
  /** An edit by a connection's user: blocks it touched (and their identities), client ids that created its items. */
  recordEdit(documentName: string, userId: string, blocks: readonly number[], clientIds: readonly number[], blockKeys?: readonly string[]): void;
  /** REST presence of a non-Yjs client (one synthetic client per user and document). */
  restPresence(documentName: string, userId: string, canEdit: boolean, state: RestPresenceState): void;
  collaborators(documentName: string): CollaboratorsView | null;
  conflicts(documentName: string): ConflictView[] | null;
  metrics(documentName: string): DocumentMetricsView | null;
  /** One recompute pass over due documents (the interval calls it; tests may too). */
  tick(): void;
  /** Writes the client ids not yet stored, then forgets every document. */
  close(): Promise<void>;
}

/** Edits queued for one document before they are applied without waiting for the tick. */
const MAX_PENDING_EDITS = 4_096;

/** Sightings kept for a retry while the database is down; beyond this the oldest are dropped. */
const MAX_UNSAVED_SIGHTINGS = 10_000;

type Options = PresenceOptions;

export function createPresenceService(deps: PresenceServiceDeps): PresenceService {
  const { clock, logger } = deps;
  const options: Options = { ...DEFAULT_PRESENCE_OPTIONS, ...deps.options };
  const minIntervalMs = deps.minIntervalMs ?? 500;
  const cursorSampleMs = deps.cursorSampleMs ?? 10_000;
  const docs = new Map<string, DocumentPresence>();
  let nextRestClient = -1;
  const clientFlushMs = deps.clientFlushMs ?? 1_000;
  let unsaved: { documentName: string; clientId: number; userId: string; seenAt: number }[] = [];
  let flushing: Promise<void> | null = null;
  let lastFlushAt = -Infinity;

  /** One batched insert of the client ids first seen since the last one; a failed batch is retried. */
  function flushClients(): Promise<void> {
    if (flushing !== null || unsaved.length === 0 || deps.clients === undefined) return flushing ?? Promise.resolve();
    const batch = unsaved;
    unsaved = [];
    lastFlushAt = clock.now();
    flushing = deps.clients
      .record(batch)
      .catch((error: unknown) => {
        logger.warn({ err: error, sightings: batch.length }, 'client ids not stored; retrying');
        unsaved = [...batch, ...unsaved].slice(-MAX_UNSAVED_SIGHTINGS);
      })
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  /** Merges the stored client ids of a document that (re)loaded; live sightings take precedence. */
  function loadClients(entry: DocumentPresence): void {
    deps.clients
      ?.load(entry.name)
      .then((stored) => {
        for (const [id, userId] of stored) if (!entry.clientToUser.has(id)) entry.clientToUser.set(id, userId);
      })
      .catch((error: unknown) => logger.warn({ err: error, document: entry.name }, 'client ids not loaded'));
  }

  function entryOf(name: string): DocumentPresence | null {
    const found = docs.get(name);
    if (found) return found;
    let parsed;
    try {
      parsed = parseDocumentName(name);
    } catch {
      return null;
    }
    const entry = createDocumentPresence(name, parsed.projectId, parsed.documentId, clock.now());
    docs.set(name, entry);
    return entry;
  }

  function emit<T extends EventType>(entry: DocumentPresence, type: T, userId: string, payload: EventFields<T>['payload'], at: number): void {
    try {
      const event = createEvent(type, { actor: deps.actorOf(userId), projectId: entry.projectId, documentId: entry.documentId, payload, occurredAt: at });
      deps.publish(event as StoryloomEvent).catch((error: unknown) => logger.warn({ err: error, type }, 'presence event not published'));
    } catch (error) {
      logger.warn({ err: error, type }, 'presence event not built');
    }
  }

  function announce(entry: DocumentPresence, status: 'predicted' | 'cleared', w: Warning, now: number): void {
    const message = { type: 'storyloom.conflict', status, document: entry.name, severity: w.severity, users: [...w.users], blocks: [...w.blocks], since: w.raisedAt, at: now };
    try {
      deps.broadcast(entry.name, JSON.stringify(message));
    } catch (error) {
      logger.warn({ err: error, document: entry.name }, 'conflict stateless not sent');
    }
    deps.push({ path: 'presence', channel: `document:${entry.name}`, data: message }).catch((error: unknown) =>
      logger.warn({ err: error, document: entry.name }, 'conflict not pushed'),
    );
    const actor = w.users[0];
    const users = w.users.map((u) => deps.actorOf(u));
    if (status === 'predicted') {
      entry.conflictsPredicted++;
      emit(entry, 'collaboration.conflict_predicted', actor, { severity: w.severity, blocks: w.blocks.length > 0 ? [...w.blocks] : [0], users }, now);
    } else {
      emit(entry, 'collaboration.conflict_cleared', actor, { blocks: [...w.blocks], users, durationMs: Math.max(0, now - w.raisedAt) }, now);
    }
  }

  /** Applies the edits queued since the last recompute (one copy of the model's maps for all). */
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
      if (block !== null && block !== info.sampledBlock && now - info.sampledAt >= cursorSampleMs) {
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

  function tick(): void {
    const now = clock.now();
    if (unsaved.length > 0 && now - lastFlushAt >= clientFlushMs) void flushClients();
    for (const entry of docs.values()) {
      try {
        // Warnings need ticks without messages too: their hysteresis runs on time alone.
        const idleCheck = entry.state.clients.size > 0 && now - (entry.lastComputeAt ?? 0) >= 30_000;
        if ((entry.dirty || entry.warnings.length > 0 || idleCheck) && shouldRecompute(entry.lastComputeAt, now, minIntervalMs)) recompute(entry, now);
        // Forget REST-only documents nobody has touched for the presence timeout.
        if (entry.doc === null && entry.state.clients.size === 0 && entry.pending.size === 0 && entry.pendingEdits.length === 0 && now - entry.lastTouchedAt > options.presenceTimeoutMs) docs.delete(entry.name);
      } catch (error) {
        logger.error({ err: error, document: entry.name }, 'presence recompute failed');
      }
    }
  }

  const timer = setInterval(tick, deps.tickMs ?? 250);
  timer.unref();

  /** A document for a REST read, with its queued edits applied so the read is current. */
  function settled(name: string): DocumentPresence | undefined {
    const entry = docs.get(name);
    if (entry) settleEdits(entry);
    return entry;
  }

  function touch(name: string): DocumentPresence | null {
    const entry = entryOf(name);
    if (entry !== null) {
      entry.dirty = true;
      entry.lastTouchedAt = clock.now();
    }
    return entry;
  }

  return {
    attachDocument(name, doc) {
      const entry = doc === null ? (docs.get(name) ?? null) : entryOf(name);
      if (entry === null) return;
      if (doc !== null && entry.doc !== doc) loadClients(entry);
      entry.doc = doc;
    },
    awareness(name, clientId, input) {
      touch(name)?.pending.set(clientId, input);
    },
    removeClients(name, clientIds) {
      const entry = docs.get(name);
      if (entry === undefined) return;
      const now = clock.now();
      for (const id of clientIds) {
        entry.pending.delete(id);
        entry.state = removeClient(entry.state, id, now);
      }
      entry.dirty = true;
    },
    recordEdit(name, userId, blocks, clientIds, blockKeys) {
      const entry = touch(name);
      if (entry === null) return;
      const now = clock.now();
      for (const id of clientIds) {
        if (entry.clientToUser.get(id) === userId) continue;
        if (!entry.clientToUser.has(id) && deps.clients !== undefined) unsaved.push({ documentName: name, clientId: id, userId, seenAt: now });
        entry.clientToUser.set(id, userId);
      }
      if (unsaved.length > MAX_UNSAVED_SIGHTINGS) unsaved.splice(0, unsaved.length - MAX_UNSAVED_SIGHTINGS);
      if (blocks.length === 0) return;
      // Applied at the next recompute (at most twice a second), off the keystroke's path; the
      // bound only matters if ticks stopped.
      entry.pendingEdits.push({ userId, blocks, at: now, ...(blockKeys ? { blockKeys } : {}) });
      if (entry.pendingEdits.length >= MAX_PENDING_EDITS) settleEdits(entry);
      noteActivity(entry, userId, now);
    },
    restPresence(name, userId, canEdit, state) {
      const entry = touch(name);
      if (entry === null) return;
      const prev = entry.restClients.get(userId);
      const clientId = prev?.clientId ?? nextRestClient--;
      const merged: RestState = { ...prev?.state, ...state };
      entry.restClients.set(userId, { clientId, state: merged });
      // The raw form mirrors a Yjs caret so the model notices selection changes the same way.
      const { cursor, ...rest } = merged;
      const raw = cursor ? { ...rest, cursor: { anchor: cursor.anchorBlock, head: cursor.headBlock } } : rest;
      entry.pending.set(clientId, { userId, canEdit, state: raw, at: clock.now(), blocks: cursor ?? null });
    },
    collaborators: (name) => {
      const entry = settled(name);
      return entry ? collaboratorsOf(entry, clock.now()) : null;
    },
    conflicts: (name) => {
      const entry = settled(name);
      return entry ? conflictsOf(entry) : null;
    },
    metrics: (name) => {
      const entry = settled(name);
      return entry ? metricsOf(entry, options) : null;
    },
    tick,
    async close() {
      clearInterval(timer);
      await flushing;
      await flushClients();
      docs.clear();
    },
  };
}

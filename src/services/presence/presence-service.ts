/**
 * The presence service: owns every document's presence state on this instance and takes what the
 * collab and REST adapters report (awareness, edits, REST presence) without computing anything
 * per message. The recompute tick (presence-tick.ts) applies it at a bounded rate and publishes;
 * the client-id store (client-id-store.ts) persists who wrote with which Yjs client id. Ports
 * (ports.ts) are what it needs from the gateway, Hocuspocus, storage and collab.
 *
 * Multi-instance: each instance predicts over every client of the document, its own and those
 * the presence extension learns of through Redis (identity and canEdit stamped by their
 * instance), and warns its own connections; counters and metrics stay per instance.
 */
import type * as Y from 'yjs';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { removeClient } from '../../tracking/collab/presence-model.js';
import { DEFAULT_PRESENCE_OPTIONS, type PresenceOptions } from '../../tracking/collab/presence-types.js';
import { createClientIdStore } from './client-id-store.js';
import { createDocumentPresence, noteActivity, type DocumentPresence, type PendingAwareness, type RestState } from './document-presence.js';
import type { PresencePorts } from './ports.js';
import { createPresenceTick } from './presence-tick.js';
import { collaboratorsOf, conflictsOf, metricsOf, type CollaboratorsView, type ConflictView, type DocumentMetricsView } from './presence-views.js';

export type { ClientMapStore } from './ports.js';

export interface PresenceServiceDeps extends PresencePorts {
  clock: Clock;
  logger: Logger;
  /** Least time between two batched writes of new client ids. Default 1 s. */
  clientFlushMs?: number;
  options?: Partial<PresenceOptions>;
  /** Shared tick over dirty documents. Default 250 ms. */
  tickMs?: number;
  /** Least time between two recomputes of one document. Default 500 ms (2 Hz). */
  minIntervalMs?: number;
  /** A writer's `cursor_moved` is sampled at most this often. Default 10 s. */
  cursorSampleMs?: number;
  /**
   * How long a document nobody is on (unloaded, no REST client) keeps its presence state and
   * counters after its last touch. Default: the presence timeout (15 min).
   */
  idleRetentionMs?: number;
}

/** Block positions sent by REST clients that are not on Yjs. */
export type RestPresenceState = RestState;

export interface PresenceService {
  /**
   * The Y.Doc carets are resolved against (afterLoadDocument); `null` detaches it (unload).
   * `ids` are the document's, when the caller has them (the connection's context): no parsing then.
   */
  attachDocument(documentName: string, doc: Y.Doc | null, ids?: { projectId: string; documentId: string }): void;
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

export function createPresenceService(deps: PresenceServiceDeps): PresenceService {
  const { clock, logger } = deps;
  const options: PresenceOptions = { ...DEFAULT_PRESENCE_OPTIONS, ...deps.options };
  const docs = new Map<string, DocumentPresence>();
  let nextRestClient = -1;
  const clientIds = createClientIdStore({ ...(deps.clients ? { store: deps.clients } : {}), clock, logger, ...(deps.clientFlushMs !== undefined ? { flushMs: deps.clientFlushMs } : {}) });
  const ticker = createPresenceTick({ ports: deps, clock, logger, options, minIntervalMs: deps.minIntervalMs ?? 500, cursorSampleMs: deps.cursorSampleMs ?? 10_000, idleRetentionMs: deps.idleRetentionMs ?? options.presenceTimeoutMs });

  function entryOf(name: string, ids?: { projectId: string; documentId: string }): DocumentPresence | null {
    const found = docs.get(name);
    if (found) return found;
    const parsed = ids ?? deps.parseDocumentName(name);
    if (parsed === null) return null;
    const entry = createDocumentPresence(name, parsed.projectId, parsed.documentId, clock.now());
    docs.set(name, entry);
    return entry;
  }

  function tick(): void {
    clientIds.maybeFlush(clock.now());
    ticker.tick(docs);
  }
  const timer = setInterval(tick, deps.tickMs ?? 250);
  timer.unref();

  /** A document for a REST read, with its queued edits applied so the read is current. */
  function settled(name: string): DocumentPresence | undefined {
    const entry = docs.get(name);
    if (entry) ticker.settleEdits(entry);
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
    attachDocument(name, doc, ids) {
      const entry = doc === null ? (docs.get(name) ?? null) : entryOf(name, ids);
      if (entry === null) return;
      if (doc !== null && entry.doc !== doc) clientIds.load(name, entry.clientToUser);
      entry.doc = doc;
    },
    awareness(name, clientId, input) {
      touch(name)?.pending.set(clientId, input);
    },
    removeClients(name, ids) {
      const entry = docs.get(name);
      if (entry === undefined) return;
      const now = clock.now();
      for (const id of ids) {
        entry.pending.delete(id);
        entry.state = removeClient(entry.state, id, now);
      }
      entry.dirty = true;
    },
    recordEdit(name, userId, blocks, writers, blockKeys) {
      const entry = touch(name);
      if (entry === null) return;
      const now = clock.now();
      for (const id of writers) clientIds.sighted(name, entry.clientToUser, id, userId, now);
      if (blocks.length === 0) return;
      // Applied at the next recompute (at most twice a second), off the keystroke's path; the
      // bound only matters if ticks stopped.
      entry.pendingEdits.push({ userId, blocks, at: now, ...(blockKeys ? { blockKeys } : {}) });
      if (entry.pendingEdits.length >= MAX_PENDING_EDITS) ticker.settleEdits(entry);
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
      await clientIds.close();
      docs.clear();
    },
  };
}

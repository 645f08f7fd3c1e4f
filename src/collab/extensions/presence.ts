import { isTransactionOrigin, type Connection, type Extension, type afterLoadDocumentPayload, type afterUnloadDocumentPayload, type onAwarenessUpdatePayload, type onDisconnectPayload } from '@hocuspocus/server';
import { canWrite } from '../../lib/identity.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { PresenceService } from '../../services/presence/presence-service.js';
import { createTokenBuckets } from '../../services/presence/token-bucket.js';
import type { CollabContext } from '../context.js';
import { safeHook } from '../safe-hook.js';
import type { DocumentEdit } from '../../tracking/document-edit.js';

interface Attached {
  /** socket id -> Yjs client ids it spoke for, to drop their presence on disconnect. */
  sockets: Map<string, Set<number>>;
  /** Yjs client id -> user of clients connected to another instance (awareness relayed by Redis). */
  remote: Map<number, string>;
}

/**
 * The identity another instance stamped into a relayed awareness state (awareness-identity.ts
 * overwrites `user` for every connection's state, so nothing here was written by a client).
 * A state without a boolean `canEdit` (an older instance) counts as a reader.
 */
function stampedIdentity(state: unknown): { userId: string; canEdit: boolean } | null {
  if (typeof state !== 'object' || state === null) return null;
  const user = (state as { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return null;
  const { id, canEdit } = user as { id?: unknown; canEdit?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) return null;
  return { userId: id, canEdit: canEdit === true };
}

/** The presence extension and the consumer it registers on the document tap. */
export interface PresenceExtension {
  extension: Extension<CollabContext>;
  /** Register on the document tap: edits become presence activity (see createPresenceExtension). */
  onEdit(edit: DocumentEdit): void;
}

/**
 * Feeds the presence service from Hocuspocus, thinly:
 * - awareness (onAwarenessUpdate): the latest raw state per client is handed over as is, with
 *   the connection's user and whether its role may edit; carets are resolved at the service's
 *   tick, never per message. A connection sending more than `awarenessPerSecond` messages has the
 *   excess ignored for presence (the document still relays them).
 * - edits (`onEdit`, fed by the document tap): top-level blocks touched and the client ids that
 *   wrote, for the connection's user; `local` ones have no writer.
 * - disconnect and unload drop the socket's clients and the document.
 *
 * Multi-instance: awareness relayed through Redis (origin `redis`, no connection) is fed in with
 * the user and `canEdit` the sending instance stamped, and edits relayed through Redis are
 * attributed through those clients' ids, so each instance predicts over every writer of the
 * document and warns its own connections.
 * Nothing may throw out of these hooks: Hocuspocus does not catch onAwarenessUpdate, and the
 * tap calls `onEdit` inside Yjs's cleanup (it catches, but a throw would still cost the edit).
 */
export function createPresenceExtension(deps: {
  service: PresenceService;
  clock: Clock;
  logger: Logger;
  /** Token bucket refill per connection. Default 20/s (burst 20). */
  awarenessPerSecond?: number;
}): PresenceExtension {
  const { service, clock, logger } = deps;
  const buckets = createTokenBuckets<Connection<CollabContext>>(deps.awarenessPerSecond ?? 20);
  const documents = new Map<string, Attached>();

  /**
   * An edit's writer: the connection's user, or for an edit another instance received, the user
   * whose relayed awareness carries the client id that wrote. Attributed only when that is
   * exactly one known user (a sync reply can carry several writers' changes, whose blocks
   * cannot be told apart).
   */
  function writerOf(edit: DocumentEdit): string | null {
    if (edit.origin === 'connection') return edit.userId;
    if (edit.origin !== 'redis') return null;
    const remote = documents.get(edit.documentName)?.remote;
    const users = new Set(edit.clientIds.map((id) => remote?.get(id)));
    const [userId] = users;
    return users.size === 1 && userId !== undefined ? userId : null;
  }

  function onEdit(edit: DocumentEdit): void {
    const userId = writerOf(edit);
    if (userId === null || (edit.blocks.length === 0 && edit.clientIds.length === 0)) return;
    const blocks = edit.blocks.map((b) => b.index);
    const keys = edit.blocks.map((b) => b.key);
    service.recordEdit(edit.documentName, userId, blocks, edit.clientIds, keys);
  }

  const extension: Extension<CollabContext> = {
    extensionName: 'storyloom-presence',
    priority: 400,

    async afterLoadDocument({ document, documentName, context }: afterLoadDocumentPayload<CollabContext>) {
      try {
        documents.set(documentName, { sockets: new Map(), remote: new Map() });
        const ids = context?.projectId !== undefined && context.documentId !== undefined ? { projectId: context.projectId, documentId: context.documentId } : undefined;
        service.attachDocument(documentName, document, ids);
      } catch (error) {
        logger.error({ err: error, document: documentName }, 'presence not attached');
      }
    },

    onAwarenessUpdate: safeHook<onAwarenessUpdatePayload<CollabContext>>(logger, 'presence.onAwarenessUpdate', (payload) => {
      const { connection, documentName, awareness } = payload;
      const attached = documents.get(documentName);
      // Removals come from connections, Redis and y-protocols' own timeout alike.
      if (payload.removed.length > 0) service.removeClients(documentName, payload.removed);
      for (const id of payload.removed) attached?.remote.delete(id);
      const states = awareness.getStates();
      const now = clock.now();
      if (connection === undefined) {
        const origin = payload.transactionOrigin;
        if (!isTransactionOrigin(origin) || origin.source !== 'redis' || attached === undefined) return;
        // Not rate limited here: the sending instance already limited its connection, and the
        // service only keeps the latest state per client until its next tick.
        for (const id of [...payload.added, ...payload.updated]) {
          const identity = stampedIdentity(states.get(id));
          if (identity === null) continue;
          attached.remote.set(id, identity.userId);
          service.awareness(documentName, id, { ...identity, state: states.get(id) ?? null, at: now });
        }
        return;
      }
      const user = connection.context?.user;
      const role = connection.context?.role;
      if (user === undefined || role === undefined) return;
      let owned = attached?.sockets.get(connection.socketId);
      if (attached !== undefined && owned === undefined) attached.sockets.set(connection.socketId, (owned = new Set()));
      for (const id of payload.removed) owned?.delete(id);
      if (!buckets.take(connection, now)) return;
      const canEdit = canWrite(role) && !connection.readOnly;
      for (const id of [...payload.added, ...payload.updated]) {
        if (!states.has(id)) continue;
        owned?.add(id);
        // The identity extension overwrote `user` with the connection's identity before this.
        service.awareness(documentName, id, { userId: user.userId, canEdit, state: states.get(id) ?? null, at: now });
      }
    }),

    onDisconnect: safeHook<onDisconnectPayload<CollabContext>>(logger, 'presence.onDisconnect', ({ documentName, socketId }) => {
      const attached = documents.get(documentName);
      const owned = attached?.sockets.get(socketId);
      if (attached === undefined || owned === undefined) return;
      attached.sockets.delete(socketId);
      service.removeClients(documentName, [...owned]);
    }),

    async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload) {
      try {
        documents.delete(documentName);
        service.attachDocument(documentName, null);
      } catch (error) {
        logger.error({ err: error, document: documentName }, 'presence not detached');
      }
    },
  };
  return { extension, onEdit };
}

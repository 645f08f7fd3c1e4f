import type { Connection, Extension, afterLoadDocumentPayload, afterUnloadDocumentPayload, onAwarenessUpdatePayload, onDisconnectPayload } from '@hocuspocus/server';
import type * as Y from 'yjs';
import { canWrite } from '../../auth/identity.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { touchOf } from '../../services/presence/edit-blocks.js';
import type { PresenceService } from '../../services/presence/presence-service.js';
import { createTokenBuckets } from '../../services/presence/token-bucket.js';
import type { CollabContext } from '../context.js';
import { safeHook } from '../safe-hook.js';

interface Attached {
  doc: Y.Doc;
  listener: (tr: Y.Transaction) => void;
  /** socket id -> Yjs client ids it spoke for, to drop their presence on disconnect. */
  sockets: Map<string, Set<number>>;
}

/**
 * Feeds the presence service from Hocuspocus, thinly:
 * - awareness (onAwarenessUpdate): the latest raw state per client is handed over as is, with
 *   the connection's user and whether its role may edit; carets are resolved at the service's
 *   tick, never per message. A connection sending more than `awarenessPerSecond` messages has the
 *   excess ignored for presence (the document still relays them).
 * - edits (the document's afterTransaction): top-level blocks touched and the client ids that
 *   wrote, for the connection's user. `redis` origins are skipped: the instance that received the
 *   edit records it; `local` ones have no writer.
 * - disconnect and unload drop the socket's clients and the document.
 *
 * Awareness that did not come from a connection here (relayed through Redis) is not fed in.
 * Nothing may throw out of these hooks: Hocuspocus does not catch onAwarenessUpdate, and the
 * transaction listener runs inside Yjs's cleanup.
 */
export function createPresenceExtension(deps: {
  service: PresenceService;
  clock: Clock;
  logger: Logger;
  /** Token bucket refill per connection. Default 20/s (burst 20). */
  awarenessPerSecond?: number;
}): Extension<CollabContext> {
  const { service, clock, logger } = deps;
  const buckets = createTokenBuckets<Connection<CollabContext>>(deps.awarenessPerSecond ?? 20);
  const documents = new Map<string, Attached>();

  function detach(name: string): void {
    const attached = documents.get(name);
    if (attached === undefined) return;
    attached.doc.off('afterTransaction', attached.listener);
    documents.delete(name);
  }

  function attach(doc: Y.Doc, name: string): void {
    let failures = 0;
    const listener = (tr: Y.Transaction): void => {
      try {
        const origin = tr.origin as { source?: string; connection?: { context?: CollabContext } } | null;
        if (origin?.source !== 'connection') return;
        const user = origin.connection?.context?.user;
        if (user === undefined) return;
        const touch = touchOf(tr);
        if (touch.blocks.length === 0 && touch.clientIds.length === 0) return;
        service.recordEdit(name, user.userId, touch.blocks, touch.clientIds);
      } catch (error) {
        if (failures++ < 3) logger.error({ err: error, document: name }, 'presence edit tracking failed');
      }
    };
    doc.on('afterTransaction', listener);
    documents.set(name, { doc, listener, sockets: new Map() });
    service.attachDocument(name, doc);
  }

  return {
    extensionName: 'storyloom-presence',
    priority: 400,

    async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload<CollabContext>) {
      try {
        detach(documentName);
        attach(document, documentName);
      } catch (error) {
        logger.error({ err: error, document: documentName }, 'presence not attached');
      }
    },

    onAwarenessUpdate: safeHook<onAwarenessUpdatePayload<CollabContext>>(logger, 'presence.onAwarenessUpdate', (payload) => {
      const { connection, documentName, awareness } = payload;
      const user = connection?.context?.user;
      const role = connection?.context?.role;
      if (connection === undefined || user === undefined || role === undefined) return;
      const attached = documents.get(documentName);
      let owned = attached?.sockets.get(connection.socketId);
      if (attached !== undefined && owned === undefined) attached.sockets.set(connection.socketId, (owned = new Set()));
      if (payload.removed.length > 0) service.removeClients(documentName, payload.removed);
      for (const id of payload.removed) owned?.delete(id);
      const now = clock.now();
      if (!buckets.take(connection, now)) return;
      const states = awareness.getStates();
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
        detach(documentName);
        service.attachDocument(documentName, null);
      } catch (error) {
        logger.error({ err: error, document: documentName }, 'presence not detached');
      }
    },
  };
}

import type { Extension, beforeHandleAwarenessPayload, onDisconnectPayload } from '@hocuspocus/server';
import { canWrite } from '../../lib/identity.js';
import type { CollabContext } from '../context.js';

/**
 * Nobody can impersonate another writer through awareness: the server overwrites every state's
 * `user` with the authenticated identity of the connection that sent it, and a connection may
 * only speak for the Yjs client ids it introduced first (a second connection claiming someone
 * else's client id has that state dropped). `user.canEdit` (the role may edit) is stamped too, so
 * another instance that hears this state through Redis knows whether the writer counts for
 * conflict prediction without trusting anything the client wrote.
 */
export function createAwarenessIdentityExtension(): Extension<CollabContext> {
  /** document name -> client id -> socket id that owns it */
  const owners = new Map<string, Map<number, string>>();

  return {
    extensionName: 'storyloom-awareness-identity',
    priority: 600,

    async beforeHandleAwareness({ states, context, socketId, documentName }: beforeHandleAwarenessPayload<CollabContext>) {
      const user = context?.user;
      if (!user) return; // server-side awareness (no connection): trusted
      let docOwners = owners.get(documentName);
      if (!docOwners) owners.set(documentName, (docOwners = new Map()));
      let first = true;
      for (const [clientId, state] of states) {
        // Hocuspocus decodes each message into a fresh scratch Awareness, whose own empty local
        // state (clock 0, inserted first, dropped again when applied) is in `states` too: claiming
        // its random client id would grow this map by one entry per awareness message.
        const scratchOwn = first && isEmptyRecord(state);
        first = false;
        if (scratchOwn) continue;
        const owner = docOwners.get(clientId);
        if (owner !== undefined && owner !== socketId) {
          states.delete(clientId);
          continue;
        }
        docOwners.set(clientId, socketId);
        if (state && typeof state === 'object') {
          const canEdit = context.role !== undefined && canWrite(context.role);
          (state as Record<string, unknown>).user = { id: user.userId, name: user.name, color: user.color, canEdit };
        }
      }
    },

    async onDisconnect({ documentName, socketId }: onDisconnectPayload<CollabContext>) {
      const docOwners = owners.get(documentName);
      if (!docOwners) return;
      for (const [clientId, owner] of docOwners) if (owner === socketId) docOwners.delete(clientId);
      if (docOwners.size === 0) owners.delete(documentName);
    },
  };
}

const isEmptyRecord = (value: unknown): boolean => typeof value === 'object' && value !== null && Object.keys(value).length === 0;

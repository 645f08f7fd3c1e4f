import type { Extension, beforeHandleAwarenessPayload, onDisconnectPayload } from '@hocuspocus/server';
import type { CollabContext } from '../context.js';

/**
 * Nobody can impersonate another writer through awareness: the server overwrites every state's
 * `user` with the authenticated identity of the connection that sent it, and a connection may
 * only speak for the Yjs client ids it introduced first (a second connection claiming someone
 * else's client id has that state dropped).
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
      for (const [clientId, state] of states) {
        const owner = docOwners.get(clientId);
        if (owner !== undefined && owner !== socketId) {
          states.delete(clientId);
          continue;
        }
        docOwners.set(clientId, socketId);
        if (state && typeof state === 'object') {
          (state as Record<string, unknown>).user = { id: user.userId, name: user.name, color: user.color };
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

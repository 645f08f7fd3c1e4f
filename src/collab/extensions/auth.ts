import {
  OutgoingMessage,
  type Connection,
  type Extension,
  type connectedPayload,
  type onAuthenticatePayload,
  type onDisconnectPayload,
  type onTokenSyncPayload,
} from '@hocuspocus/server';
import { canWrite, roleIn, type Identity, type Role } from '../../lib/identity.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { atDeadline } from '../../lib/deadline.js';
import { AppError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { toRefusal } from '../close-codes.js';
import type { ConnectionRegistry } from '../connection-registry.js';
import type { CollabContext } from '../context.js';
import { parseDocumentName } from '../document-name.js';


interface Session {
  /** Cancels the expiry timer (src/lib/deadline.ts). */
  cancelExpiry: (() => void) | undefined;
  /** Bumped by every token sync, so a slow verification never overrides a newer token. */
  seq: number;
}

/**
 * First in the chain: checks the document name, the token and the user's role in the project.
 * Refusals carry the fixed reasons `invalid-document-name`, `unauthorized` and `forbidden`.
 * reviewer and reader connect read-only, so Hocuspocus never applies (or we store) their updates.
 *
 * A connection lives as long as its token: it is closed with 4401 `unauthorized` at `exp` unless
 * the provider sent a fresh token first (`provider.sendToken()`, Hocuspocus `onTokenSync`). A
 * fresh token must verify, belong to the same user and still give a role in the project; a role
 * change switches the connection between read-write and read-only on the spot.
 *
 * Ending a connection closes its whole WebSocket, like the /ws/* gateway does: a Hocuspocus
 * per-document close carries only a reason (the provider reports code 1000) and leaves the
 * provider waiting for nothing, while a closed socket makes every provider on it reconnect and
 * authenticate again with its current token. One socket carries one client's documents (the
 * connection registry's revocation relies on the same).
 */
export function createAuthExtension(deps: {
  verifier: TokenVerifier;
  registry: ConnectionRegistry;
  logger: Logger;
  /** Token expiry is judged against this; default the system clock (the verifier's own). */
  clock?: Clock;
}): Extension<CollabContext> {
  const { verifier, registry, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const sessions = new Map<Connection<CollabContext>, Session>();
  /** socket id -> its connections with a session, so a disconnect finds its own in O(1). */
  const bySocket = new Map<string, Set<Connection<CollabContext>>>();

  /** Verifies a token for `projectId`: its identity and role, or an AppError. */
  async function admit(token: string | undefined, projectId: string): Promise<{ user: Identity; role: Role }> {
    const user = await verifier.verify(token);
    // The verifier tolerates 30 s of clock skew; an expired token still ends the connection at
    // once, so it is refused here rather than accepted and closed a moment later, in a loop.
    if (user.expiresAt <= clock.now()) throw new AppError('unauthorized', 'The token has expired');
    const role = roleIn(user, projectId);
    if (!role) throw new AppError('forbidden', `No role in project ${projectId}`, { projectId });
    return { user, role };
  }

  function end(connection: Connection<CollabContext>, error: unknown, why: string): void {
    const refusal = toRefusal(error);
    logger.info(
      { document: connection.document.name, user: connection.context.user?.userId, reason: refusal.reason, detail: errorMessage(error) },
      why,
    );
    forget(connection);
    const socket = connection.context.socket;
    if (socket) socket.close(refusal.code, refusal.reason);
    else connection.close(refusal);
  }

  function forget(connection: Connection<CollabContext>): void {
    const session = sessions.get(connection);
    session?.cancelExpiry?.();
    sessions.delete(connection);
    const siblings = bySocket.get(connection.socketId);
    siblings?.delete(connection);
    if (siblings?.size === 0) bySocket.delete(connection.socketId);
  }

  function armExpiry(connection: Connection<CollabContext>, session: Session): void {
    session.cancelExpiry?.();
    session.cancelExpiry = undefined;
    const expiresAt = connection.context.user?.expiresAt;
    if (expiresAt === undefined) return;
    session.cancelExpiry = atDeadline(clock, expiresAt, () => end(connection, new AppError('unauthorized', 'The token has expired'), 'token expired'));
  }

  /** The connection's session, created on first sight (`connected`, or a token sync racing it). */
  function track(connection: Connection<CollabContext>): Session {
    let session = sessions.get(connection);
    if (session) return session;
    sessions.set(connection, (session = { cancelExpiry: undefined, seq: 0 }));
    let siblings = bySocket.get(connection.socketId);
    if (!siblings) bySocket.set(connection.socketId, (siblings = new Set()));
    siblings.add(connection);
    return session;
  }

  const live = (connection: Connection<CollabContext>) => sessions.has(connection) && connection.document.hasConnection(connection);

  return {
    extensionName: 'storyloom-auth',
    priority: 900,

    async onAuthenticate(payload: onAuthenticatePayload<CollabContext>): Promise<Partial<CollabContext>> {
      try {
        const name = parseDocumentName(payload.documentName);
        const { user, role } = await admit(payload.token, name.projectId);
        payload.connectionConfig.readOnly = !canWrite(role);
        if (payload.context.socket) registry.add(user.userId, payload.context.socket);
        return { user, role, projectId: name.projectId, documentId: name.documentId };
      } catch (error) {
        const refusal = toRefusal(error);
        logger.info(
          { document: payload.documentName.slice(0, 200), reason: refusal.reason, detail: errorMessage(error) },
          'connection refused',
        );
        throw refusal;
      }
    },

    async connected({ connection }: connectedPayload<CollabContext>) {
      // The Connection exists only from here on; a connection that closed meanwhile needs no timer.
      if (connection.document.hasConnection(connection)) armExpiry(connection, track(connection));
    },

    /**
     * Never throws: Hocuspocus would console.error the refusal and close only this document with
     * code 1000, so the connection is ended here instead.
     */
    async onTokenSync(payload: onTokenSyncPayload<CollabContext>): Promise<Partial<CollabContext> | undefined> {
      const { connection } = payload;
      const current = connection.context;
      if (!current.user || !current.projectId || !connection.document.hasConnection(connection)) return undefined;
      const session = track(connection);
      const seq = ++session.seq;
      let next: { user: Identity; role: Role };
      try {
        next = await admit(payload.token, current.projectId);
        if (next.user.userId !== current.user.userId) {
          throw new AppError('unauthorized', 'The new token is for another user', { userId: next.user.userId });
        }
      } catch (error) {
        if (seq === session.seq && live(connection)) end(connection, error, 'token refresh refused');
        return undefined;
      }
      if (seq !== session.seq || !live(connection)) return undefined;
      const additions = { user: next.user, role: next.role };
      // Hocuspocus merges the returned additions into a copy of the hook context (used by
      // onDisconnect and the message hooks), while awareness and onChange read the Connection's
      // own context object: update both.
      Object.assign(connection.context, additions);
      const readOnly = !canWrite(next.role);
      if (readOnly !== connection.readOnly) {
        connection.readOnly = readOnly;
        payload.connectionConfig.readOnly = readOnly;
        // Tells the provider its new scope (authorizedScope), as the first authentication did.
        connection.send(new OutgoingMessage(connection.messageAddress).writeAuthenticated(readOnly).toUint8Array());
      }
      armExpiry(connection, session);
      return additions;
    },

    async onDisconnect({ documentName, socketId }: onDisconnectPayload<CollabContext>) {
      // Hocuspocus has already removed the closed connection from its document by now.
      for (const connection of [...(bySocket.get(socketId) ?? [])]) {
        if (connection.document.name === documentName && !connection.document.hasConnection(connection)) forget(connection);
      }
    },

    async onDestroy() {
      for (const connection of [...sessions.keys()]) forget(connection);
    },
  };
}

import { AppError } from '../lib/errors.js';
import type { SocketHandle } from './context.js';

/**
 * Which sockets belong to which user, so an admin can end every connection of a user whose
 * access the host application revoked. One socket may carry many documents; closing the socket
 * ends them all.
 *
 * A socket normally carries one user, but nothing in the Hocuspocus protocol stops a client from
 * authenticating a second document on the same socket with another user's token. The socket is
 * then recorded under BOTH users rather than moved to the last one: moving would let the first
 * user's documents outlive that user's revocation, and leaving the old entry unowned was the
 * stale-entry leak (issue 13 hole 8). removeSocket forgets it under every user.
 */
export interface ConnectionRegistry {
  /**
   * Records `socket` under `userId` (idempotent). Throws AppError 'rate-limited' when it would
   * give the user more than `maxSocketsPerUser` sockets.
   */
  add(userId: string, socket: SocketHandle): void;
  removeSocket(socketId: string): void;
  /** Closes every socket of the user; returns how many were closed. */
  disconnectUser(userId: string, code: number, reason: string): number;
  /** Sockets recorded (each once, whatever its users). */
  count(): number;
  /** Sockets recorded under the user. */
  countOf(userId: string): number;
}

export function createConnectionRegistry(options: { maxSocketsPerUser?: number } = {}): ConnectionRegistry {
  const max = options.maxSocketsPerUser ?? 0;
  const byUser = new Map<string, Map<string, SocketHandle>>();
  const usersOfSocket = new Map<string, Set<string>>();
  return {
    add(userId, socket) {
      let sockets = byUser.get(userId);
      if (sockets?.has(socket.id)) return;
      if (max > 0 && (sockets?.size ?? 0) >= max) {
        throw new AppError('rate-limited', `At most ${max} collaboration connections per user`, { limit: max });
      }
      if (!sockets) byUser.set(userId, (sockets = new Map()));
      sockets.set(socket.id, socket);
      let users = usersOfSocket.get(socket.id);
      if (!users) usersOfSocket.set(socket.id, (users = new Set()));
      users.add(userId);
    },
    removeSocket(socketId) {
      const users = usersOfSocket.get(socketId);
      if (users === undefined) return;
      usersOfSocket.delete(socketId);
      for (const userId of users) {
        const sockets = byUser.get(userId);
        sockets?.delete(socketId);
        if (sockets?.size === 0) byUser.delete(userId);
      }
    },
    disconnectUser(userId, code, reason) {
      const sockets = [...(byUser.get(userId)?.values() ?? [])];
      for (const socket of sockets) socket.close(code, reason);
      return sockets.length;
    },
    count: () => usersOfSocket.size,
    countOf: (userId) => byUser.get(userId)?.size ?? 0,
  };
}

import type { SocketHandle } from './context.js';

/**
 * Which sockets belong to which user, so an admin can end every connection of a user whose
 * access the host application revoked. One socket may carry many documents; closing the socket
 * ends them all.
 */
export interface ConnectionRegistry {
  add(userId: string, socket: SocketHandle): void;
  removeSocket(socketId: string): void;
  /** Closes every socket of the user; returns how many were closed. */
  disconnectUser(userId: string, code: number, reason: string): number;
  count(): number;
}

export function createConnectionRegistry(): ConnectionRegistry {
  const byUser = new Map<string, Map<string, SocketHandle>>();
  const userOfSocket = new Map<string, string>();
  return {
    add(userId, socket) {
      let sockets = byUser.get(userId);
      if (!sockets) byUser.set(userId, (sockets = new Map()));
      sockets.set(socket.id, socket);
      userOfSocket.set(socket.id, userId);
    },
    removeSocket(socketId) {
      const userId = userOfSocket.get(socketId);
      if (userId === undefined) return;
      userOfSocket.delete(socketId);
      const sockets = byUser.get(userId);
      sockets?.delete(socketId);
      if (sockets?.size === 0) byUser.delete(userId);
    },
    disconnectUser(userId, code, reason) {
      const sockets = [...(byUser.get(userId)?.values() ?? [])];
      for (const socket of sockets) socket.close(code, reason);
      return sockets.length;
    },
    count: () => userOfSocket.size,
  };
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hocuspocus, WebSocketLike } from '@hocuspocus/server';
import crossws from 'crossws/adapters/node';
import * as decoding from 'lib0/decoding';
import { ERROR_CODES } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { CollabContext, SocketHandle } from './context.js';

export interface CollabSocketServer {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** Closes every collaboration socket (shutdown). */
  closeAll(code: number, reason: string): void;
  count(): number;
}

type ClientConnection = ReturnType<Hocuspocus<CollabContext>['handleConnection']>;

/**
 * Hocuspocus 4 owns no WebSocket server; crossws's node adapter (over `ws`) does the upgrade
 * and we hand each socket to `hocuspocus.handleConnection`. `maxPayload` makes `ws` close an
 * oversized frame's connection with 1009 before any of it is buffered.
 */
export function createCollabSocketServer(deps: {
  hocuspocus: Hocuspocus<CollabContext>;
  registry: ConnectionRegistry;
  maxMessageBytes: number;
  logger: Logger;
}): CollabSocketServer {
  const { hocuspocus, registry, logger } = deps;
  const connections = new Map<string, ClientConnection>();

  const ws = crossws({
    serverOptions: { maxPayload: deps.maxMessageBytes },
    hooks: {
      open(peer) {
        const socket: SocketHandle = { id: peer.id, close: (code, reason) => peer.close(code, reason) };
        const connection = hocuspocus.handleConnection(
          peer.websocket as unknown as WebSocketLike,
          peer.request as Request,
          { socket },
        );
        connections.set(peer.id, connection);
      },
      message(peer, message) {
        // The Yjs protocol is binary only; a text frame is a confused or hostile client.
        if (typeof message.rawData === 'string') {
          peer.close(ERROR_CODES['invalid-message'].ws, 'invalid-message');
          return;
        }
        const bytes = message.uint8Array();
        if (!isWellFormed(bytes)) {
          peer.close(ERROR_CODES['invalid-message'].ws, 'invalid-message');
          return;
        }
        connections.get(peer.id)?.handleMessage(bytes);
      },
      close(peer, event) {
        registry.removeSocket(peer.id);
        const connection = connections.get(peer.id);
        connections.delete(peer.id);
        connection?.handleClose({ code: event.code ?? 1000, reason: event.reason ?? '' });
      },
      error(peer, error) {
        logger.warn({ err: error, peer: peer.id }, 'collaboration socket error');
      },
    },
  });

  return {
    handleUpgrade: (request, socket, head) => ws.handleUpgrade(request, socket, head),
    closeAll: (code, reason) => ws.closeAll(code, reason),
    count: () => connections.size,
  };
}

/** Message types a client may send (Hocuspocus MessageType: Sync .. Pong, minus server-only ones). */
const CLIENT_MESSAGE_TYPES = new Set([0, 1, 2, 3, 4, 5, 7, 9, 10]);

/**
 * Every frame starts with the document name (varString) and a message type (varUint). Checking
 * that much here costs a few bytes of decoding and turns garbage into a clear `invalid-message`
 * close, where Hocuspocus would answer a decoding error with a misleading 4401 Unauthorized.
 */
function isWellFormed(bytes: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(bytes);
    decoding.readVarString(decoder);
    return CLIENT_MESSAGE_TYPES.has(decoding.readVarUint(decoder));
  } catch {
    return false;
  }
}

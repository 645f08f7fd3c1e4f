import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hocuspocus, WebSocketLike } from '@hocuspocus/server';
import crossws from 'crossws/adapters/node';
import * as decoding from 'lib0/decoding';
import { systemClock, type Clock } from '../lib/clock.js';
import { ERROR_CODES } from '../lib/errors.js';
import { createRateBucket, type RateBucket, type RateSpec } from '../lib/rate-limit.js';
import type { Logger } from '../lib/logger.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { CollabContext, SocketHandle } from './context.js';

export interface CollabSocketServer {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** Closes every collaboration socket (shutdown). */
  closeAll(code: number, reason: string): void;
  count(): number;
  /** Abuse counters since start: sockets closed for limits, awareness frames dropped. */
  limitStats(): { rateLimitedSockets: number; tooManyDocumentsSockets: number; awarenessDropped: number };
}

/** Per-socket limits (README "Abuse limits"). */
export interface CollabSocketLimits {
  /** Every client frame; a socket past its bucket is closed with 4429 `rate-limited`. */
  messages: RateSpec;
  /** Awareness frames forwarded per second (burst 3 s worth); extra ones are dropped, not fatal. */
  awarenessPerSecond: number;
  /** Documents open at once on one socket; one more closes the socket with 4429. */
  maxDocumentsPerSocket: number;
}

/** Generous enough for any editor (a paste is one frame; typing is tens a second). */
export const DEFAULT_COLLAB_LIMITS: CollabSocketLimits = { messages: { ratePerSecond: 200, burst: 2_000 }, awarenessPerSecond: 10, maxDocumentsPerSocket: 100 };

interface PeerState {
  connection: ClientConnection;
  messages: RateBucket;
  awareness: RateBucket;
  documents: Set<string>;
  closed: boolean;
}

const AWARENESS = 1;
const CLOSE_DOCUMENT = 7;

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
  limits?: CollabSocketLimits;
  /** Clock of the rate limits: real time even when the server runs on a manual clock. */
  rateClock?: Clock;
}): CollabSocketServer {
  const { hocuspocus, registry, logger } = deps;
  const limits = deps.limits ?? DEFAULT_COLLAB_LIMITS;
  const rateClock = deps.rateClock ?? systemClock;
  const awarenessSpec = { ratePerSecond: limits.awarenessPerSecond, burst: limits.awarenessPerSecond * 3 };
  const connections = new Map<string, PeerState>();
  const counts = { rateLimitedSockets: 0, tooManyDocumentsSockets: 0, awarenessDropped: 0 };

  /** Closes a peer once for a limit; later frames of a closing socket are ignored. */
  function limit(peer: { id: string; close(code?: number, reason?: string): void }, state: PeerState, why: string): void {
    state.closed = true;
    logger.info({ peer: peer.id, why }, 'collaboration socket closed: limit');
    peer.close(ERROR_CODES['rate-limited'].ws, 'rate-limited');
  }

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
        connections.set(peer.id, {
          connection,
          messages: createRateBucket(limits.messages, rateClock),
          awareness: createRateBucket(awarenessSpec, rateClock),
          documents: new Set(),
          closed: false,
        });
      },
      message(peer, message) {
        const state = connections.get(peer.id);
        if (!state || state.closed) return;
        if (!state.messages.take().ok) {
          counts.rateLimitedSockets++;
          return limit(peer, state, 'message rate');
        }
        // The Yjs protocol is binary only; a text frame is a confused or hostile client.
        const head = typeof message.rawData === 'string' ? undefined : frameHead(message.uint8Array());
        if (!head) {
          state.closed = true;
          peer.close(ERROR_CODES['invalid-message'].ws, 'invalid-message');
          return;
        }
        if (head.type === CLOSE_DOCUMENT) {
          state.documents.delete(head.document);
        } else if (!state.documents.has(head.document)) {
          if (state.documents.size >= limits.maxDocumentsPerSocket) {
            counts.tooManyDocumentsSockets++;
            return limit(peer, state, 'documents per socket');
          }
          state.documents.add(head.document);
        }
        // Awareness is relayed to every other client of the document: a flood is amplified, so
        // the excess is dropped (the next update supersedes it) instead of relayed.
        if (head.type === AWARENESS && !state.awareness.take().ok) {
          counts.awarenessDropped++;
          return;
        }
        state.connection.handleMessage(head.bytes);
      },
      close(peer, event) {
        registry.removeSocket(peer.id);
        const connection = connections.get(peer.id)?.connection;
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
    limitStats: () => ({ ...counts }),
  };
}

/** Message types a client may send (Hocuspocus MessageType: Sync .. Pong, minus server-only ones). */
const CLIENT_MESSAGE_TYPES = new Set([0, 1, 2, 3, 4, 5, 7, 9, 10]);

/**
 * Every frame starts with the document name (varString) and a message type (varUint). Checking
 * that much here costs a few bytes of decoding and turns garbage into a clear `invalid-message`
 * close, where Hocuspocus would answer a decoding error with a misleading 4401 Unauthorized.
 */
function frameHead(bytes: Uint8Array): { document: string; type: number; bytes: Uint8Array } | undefined {
  try {
    const decoder = decoding.createDecoder(bytes);
    const document = decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    return CLIENT_MESSAGE_TYPES.has(type) ? { document, type, bytes } : undefined;
  } catch {
    return undefined;
  }
}

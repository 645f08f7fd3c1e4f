import { WebSocket } from 'ws';
import type { Identity } from '../lib/identity.js';
import { ERROR_CODES } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import { atDeadline } from '../lib/deadline.js';
import type { GatewayPath, ServerMessage } from './protocol.js';

/** A serialized server message. Events are serialized once per publish and shared by every socket. */
export interface Frame {
  readonly text: string;
  readonly bytes: number;
}

export function frameOf(message: ServerMessage): Frame {
  const text = JSON.stringify(message);
  return { text, bytes: Buffer.byteLength(text) };
}

/** One accepted gateway socket: its identity, its subscriptions and its bounded send path. */
export interface GatewayConnection {
  readonly id: string;
  readonly path: GatewayPath;
  readonly identity: Identity;
  /** Channel names this socket is subscribed to on its path. */
  readonly channels: Set<string>;
  /** Queues or sends; never throws, never blocks. Oldest queued frames are dropped past the budget. */
  send(frame: Frame): void;
  /** Bytes held for this socket right now: `ws`'s buffer plus the gateway's queue. */
  buffered(): number;
  /** Frames dropped for this socket by backpressure. */
  dropped(): number;
  /** Any sign of life (a pong or a message) keeps the socket through the next heartbeat tick. */
  markAlive(): void;
  /**
   * One heartbeat tick: terminates the socket if nothing was heard since the previous tick and
   * returns false; otherwise pings, sends `frame` and returns true.
   */
  heartbeat(frame: Frame): boolean;
  close(code: number, reason: string): void;
  /** Clears timers and the queue; called once the socket has closed. */
  dispose(): void;
}

export interface ConnectionOptions {
  ws: WebSocket;
  id: string;
  path: GatewayPath;
  identity: Identity;
  clock: Clock;
  /** Above this many bytes in `ws.bufferedAmount`, frames wait in the queue instead. */
  maxBufferedBytes: number;
  /** The queue holds at most this many frames (and at most `maxBufferedBytes` of them). */
  maxQueuedFrames: number;
  onSent(): void;
  onDropped(count: number): void;
}

/** How often a congested socket is re-checked, in case no send callback is left to wake it. */
const DRAIN_CHECK_MS = 50;

/**
 * Wraps a `ws` socket. Backpressure: while `bufferedAmount` is above the limit, frames go to a
 * queue bounded in frames and bytes; when it overflows the OLDEST frames are dropped (a live
 * feed's newest state matters most) and counted. The queue drains from send callbacks and a
 * short timer, so a slow reader costs at most about twice `maxBufferedBytes` plus one frame.
 */
export function createConnection(options: ConnectionOptions): GatewayConnection {
  const { ws, clock, maxBufferedBytes, maxQueuedFrames } = options;
  const queue: Frame[] = [];
  let queuedBytes = 0;
  let droppedCount = 0;
  let alive = true;
  let disposed = false;
  let drainTimer: NodeJS.Timeout | undefined;

  const open = () => !disposed && ws.readyState === WebSocket.OPEN;

  function write(frame: Frame): void {
    options.onSent();
    ws.send(frame.text, (error) => {
      // A completed write is the moment the buffer shrank: drain what waited behind it.
      if (!error && queue.length > 0) drain();
    });
  }

  function drain(): void {
    while (queue.length > 0 && open() && ws.bufferedAmount <= maxBufferedBytes) {
      const frame = queue.shift()!;
      queuedBytes -= frame.bytes;
      write(frame);
    }
    if (queue.length > 0 && open()) {
      drainTimer ??= setTimeout(() => {
        drainTimer = undefined;
        drain();
      }, DRAIN_CHECK_MS);
    }
  }

  function send(frame: Frame): void {
    if (!open()) return;
    if (queue.length === 0 && ws.bufferedAmount <= maxBufferedBytes) return write(frame);
    queue.push(frame);
    queuedBytes += frame.bytes;
    let dropped = 0;
    // Keep at least the newest frame even if it alone exceeds the byte budget.
    while (queue.length > 1 && (queue.length > maxQueuedFrames || queuedBytes > maxBufferedBytes)) {
      queuedBytes -= queue.shift()!.bytes;
      dropped++;
    }
    if (dropped > 0) {
      droppedCount += dropped;
      options.onDropped(dropped);
    }
    drain();
  }

  function closeWith(code: number, reason: string): void {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
  }

  // The token's claims are fixed at connect time, so its expiry ends the session: the client
  // reconnects with a fresh token (and possibly different roles).
  const cancelExpiry = atDeadline(clock, options.identity.expiresAt, () => {
    send(frameOf({ type: 'error', code: 'unauthorized', message: 'The token has expired' }));
    closeWith(ERROR_CODES.unauthorized.ws, 'unauthorized');
  });

  return {
    id: options.id,
    path: options.path,
    identity: options.identity,
    channels: new Set(),
    send,
    buffered: () => (disposed ? 0 : ws.bufferedAmount + queuedBytes),
    dropped: () => droppedCount,
    markAlive() {
      alive = true;
    },
    heartbeat(frame) {
      if (!alive) {
        ws.terminate();
        return false;
      }
      alive = false;
      if (open()) {
        try {
          ws.ping();
        } catch {
          // The socket closed between the check and the ping; the close handler cleans up.
        }
      }
      send(frame);
      return true;
    },
    close: closeWith,
    dispose() {
      disposed = true;
      clearTimeout(drainTimer);
      cancelExpiry();
      queue.length = 0;
      queuedBytes = 0;
    },
  };
}

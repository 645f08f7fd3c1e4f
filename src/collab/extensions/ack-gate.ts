import type { Connection } from '@hocuspocus/server';

/** Hocuspocus's outgoing message type for "your sync/update was applied" (MessageType.SyncStatus). */
const SYNC_STATUS = 8;

interface Gate {
  /** Tickets for acknowledgements not sent yet, in the order Hocuspocus will send them. */
  tickets: Promise<void>[];
  /** Acknowledgements waiting for their ticket (or an earlier one). */
  held: number;
  chain: Promise<void>;
}

export interface AckGate {
  /**
   * The next acknowledgement Hocuspocus sends on this connection leaves once `ticket` resolves,
   * and never before an acknowledgement held earlier on the same connection.
   */
  holdNext(connection: Connection, ticket: Promise<void>): void;
}

/**
 * Durable acknowledgement without stalling the writer. Hocuspocus 4 sends a client its
 * acknowledgement (a SyncStatus frame) right after `beforeSync` resolves, and handles one
 * connection's messages one at a time: a hook that awaited the commit would hold up every later
 * edit of that writer for as long as the store is away (30 s of Postgres outage = 30 s in which
 * the writer's edits reach nobody). So the hook returns once the update is applied and queued,
 * and this gate holds the acknowledgement itself: it wraps the connection's `send` and delays its
 * SyncStatus frames, in order, until each one's ticket (its rows committed) resolves. Every other
 * frame (other writers' updates, awareness) passes at once.
 *
 * The pairing is exact because a connection's messages are processed in order and the hook runs
 * right before the acknowledgement of its own message: when Hocuspocus sends it, the newest
 * ticket is that message's. A message the hook did not hold (a read-only one, an empty update) is
 * acknowledged at once unless earlier ones are held, then in turn.
 */
export function createAckGate(): AckGate {
  const gates = new WeakMap<Connection, Gate>();

  function install(connection: Connection): Gate {
    const gate: Gate = { tickets: [], held: 0, chain: Promise.resolve() };
    const send = connection.send.bind(connection);
    connection.send = (message: Uint8Array) => {
      if (!isSyncStatus(message)) return send(message);
      const ticket = gate.tickets.shift();
      if (!ticket && gate.held === 0) return send(message);
      gate.held++;
      gate.chain = gate.chain
        .then(() => ticket)
        .then(() => {
          gate.held--;
          // A closed connection drops it (Connection.send checks the socket's state).
          send(message);
        });
    };
    gates.set(connection, gate);
    return gate;
  }

  return {
    holdNext(connection, ticket) {
      (gates.get(connection) ?? install(connection)).tickets.push(ticket);
    },
  };
}

/**
 * Whether an outgoing frame (varString address, varUint type, ...) is a SyncStatus. Every frame
 * the server sends passes here (~12,000 a second in the hot-doc benchmark, mostly awareness), so
 * it skips the address by its length prefix instead of decoding it as a string.
 */
export function isSyncStatus(frame: Uint8Array): boolean {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= frame.length || shift > 28) return false;
    const byte = frame[pos++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  // The type is a varUint; SYNC_STATUS (8) fits in one byte without a continuation bit.
  return frame[pos + length] === SYNC_STATUS;
}

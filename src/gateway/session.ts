import type { ErrorCode } from '../lib/errors.js';
import { frameOf, type GatewayConnection } from './connection.js';
import type { Fanout } from './fanout.js';
import { canSubscribe, parseChannel, parseClientMessage, type ClientMessage } from './protocol.js';
import type { SubscriptionIndex } from './subscriptions.js';

/** Client messages one socket may have waiting (behind a Redis SUBSCRIBE) before it is told to slow down. */
const MAX_PENDING_MESSAGES = 64;

/**
 * Turns one socket's text frames into replies. Every problem is an `error` message and the socket
 * keeps serving its other subscriptions: one bad subscribe never costs a client its whole feed.
 * Messages of one socket are handled in order (a subscribe waiting for Redis is not overtaken by
 * the unsubscribe that follows it), and the wait is bounded per socket.
 */
export function createSession(deps: {
  connection: GatewayConnection;
  index: SubscriptionIndex<GatewayConnection>;
  fanout: Fanout;
  maxSubscriptions: number;
}): { receive(text: string): void; receiveBinary(): void; end(): void } {
  const { connection, index, fanout } = deps;
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let ended = false;

  const error = (code: ErrorCode, message: string, channel?: string) =>
    connection.send(frameOf({ type: 'error', code, message, ...(channel === undefined ? {} : { channel }) }));

  async function handle(message: ClientMessage): Promise<void> {
    if (message.type === 'ping') {
      connection.send(frameOf({ type: 'pong', ...(message.id === undefined ? {} : { id: message.id }) }));
      return;
    }
    const channel = parseChannel(message.channel);
    if (!channel) {
      return error(
        'validation-failed',
        'Channels are project:<projectId>, document:<projectId>/<documentId> or user:<userId>',
        message.channel,
      );
    }
    if (message.type === 'unsubscribe') {
      if (connection.channels.delete(channel.name)) index.remove(connection.path, channel.name, connection);
      connection.send(frameOf({ type: 'unsubscribed', channel: channel.name }));
      return;
    }
    if (!canSubscribe(connection.identity, channel)) {
      const why =
        channel.kind === 'user' ? 'A user channel is only open to that user' : `The token has no role in project ${channel.projectId}`;
      return error('forbidden', why, channel.name);
    }
    if (!connection.channels.has(channel.name)) {
      if (connection.channels.size >= deps.maxSubscriptions) {
        return error('rate-limited', `At most ${deps.maxSubscriptions} subscriptions per socket`, channel.name);
      }
      connection.channels.add(channel.name);
      index.add(connection.path, channel.name, connection);
    }
    // Answer only once remote publishes are guaranteed to arrive: "subscribed" means it.
    await fanout.ready(channel.name);
    if (!ended && connection.channels.has(channel.name)) {
      connection.send(frameOf({ type: 'subscribed', channel: channel.name }));
    }
  }

  return {
    receive(text) {
      const parsed = parseClientMessage(text);
      if (!parsed.ok) return error(parsed.code, parsed.message);
      if (pending >= MAX_PENDING_MESSAGES) {
        const channel = 'channel' in parsed.message ? parsed.message.channel : undefined;
        return error('rate-limited', 'Too many messages waiting; wait for replies before sending more', channel);
      }
      pending++;
      chain = chain
        .then(() => (ended ? undefined : handle(parsed.message)))
        .catch(() => error('internal-error', 'The message could not be handled'))
        .finally(() => {
          pending--;
        });
    },
    receiveBinary() {
      // Chosen over closing the socket: a binary frame is one more malformed message, and the
      // gateway's rule for bad input is "a clear error, keep serving".
      error('invalid-message', 'Binary frames are not accepted: send JSON text frames');
    },
    end() {
      ended = true;
      for (const name of connection.channels) index.remove(connection.path, name, connection);
      connection.channels.clear();
    },
  };
}

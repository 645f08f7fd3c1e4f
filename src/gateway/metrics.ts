import { Counter, Gauge, type Registry } from 'prom-client';
import { CHANNEL_KINDS, GATEWAY_PATH_NAMES, type ChannelKind, type GatewayPath } from './protocol.js';

/** Live numbers of one gateway (GET /api/realtime/websocket/stats presents these). */
export interface GatewayStats {
  /** Open sockets per path. */
  connections: Record<GatewayPath, number>;
  /** Distinct channel names with at least one local subscriber. */
  channels: number;
  /** (socket, channel) subscriptions in total. */
  subscriptions: number;
  /** Frames received from clients (valid or not). */
  messagesIn: number;
  /** Frames handed to sockets (events, replies, heartbeats). */
  messagesOut: number;
  /** Frames dropped by backpressure, oldest first. */
  dropped: number;
  /** Bytes currently held for sending across all sockets (`ws` buffers plus gateway queues). */
  bufferedBytes: number;
}

/** Counts kept by the gateway; `record*` also feed Prometheus when a registry was given. */
export interface GatewayCounters {
  recordIn(path: GatewayPath): void;
  recordOut(path: GatewayPath): void;
  recordDropped(path: GatewayPath, count: number): void;
  totals(): { messagesIn: number; messagesOut: number; dropped: number };
}

/**
 * Plain counters for `stats()`, mirrored into prom-client metrics registered on the caller's
 * registry (never the global one: tests run several gateways in one process).
 */
export function createGatewayCounters(
  registry: Registry | undefined,
  live: () => GatewayStats,
  subscriptionsByKind?: () => Record<ChannelKind, number>,
): GatewayCounters {
  const totals = { messagesIn: 0, messagesOut: 0, dropped: 0 };
  const registers = registry ? [registry] : [];
  const messagesIn = new Counter({ name: 'storyloom_gateway_messages_in_total', help: 'Frames received on /ws/* gateway sockets', labelNames: ['path'], registers });
  const messagesOut = new Counter({ name: 'storyloom_gateway_messages_out_total', help: 'Frames sent on /ws/* gateway sockets', labelNames: ['path'], registers });
  const dropped = new Counter({ name: 'storyloom_gateway_dropped_total', help: 'Gateway frames dropped by backpressure (slow readers)', labelNames: ['path'], registers });
  if (registry) {
    new Gauge({
      name: 'storyloom_gateway_connections',
      help: 'Open /ws/* gateway sockets',
      labelNames: ['path'],
      registers,
      collect() {
        const { connections } = live();
        for (const path of GATEWAY_PATH_NAMES) this.set({ path }, connections[path]);
      },
    });
    new Gauge({ name: 'storyloom_gateway_channels', help: 'Distinct gateway channels with local subscribers', registers, collect() { this.set(live().channels); } });
    new Gauge({ name: 'storyloom_gateway_subscriptions', help: 'Gateway channel subscriptions', registers, collect() { this.set(live().subscriptions); } });
    if (subscriptionsByKind) {
      // What the subscription index holds, by channel kind: entries left after their sockets closed are a leak.
      new Gauge({
        name: 'storyloom_gateway_subscriptions_by_kind',
        help: 'Gateway channel subscriptions by channel kind (project, document, user)',
        labelNames: ['kind'],
        registers,
        collect() {
          const counts = subscriptionsByKind();
          for (const kind of CHANNEL_KINDS) this.set({ kind }, counts[kind]);
        },
      });
    }
    new Gauge({ name: 'storyloom_gateway_buffered_bytes', help: 'Bytes waiting to be sent on gateway sockets', registers, collect() { this.set(live().bufferedBytes); } });
  }
  return {
    recordIn(path) {
      totals.messagesIn++;
      messagesIn.inc({ path });
    },
    recordOut(path) {
      totals.messagesOut++;
      messagesOut.inc({ path });
    },
    recordDropped(path, count) {
      totals.dropped += count;
      dropped.inc({ path }, count);
    },
    totals: () => ({ ...totals }),
  };
}

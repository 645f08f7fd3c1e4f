import { CHANNEL_KINDS, type ChannelKind, type GatewayPath } from './protocol.js';

/**
 * Who listens to what on this instance, keyed by (path, channel). It also reference-counts
 * channel names across paths so the cross-instance fan-out listens to a channel exactly while
 * some local socket does.
 */
export interface SubscriptionIndex<M> {
  /** Adds; returns true when `member` was not subscribed yet. */
  add(path: GatewayPath, channel: string, member: M): boolean;
  /** Removes; returns true when `member` was subscribed. */
  remove(path: GatewayPath, channel: string, member: M): boolean;
  members(path: GatewayPath, channel: string): ReadonlySet<M> | undefined;
  /** Distinct channel names with at least one local subscriber (any path). */
  channelCount(): number;
  /** (member, path, channel) subscriptions in total. */
  subscriptionCount(): number;
  /** Subscriptions by channel kind (the prefix of the channel name): for /metrics, O(channels). */
  subscriptionsByKind(): Record<ChannelKind, number>;
}

export function createSubscriptionIndex<M>(hooks: {
  /** A channel name got its first local subscriber (on any path). */
  onChannelActive(channel: string): void;
  /** A channel name lost its last local subscriber. */
  onChannelIdle(channel: string): void;
}): SubscriptionIndex<M> {
  const byKey = new Map<string, Set<M>>();
  const refs = new Map<string, number>();
  let total = 0;
  // A NUL separator cannot occur in a valid channel name or path.
  const keyOf = (path: GatewayPath, channel: string) => `${path}\u0000${channel}`;

  return {
    add(path, channel, member) {
      const key = keyOf(path, channel);
      let set = byKey.get(key);
      if (!set) byKey.set(key, (set = new Set()));
      if (set.has(member)) return false;
      set.add(member);
      total++;
      const count = (refs.get(channel) ?? 0) + 1;
      refs.set(channel, count);
      if (count === 1) hooks.onChannelActive(channel);
      return true;
    },
    remove(path, channel, member) {
      const key = keyOf(path, channel);
      const set = byKey.get(key);
      if (!set?.delete(member)) return false;
      if (set.size === 0) byKey.delete(key);
      total--;
      const count = (refs.get(channel) ?? 1) - 1;
      if (count > 0) {
        refs.set(channel, count);
      } else {
        refs.delete(channel);
        hooks.onChannelIdle(channel);
      }
      return true;
    },
    members: (path, channel) => byKey.get(keyOf(path, channel)),
    channelCount: () => refs.size,
    subscriptionCount: () => total,
    subscriptionsByKind() {
      const counts = Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, 0])) as Record<ChannelKind, number>;
      for (const [key, members] of byKey) {
        const kind = key.slice(key.indexOf('\u0000') + 1).split(':', 1)[0] as ChannelKind;
        if (kind in counts) counts[kind] += members.size;
      }
      return counts;
    },
  };
}

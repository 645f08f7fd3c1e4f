/**
 * A single instance needs no Redis: this in-process LiveSessionStore keeps the same expiry
 * semantics, so the service behaves the same with or without REDIS_URL.
 */
import type { LiveSessionStore } from './ports.js';

/** How long live state outlives its last write (both implementations). */
export const LIVE_STATE_TTL_MS = 24 * 60 * 60 * 1000;

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/**
 * Live session state for a single instance (no REDIS_URL): plain maps with the same 24 h expiry
 * as the Redis store, checked lazily on read. `now` is wall time on purpose: expiry is about
 * memory, not about the (possibly replayed) time the writing model runs on.
 */
export function createMemoryLiveSessionStore(options: { ttlMs?: number; now?: () => number } = {}): LiveSessionStore {
  const ttl = options.ttlMs ?? LIVE_STATE_TTL_MS;
  const now = options.now ?? Date.now;
  const keys = new Map<string, Expiring<string>>();
  const groups = new Map<string, Expiring<Map<string, string>>>();

  const live = <T>(map: Map<string, Expiring<T>>, key: string): T | undefined => {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  };

  return {
    async get(key) {
      return live(keys, key) ?? null;
    },
    async set(key, value) {
      keys.set(key, { value, expiresAt: now() + ttl });
    },
    async delete(key) {
      keys.delete(key);
    },
    async claim(key) {
      if (live(keys, key) !== undefined) return false;
      keys.set(key, { value: '1', expiresAt: now() + ttl });
      return true;
    },
    async addMember(group, member, value) {
      const members = live(groups, group) ?? new Map<string, string>();
      members.set(member, value);
      groups.set(group, { value: members, expiresAt: now() + ttl });
    },
    async removeMember(group, member) {
      const members = live(groups, group);
      if (members === undefined) return;
      members.delete(member);
      if (members.size === 0) groups.delete(group);
    },
    async members(group) {
      return new Map(live(groups, group) ?? []);
    },
  };
}

/**
 * A token bucket per key (a connection): `ratePerSecond` refill up to `burst`. Used to ignore an
 * awareness flood for presence without closing the connection (the document still syncs).
 */
export interface TokenBuckets<K extends object> {
  /** Takes one token for `key` at `now`; false when the bucket is empty (the message is ignored). */
  take(key: K, now: number): boolean;
}

export function createTokenBuckets<K extends object>(ratePerSecond = 20, burst = ratePerSecond): TokenBuckets<K> {
  // Weak: a closed connection takes its bucket along, no cleanup hook needed.
  const buckets = new WeakMap<K, { tokens: number; at: number }>();
  return {
    take(key, now) {
      const b = buckets.get(key) ?? { tokens: burst, at: now };
      b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) * ratePerSecond) / 1000);
      b.at = now;
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}

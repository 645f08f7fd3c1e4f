/**
 * The pseudonymous actor of an event: HMAC-SHA256 of the user id under a server key, hex, first 32
 * characters (128 bits). Events are read by many consumers (archive, analytics, notifications,
 * workflows, dashboards) and sit in Redis and Postgres for weeks, so they carry no name, email or
 * raw user id; whoever holds the key (the server) can still recompute a user's actor to look
 * their events up or erase them.
 *
 * Why truncating to 128 bits is fine: the output is an identifier, not a signature nobody may
 * forge. Two users collide with probability about n^2 / 2^129, about 1e-26 for a million users;
 * and without the key, 128 bits are as infeasible to invert or correlate as 256. Half the bytes in
 * every event, every index and every dedupe key adds up.
 */
import { createHmac } from 'node:crypto';

/** Hex characters kept from the HMAC (128 bits). */
export const ACTOR_HASH_LENGTH = 32;

/**
 * Returns `(userId) => actor` for one key. The key must be secret and stable: changing it gives
 * every user a new actor (history then no longer joins up). Throws for a key under 16 characters.
 */
export function createActorHasher(key: string): (userId: string) => string {
  if (key.length < 16) throw new Error('The actor key must be at least 16 characters (use a random server secret)');
  // Every edit's events need the writer's actor: remember recent ones (an HMAC is ~5 µs, a Map
  // lookup nothing). Bounded: past the limit it starts over rather than grow.
  const known = new Map<string, string>();
  return (userId: string) => {
    let actor = known.get(userId);
    if (actor === undefined) {
      actor = createHmac('sha256', key).update(userId, 'utf8').digest('hex').slice(0, ACTOR_HASH_LENGTH);
      if (known.size >= MAX_REMEMBERED) known.clear();
      known.set(userId, actor);
    }
    return actor;
  };
}

const MAX_REMEMBERED = 10_000;

/**
 * Reconnect backoff: exponential with full jitter. The SDK's own copy of the server's
 * src/lib/backoff.ts (a package may not import the server's sources); the options keep the SDK's
 * public names (`initialMs`, `maxMs`, `factor`).
 */

export interface BackoffOptions {
  /** Ceiling of the first delay (attempt 0). */
  initialMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
  /** How much the ceiling grows per attempt. */
  factor: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 30_000, factor: 2 });

/**
 * Delay before reconnect attempt `attempt` (0-based): a uniformly random integer in
 * `[0, min(maxMs, initialMs * factor^attempt)]`. Full jitter spreads the clients a server restart
 * dropped over the whole window, so they do not all come back in step. Pass `random` (returning
 * [0, 1)) to make it deterministic.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.min(64, Math.max(0, Math.floor(attempt)));
  const ceiling = Math.max(0, Math.min(options.maxMs, options.initialMs * options.factor ** exponent));
  return Math.round(random() * ceiling);
}

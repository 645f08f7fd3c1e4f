/**
 * Time and timers are injected so token refresh, reconnect backoff and heartbeat watchdogs can be
 * tested with a manual clock instead of sleeps (ARCHITECTURE §4.5).
 */

/** Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** Opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = { now: () => Date.now() };

/** setTimeout caps delays at 2^31-1 ms (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

export const systemTimers: Timers = {
  setTimeout(callback, ms) {
    return setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_MS));
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

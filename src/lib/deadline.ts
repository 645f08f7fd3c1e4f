import type { Clock } from './clock.js';

/** setTimeout's ceiling (about 24.8 days); a later deadline is re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once `clock.now()` reaches `at` (at once, synchronously, when it already has).
 * Token expiries can be months away, past what one setTimeout can wait, so the timer re-arms
 * until the deadline is really reached. The timer never keeps the process alive. Returns a
 * cancel function (idempotent).
 */
export function atDeadline(clock: Clock, at: number, fn: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    timer = undefined;
    const remaining = at - clock.now();
    if (remaining <= 0) return fn();
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
    timer.unref?.();
  };
  arm();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}

import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/lib/backoff.js';

const BOUNDS = { baseMs: 100, maxMs: 5_000 };
const top = (attempt: number) => backoffDelay(attempt, BOUNDS, () => 1);

describe('backoffDelay (full jitter)', () => {
  it('ceiling doubles from baseMs and stops at maxMs', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(top)).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000]);
    expect(top(1_000)).toBe(5_000);
    expect(top(Number.MAX_SAFE_INTEGER)).toBe(5_000);
  });

  it('the ceiling never shrinks as attempts grow', () => {
    let previous = 0;
    for (let attempt = 0; attempt < 80; attempt++) {
      const ceiling = top(attempt);
      expect(ceiling).toBeGreaterThanOrEqual(previous);
      expect(ceiling).toBeLessThanOrEqual(BOUNDS.maxMs);
      previous = ceiling;
    }
  });

  it('spans the whole window: 0 at random 0, the ceiling at 1, proportional between', () => {
    expect(backoffDelay(3, BOUNDS, () => 0)).toBe(0);
    expect(backoffDelay(3, BOUNDS, () => 0.5)).toBe(400);
    expect(backoffDelay(3, BOUNDS, () => 0.25)).toBe(200);
  });

  it('with Math.random: integers inside [0, ceiling], spread over the range', () => {
    const delays = Array.from({ length: 2_000 }, () => backoffDelay(4, BOUNDS));
    for (const d of delays) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1_600);
    }
    // Full jitter, not "equal" jitter: delays fall in the lower half too.
    expect(delays.some((d) => d < 400)).toBe(true);
    expect(delays.some((d) => d > 1_200)).toBe(true);
  });

  it('treats negative and fractional attempts as their floor, at least 0', () => {
    expect(top(-3)).toBe(100);
    expect(top(2.9)).toBe(400);
  });
});

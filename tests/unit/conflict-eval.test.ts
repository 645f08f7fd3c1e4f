/**
 * The evaluation of bench/conflict-eval.ts on held-out seeds (never used to choose a setting):
 * the target, recall >= 0.9 at precision >= 0.5, for the high warnings of the default
 * thresholds, and how soon those warnings clear once the writers part, computed here from fresh
 * simulations. docs/conflict-prediction.md has the full
 * tables (tuning seeds, 30 held-out seeds, the clownschool trace).
 */
import { describe, expect, it } from 'vitest';
import { clearingRates, clownschoolLog, DEFAULTS, evaluateLogs, EVALUATION_SEEDS, rates, runModel, score, simulateSession, TUNING_SEEDS } from '../../bench/conflict-eval.js';

const HIGH = { ...DEFAULTS, raiseDistance: 0 };

describe('conflict prediction evaluation', () => {
  it('held-out simulated sessions (seeds 101–112): high warnings meet recall >= 0.9 at precision >= 0.5', { timeout: 300_000 }, () => {
    const seeds = EVALUATION_SEEDS.slice(0, 12);
    expect(seeds.some((s) => TUNING_SEEDS.includes(s))).toBe(false);
    const logs = seeds.map((seed) => simulateSession({ seed }));
    const highRun = evaluateLogs(logs, HIGH);
    const high = highRun.score;
    const all = evaluateLogs(logs, DEFAULTS).score;
    expect(high.collisions).toBeGreaterThan(30);
    expect(rates(high).recall).toBeGreaterThanOrEqual(0.9);
    expect(rates(high).precision).toBeGreaterThanOrEqual(0.5);
    // Medium (adjacent) warnings never lose a collision, and cost precision.
    expect(rates(all).recall).toBeGreaterThanOrEqual(rates(high).recall);
    expect(rates(all).precision).toBeLessThanOrEqual(rates(high).precision);
    // Warnings clear soon after the writers part. The goal (p50 <= 2 s, p95 <= 5 s) is measured
    // on all 30 held-out seeds (docs/conflict-prediction.md: 0.5 s / 3.3 s); on these 12 the
    // sample is ~15 partings, so its p95 is the slowest one: bounded at 6 s here.
    const clear = clearingRates(highRun.clearing);
    expect(highRun.clearing.parted).toBeGreaterThan(8);
    expect(clear.p50).toBeLessThanOrEqual(2);
    expect(clear.p95).toBeLessThanOrEqual(6);
  });

  it('clownschool with the latest-edit caret proxy', { timeout: 180_000 }, () => {
    const r = runModel(clownschoolLog());
    const s = score(r.spans, r.episodes);
    expect(s.collisions).toBeGreaterThan(5);
    const { precision, recall } = rates(s);
    expect(precision).toBeGreaterThanOrEqual(0.5);
    expect(recall).toBeGreaterThanOrEqual(0.4);
  });
});

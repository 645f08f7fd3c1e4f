/**
 * The evaluation of bench/conflict-eval.ts, smaller (four evaluation seeds, not twelve) and with
 * loose bounds: it guards against regressions of the model, docs/conflict-prediction.md has the
 * full numbers. Settings are the tuned defaults; "high" runs only same-block/overlap warnings.
 */
import { describe, expect, it } from 'vitest';
import { addScores, clownschoolLog, EVALUATION_SEEDS, rates, runModel, score, simulateSession } from '../../bench/conflict-eval.js';

const HIGH_ONLY = { raiseDistance: 0 };

describe('conflict prediction evaluation', () => {
  it('simulated sessions: high warnings catch most collisions at useful precision', { timeout: 180_000 }, () => {
    const logs = EVALUATION_SEEDS.slice(0, 4).map((seed) => simulateSession({ seed }));
    const high = rates(addScores(logs.map((log) => { const r = runModel(log, HIGH_ONLY); return score(r.spans, r.episodes); })));
    const all = rates(addScores(logs.map((log) => { const r = runModel(log); return score(r.spans, r.episodes); })));
    expect(high.recall).toBeGreaterThanOrEqual(0.75);
    expect(high.precision).toBeGreaterThanOrEqual(0.5);
    // Adding medium (adjacent) warnings never loses a collision, and costs precision.
    expect(all.recall).toBeGreaterThanOrEqual(high.recall);
    expect(all.precision).toBeLessThanOrEqual(high.precision);
  });

  it('clownschool with the latest-edit caret proxy', { timeout: 180_000 }, () => {
    const log = clownschoolLog();
    const r = runModel(log);
    const s = score(r.spans, r.episodes);
    expect(s.collisions).toBeGreaterThan(5);
    const { precision, recall } = rates(s);
    expect(precision).toBeGreaterThanOrEqual(0.5);
    expect(recall).toBeGreaterThanOrEqual(0.4);
  });
});

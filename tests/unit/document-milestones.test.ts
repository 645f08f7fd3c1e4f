import { describe, expect, it } from 'vitest';
import { DocumentMilestones, type RunnerEdit } from '../../src/services/writing/session-outputs.js';

const edit = (documentId: string, documentWords: number, netWords: number): RunnerEdit => ({
  kind: 'edit',
  documentId,
  wordsAdded: Math.max(0, netWords),
  wordsRemoved: 0,
  netWords,
  chars: 1,
  paste: false,
  at: 0,
  documentWords,
});

describe('DocumentMilestones', () => {
  it('keeps at most `limit` documents: one mark per document ever written no longer grows for the life of the process', () => {
    const milestones = new DocumentMilestones(100, 50);
    for (let i = 0; i < 1_000; i++) milestones.reached('book', edit(`doc-${i}`, 10, 1), 1, {});
    expect(milestones.size).toBeLessThanOrEqual(50);
    expect(milestones.size).toBeGreaterThan(0);
  });

  it('announces a milestone once, also when the mark was forgotten in between', () => {
    const milestones = new DocumentMilestones(100, 1);
    expect(milestones.reached('book', edit('a', 99, 1), 1, {})).toBeNull();
    expect(milestones.reached('book', edit('a', 100, 1), 2, {})).toEqual({ reached: 100, value: 100 });
    expect(milestones.reached('book', edit('a', 101, 1), 3, {})).toBeNull();
    // Another document pushes 'a' out; its mark comes back from the count before the next edit.
    milestones.reached('book', edit('b', 5, 1), 1, {});
    expect(milestones.size).toBe(1);
    expect(milestones.reached('book', edit('a', 102, 1), 4, {})).toBeNull();
    expect(milestones.reached('book', edit('a', 200, 1), 5, {})).toEqual({ reached: 200, value: 200 });
  });
});

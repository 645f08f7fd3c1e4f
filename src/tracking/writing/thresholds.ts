/**
 * Thresholds of the writing-session model. Defaults and their sources: docs/writing-analytics.md.
 * All durations in milliseconds, paces in words per minute (WPM).
 */
export interface WritingThresholds {
  /** No input for this long: writing -> paused. */
  readonly pauseAfterMs: number;
  /** No input for this long: paused -> break. */
  readonly breakAfterMs: number;
  /** No input for this long: the session ends (WakaTime's "keystroke timeout" idea). */
  readonly endAfterMs: number;
  /** Writing time (not counting pauses) before warming_up becomes active. */
  readonly warmUpMs: number;
  /** Width of the sliding window pace is measured over. */
  readonly paceWindowMs: number;
  /** Flow needs at least this long of writing with no gap between edits of flowMaxGapMs or more. */
  readonly flowMinStreakMs: number;
  /** A gap between edits this long breaks the streak (and ends flow). */
  readonly flowMaxGapMs: number;
  /** Flow needs a pace of at least max(flowMinWpm, flowMedianFactor x the writer's median WPM). */
  readonly flowMinWpm: number;
  readonly flowMedianFactor: number;
  /** Flow ends when pace falls below flowExitFactor x the entry pace (hysteresis: no flapping). */
  readonly flowExitFactor: number;
  /** One edit adding this many words or more is a paste. */
  readonly pasteMinWords: number;
  /** More than this pace over pasteSustainedWindowMs is not composition: those words are pasted. */
  readonly pasteSustainedWpm: number;
  readonly pasteSustainedWindowMs: number;
  /** A break is suggested only after this much writing since the last break (or the start). */
  readonly breakSuggestAfterMs: number;
  /** ...and when pace fell in each of this many consecutive pace windows. */
  readonly breakSuggestFallingWindows: number;
}

const MINUTE = 60_000;

export const DEFAULT_WRITING_THRESHOLDS: WritingThresholds = Object.freeze({
  pauseAfterMs: 1 * MINUTE,
  breakAfterMs: 5 * MINUTE,
  endAfterMs: 15 * MINUTE,
  warmUpMs: 3 * MINUTE,
  paceWindowMs: 5 * MINUTE,
  flowMinStreakMs: 25 * MINUTE,
  flowMaxGapMs: 3 * MINUTE,
  flowMinWpm: 10,
  flowMedianFactor: 0.8,
  flowExitFactor: 0.8,
  pasteMinWords: 25,
  pasteSustainedWpm: 100,
  pasteSustainedWindowMs: 1 * MINUTE,
  breakSuggestAfterMs: 50 * MINUTE,
  breakSuggestFallingWindows: 2,
});

/**
 * Defaults overridden by `overrides`, checked. Throws RangeError naming every bad field (a
 * configuration error, found at startup).
 */
export function resolveWritingThresholds(overrides: Partial<WritingThresholds> = {}): WritingThresholds {
  const t: WritingThresholds = { ...DEFAULT_WRITING_THRESHOLDS, ...overrides };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(t) as [keyof WritingThresholds, number][]) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) problems.push(`${key} must be a positive number`);
  }
  if (!(t.pauseAfterMs < t.breakAfterMs && t.breakAfterMs < t.endAfterMs)) {
    problems.push('pauseAfterMs < breakAfterMs < endAfterMs must hold');
  }
  if (t.flowExitFactor > 1) problems.push('flowExitFactor must be at most 1');
  if (!Number.isInteger(t.breakSuggestFallingWindows)) problems.push('breakSuggestFallingWindows must be an integer');
  if (problems.length > 0) throw new RangeError(`invalid writing thresholds: ${problems.join('; ')}`);
  return Object.freeze(t);
}

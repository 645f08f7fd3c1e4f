/**
 * How often one writer's session speaks: words coalesced into one writing.words_written per
 * interval (and per document switch), metrics pushed at most once per interval. Kept apart from
 * WriterSession so the pacing state has one owner and the session only asks "is it due?".
 */
import type { PendingWords } from './effect-events.js';
import { withEdit, type RunnerEdit } from './session-outputs.js';

export class OutputPacer {
  private words: PendingWords | null = null;
  private lastWordsAt = -Infinity;
  private metricsDue = false;
  private lastMetricsAt = -Infinity;

  constructor(private readonly intervals: { wordsIntervalMs: number; metricsIntervalMs: number }) {}

  /** Words counted and not yet published. */
  get pendingWords(): PendingWords | null {
    return this.words;
  }

  /** A record new to the session (created or adopted): nothing pending, nothing sent yet. */
  reset(): void {
    this.words = null;
    this.lastWordsAt = -Infinity;
    this.lastMetricsAt = -Infinity;
    this.metricsDue = false;
  }

  /** The session is gone here (discarded or taken over): its pending words with it. */
  dropWords(): void {
    this.words = null;
  }

  addEdit(edit: RunnerEdit, at: number, paste: boolean): void {
    this.words = withEdit(this.words, edit, at, paste);
  }

  /** Pending words are due at `now` (any with `force`). */
  wordsDue(now: number, force: boolean): boolean {
    return this.words !== null && (force || now - this.lastWordsAt >= this.intervals.wordsIntervalMs);
  }

  /** The pending words span a whole interval since the last event (checked on the edit path, by the model's clock). */
  wordsWindowFull(): boolean {
    return this.words !== null && this.words.lastAt - this.lastWordsAt >= this.intervals.wordsIntervalMs;
  }

  /** Takes the pending words to publish them as of `at`; null when there are none. */
  takeWords(at: number): PendingWords | null {
    const words = this.words;
    if (words === null) return null;
    this.words = null;
    this.lastWordsAt = at;
    return words;
  }

  /** A metrics push is owed and due at `now` (any owed one with `force`). */
  metricsOwed(now: number, force: boolean): boolean {
    return this.metricsDue && (force || now - this.lastMetricsAt >= this.intervals.metricsIntervalMs);
  }

  /** After a change: true when metrics may be pushed at once; otherwise they are owed to a later flush. */
  metricsNow(now: number): boolean {
    if (now - this.lastMetricsAt >= this.intervals.metricsIntervalMs) return true;
    this.metricsDue = true;
    return false;
  }

  metricsPushed(now: number): void {
    this.metricsDue = false;
    this.lastMetricsAt = now;
  }
}

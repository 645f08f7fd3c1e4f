import type { PaceEntry } from './pace.js';
import type { WritingThresholds } from './thresholds.js';

/** The seven states of a writing session, in lifecycle order. */
export const WRITING_STATES = ['idle', 'warming_up', 'active', 'flow', 'paused', 'break', 'ended'] as const;
export type WritingState = (typeof WRITING_STATES)[number];

/** States in which the writer counts as writing (time here is "writing time"). */
export const WRITING_TIME_STATES: readonly WritingState[] = ['warming_up', 'active', 'flow'];

/**
 * One edit attributed to the session's writer (from the word index). `at` is when it happened,
 * in ms since the epoch: the model's only notion of time.
 */
export interface EditInput {
  readonly kind: 'edit';
  readonly documentId: string;
  readonly wordsAdded: number;
  readonly wordsRemoved: number;
  readonly netWords: number;
  /** Characters inserted plus deleted. */
  readonly chars: number;
  /** The client or adapter already knows this was a paste (clipboard, import, offline sync). */
  readonly paste: boolean;
  readonly at: number;
}

/** Time passes with no input (the adapter calls it periodically; the result never depends on how often). */
export interface TickInput {
  readonly kind: 'tick';
  readonly at: number;
}

/** The writer closed the document or logged out: end now. */
export interface EndInput {
  readonly kind: 'end';
  readonly at: number;
}

/** The writer is back (focus, reconnect) without writing yet: leaves paused/break, restarts the idle timers. */
export interface ResumeInput {
  readonly kind: 'resume';
  readonly at: number;
}

export type SessionInput = EditInput | TickInput | EndInput | ResumeInput;

export interface WordTotals {
  readonly wordsAdded: number;
  readonly wordsRemoved: number;
  readonly netWords: number;
  /** Positive net words of edits that are composition: they count toward pace. */
  readonly composedWords: number;
  /** Positive net words of pastes (bulk edits or over-fast stretches): totals only, never pace. */
  readonly pastedWords: number;
  readonly chars: number;
  readonly edits: number;
  readonly pastes: number;
}

/** An open flow episode. It survives a short pause: the writer is back in flow if they return in time. */
export interface FlowEpisode {
  readonly since: number;
  /** Time already spent in `flow` before this episode, to report the episode's own flow time. */
  readonly flowMsBefore: number;
}

/** The whole session, immutable. Create with `createWritingSession`, advance with `transition`. */
export interface WritingSession {
  readonly sessionId: string;
  readonly writerId: string;
  readonly projectId: string;
  readonly thresholds: WritingThresholds;
  /** The writer's own median WPM over the last 30 days, if known (flow threshold). */
  readonly medianWpm: number | null;
  readonly state: WritingState;
  /** First edit; null while idle. */
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly endReason: 'timeout' | 'explicit' | null;
  /** The latest time the model has been advanced to. */
  readonly clock: number | null;
  /** When the current state began. */
  readonly stateSince: number | null;
  /** Time spent in each state, for segments already closed; the current one runs from stateSince to clock. */
  readonly timeInState: Readonly<Record<WritingState, number>>;
  readonly lastInputAt: number | null;
  readonly lastEditAt: number | null;
  readonly warmUpDone: boolean;
  /** First edit after the last gap of flowMaxGapMs or more. */
  readonly streakStart: number | null;
  readonly flow: FlowEpisode | null;
  readonly flowEpisodes: number;
  readonly totals: WordTotals;
  /** Documents edited in this session, in order of first edit. */
  readonly documents: readonly string[];
  /** Composed words of recent edits, oldest first (enough history for pace, paste and break rules). */
  readonly pace: readonly PaceEntry[];
  /**
   * Positive words of the non-bulk edits of the last pasteSustainedWindowMs, counted as composed
   * or not: once a stretch runs over the sustained-paste rate, its later edits stay pasted too.
   */
  readonly burst: readonly PaceEntry[];
  /** Writing time at the start of the current stretch (session start or the last break). */
  readonly stretchStartWritingMs: number;
  readonly breakSuggested: boolean;
}

export interface SessionSummary {
  readonly lengthMs: number;
  readonly writingMs: number;
  readonly timeInState: Readonly<Record<WritingState, number>>;
  readonly totals: WordTotals;
  /** Composed words per hour of writing time; null before a minute of writing. */
  readonly wordsPerHour: number | null;
  readonly documents: readonly string[];
  readonly flowEpisodes: number;
}

interface EffectBase {
  readonly sessionId: string;
  /** When it happened: a timeout fires at its exact time, even if noticed at a later tick. */
  readonly at: number;
}

/** What the adapter turns into events (writing.session_started, ...). Plain data. */
export type SessionEffect =
  | (EffectBase & { readonly type: 'session_started'; readonly writerId: string; readonly projectId: string })
  | (EffectBase & { readonly type: 'session_state_changed'; readonly from: WritingState; readonly to: WritingState })
  | (EffectBase & { readonly type: 'flow_entered'; readonly wpm: number; readonly thresholdWpm: number })
  | (EffectBase & { readonly type: 'flow_exited'; readonly reason: 'pace' | 'gap' | 'ended'; readonly flowMs: number })
  | (EffectBase & { readonly type: 'break_suggested'; readonly writingMs: number; readonly wpm: number; readonly earlierWpm: number })
  | (EffectBase & { readonly type: 'session_ended'; readonly reason: 'timeout' | 'explicit'; readonly summary: SessionSummary });

export interface Transition {
  readonly state: WritingSession;
  readonly effects: readonly SessionEffect[];
  /**
   * True when the input was not applied: the session had ended (possibly by a timeout this very
   * call discovered, whose effects are returned), or a tick/resume came before the first edit.
   * An ignored edit belongs to a new session: start one with a fresh id and send the edit there.
   */
  readonly ignored: boolean;
}

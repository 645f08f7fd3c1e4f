/**
 * The writing-session model: a pure state machine for one writer in one project (a session may
 * span several documents). `transition(session, input)` returns the next session and the effects
 * the adapter publishes; nothing here reads a clock, keeps a timer or makes an id.
 *
 *   idle -> warming_up -> active -> flow            (writing states)
 *   writing -> paused (pauseAfterMs without input) -> break (breakAfterMs) -> ended (endAfterMs)
 *   paused/break + edit or resume -> warming_up if warm-up is unfinished, else flow if the flow
 *   episode is still open (gap < flowMaxGapMs and pace held), else active
 *
 * Rules and defaults: ./thresholds.ts and docs/writing-analytics.md.
 */
import { appendEntry, pruneEntries, wordsBetween } from './pace.js';
import type { PaceEntry } from './pace.js';
import {
  advance,
  changeState,
  closeFlow,
  draftOf,
  endSession,
  isWriting,
  maybeEnterFlow,
  returnState,
  summarize,
  windowWpm,
  writingMs,
} from './session-timers.js';
import type { Draft } from './session-timers.js';
import { WRITING_STATES } from './session-types.js';
import type {
  EditInput,
  SessionEffect,
  SessionInput,
  SessionSummary,
  Transition,
  WritingSession,
  WritingState,
} from './session-types.js';
import { resolveWritingThresholds } from './thresholds.js';
import type { WritingThresholds } from './thresholds.js';
import type { TransactionWords } from './word-index-types.js';

export { WRITING_STATES } from './session-types.js';
export type * from './session-types.js';

const MINUTE = 60_000;

export interface NewSession {
  /** Made by the caller (ids are injected; the model has no randomness). */
  readonly sessionId: string;
  readonly writerId: string;
  readonly projectId: string;
  /** The writer's median WPM over the last 30 days; null or absent when unknown. */
  readonly medianWpm?: number | null;
  readonly thresholds?: Partial<WritingThresholds>;
}

/** A new session in `idle`: it starts (warming_up, session_started) with its first edit. */
export function createWritingSession(init: NewSession): WritingSession {
  const median = init.medianWpm;
  return {
    sessionId: init.sessionId,
    writerId: init.writerId,
    projectId: init.projectId,
    thresholds: resolveWritingThresholds(init.thresholds),
    medianWpm: typeof median === 'number' && Number.isFinite(median) && median > 0 ? median : null,
    state: 'idle',
    startedAt: null,
    endedAt: null,
    endReason: null,
    clock: null,
    stateSince: null,
    timeInState: Object.fromEntries(WRITING_STATES.map((s) => [s, 0])) as Record<WritingState, number>,
    lastInputAt: null,
    lastEditAt: null,
    warmUpDone: false,
    streakStart: null,
    flow: null,
    flowEpisodes: 0,
    totals: { wordsAdded: 0, wordsRemoved: 0, netWords: 0, composedWords: 0, pastedWords: 0, chars: 0, edits: 0, pastes: 0 },
    documents: [],
    pace: [],
    burst: [],
    stretchStartWritingMs: 0,
    breakSuggested: false,
  };
}

/**
 * Applies one input. Deterministic in (session, input): time comes only from `input.at`; an `at`
 * earlier than the session's clock is treated as the clock (late or reordered inputs never move
 * time backwards). Non-finite `at` is ignored. Never throws.
 */
export function transition(session: WritingSession, input: SessionInput): Transition {
  const effects: SessionEffect[] = [];
  if (!Number.isFinite(input.at) || session.state === 'ended') return { state: session, effects, ignored: true };
  const s = draftOf(session);
  const at = s.clock === null ? input.at : Math.max(input.at, s.clock);

  if (s.state === 'idle') {
    if (input.kind === 'edit') {
      start(s, at, effects);
      applyEdit(s, input, at, effects);
      return { state: s, effects, ignored: false };
    }
    if (input.kind === 'end') {
      s.state = 'ended';
      s.endedAt = at;
      s.endReason = 'explicit';
      s.clock = at;
      return { state: s, effects, ignored: false };
    }
    return { state: session, effects, ignored: true };
  }

  advance(s, at, effects);
  if (s.state === 'ended') return { state: s, effects, ignored: input.kind !== 'tick' };

  switch (input.kind) {
    case 'tick':
      break;
    case 'resume':
      if (!isWriting(s.state)) changeState(s, returnState(s), at, effects);
      s.lastInputAt = at;
      maybeEnterFlow(s, at, effects);
      break;
    case 'end':
      closeFlow(s, at, 'ended', effects);
      endSession(s, at, 'explicit', effects);
      break;
    case 'edit':
      if (!isWriting(s.state)) changeState(s, returnState(s), at, effects);
      applyEdit(s, input, at, effects);
      break;
  }
  return { state: s, effects, ignored: false };
}

function start(s: Draft, at: number, effects: SessionEffect[]): void {
  s.startedAt = at;
  s.clock = at;
  s.stateSince = at;
  s.streakStart = at;
  effects.push({ type: 'session_started', sessionId: s.sessionId, writerId: s.writerId, projectId: s.projectId, at });
  changeState(s, 'warming_up', at, effects);
}

/** Counts an edit made at `at` by a writer in a writing state. */
function applyEdit(s: Draft, input: EditInput, at: number, effects: SessionEffect[]): void {
  const t = s.thresholds;
  const positive = Math.max(0, finite(input.netWords));
  const bulk = input.paste || finite(input.wordsAdded) >= t.pasteMinWords || positive >= t.pasteMinWords;
  let composed = bulk ? 0 : positive;
  let pasted = bulk ? positive : 0;
  let pace: readonly PaceEntry[] = s.pace;
  if (composed > 0) {
    // Sustained over-fast input: nobody composes at that rate for a whole window, even when each
    // edit is small. The window's words still counted as composed become pasted, and so does
    // this edit.
    const from = at - t.pasteSustainedWindowMs;
    // One-second resolution keeps this history at most ~60 entries whatever the edit rate.
    const burst = pruneEntries(appendEntry(s.burst, at, composed, 1000), at, t.pasteSustainedWindowMs);
    s.burst = burst;
    if (wordsBetween(burst, from, at) > t.pasteSustainedWpm * (t.pasteSustainedWindowMs / MINUTE)) {
      const reclassified = wordsBetween(pace, from, at);
      pace = pace.filter((e) => e.at <= from);
      composed = -reclassified;
      pasted = positive + reclassified;
    } else {
      pace = appendEntry(pace, at, composed);
    }
  }
  const keepMs = Math.max(t.paceWindowMs * (t.breakSuggestFallingWindows + 1), t.pasteSustainedWindowMs);
  s.pace = pruneEntries(pace, at, keepMs);

  const totals = s.totals;
  s.totals = {
    wordsAdded: totals.wordsAdded + finite(input.wordsAdded),
    wordsRemoved: totals.wordsRemoved + finite(input.wordsRemoved),
    netWords: totals.netWords + finite(input.netWords),
    composedWords: totals.composedWords + composed,
    pastedWords: totals.pastedWords + pasted,
    chars: totals.chars + finite(input.chars),
    edits: totals.edits + 1,
    pastes: totals.pastes + (pasted > 0 || bulk ? 1 : 0),
  };
  if (!s.documents.includes(input.documentId)) s.documents = [...s.documents, input.documentId];

  if (s.lastEditAt !== null && at - s.lastEditAt >= t.flowMaxGapMs) s.streakStart = at;
  s.lastEditAt = at;
  s.lastInputAt = at;
  s.clock = at;
  maybeEnterFlow(s, at, effects);
  maybeSuggestBreak(s, at, effects);
}

/**
 * Suggests a break once per stretch: after breakSuggestAfterMs of writing since the last break,
 * when the pace of each of the last breakSuggestFallingWindows windows was below the one before.
 */
function maybeSuggestBreak(s: Draft, at: number, effects: SessionEffect[]): void {
  const t = s.thresholds;
  if (s.breakSuggested || !isWriting(s.state)) return;
  const writing = writingMs(s);
  if (writing - s.stretchStartWritingMs < t.breakSuggestAfterMs) return;
  const paces: number[] = [];
  for (let k = 0; k <= t.breakSuggestFallingWindows; k++) paces.push(windowWpm(s, at, k));
  for (let k = 0; k < t.breakSuggestFallingWindows; k++) if (!(paces[k]! < paces[k + 1]!)) return;
  s.breakSuggested = true;
  effects.push({
    type: 'break_suggested',
    sessionId: s.sessionId,
    writingMs: writing,
    wpm: paces[0]!,
    earlierWpm: paces[t.breakSuggestFallingWindows]!,
    at,
  });
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

/** Length, time per state (including the running segment), totals and words per hour, as of the session's clock. */
export function sessionSummary(session: WritingSession): SessionSummary {
  return summarize(session);
}

/** Current pace in WPM over the pace window ending at the session's clock (0 before the start). */
export function currentWpm(session: WritingSession): number {
  return session.clock === null ? 0 : windowWpm(session, session.clock, 0);
}

/**
 * The model's input for one attributed transaction: the single place a word-index result
 * (TransactionWords) becomes an edit. `paste` is what the client already knows; the model adds
 * its own bulk and over-fast rules.
 */
export function editFromWords(words: TransactionWords, documentId: string, at: number, paste = false): EditInput {
  return {
    kind: 'edit',
    documentId,
    wordsAdded: words.wordsAdded,
    wordsRemoved: words.wordsRemoved,
    netWords: words.netWords,
    chars: words.insertedChars + words.deletedChars,
    paste,
    at,
  };
}

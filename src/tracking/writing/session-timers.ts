/**
 * Internal to the session model: moving a session draft forward in time. Every timed change
 * (warm-up done, flow entered or lost, paused, break, ended) happens at the exact time the rules
 * give, computed from the inputs; ticks only say "time has reached t". So the result of a
 * sequence of inputs never depends on how often, or whether, the adapter ticked.
 */
import { paceDropsBelowAt, paceWpm, wordsBetween } from './pace.js';
import { WRITING_TIME_STATES } from './session-types.js';
import type { SessionEffect, SessionSummary, WritingSession, WritingState } from './session-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Draft = Mutable<WritingSession> & { timeInState: Record<WritingState, number> };

const MINUTE = 60_000;

export function draftOf(s: WritingSession): Draft {
  return { ...s, timeInState: { ...s.timeInState } };
}

export function isWriting(state: WritingState): boolean {
  return WRITING_TIME_STATES.includes(state);
}

/** Writing time (warming_up + active + flow) up to the draft's clock. */
export function writingMs(s: WritingSession): number {
  const t = s.timeInState;
  const current = isWriting(s.state) && s.stateSince !== null && s.clock !== null ? s.clock - s.stateSince : 0;
  return t.warming_up + t.active + t.flow + current;
}

/** Pace needed to enter flow: max(floor, factor x the writer's median). */
export function flowEntryWpm(s: WritingSession): number {
  const t = s.thresholds;
  return Math.max(t.flowMinWpm, t.flowMedianFactor * (s.medianWpm ?? 0));
}

function windowMinutes(s: WritingSession): number {
  return s.thresholds.paceWindowMs / MINUTE;
}

/** Closes the current segment at `at` and moves to `to` (at `at`), recording the change. */
export function changeState(s: Draft, to: WritingState, at: number, effects: SessionEffect[]): void {
  if (s.stateSince !== null) s.timeInState[s.state] += at - s.stateSince;
  effects.push({ type: 'session_state_changed', sessionId: s.sessionId, from: s.state, to, at });
  s.state = to;
  s.stateSince = at;
  s.clock = at;
}

/** Ends the open flow episode at `at` (leaving the flow state if in it). */
export function closeFlow(s: Draft, at: number, reason: 'pace' | 'gap' | 'ended', effects: SessionEffect[]): void {
  if (s.flow === null) return;
  if (s.state === 'flow') changeState(s, 'active', at, effects);
  const flowMs = s.timeInState.flow - s.flow.flowMsBefore;
  effects.push({ type: 'flow_exited', sessionId: s.sessionId, reason, flowMs, at });
  s.flow = null;
}

/** Enters flow at `at` if the writer is active, the streak is long enough and the pace high enough. */
export function maybeEnterFlow(s: Draft, at: number, effects: SessionEffect[]): void {
  if (s.state !== 'active' || s.flow !== null || s.streakStart === null) return;
  if (at - s.streakStart < s.thresholds.flowMinStreakMs) return;
  const threshold = flowEntryWpm(s);
  const wpm = paceWpm(s.pace, at, s.thresholds.paceWindowMs);
  if (wpm < threshold) return;
  s.flow = { since: at, flowMsBefore: s.timeInState.flow };
  s.flowEpisodes += 1;
  changeState(s, 'flow', at, effects);
  effects.push({ type: 'flow_entered', sessionId: s.sessionId, wpm, thresholdWpm: threshold, at });
}

/** The state a writer returns to from paused/break. */
export function returnState(s: WritingSession): WritingState {
  if (!s.warmUpDone) return 'warming_up';
  return s.flow !== null ? 'flow' : 'active';
}

export function summarize(s: WritingSession): SessionSummary {
  const end = s.endedAt ?? s.clock;
  const timeInState = { ...s.timeInState };
  if (s.state !== 'ended' && s.stateSince !== null && s.clock !== null) timeInState[s.state] += s.clock - s.stateSince;
  const writing = writingMs(s);
  return {
    lengthMs: s.startedAt === null || end === null ? 0 : end - s.startedAt,
    writingMs: writing,
    timeInState,
    totals: s.totals,
    wordsPerHour: writing < MINUTE ? null : s.totals.composedWords / (writing / (60 * MINUTE)),
    documents: s.documents,
    flowEpisodes: s.flowEpisodes,
  };
}

type TimedKind = 'warm_up_done' | 'flow_gap' | 'flow_pace' | 'pause' | 'break' | 'end' | 'flow_streak';

/** The next timed change at or before `target`, ties in the order listed (first wins). */
function nextTimed(s: Draft, target: number): { kind: TimedKind; at: number } | null {
  const t = s.thresholds;
  const clock = s.clock!;
  const lastInput = s.lastInputAt!;
  const candidates: [TimedKind, number | null][] = [
    ['warm_up_done', s.state === 'warming_up' ? s.stateSince! + t.warmUpMs - s.timeInState.warming_up : null],
    ['flow_gap', s.flow !== null ? s.lastEditAt! + t.flowMaxGapMs : null],
    [
      'flow_pace',
      s.flow !== null
        ? paceDropsBelowAt(s.pace, clock, t.paceWindowMs, flowEntryWpm(s) * t.flowExitFactor * windowMinutes(s))
        : null,
    ],
    ['pause', isWriting(s.state) ? lastInput + t.pauseAfterMs : null],
    ['break', s.state === 'paused' ? lastInput + t.breakAfterMs : null],
    ['end', s.state === 'break' ? lastInput + t.endAfterMs : null],
    // The streak reaches its minimum between edits: flow may start right then.
    ['flow_streak', s.state === 'active' && s.flow === null && s.streakStart !== null ? s.streakStart + t.flowMinStreakMs : null],
  ];
  let best: { kind: TimedKind; at: number } | null = null;
  for (const [kind, at] of candidates) {
    if (at === null || at > target) continue;
    // Reached earlier (or right now, handled by whoever moved the clock here): from then on only
    // an edit can raise the pace enough to start flow.
    if (kind === 'flow_streak' && at <= clock) continue;
    const when = Math.max(at, clock); // overdue changes happen now: time never runs backwards
    if (best === null || when < best.at) best = { kind, at: when };
  }
  return best;
}

/**
 * Advances a started, not ended draft to `target`, applying every timed change on the way.
 * Each change moves the state forward or closes the flow episode, so there are only a handful
 * per call; the guard only protects the adapter from a bug turning into a hang.
 */
export function advance(s: Draft, target: number, effects: SessionEffect[]): void {
  for (let guard = 0; guard < 64; guard++) {
    if (s.state === 'idle' || s.state === 'ended') return;
    const next = nextTimed(s, target);
    if (next === null) break;
    const { kind, at } = next;
    switch (kind) {
      case 'warm_up_done':
        s.warmUpDone = true;
        changeState(s, 'active', at, effects);
        maybeEnterFlow(s, at, effects);
        break;
      case 'flow_gap':
        closeFlow(s, at, 'gap', effects);
        break;
      case 'flow_pace':
        closeFlow(s, at, 'pace', effects);
        break;
      case 'pause':
        changeState(s, 'paused', at, effects);
        break;
      case 'break':
        changeState(s, 'break', at, effects);
        s.stretchStartWritingMs = writingMs(s);
        s.breakSuggested = false;
        break;
      case 'end':
        closeFlow(s, at, 'ended', effects);
        endSession(s, at, 'timeout', effects);
        return;
      case 'flow_streak':
        s.clock = at; // also marks the moment as passed (see nextTimed)
        maybeEnterFlow(s, at, effects);
        break;
    }
  }
  s.clock = Math.max(s.clock!, target);
}

/** Closes the last segment and ends the session at `at`. */
export function endSession(s: Draft, at: number, reason: 'timeout' | 'explicit', effects: SessionEffect[]): void {
  changeState(s, 'ended', at, effects);
  s.endedAt = at;
  s.endReason = reason;
  effects.push({ type: 'session_ended', sessionId: s.sessionId, reason, summary: summarize(s), at });
}

/** Words in the window `k` windows back from `at` (k = 0: the current one), per minute. */
export function windowWpm(s: WritingSession, at: number, k: number): number {
  const w = s.thresholds.paceWindowMs;
  return wordsBetween(s.pace, at - (k + 1) * w, at - k * w) / windowMinutes(s);
}

/**
 * The shapes a session takes outside the model (REST/push view, storage row, live-store record)
 * and their conversions, in one place so every reader sees the same numbers.
 */
import {
  currentWpm,
  sessionSummary,
  type WordTotals,
  type WritingSession,
  type WritingState,
} from '../../tracking/writing/session-model.js';
import type { StoredSession } from './ports.js';

/**
 * What the live store keeps per session (JSON). `owner` is the instance running the model for
 * it; another instance that needs the session (the writer's next edit or REST call arrived
 * there) adopts it by writing itself as owner, and the previous owner drops its copy at its next
 * tick.
 */
export interface LiveSessionRecord {
  v: 1;
  owner: string;
  /** Wall time of this write (ms); a record not refreshed for a long time belongs to a dead instance. */
  writtenAt: number;
  session: WritingSession;
  /** Document of the latest edit: where writing time and events without an edit are attributed. */
  currentDocument: string | null;
  /** Net words of this session per document, and the highest milestone already announced. */
  documentNet: Record<string, number>;
  milestones: Record<string, number>;
}

/** The REST and live-push shape of a session. Times are ISO-8601 strings. */
export interface SessionView {
  id: string;
  userId: string;
  projectId: string;
  state: WritingState;
  startedAt: string | null;
  endedAt: string | null;
  endReason: 'timeout' | 'explicit' | null;
  lastInputAt: string | null;
  /** Composed words per minute over the pace window (5 min) ending at the session's clock. */
  wpm: number;
  wordsPerHour: number | null;
  totals: WordTotals;
  documents: string[];
  timeInState: Record<WritingState, number>;
  writingMs: number;
  lengthMs: number;
  flowEpisodes: number;
  /** True while the model runs it (memory or the live store); false for a stored, closed session. */
  live: boolean;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const round2 = (n: number): number => Math.round(n * 100) / 100;

export function viewOfSession(session: WritingSession): SessionView {
  const summary = sessionSummary(session);
  return {
    id: session.sessionId,
    userId: session.writerId,
    projectId: session.projectId,
    state: session.state,
    startedAt: iso(session.startedAt),
    endedAt: iso(session.endedAt),
    endReason: session.endReason,
    lastInputAt: iso(session.lastInputAt),
    wpm: round2(currentWpm(session)),
    wordsPerHour: summary.wordsPerHour === null ? null : round2(summary.wordsPerHour),
    totals: summary.totals,
    documents: [...summary.documents],
    timeInState: { ...summary.timeInState },
    writingMs: summary.writingMs,
    lengthMs: summary.lengthMs,
    flowEpisodes: summary.flowEpisodes,
    live: session.state !== 'ended',
  };
}

export function viewOfStored(stored: StoredSession): SessionView {
  const s = stored.summary;
  return {
    id: stored.id,
    userId: stored.userId,
    projectId: stored.projectId,
    state: stored.state,
    startedAt: iso(stored.startedAt),
    endedAt: iso(stored.endedAt),
    endReason: stored.endReason,
    lastInputAt: null,
    wpm: 0,
    wordsPerHour: s.wordsPerHour === null ? null : round2(s.wordsPerHour),
    totals: s.totals,
    documents: [...s.documents],
    timeInState: { ...s.timeInState },
    writingMs: s.writingMs,
    lengthMs: s.lengthMs,
    flowEpisodes: s.flowEpisodes,
    live: false,
  };
}

/** The storage row of a started session (open or closed); null before its first edit. */
export function storedOf(session: WritingSession, updatedAt: number): StoredSession | null {
  if (session.startedAt === null) return null;
  return {
    id: session.sessionId,
    userId: session.writerId,
    projectId: session.projectId,
    state: session.state,
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    endReason: session.endReason,
    summary: sessionSummary(session),
    updatedAt,
  };
}

/** Parses a live record, or null for anything this version cannot read (it is then ignored). */
export function parseRecord(json: string | null): LiveSessionRecord | null {
  if (json === null) return null;
  try {
    const record = JSON.parse(json) as LiveSessionRecord;
    return record?.v === 1 && typeof record.session?.sessionId === 'string' ? record : null;
  } catch {
    return null;
  }
}

/** Live-store keys and groups (see LiveSessionStore). */
export const liveKeys = {
  session: (sessionId: string) => `session:${sessionId}`,
  /** The open session of a writer in a project. */
  writer: (projectId: string, userId: string) => `writer:${projectId}:${userId}`,
  projectGroup: (projectId: string) => `project:${projectId}`,
  userGroup: (userId: string) => `user:${userId}`,
  goal: (projectId: string, userId: string, day: string, outcome: 'met' | 'missed') => `goal:${projectId}:${userId}:${day}:${outcome}`,
};

/**
 * The writing service owns the interfaces it needs (storage, live state); adapters in db/
 * implement them and server.ts wires them, so services never import an adapter.
 */
import type { SessionSummary, WritingState } from '../../tracking/writing/session-model.js';

/**
 * What the writing service needs from storage. Implemented by src/db/repositories/writing.ts
 * over PGlite and Postgres and proven by one contract suite run against both.
 */

/** Per-minute activity of one writer in one document; storage adds deltas to the same minute. */
export interface WritingBucketDelta {
  userId: string;
  projectId: string;
  documentId: string;
  /** Start of the minute, ms since the epoch (UTC, a multiple of 60,000). */
  minute: number;
  wordsAdded: number;
  wordsRemoved: number;
  wordsNet: number;
  /** Seconds of writing time (warming_up/active/flow) in this minute; at most 60 in total. */
  activeSeconds: number;
}

export interface StoredSession {
  id: string;
  userId: string;
  projectId: string;
  state: WritingState;
  startedAt: number;
  endedAt: number | null;
  endReason: 'timeout' | 'explicit' | null;
  summary: SessionSummary;
  updatedAt: number;
}

export interface WritingGoal {
  userId: string;
  projectId: string;
  dailyWords: number;
  /** IANA zone the writer's days are counted in, e.g. "Europe/Paris". */
  timeZone: string;
  updatedAt: number;
}

export interface WritingPreferences {
  userId: string;
  /** When true nothing about this writer is tracked or emitted; their edits still persist. */
  analyticsOptOut: boolean;
  timeZone: string;
}

export interface DayWords {
  userId: string;
  /** YYYY-MM-DD in the requested time zone. */
  day: string;
  wordsAdded: number;
  wordsRemoved: number;
  wordsNet: number;
  activeSeconds: number;
}

export interface WriterReport {
  userId: string;
  days: DayWords[];
  sessions: number;
  /** Milliseconds per session state, summed over the sessions that started in the range. */
  timeInState: Record<WritingState, number>;
  writingMs: number;
  composedWords: number;
  /** Composed words per hour of writing time over the range; null without writing time. */
  wordsPerHour: number | null;
  /** Consecutive days up to the range's last day with net words >= the daily goal (or > 0 without a goal). */
  currentStreak: number;
  longestStreak: number;
}

export interface ProjectWritingReport {
  projectId: string;
  from: string;
  to: string;
  timeZone: string;
  writers: WriterReport[];
}

/** What one writer did in one document over all its minute buckets. */
export interface DocumentContribution {
  userId: string;
  wordsAdded: number;
  wordsRemoved: number;
  wordsNet: number;
  /** Minutes with writing time or word changes (active_seconds > 0 or words added/removed != 0). */
  activeMinutes: number;
}

export interface WritingStore {
  /** Adds every delta to its (user, project, document, minute) bucket, creating it if needed; one transaction. */
  addBuckets(deltas: WritingBucketDelta[]): Promise<void>;
  /** Inserts or replaces a session by id. */
  saveSession(session: StoredSession): Promise<void>;
  /** saveSession for many rows in one statement (a burst of writers starting); the last row of an id wins. */
  saveSessions(sessions: readonly StoredSession[]): Promise<void>;
  getSession(id: string): Promise<StoredSession | null>;
  /** Sessions that started in [from, to), newest first. */
  listSessions(query: { projectId: string; userId?: string; from: number; to: number; limit: number }): Promise<StoredSession[]>;
  setGoal(goal: Omit<WritingGoal, 'updatedAt'>): Promise<WritingGoal>;
  getGoal(userId: string, projectId: string): Promise<WritingGoal | null>;
  /** getGoal for many (writer, project) pairs in one query; pairs without a goal have no entry. */
  goalsFor(pairs: readonly { userId: string; projectId: string }[]): Promise<WritingGoal[]>;
  listGoals(projectId: string): Promise<WritingGoal[]>;
  getPreferences(userId: string): Promise<WritingPreferences | null>;
  /** getPreferences for many writers in one query, by user id; writers without stored preferences are absent. */
  getPreferencesMany(userIds: readonly string[]): Promise<Map<string, WritingPreferences>>;
  setPreferences(prefs: WritingPreferences): Promise<WritingPreferences>;
  /** Words per day per writer, sessions, time in states, pace and streaks for [fromDay, toDay] (inclusive, YYYY-MM-DD) in `timeZone`. */
  projectWriting(query: { projectId: string; fromDay: string; toDay: string; timeZone: string; userId?: string }): Promise<ProjectWritingReport>;
  /** Net words by hour of day (0-23, in `timeZone`) over buckets since `since`. Always 24 entries. */
  bestHours(query: { userId: string; projectId?: string; since: number; timeZone: string }): Promise<{ hour: number; words: number }[]>;
  /** Median over closed sessions since `since` of composed words per writing minute; null with no data. */
  medianWpm(userId: string, since: number): Promise<number | null>;
  /** medianWpm for many writers in one query, by user id; writers with no data are absent. */
  medianWpmMany(userIds: readonly string[], since: number): Promise<Map<string, number>>;
  /** Net words of the writer in the project with occurredAt in [from, to). */
  wordsBetween(userId: string, projectId: string, from: number, to: number): Promise<number>;
  /** Words and active minutes per writer of the document over all its buckets, by user id; writers without buckets are absent. */
  documentContributions(projectId: string, documentId: string): Promise<DocumentContribution[]>;
  /**
   * Moves the word journal (words written durably with their updates' log rows, by any instance,
   * before or after a crash) into the buckets; resolves with the rows moved. Safe to call from
   * every instance at once. Absent on stores without a journal: their words come only from
   * `addBuckets`.
   */
  foldWordJournal?(): Promise<number>;
  /** Started sessions that never ended, oldest update first (their instance may have died). */
  openSessions?(limit: number): Promise<StoredSession[]>;
  /**
   * When the writer last changed words in the project at or after `since`, from durable data
   * only: the newest word journal row (exact), else the newest bucket minute with words (its
   * start: the edit lies in that minute); null when there is none.
   */
  lastWordsAt?(userId: string, projectId: string, since: number): Promise<number | null>;
}

/**
 * Live session state shared across instances: Redis (every key and group expires 24 h after its
 * last write) or memory. Implementations: src/services/writing/live-store.ts (memory) and the
 * adapter src/db/redis-live-session-store.ts.
 */
export interface LiveSessionStore {
  get(sessionKey: string): Promise<string | null>;
  set(sessionKey: string, value: string): Promise<void>;
  delete(sessionKey: string): Promise<void>;
  /**
   * Sets `key` only if it does not exist yet; true when this call set it. Makes once-only
   * decisions (a daily goal event) hold across instances.
   */
  claim(key: string): Promise<boolean>;
  /** Adds or replaces `member` of `group` (a hash: project or user -> its live sessions). */
  addMember(group: string, member: string, value: string): Promise<void>;
  removeMember(group: string, member: string): Promise<void>;
  /** Every member of `group` with its value; empty when the group does not exist. */
  members(group: string): Promise<Map<string, string>>;
}

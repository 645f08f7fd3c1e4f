/**
 * Request and response shapes of the REST API, written from the server's OpenAPI document
 * (`/api/openapi.json`). Times are ISO 8601 strings as the server sends them. Fields the server
 * may add later are allowed by TypeScript's structural typing; none is ever removed.
 */
import type { EditMode, Severity } from './presence.js';
import type { EventCategory, EventType } from './events.js';

export interface Liveness {
  status: 'ok';
}
export interface Readiness {
  status: 'ok' | 'fail';
  checks: Record<string, { status: 'ok' | 'fail'; error?: string }>;
}

/** From a development server's `/api/dev/token` (demo project only). */
export interface DevToken {
  token: string;
  user: { id: string; name: string; color: string };
  projectId: 'demo';
  document: 'demo/chapter-1';
  expiresAt: string;
}

export interface DisconnectResult {
  userId: string;
  closedSockets: number;
}

/** An event as stored in the audit archive (actor is a pseudonym, never a user id). */
export interface StoredEvent {
  id: string;
  type: string;
  category: string;
  v: number;
  occurredAt: string;
  projectId?: string;
  documentId?: string;
  actor: string;
  payload: Record<string, unknown>;
}
export interface EventPage {
  items: StoredEvent[];
  nextCursor: string | null;
}
export interface PublishEventInput {
  type: EventType;
  projectId?: string;
  documentId?: string;
  payload: Record<string, unknown>;
  occurredAt?: string;
  /** Publish on behalf of this user (admin tokens); default: the caller. */
  actorUserId?: string;
}
export interface ListEventsQuery {
  type?: EventType;
  /** Required unless the token is an admin token. */
  projectId?: string;
  documentId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  /** 1-500, default 100. */
  limit?: number;
}
export type { EventCategory };

export interface BroadcastInput {
  channel: string;
  path?: 'analytics' | 'notifications' | 'presence';
  data: unknown;
}

export interface WritingDay {
  userId: string;
  day: string;
  wordsAdded: number;
  wordsRemoved: number;
  wordsNet: number;
  activeSeconds: number;
}
export type WritingState = 'idle' | 'warming_up' | 'active' | 'flow' | 'paused' | 'break' | 'ended';
export interface WriterReport {
  userId: string;
  days: WritingDay[];
  sessions: number;
  timeInState: Record<string, number>;
  writingMs: number;
  composedWords: number;
  wordsPerHour: number | null;
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
export interface ProjectWritingQuery {
  /** Inclusive calendar days (YYYY-MM-DD) in `tz`. */
  from?: string;
  to?: string;
  tz?: string;
  userId?: string;
}
export interface WritingBestHours {
  projectId: string;
  userId: string;
  timeZone: string;
  since: string;
  hours: { hour: number; words: number }[];
  best: number | null;
}

export interface WritingGoal {
  userId: string;
  projectId: string;
  dailyWords: number;
  timeZone: string;
  updatedAt: string;
}
export interface WritingGoalProgress {
  goal: WritingGoal | null;
  timeZone: string;
  today: { day: string; words: number; met: boolean };
  currentStreak: number;
}
export interface WritingPreferences {
  userId: string;
  analyticsOptOut: boolean;
  timeZone: string;
}

export interface WritingSessionTotals {
  wordsAdded: number;
  wordsRemoved: number;
  netWords: number;
  composedWords: number;
  pastedWords: number;
  chars: number;
  edits: number;
  pastes: number;
}
export interface WritingSession {
  id: string;
  userId: string;
  projectId: string;
  state: WritingState;
  startedAt: string | null;
  endedAt: string | null;
  endReason: 'timeout' | 'explicit' | null;
  lastInputAt: string | null;
  /** Composed words per minute over the last 5 minutes. */
  wpm: number;
  wordsPerHour: number | null;
  totals: WritingSessionTotals;
  documents: string[];
  timeInState: Partial<Record<WritingState, number>>;
  writingMs: number;
  lengthMs: number;
  flowEpisodes: number;
  live: boolean;
}
/** One keystroke batch entry of an editor that is not on Yjs. */
export interface Keystroke {
  /** ISO 8601 with offset, or ms since the epoch. */
  at: number | string;
  documentId: string;
  inserted: number;
  deleted: number;
  wordsAdded?: number;
  wordsRemoved?: number;
  /** Clipboard, import or offline batch: counted, never toward pace. */
  paste?: boolean;
}

export interface BlockCursor {
  anchorBlock: number;
  headBlock: number;
}
export interface RestPresenceInput {
  documentId: string;
  state: { cursor?: BlockCursor; editMode?: EditMode; viewport?: { fromBlock: number; toBlock: number } };
}
export interface Accepted {
  accepted: true;
}
export interface Collaborator {
  userId: string;
  clientId: number;
  canEdit: boolean;
  block: number | null;
  anchorBlock: number | null;
  idleMs: number;
  editMode: EditMode | null;
  via: 'yjs' | 'rest';
}
export interface Contribution {
  chars: number;
  share: number;
  words: { added: number; removed: number; net: number };
  activeMinutes: number;
}
export interface Collaborators {
  collaborators: Collaborator[];
  contributions: Record<string, Contribution>;
}
/** A live warning as the REST API lists it (`since`/`lastSeenAt` are ISO strings). */
export interface ConflictView {
  severity: Severity;
  users: string[];
  blocks: number[];
  since: string;
  lastSeenAt: string;
}
export interface CollaborationMetrics {
  activeWriters: number;
  concurrentMinutes: number;
  conflictsPredicted: number;
  actualCollisions: number;
  collisionMinutes: number;
  efficiency: number | null;
  presentWriters: number;
  openConflicts: number;
  since: string;
}

/**
 * The writing service's public contract, apart from its implementation, so callers (collab tap,
 * API routes, server.ts) depend on types only.
 */
import type { StoryloomEvent } from '../../events/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { WritingThresholds } from '../../tracking/writing/thresholds.js';
import type { TransactionWords } from '../../tracking/writing/word-count.js';
import type { LiveSessionStore, WritingStore } from './ports.js';
import type { SessionView } from './session-view.js';

/** The writing service's contract (src/services/writing/writing-service.ts implements it). */

/** One transaction's words, attributed by the tracker to a writer in a document. */
export interface TrackedEdit {
  userId: string;
  projectId: string;
  documentId: string;
  /** When it happened (the injected clock at afterTransaction), ms since the epoch. */
  at: number;
  words: TransactionWords;
  /** Words in the document after the transaction. */
  documentWords?: number;
  /** Storage credits these words from the update's log record (the word journal): not added to the buckets here. */
  journaled?: boolean;
}

/** One event of a REST keystroke batch (editors that are not on Yjs). */
export interface KeystrokeInput {
  at: number;
  documentId: string;
  inserted: number;
  deleted: number;
  wordsAdded?: number;
  wordsRemoved?: number;
  paste?: boolean;
}

export interface WritingService {
  /** From the tracker, inside Yjs's afterTransaction: queues the edit and returns. Never throws. */
  recordEdit(edit: TrackedEdit): void;
  /** The writer's open session in the project, or a new (idle until the first edit) one. 409 for an opted-out writer. */
  startSession(input: { userId: string; projectId: string; documentId?: string }): Promise<{ session: SessionView; created: boolean }>;
  /** Feeds keystrokes into the session's model; 404 unknown, 409 ended or opted out, 400 for events from the future. */
  recordKeystrokes(sessionId: string, events: KeystrokeInput[]): Promise<{ accepted: number; session: SessionView }>;
  /** Ends the session now (idempotent: an ended session's view). */
  endSession(sessionId: string): Promise<SessionView>;
  /** The writer is back: leaves paused/break. 409 when the session has ended. */
  resumeSession(sessionId: string): Promise<SessionView>;
  /** Live (this instance, then the live store) or stored; null when unknown. */
  getSession(sessionId: string): Promise<SessionView | null>;
  /** Open sessions of a project or of a writer, across instances. */
  activeSessions(query: { projectId: string } | { userId: string }): Promise<SessionView[]>;
  /** Drops cached preferences/goals after they changed (REST writes them). */
  invalidatePreferences(userId: string): void;
  invalidateGoal(userId: string, projectId: string): void;
  /** What the periodic tick does: advance every session to now, settle finished goal days. */
  tick(): Promise<void>;
  /**
   * Ends the sessions a crashed instance left open at their writers' last durable edit
   * (cut-short.ts); runs at start and every minute. Resolves with how many it ended.
   */
  endCutShort(): Promise<number>;
  /** Waits for queued inputs, then publishes and stores everything pending (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops the timers and flushes; open sessions stay in the live store (and are saved as open rows). */
  close(): Promise<void>;
}

export interface WritingServiceDeps {
  store: WritingStore;
  live: LiveSessionStore;
  publish(event: StoryloomEvent): Promise<void>;
  /** Live push to /ws/analytics (`user:<id>`, `project:<id>`). */
  push(message: { path: 'analytics'; channel: string; data: unknown }): Promise<void>;
  actorOf(userId: string): string;
  clock: Clock;
  logger: Logger;
  thresholds?: Partial<WritingThresholds>;
  /** Periodic tick; default 5,000 ms. */
  tickMs?: number;
  /** Bucket, words and metrics flush; default 500 ms (analytics visible in REST well under 1 s). */
  flushMs?: number;
  /** Opt-out cache; default 30 s. */
  preferencesTtlMs?: number;
}

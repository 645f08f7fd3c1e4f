/**
 * What every WriterSession of one writing service shares: ports, the shared aggregators and
 * caches, and the service's pacing. One object built by createWritingService, so a session's
 * constructor stays one argument wide and the wiring lives in one place.
 */
import type { StoryloomEvent } from '../../events/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { WritingThresholds } from '../../tracking/writing/thresholds.js';
import type { BucketAggregator } from './bucket-aggregator.js';
import type { CachedLookup } from './cached-lookup.js';
import type { GoalTracker } from './goal-tracker.js';
import type { LiveSessionStore, WritingGoal, WritingStore } from './ports.js';
import type { DocumentMilestones } from './session-outputs.js';

export interface SessionContext {
  /** Saves of one event-loop turn go as one statement (writer-lookups.ts). */
  store: Pick<WritingStore, 'saveSession'>;
  live: LiveSessionStore;
  buckets: BucketAggregator;
  goals: GoalTracker;
  /** Keyed `${projectId}\u0000${userId}`. */
  goalLookup: CachedLookup<WritingGoal | null>;
  medians: CachedLookup<number | null>;
  /** true: the writer opted out of writing analytics. */
  optOut: CachedLookup<boolean>;
  /** Failures are the session's to log (an event lost is not an edit lost). */
  publish(event: StoryloomEvent): Promise<void>;
  /** Live push to /ws/analytics; fire and forget. */
  push(channel: string, data: Record<string, unknown>): void;
  actorOf(userId: string): string;
  clock: Clock;
  logger: Logger;
  /** This process: the owner written into live records it runs. */
  instanceId: string;
  thresholds: WritingThresholds;
  milestones: DocumentMilestones;
  /** writing.words_written at most this often per session. */
  wordsIntervalMs: number;
  /** Metrics pushes at most this often per writer. */
  metricsIntervalMs: number;
  /** An open, started session is stored as an open row at least this often. */
  saveOpenEveryMs: number;
}

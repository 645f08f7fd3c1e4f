/**
 * The server's domain events as the gateway pushes them (`event.data` on `project:<p>` and
 * `document:<p>/<d>` channels). The type list is a copy of the server's, kept equal by a test;
 * payloads stay untyped records here so a newer server's fields never break an older client.
 * Next to the events, /ws/analytics pushes live figures that are not events (nothing stored,
 * no id): {@link WritingMetrics}.
 */
import type { WritingSessionTotals, WritingState } from './api-types.js';

export const EVENT_CATEGORIES = ['writing', 'collaboration', 'publishing', 'analytics', 'automation'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

export const EVENT_TYPES = [
  'writing.session_started',
  'writing.session_state_changed',
  'writing.session_ended',
  'writing.words_written',
  'writing.flow_entered',
  'writing.flow_exited',
  'writing.milestone_reached',
  'collaboration.user_joined',
  'collaboration.user_left',
  'collaboration.cursor_moved',
  'collaboration.conflict_predicted',
  'collaboration.conflict_cleared',
  'collaboration.document_edited',
  'publishing.status_changed',
  'publishing.export_completed',
  'publishing.upload_completed',
  'publishing.upload_failed',
  'publishing.sales_recorded',
  'analytics.sales_spike_detected',
  'analytics.goal_met',
  'analytics.goal_missed',
  'analytics.digest_generated',
  'automation.workflow_triggered',
  'automation.step_completed',
  'automation.step_failed',
  'automation.workflow_completed',
  'automation.workflow_failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One event envelope. `actor` is a pseudonym (HMAC of the user id), never a name. */
export interface StoryloomEvent<T extends string = EventType> {
  id: string;
  type: T;
  category: string;
  v: number;
  occurredAt: string;
  projectId?: string;
  documentId?: string;
  actor: string;
  payload: Record<string, unknown>;
}

/** A live `writing.*` event (session started, state changed, words written, flow, ...). */
export type WritingEvent = StoryloomEvent<Extract<EventType, `writing.${string}`>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The event in a gateway `data` value, or null when it is not an event envelope. */
export function asEvent(data: unknown): StoryloomEvent<string> | null {
  if (!isRecord(data) || typeof data.type !== 'string' || typeof data.id !== 'string' || !isRecord(data.payload)) return null;
  return data as unknown as StoryloomEvent<string>;
}

/** Narrows to a writing event. */
export function isWritingEvent(event: StoryloomEvent<string> | null): event is WritingEvent {
  return event !== null && event.type.startsWith('writing.');
}

/**
 * A live `writing.metrics` push on /ws/analytics (`project:<id>` and `user:<id>`): one session's
 * figures after a change (at most about once a second per session) and a last one when it ends.
 * Not an event envelope: it is never stored or replayed, so a client that was offline reads the
 * session over REST instead.
 */
export interface WritingMetrics {
  kind: 'writing.metrics';
  sessionId: string;
  userId: string;
  projectId: string;
  state: WritingState;
  /** Composed words per minute over the last 5 minutes. */
  wpm: number;
  wordsPerHour: number | null;
  totals: WritingSessionTotals;
  /** Documents edited in the session, in order of first edit. */
  documents: string[];
  /** When the server computed the figures (ISO 8601). */
  at: string;
}

/** The metrics in a gateway `data` value, or null when it is something else. */
export function asWritingMetrics(data: unknown): WritingMetrics | null {
  if (!isRecord(data) || data.kind !== 'writing.metrics') return null;
  const ok =
    typeof data.sessionId === 'string' &&
    typeof data.userId === 'string' &&
    typeof data.projectId === 'string' &&
    typeof data.state === 'string' &&
    typeof data.wpm === 'number' &&
    isRecord(data.totals) &&
    Array.isArray(data.documents);
  return ok ? (data as unknown as WritingMetrics) : null;
}

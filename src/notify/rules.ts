/**
 * Which bus events notify whom, at what priority: data, not code paths (documented in
 * docs/notifications.md). The notifications service applies the table; recipients named by
 * `audience` are resolved there (events carry pseudonyms, not user ids).
 */
import type { EventType, StoryloomEvent } from '../events/schema.js';
import type { NotificationCategory, NotificationChannel, NotificationPriority } from './model.js';

/**
 * - `actor`: the writer the event is about (the envelope's actor pseudonym);
 * - `payload_users`: the pseudonyms in `payload.users` (both writers of a predicted conflict);
 * - `owners`: the project's owners.
 */
export type RuleAudience = 'actor' | 'payload_users' | 'owners';

export interface NotificationRule {
  type: EventType;
  category: NotificationCategory;
  priority: NotificationPriority;
  audience: RuleAudience;
  onlyChannels?: readonly NotificationChannel[];
  title: (event: StoryloomEvent) => string;
  body: (event: StoryloomEvent) => string;
}

const p = (event: StoryloomEvent) => event.payload as Record<string, unknown>;
const str = (v: unknown, fallback = '') => (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback);

export const NOTIFICATION_RULES: readonly NotificationRule[] = [
  {
    type: 'collaboration.conflict_predicted',
    category: 'collaboration',
    priority: 'high',
    audience: 'payload_users',
    title: () => 'Editing conflict ahead',
    body: (e) => `Someone else is editing the same passage${e.documentId ? ` of ${e.documentId}` : ''} right now.`,
  },
  {
    type: 'analytics.goal_met',
    category: 'analytics',
    priority: 'low',
    audience: 'actor',
    title: () => 'Goal met',
    body: (e) => `You wrote ${str(p(e).actual)} of ${str(p(e).target)} (${str(p(e).kind)}).`,
  },
  {
    type: 'analytics.goal_missed',
    category: 'analytics',
    priority: 'medium',
    audience: 'actor',
    title: () => 'Goal missed',
    body: (e) => `You reached ${str(p(e).actual)} of ${str(p(e).target)} (${str(p(e).kind)}).`,
  },
  {
    type: 'automation.workflow_failed',
    category: 'automation',
    priority: 'high',
    audience: 'owners',
    title: () => 'Workflow failed',
    body: (e) => `Workflow ${str(p(e).workflowId)} failed${p(e).step ? ` at ${str(p(e).step)}` : ''}: ${str(p(e).error)}`,
  },
  {
    type: 'analytics.sales_spike_detected',
    category: 'analytics',
    priority: 'high',
    audience: 'owners',
    title: () => 'Sales spike',
    body: (e) => `${str(p(e).units)} units${p(e).platform ? ` on ${str(p(e).platform)}` : ''}, ${Number(p(e).ratio).toFixed(1)}x the usual.`,
  },
  {
    type: 'publishing.upload_completed',
    category: 'publishing',
    priority: 'medium',
    audience: 'owners',
    title: () => 'Upload completed',
    body: (e) => `Your upload to ${str(p(e).platform)} is done.`,
  },
  {
    type: 'publishing.upload_failed',
    category: 'publishing',
    priority: 'high',
    audience: 'owners',
    title: () => 'Upload failed',
    body: (e) => `The upload to ${str(p(e).platform)} failed: ${str(p(e).error)}`,
  },
  {
    type: 'writing.flow_entered',
    category: 'writing',
    priority: 'low',
    audience: 'actor',
    onlyChannels: ['in_app'],
    title: () => 'Flow state',
    // Held like every non-critical alert while the writer is in flow: it arrives as they surface.
    body: () => 'You reached flow. Alerts that could wait waited until you surfaced.',
  },
];

/** The rule of each event type that notifies. */
export const RULES_BY_TYPE: ReadonlyMap<string, NotificationRule> = new Map(NOTIFICATION_RULES.map((r) => [r.type, r]));

/**
 * The break suggestion is not a bus event (the writing service pushes it to the writer): the
 * service turns it into this notification.
 */
export const BREAK_SUGGESTION = {
  category: 'writing',
  priority: 'low',
  title: 'Time for a break?',
  body: (writingMinutes: number, wpm: number, earlierWpm: number) =>
    `You have written for ${writingMinutes} minutes and your pace dropped from ${Math.round(earlierWpm)} to ${Math.round(wpm)} words a minute.`,
} as const;

/**
 * Applies the rules table (src/notify/rules.ts) to bus events. Wired as its own consumer group
 * (`notifications`), so each event notifies once across instances; the dedupe key
 * `event:<eventId>:<userId>` (unique in the inbox) makes a redelivered event add nothing. The bus
 * hands each read over as one batch (`handleBatch`): one event at a time, with its queries and
 * its transaction, held the consumer to ~70 events/s.
 *
 * The bus redelivers a read until handleBatch resolves, so its in-app pushes go out before the
 * inbox commit (notify-batch.ts `pushFirst`), each under an id derived from the event and the user
 * (`stableNotificationId`): a redelivery after a crash pushes the same id again.
 */
import { createHash } from 'node:crypto';
import { EVENT_CATEGORIES, type EventCategory, type EventType, type StoryloomEvent } from '../../events/schema.js';
import { BREAK_SUGGESTION, NOTIFICATION_RULES, RULES_BY_TYPE, type NotificationRule } from '../../notify/rules.js';
import { errorMessage } from '../../lib/errors.js';
import { uuidv7Of } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { NotificationService, NotifyInput } from './notification-service.js';
import type { NotificationStore } from './ports.js';

export const NOTIFICATIONS_CONSUMER_GROUP = 'notifications';

/**
 * A UUIDv7-shaped id that every delivery of one event to one user gets: the event's time in the
 * 48-bit timestamp (ids still sort roughly by time) and 74 bits of SHA-256 of the dedupe key.
 */
export function stableNotificationId(atMs: number, dedupeKey: string): string {
  return uuidv7Of(atMs, createHash('sha256').update(dedupeKey).digest().subarray(0, 16));
}

/** A consumer spec the bus accepts (structurally: events/bus.ts ConsumerSpec). */
export interface RulesConsumer {
  group: string;
  categories: readonly EventCategory[];
  types: readonly EventType[];
  handle(event: StoryloomEvent): Promise<void>;
  handleBatch(events: StoryloomEvent[]): Promise<void>;
}

interface BreakPush {
  sessionId: string;
  projectId: string;
  writingMs: number;
  wpm: number;
  earlierWpm: number;
  at: string;
}

export function createEventRules(deps: { service: Pick<NotificationService, 'notify' | 'notifyMany'>; store: Pick<NotificationStore, 'usersByActors' | 'ownersOf'>; logger: Logger }) {
  /** The pseudonyms a rule names for an event (before they are resolved to users). */
  function actorsOf(rule: NotificationRule, event: StoryloomEvent): string[] {
    if (rule.audience === 'actor') return event.actor === 'system' ? [] : [event.actor];
    if (rule.audience !== 'payload_users') return [];
    const users = (event.payload as { users?: unknown }).users;
    return Array.isArray(users) ? users.filter((u): u is string => typeof u === 'string') : [];
  }

  /**
   * A read of events: recipients of all of them in (at most) two queries, then one notifyMany
   * (one transaction for every inbox row and delivery). Throwing makes the bus hand the events to
   * `handle` one at a time; the dedupe key keeps whatever was stored from being stored again.
   */
  async function handleBatch(events: StoryloomEvent[]): Promise<void> {
    const matched = events.flatMap((event) => {
      const rule = RULES_BY_TYPE.get(event.type);
      return rule && event.projectId ? [{ event, rule, projectId: event.projectId }] : [];
    });
    if (matched.length === 0) return;
    const actors = matched.flatMap((m) => actorsOf(m.rule, m.event));
    const projects = matched.filter((m) => m.rule.audience === 'owners').map((m) => m.projectId);
    const [byActor, owners] = await Promise.all([deps.store.usersByActors(actors), deps.store.ownersOf(projects)]);
    const inputs: NotifyInput[] = [];
    for (const { event, rule, projectId } of matched) {
      const found = rule.audience === 'owners' ? (owners.get(projectId) ?? []) : actorsOf(rule, event).flatMap((a) => byActor.get(a) ?? []);
      for (const userId of new Set(found)) {
        const dedupeKey = `event:${event.id}:${userId}`;
        inputs.push({
          id: stableNotificationId(Date.parse(event.occurredAt), dedupeKey),
          userId,
          projectId,
          category: rule.category,
          priority: rule.priority,
          title: rule.title(event),
          body: rule.body(event),
          data: { eventId: event.id, eventType: event.type, ...(event.documentId ? { documentId: event.documentId } : {}) },
          dedupeKey,
          ...(rule.onlyChannels ? { onlyChannels: rule.onlyChannels } : {}),
        });
      }
    }
    await deps.service.notifyMany(inputs, { pushFirst: true });
  }

  const handle = (event: StoryloomEvent): Promise<void> => handleBatch([event]);

  /** The writing service's break suggestion (a push to `user:<id>`, not an event) as a low notification. */
  async function breakSuggested(userId: string, push: BreakPush): Promise<void> {
    await deps.service.notify({
      userId,
      projectId: push.projectId,
      category: BREAK_SUGGESTION.category,
      priority: BREAK_SUGGESTION.priority,
      title: BREAK_SUGGESTION.title,
      body: BREAK_SUGGESTION.body(Math.round(push.writingMs / 60_000), push.wpm, push.earlierWpm),
      data: { sessionId: push.sessionId, kind: 'writing.break_suggested' },
      dedupeKey: `break:${push.sessionId}:${push.at}:${userId}`,
    });
  }

  const types = NOTIFICATION_RULES.map((r) => r.type);
  const consumer: RulesConsumer = {
    group: NOTIFICATIONS_CONSUMER_GROUP,
    categories: EVENT_CATEGORIES.filter((c) => types.some((t) => t.startsWith(`${c}.`))),
    types,
    handle,
    handleBatch,
  };

  return {
    consumer,
    handle,
    handleBatch,
    breakSuggested,
    /** Watches the writing service's pushes for `writing.break_suggested` on `user:<id>`; never throws. */
    onWritingPush(message: { channel: string; data: unknown }): void {
      const data = message.data as { kind?: unknown } | null;
      const userId = /^user:(.+)$/.exec(message.channel)?.[1];
      if (!userId || !data || data.kind !== 'writing.break_suggested') return;
      breakSuggested(userId, data as unknown as BreakPush).catch((error: unknown) =>
        deps.logger.warn({ user: userId, err: errorMessage(error) }, 'break suggestion not turned into a notification'),
      );
    },
  };
}

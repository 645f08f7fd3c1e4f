/**
 * Applies the rules table (src/notify/rules.ts) to bus events. Wired as its own consumer group
 * (`notifications`), so each event notifies once across instances; the dedupe key
 * `event:<eventId>:<userId>` makes a redelivered event add nothing.
 */
import { EVENT_CATEGORIES, type EventCategory, type EventType, type StoryloomEvent } from '../../events/schema.js';
import { BREAK_SUGGESTION, NOTIFICATION_RULES, RULES_BY_TYPE, type NotificationRule } from '../../notify/rules.js';
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { NotificationService } from './notification-service.js';
import type { NotificationStore } from './ports.js';

export const NOTIFICATIONS_CONSUMER_GROUP = 'notifications';

/** A consumer spec the bus accepts (structurally: events/bus.ts ConsumerSpec). */
export interface RulesConsumer {
  group: string;
  categories: readonly EventCategory[];
  types: readonly EventType[];
  handle(event: StoryloomEvent): Promise<void>;
}

interface BreakPush {
  sessionId: string;
  projectId: string;
  writingMs: number;
  wpm: number;
  earlierWpm: number;
  at: string;
}

export function createEventRules(deps: { service: Pick<NotificationService, 'notify'>; store: Pick<NotificationStore, 'usersByActor' | 'owners'>; logger: Logger }) {
  async function recipients(rule: NotificationRule, event: StoryloomEvent): Promise<string[]> {
    switch (rule.audience) {
      case 'actor':
        return event.actor === 'system' ? [] : deps.store.usersByActor([event.actor]);
      case 'payload_users': {
        const users = (event.payload as { users?: unknown }).users;
        return Array.isArray(users) ? deps.store.usersByActor(users.filter((u): u is string => typeof u === 'string')) : [];
      }
      case 'owners':
        return event.projectId ? deps.store.owners(event.projectId) : [];
    }
  }

  async function handle(event: StoryloomEvent): Promise<void> {
    const rule = RULES_BY_TYPE.get(event.type);
    if (!rule || !event.projectId) return;
    const users = [...new Set(await recipients(rule, event))];
    for (const userId of users) {
      await deps.service.notify({
        userId,
        projectId: event.projectId,
        category: rule.category,
        priority: rule.priority,
        title: rule.title(event),
        body: rule.body(event),
        data: { eventId: event.id, eventType: event.type, ...(event.documentId ? { documentId: event.documentId } : {}) },
        dedupeKey: `event:${event.id}:${userId}`,
        ...(rule.onlyChannels ? { onlyChannels: rule.onlyChannels } : {}),
      });
    }
  }

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
  };

  return {
    consumer,
    handle,
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

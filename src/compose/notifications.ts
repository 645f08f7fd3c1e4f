import type { Config } from '../config.js';
import type { Database } from '../db/document-store.js';
import { closeDeliveryChannels, createDeliveryChannels } from '../delivery/index.js';
import type { ConsumerSpec } from '../events/bus.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ChannelName, DeliveryChannel } from '../services/notifications/channels/channel.js';
import { createEventRules } from '../services/notifications/event-rules.js';
import { createInAppChannel } from '../services/notifications/in-app-channel.js';
import { createNotificationService, type NotificationService } from '../services/notifications/notification-service.js';
import { createOutboxWorker } from '../services/notifications/outbox-worker.js';
import type { WritingService } from '../services/writing/writing-service.js';

export interface Notifications {
  service: NotificationService;
  /** The rules from events (their consumer group) and from the writing service's pushes. */
  rules: ReturnType<typeof createEventRules>;
  consumer: ConsumerSpec;
  /** A send in progress finishes; what is still pending stays in the outbox for the next start. */
  stop(): Promise<void>;
}

/**
 * Notifications (docs/notifications.md): the in-app channel on the gateway, email/SMS/push from
 * src/delivery/, the service, the outbox worker and the rules from events. `writing` is read
 * lazily: flow holding asks the live writing service, which is built after this.
 */
export async function composeNotifications(deps: {
  config: Config;
  db: Database;
  gateway: Pick<Gateway, 'publish'>;
  actorOf: (userId: string) => string;
  unsubscribeSecret: string;
  writing: () => WritingService | undefined;
  clock: Clock;
  logger: Logger;
}): Promise<Notifications> {
  const { db, clock, logger } = deps;
  const deliveryChannels = await createDeliveryChannels(deps.config, logger.child({ module: 'delivery' }), { unsubscribeSecret: deps.unsubscribeSecret });
  const channels = new Map<ChannelName, DeliveryChannel>([
    ['in_app', createInAppChannel({ push: (message) => deps.gateway.publish(message) })],
    ...deliveryChannels.map((c) => [c.name, c] as const),
  ]);
  const writers = {
    inFlow: async (userId: string) => (await deps.writing()?.activeSessions({ userId }))?.some((s) => s.state === 'flow') ?? false,
    timeZone: async (userId: string) => (await db.writing.getPreferences(userId))?.timeZone ?? 'UTC',
    // A batch of the rules consumer reads every writer's zone in one query.
    timeZones: (userIds: readonly string[]) => db.notifications.writerZones(userIds),
  };
  const service = createNotificationService({
    store: db.notifications,
    writers,
    channels,
    actorOf: deps.actorOf,
    clock,
    logger: logger.child({ module: 'notifications' }),
    cacheTtlMs: deps.config.notifications.cacheTtlMs,
    wake: () => outbox.wake(),
  });
  const outbox = createOutboxWorker({
    store: db.notifications,
    channels,
    writers,
    preferencesOf: (userId) => service.preferencesOf(userId),
    clock,
    logger: logger.child({ module: 'outbox' }),
  });
  // Recipients through the service's cache: its sightings invalidate it.
  const rules = createEventRules({ service, store: service.recipients, logger: logger.child({ module: 'notification-rules' }) });
  outbox.start();
  return {
    service,
    rules,
    consumer: rules.consumer,
    async stop() {
      await outbox.stop();
      await closeDeliveryChannels(deliveryChannels).catch((error: unknown) => logger.warn({ err: error }, 'delivery channels did not close'));
    },
  };
}

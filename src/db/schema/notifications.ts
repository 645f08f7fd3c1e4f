import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Notifications (docs/notifications.md). The inbox (`notifications`) is the record of what was
 * said to whom; `notification_deliveries` is the durable outbox: one row per channel and
 * message, claimed by the outbox worker of any instance (FOR UPDATE SKIP LOCKED) and made
 * exactly-once per `idempotency_key`.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    projectId: text('project_id').notNull(),
    category: text('category').notNull(),
    priority: text('priority').notNull(),
    /** category + title unless the sender gives one; auto-mute folds repeats of it. */
    fingerprint: text('fingerprint').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    data: jsonb('data'),
    /** Why routing did what it did (a short list of reasons), for people reading the inbox. */
    routing: jsonb('routing'),
    /** Auto-muted: a repeat within the hour, folded into the next digest instead of sent. */
    folded: boolean('folded').notNull().default(false),
    /** `event:<eventId>:<userId>` for notifications from bus events: a redelivered event adds nothing. */
    dedupeKey: text('dedupe_key'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    readAt: timestamp('read_at', { withTimezone: true, mode: 'date' }),
    archivedAt: timestamp('archived_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // The inbox pages newest first by (created_at, id) per user.
    index('notifications_user_created_idx').on(t.userId, t.createdAt, t.id),
    // Auto-mute asks "same user + fingerprint within the hour".
    index('notifications_user_fingerprint_idx').on(t.userId, t.fingerprint, t.createdAt),
    uniqueIndex('notifications_dedupe_key_idx').on(t.dedupeKey),
  ],
);

/**
 * One row per user: only what the user changed (`settings`, merged over the defaults on read),
 * the contact details, and the pseudonym events carry for them (events name writers by an HMAC
 * of their id, so rules from events find the user through `actor`).
 */
export const notificationPreferences = pgTable(
  'notification_preferences',
  {
    userId: text('user_id').primaryKey(),
    actor: text('actor').notNull(),
    settings: jsonb('settings').notNull().default({}),
    /** From the token's `email` claim, remembered on first sight; `settings.email` wins. */
    tokenEmail: text('token_email'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('notification_preferences_actor_idx').on(t.actor)],
);

/** Project roles seen in tokens, so rules can address "the project's owners". */
export const notificationMembers = pgTable(
  'notification_members',
  {
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role').notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ name: 'notification_members_pk', columns: [t.projectId, t.userId] })],
);

export const notificationPushSubscriptions = pgTable(
  'notification_push_subscriptions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    endpoint: text('endpoint').notNull(),
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('notification_push_subscriptions_endpoint_idx').on(t.endpoint), index('notification_push_subscriptions_user_idx').on(t.userId)],
);

/**
 * The outbox. `status`: pending (due at `due_at`), held (quiet hours: until `due_at`; flow:
 * until the writer leaves flow), sent, failed (a channel not configured or no address: never a
 * silent success), dead (a permanent error or retries exhausted). A digest is one row whose
 * `notification_ids` grows until it is due (upsert on its idempotency key).
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    notificationIds: jsonb('notification_ids').$type<string[]>().notNull(),
    channel: text('channel').notNull(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    holdReason: text('hold_reason'),
    /** In-app pushes during quiet hours or of muted/folded notifications: no alert sound. */
    silent: boolean('silent').notNull().default(false),
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    idempotencyKey: text('idempotency_key').notNull(),
    /** A claim is a lease: a worker that died mid-send leaves it to expire, then another retries. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true, mode: 'date' }),
    claimToken: text('claim_token'),
    providerId: text('provider_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('notification_deliveries_idempotency_key_idx').on(t.idempotencyKey),
    index('notification_deliveries_status_due_idx').on(t.status, t.dueAt),
    index('notification_deliveries_user_idx').on(t.userId, t.createdAt),
  ],
);

/**
 * What the notifications service needs from storage (src/db/repositories/notifications*.ts
 * implements it over PGlite and Postgres). Times are ms since the epoch.
 */
import type { NotificationCategory, NotificationChannel, NotificationPriority, StoredPreferences } from '../../notify/model.js';
import type { HoldReason, PlannedDelivery } from '../../notify/route.js';

export interface StoredNotification {
  id: string;
  userId: string;
  projectId: string;
  category: NotificationCategory;
  priority: NotificationPriority;
  fingerprint: string;
  title: string;
  body: string;
  data: unknown;
  routing: string[];
  folded: boolean;
  createdAt: number;
  readAt: number | null;
  archivedAt: number | null;
}

export type DeliveryStatus = 'pending' | 'held' | 'sent' | 'failed' | 'dead';

export interface DeliveryRecord {
  id: string;
  userId: string;
  notificationIds: string[];
  channel: NotificationChannel;
  kind: 'single' | 'digest';
  status: DeliveryStatus;
  holdReason: HoldReason | null;
  silent: boolean;
  dueAt: number;
  attempts: number;
  lastError: string | null;
  idempotencyKey: string;
  providerId: string | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
}

/**
 * A delivery's result known before it is stored: a push made before the commit (sent, or back
 * to the worker as pending/dead), or a channel this build has not configured (failed).
 */
export interface DeliveryOutcome {
  status: 'sent' | 'pending' | 'failed' | 'dead';
  lastError: string | null;
  attempts: number;
}

export interface InboxQuery {
  userId: string;
  unread?: boolean;
  category?: NotificationCategory;
  projectId?: string;
  /** Opaque cursor from the previous page. */
  cursor?: string;
  limit: number;
  /** Archived rows are left out unless asked for. */
  includeArchived?: boolean;
}

export interface PushSubscription {
  id: string;
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: number;
}

/** The key of `countsSince`'s answer. */
export const fingerprintKey = (userId: string, fingerprint: string): string => `${userId}\n${fingerprint}`;

/** One user as a token showed them: id, event pseudonym, optional email claim, project roles. */
export interface UserSighting {
  userId: string;
  actor: string;
  email: string | null;
  projects: Readonly<Record<string, string>>;
  at: number;
}

export interface NotificationStore {
  recordSighting(sighting: UserSighting): Promise<void>;
  /** recordSighting for many at once: one upsert of users and one of project roles (a connect burst). */
  recordSightings(sightings: readonly UserSighting[]): Promise<void>;
  /** User ids behind event pseudonyms (users never seen are absent). */
  usersByActor(actors: readonly string[]): Promise<string[]>;
  /** Owners of a project as tokens showed them. */
  owners(projectId: string): Promise<string[]>;
  /** The batch form of usersByActor, in one query: pseudonym -> user ids (never-seen actors are absent). */
  usersByActors(actors: readonly string[]): Promise<Map<string, string[]>>;
  /** The batch form of owners, in one query: project -> owner user ids (projects without any are absent). */
  ownersOf(projectIds: readonly string[]): Promise<Map<string, string[]>>;
  /** The user's last seen role in the project, or null. */
  roleOf(projectId: string, userId: string): Promise<string | null>;
  getPreferences(userId: string): Promise<{ settings: StoredPreferences; tokenEmail: string | null } | null>;
  savePreferences(userId: string, actor: string, settings: StoredPreferences, at: number): Promise<void>;
  /** getPreferences for many users in one query (users without a row are absent). */
  preferencesMany(userIds: readonly string[]): Promise<Map<string, { settings: StoredPreferences; tokenEmail: string | null }>>;
  /** The writers' zones from the writing preferences, in one query (users without a row are absent). */
  writerZones(userIds: readonly string[]): Promise<Map<string, string>>;

  /**
   * Notifications of each (user, fingerprint) created since `since` (auto-mute), in one query;
   * keyed by `fingerprintKey`. Zero counts are absent.
   */
  countsSince(pairs: readonly { userId: string; fingerprint: string }[], since: number): Promise<Map<string, number>>;
  /**
   * Inserts notifications and their deliveries in one transaction (group commit): one multi-row
   * insert per table; a digest delivery whose key exists and is still pending gets the
   * notifications appended (a digest already sent gets a late digest of its own). Returns the
   * ids of the notifications inserted (those whose dedupe key existed are left out, with their
   * deliveries). A delivery with `claim` is stored
   * already claimed under that lease (the caller sends it itself; if it dies, the lease runs out
   * and the outbox worker sends it). A delivery with `outcome` is stored with it (`sent` with its
   * sent_at, or the error): nothing is left for the worker unless it says `pending`.
   */
  createMany(
    items: readonly { notification: StoredNotification & { dedupeKey: string | null }; deliveries: (PlannedDelivery & { id: string; claim?: { token: string; until: number }; outcome?: DeliveryOutcome })[] }[],
  ): Promise<Set<string>>;
  list(query: InboxQuery): Promise<{ items: StoredNotification[]; nextCursor: string | null }>;
  unreadCount(userId: string): Promise<number>;
  get(userId: string, id: string): Promise<StoredNotification | null>;
  getMany(ids: readonly string[]): Promise<StoredNotification[]>;
  markRead(userId: string, id: string, at: number): Promise<boolean>;
  markAllRead(userId: string, at: number, filter?: { category?: NotificationCategory; projectId?: string }): Promise<number>;
  archive(userId: string, id: string, at: number): Promise<boolean>;

  addPushSubscription(sub: PushSubscription): Promise<PushSubscription>;
  removePushSubscription(userId: string, id: string): Promise<boolean>;
  pushSubscriptions(userId: string): Promise<PushSubscription[]>;
  deletePushSubscriptions(ids: readonly string[]): Promise<void>;

  /** Quiet-hours holds whose end has come become pending; returns how many. */
  releaseDueHolds(now: number): Promise<number>;
  /** Deliveries held for flow (oldest first). */
  flowHeld(limit: number): Promise<DeliveryRecord[]>;
  /** Changes a held delivery (release from flow); false when it is no longer held. */
  rescheduleHeld(id: string, change: { status: 'pending' | 'held'; holdReason: HoldReason | null; dueAt: number; silent: boolean }, at: number): Promise<boolean>;
  /**
   * Claims up to `limit` pending deliveries due by `now` whose lease is free (FOR UPDATE SKIP
   * LOCKED: concurrent workers on any instance never claim the same row), leasing them for
   * `leaseMs` under `token` and counting the attempt.
   */
  claimDue(now: number, limit: number, leaseMs: number, token: string): Promise<DeliveryRecord[]>;
  /** Records the outcome of a claimed delivery; false when the lease was lost (another worker has it). */
  finish(id: string, token: string, outcome: { status: DeliveryStatus; dueAt?: number; lastError?: string | null; providerId?: string | null }, at: number): Promise<boolean>;
  /** Records `sent` for many claimed deliveries at once; returns the ids recorded (a lost lease leaves one out). */
  finishSent(ids: readonly string[], token: string, at: number): Promise<Set<string>>;
  /** Every delivery that carries the notification (its channels, digests included). */
  deliveriesOf(userId: string, notificationId: string): Promise<DeliveryRecord[]>;
  /** The user's digests not sent yet. */
  pendingDigests(userId: string): Promise<DeliveryRecord[]>;
  /** Counts by status, for readiness details and tests. */
  statusCounts(): Promise<Record<DeliveryStatus, number>>;
}

export interface NotifyInput {
  userId: string;
  projectId: string;
  category: NotificationCategory;
  priority: NotificationPriority;
  title: string;
  body: string;
  data?: unknown;
  fingerprint?: string;
  /** Makes a repeated call (a redelivered event) add nothing. */
  dedupeKey?: string;
  /**
   * The notification's id when the source gives one that is stable across redeliveries (the
   * rules consumer: derived from the event and the user), so a push made before a crash and the
   * push of the redelivery carry the same id. Default: a new UUIDv7.
   */
  id?: string;
  onlyChannels?: readonly NotificationChannel[];
}

/** Where the live writing state comes from (the writing service, across instances). */
export interface WriterState {
  inFlow(userId: string): Promise<boolean>;
  /** The writer's zone from the writing preferences (default quiet hours are in it). */
  timeZone(userId: string): Promise<string>;
  /** timeZone for many writers in one lookup (a batch); without it, timeZone is asked per writer. */
  timeZones?(userIds: readonly string[]): Promise<Map<string, string>>;
}

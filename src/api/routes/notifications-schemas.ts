import { z } from '@hono/zod-openapi';
import { BODY_MAX, DIGEST_CADENCES, NOTIFICATION_CATEGORIES, NOTIFICATION_CHANNELS, NOTIFICATION_PRIORITIES, TITLE_MAX, parseTimeOfDay } from '../../notify/model.js';
import { canonicalTimeZone } from '../../lib/time-zones.js';
import type { StoredNotification, DeliveryRecord } from '../../services/notifications/ports.js';
import { Instant, ResourceId } from '../params.js';

/** Shared schemas of the notifications routes (notifications*.ts). */
export const Category = z.enum(NOTIFICATION_CATEGORIES).openapi('NotificationCategory');
export const Priority = z.enum(NOTIFICATION_PRIORITIES).openapi('NotificationPriority');
export const Channel = z.enum(NOTIFICATION_CHANNELS).openapi('NotificationChannel');
export const NotificationId = z.string().regex(/^[0-9a-f-]{36}$/, 'expected a notification id (UUID)');

export const TimeOfDay = z.string().refine((v) => parseTimeOfDay(v) !== null, { message: 'expected HH:MM (00:00-23:59)' }).openapi({ example: '22:00' });
export const TimeZoneName = z.string().refine((v) => canonicalTimeZone(v) !== null, { message: 'not an IANA time zone (e.g. "Europe/Berlin")' }).openapi({ example: 'Europe/Berlin' });
export const QuietHours = z.object({ start: TimeOfDay, end: TimeOfDay, timeZone: TimeZoneName }).strict().openapi('QuietHours');

export const Notification = z
  .object({
    id: z.string(),
    userId: z.string(),
    projectId: z.string(),
    category: Category,
    priority: Priority,
    fingerprint: z.string(),
    title: z.string(),
    body: z.string(),
    data: z.unknown(),
    routing: z.array(z.string()).openapi({ description: 'why it was routed as it was, in order' }),
    folded: z.boolean().openapi({ description: 'auto-muted repeat: counted into the next digest instead of sent' }),
    createdAt: z.string(),
    readAt: z.string().nullable(),
    archivedAt: z.string().nullable(),
  })
  .openapi('Notification');

export const Delivery = z
  .object({
    id: z.string(),
    channel: Channel,
    kind: z.enum(['single', 'digest']),
    status: z.enum(['pending', 'held', 'sent', 'failed', 'dead']),
    holdReason: z.enum(['quiet_hours', 'flow']).nullable(),
    dueAt: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    sentAt: z.string().nullable(),
    notifications: z.number().int().openapi({ description: 'notifications this delivery carries (more than one for a digest)' }),
  })
  .openapi('NotificationDelivery');

const ChannelStatus = z.object({ configured: z.boolean(), detail: z.string() });
export const PreferencesBody = z
  .object({
    channels: z.partialRecord(Category, z.partialRecord(Priority, z.array(Channel).max(4))).optional(),
    quietHours: QuietHours.nullable().optional(),
    digest: z.partialRecord(Category, z.enum(DIGEST_CADENCES)).optional(),
    email: z.email().max(320).nullable().optional(),
    phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 number such as +4915112345678').nullable().optional(),
    mute: z.partialRecord(Category, Instant).optional(),
    muteProjects: z.record(ResourceId, Instant).optional(),
  })
  .strict()
  .openapi('NotificationPreferencesUpdate');
export const Preferences = z
  .object({
    channels: z.record(z.string(), z.record(z.string(), z.array(Channel))),
    quietHours: QuietHours.nullable(),
    digest: z.record(z.string(), z.enum(DIGEST_CADENCES)),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    mute: z.record(z.string(), z.string()),
    muteProjects: z.record(z.string(), z.string()),
    channelStatus: z.record(z.string(), ChannelStatus).openapi({ description: 'whether each channel is configured on this server (never a silent success)' }),
  })
  .openapi('NotificationPreferences');

export const SendBody = z
  .object({
    userId: z.string().min(1).max(256),
    projectId: ResourceId,
    category: Category,
    priority: Priority,
    title: z.string().min(1).max(TITLE_MAX),
    body: z.string().max(BODY_MAX),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .openapi('NotificationSend');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentNotification(n: StoredNotification): z.infer<typeof Notification> {
  return { ...n, createdAt: iso(n.createdAt)!, readAt: iso(n.readAt), archivedAt: iso(n.archivedAt) };
}

export function presentDelivery(d: DeliveryRecord): z.infer<typeof Delivery> {
  return {
    id: d.id,
    channel: d.channel,
    kind: d.kind,
    status: d.status,
    holdReason: d.holdReason,
    dueAt: iso(d.dueAt)!,
    attempts: d.attempts,
    lastError: d.lastError,
    sentAt: iso(d.sentAt),
    notifications: d.notificationIds.length,
  };
}

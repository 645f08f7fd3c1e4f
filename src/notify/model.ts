/**
 * The notification vocabulary (fixed contract, issue 14) and a user's effective preferences.
 * Pure: no IO, no clock. The REST schemas, the SDK and the database all spell these the same.
 */
export const NOTIFICATION_CATEGORIES = ['writing', 'collaboration', 'publishing', 'analytics', 'automation', 'system'] as const;
export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[number];
/** Most urgent first. */
export const NOTIFICATION_PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type NotificationPriority = (typeof NOTIFICATION_PRIORITIES)[number];
export const NOTIFICATION_CHANNELS = ['in_app', 'email', 'sms', 'push'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export const DIGEST_CADENCES = ['hourly', 'daily', 'weekly', 'off'] as const;
export type DigestCadence = (typeof DIGEST_CADENCES)[number];

/** Limits of what a sender may say (REST answers 400 past them). */
export const TITLE_MAX = 200;
export const BODY_MAX = 4_000;
/** A repeat of a fingerprint within this window is folded (auto-mute). */
export const AUTO_MUTE_WINDOW_MS = 3_600_000;

export interface QuietHours {
  /** "HH:MM", local time in `timeZone`. */
  start: string;
  end: string;
  timeZone: string;
}

/** Preferences with every default filled in (what GET returns and routing reads). */
export interface EffectivePreferences {
  channels: Record<NotificationCategory, Record<NotificationPriority, NotificationChannel[]>>;
  /** null: no quiet hours. */
  quietHours: QuietHours | null;
  digest: Record<NotificationCategory, DigestCadence>;
  email: string | null;
  phone: string | null;
  /** Category -> ISO instant until which it is muted. */
  mute: Partial<Record<NotificationCategory, string>>;
  /** Project id -> ISO instant until which it is muted. */
  muteProjects: Record<string, string>;
}

/** What a user changed; merged over the defaults (`effectivePreferences`). */
export interface StoredPreferences {
  channels?: Partial<Record<NotificationCategory, Partial<Record<NotificationPriority, NotificationChannel[]>>>>;
  /** Absent: the default window; null: none. */
  quietHours?: QuietHours | null;
  digest?: Partial<Record<NotificationCategory, DigestCadence>>;
  email?: string | null;
  phone?: string | null;
  mute?: Partial<Record<NotificationCategory, string>>;
  muteProjects?: Record<string, string>;
}

/**
 * The defaults of the contract: critical and high -> in_app + email; medium -> in_app; low ->
 * in_app, plus email batched into the category's daily digest.
 */
export const DEFAULT_CHANNELS: Record<NotificationPriority, NotificationChannel[]> = {
  critical: ['in_app', 'email'],
  high: ['in_app', 'email'],
  medium: ['in_app'],
  low: ['in_app', 'email'],
};
export const DEFAULT_QUIET = { start: '22:00', end: '08:00' } as const;
export const DEFAULT_DIGEST: DigestCadence = 'daily';

/**
 * Fills in the defaults. `writerZone` is the writer's zone from the writing preferences (the
 * default quiet hours are 22:00-08:00 there); `tokenEmail` the token's remembered email claim.
 */
export function effectivePreferences(stored: StoredPreferences, writerZone: string, tokenEmail: string | null = null): EffectivePreferences {
  const channels = {} as EffectivePreferences['channels'];
  const digest = {} as EffectivePreferences['digest'];
  for (const category of NOTIFICATION_CATEGORIES) {
    const row = {} as Record<NotificationPriority, NotificationChannel[]>;
    for (const priority of NOTIFICATION_PRIORITIES) row[priority] = [...(stored.channels?.[category]?.[priority] ?? DEFAULT_CHANNELS[priority])];
    channels[category] = row;
    digest[category] = stored.digest?.[category] ?? DEFAULT_DIGEST;
  }
  return {
    channels,
    quietHours: stored.quietHours === undefined ? { ...DEFAULT_QUIET, timeZone: writerZone } : stored.quietHours,
    digest,
    email: stored.email ?? tokenEmail,
    phone: stored.phone ?? null,
    mute: { ...stored.mute },
    muteProjects: { ...stored.muteProjects },
  };
}

/** Merges a PUT body into what was stored: every field optional, maps merged key by key. */
export function mergePreferences(stored: StoredPreferences, patch: StoredPreferences): StoredPreferences {
  const out: StoredPreferences = { ...stored };
  if (patch.channels) {
    const channels: NonNullable<StoredPreferences['channels']> = { ...stored.channels };
    for (const [category, row] of Object.entries(patch.channels) as [NotificationCategory, Partial<Record<NotificationPriority, NotificationChannel[]>>][]) {
      channels[category] = { ...channels[category], ...row };
    }
    out.channels = channels;
  }
  if (patch.quietHours !== undefined) out.quietHours = patch.quietHours;
  if (patch.digest) out.digest = { ...stored.digest, ...patch.digest };
  if (patch.email !== undefined) out.email = patch.email;
  if (patch.phone !== undefined) out.phone = patch.phone;
  if (patch.mute) out.mute = { ...stored.mute, ...patch.mute };
  if (patch.muteProjects) out.muteProjects = { ...stored.muteProjects, ...patch.muteProjects };
  return out;
}

/** The default fingerprint: category + title (fixed contract). */
export function defaultFingerprint(category: string, title: string): string {
  return `${category}:${title}`;
}

/** "HH:MM" -> minutes after midnight, or null unless it is a real time of day. */
export function parseTimeOfDay(value: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

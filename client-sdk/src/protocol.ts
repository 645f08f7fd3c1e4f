/**
 * The server's wire protocol, mirrored (the SDK imports nothing from the server): stateless
 * messages on /collaboration and the frames of the /ws/* gateway. Source of truth:
 * src/protocol/ on the server; client-sdk/tests/mirrors.test.ts checks these tables are equal.
 */

/**
 * Reasons the server closes the collaboration socket with, besides error codes: the close code
 * and whether to reconnect. `storage-unavailable` (4503): the server could not store a change and
 * did not acknowledge it; the provider keeps it and re-sends it after reconnecting (with backoff).
 */
export const COLLAB_CLOSE_REASONS = {
  'server-restarting': { code: 1012, retry: true },
  'access-revoked': { code: 4403, retry: false },
  'storage-unavailable': { code: 4503, retry: true },
} as const;
export type CollabCloseReason = keyof typeof COLLAB_CLOSE_REASONS;

/** `type` of every stateless message the server sends on /collaboration. */
export const STATELESS_MESSAGE_TYPES = ['storyloom.conflict'] as const;
export const CONFLICT_STATUSES = ['predicted', 'cleared'] as const;
export const CONFLICT_SEVERITIES = ['high', 'medium'] as const;
export type ConflictStatus = (typeof CONFLICT_STATUSES)[number];
export type ConflictSeverity = (typeof CONFLICT_SEVERITIES)[number];

/**
 * A conflict warning (stateless `storyloom.conflict`, and the `data` of an `event` frame on
 * `document:<projectId>/<documentId>` of /ws/presence): two writers' carets or edits in the same
 * block (`high`) or adjacent blocks (`medium`); `cleared` ends it for that pair. Times are ms
 * since the epoch on the server's clock.
 */
export interface ConflictMessage {
  type: 'storyloom.conflict';
  status: ConflictStatus;
  /** `<projectId>/<documentId>`. */
  document: string;
  severity: ConflictSeverity;
  /** The two user ids, sorted. */
  users: string[];
  blocks: number[];
  /** When the warning was raised. */
  since: number;
  /** When this message was sent. */
  at: number;
}

/** The conflict message's fields, in the server's order. */
export const CONFLICT_MESSAGE_FIELDS = ['type', 'status', 'document', 'severity', 'users', 'blocks', 'since', 'at'] as const satisfies readonly (keyof ConflictMessage)[];

/** The gateway endpoints' names: `/ws/<name>`. */
export const GATEWAY_PATH_NAMES = ['analytics', 'notifications', 'presence'] as const;

/** `type` of every frame the gateway sends. */
export const SERVER_MESSAGE_TYPES = ['subscribed', 'unsubscribed', 'error', 'pong', 'event', 'heartbeat'] as const;

/** Server -> client frames of the gateway. `heartbeat.at` is ISO 8601 on the server clock. */
export type GatewayServerMessage =
  | { type: 'subscribed'; channel: string }
  | { type: 'unsubscribed'; channel: string }
  | { type: 'error'; code: string; message: string; channel?: string }
  | { type: 'pong'; id?: string | number }
  | { type: 'event'; channel: string; data: unknown }
  | { type: 'heartbeat'; at: string };

/** `kind` of every push that is not a domain event (an `event` frame's `data.kind`). */
export const PUSH_KINDS = ['writing.metrics', 'writing.break_suggested'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlock = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1e9;
const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T => (values as readonly unknown[]).includes(v);

/**
 * A conflict message from a stateless payload (a JSON string) or an already parsed event `data`;
 * null for anything else. Untrusted input: every field is checked, nothing throws.
 */
export function parseConflictMessage(payload: unknown): ConflictMessage | null {
  let json: unknown = payload;
  if (typeof payload === 'string') {
    try {
      json = JSON.parse(payload);
    } catch {
      return null;
    }
  }
  if (!isRecord(json) || json.type !== 'storyloom.conflict') return null;
  const { status, severity, users, blocks } = json;
  if (!isOneOf(CONFLICT_STATUSES, status) || !isOneOf(CONFLICT_SEVERITIES, severity)) return null;
  if (!Array.isArray(users) || !users.every((u) => typeof u === 'string')) return null;
  if (!Array.isArray(blocks) || !blocks.every(isBlock)) return null;
  return {
    type: 'storyloom.conflict',
    status,
    document: typeof json.document === 'string' ? json.document : '',
    severity,
    users: [...users] as string[],
    blocks: [...blocks] as number[],
    since: typeof json.since === 'number' ? json.since : 0,
    at: typeof json.at === 'number' ? json.at : 0,
  };
}

/**
 * The in-app notification push: the `data` of an `event` frame on `user:<userId>` of
 * /ws/notifications (server: src/protocol/notifications.ts).
 */
export const NOTIFICATION_PUSH_TYPE = 'notification' as const;
export type NotificationCategoryName = 'writing' | 'collaboration' | 'publishing' | 'analytics' | 'automation' | 'system';
export type NotificationPriorityName = 'critical' | 'high' | 'medium' | 'low';
export interface NotificationPayload {
  id: string;
  projectId: string;
  category: NotificationCategoryName;
  priority: NotificationPriorityName;
  title: string;
  body: string;
  /** ISO 8601. */
  createdAt: string;
  data: unknown;
}
export interface NotificationPush {
  type: typeof NOTIFICATION_PUSH_TYPE;
  notification: NotificationPayload;
  /** Arrived during quiet hours: show it, make no sound. */
  silent: boolean;
}

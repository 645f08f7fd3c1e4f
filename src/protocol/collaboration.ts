/**
 * Messages the server sends on /collaboration outside the Yjs protocol: Hocuspocus stateless
 * payloads (a JSON string). The same conflict warning is also the `data` of a gateway `event`
 * on `document:<projectId>/<documentId>` (/ws/presence). Mirrored by client-sdk/src/protocol.ts;
 * client-sdk/tests/mirrors.test.ts checks the tables below are equal. A field never changes
 * meaning once shipped; add fields, never repurpose them.
 */
import { z } from 'zod';

/** `type` of every stateless message the server sends. */
export const STATELESS_MESSAGE_TYPES = ['storyloom.conflict'] as const;
export const CONFLICT_STATUSES = ['predicted', 'cleared'] as const;
export const CONFLICT_SEVERITIES = ['high', 'medium'] as const;
export type ConflictStatus = (typeof CONFLICT_STATUSES)[number];
export type ConflictSeverity = (typeof CONFLICT_SEVERITIES)[number];

/**
 * A conflict warning: two writers' carets or edits in the same block (`high`) or adjacent blocks
 * (`medium`); `cleared` ends it for that pair. Times are ms since the epoch on the server clock.
 */
export const conflictMessageSchema = z.object({
  type: z.literal('storyloom.conflict'),
  status: z.enum(CONFLICT_STATUSES),
  /** `<projectId>/<documentId>`. */
  document: z.string(),
  severity: z.enum(CONFLICT_SEVERITIES),
  /** The two user ids, sorted. */
  users: z.array(z.string()),
  /** Top-level block indexes at the time of the message. */
  blocks: z.array(z.number().int().nonnegative()),
  /** When the warning was raised. */
  since: z.number(),
  /** When this message was sent. */
  at: z.number(),
});
export type ConflictMessage = z.infer<typeof conflictMessageSchema>;

/** The conflict message's fields, in order (the SDK mirrors this list). */
export const CONFLICT_MESSAGE_FIELDS = Object.keys(conflictMessageSchema.shape) as (keyof ConflictMessage)[];

/** Every stateless message the server sends on /collaboration. */
export type StatelessMessage = ConflictMessage;

/** Builds a conflict message (copies the arrays so later model changes cannot alter a sent message). */
export function conflictMessage(input: {
  status: ConflictStatus;
  document: string;
  severity: ConflictSeverity;
  users: readonly string[];
  blocks: readonly number[];
  since: number;
  at: number;
}): ConflictMessage {
  const { status, document, severity, users, blocks, since, at } = input;
  return { type: 'storyloom.conflict', status, document, severity, users: [...users], blocks: [...blocks], since, at };
}

/**
 * Reasons the server closes a /collaboration socket with, besides error codes (which it sends as
 * the reason with their own close code, src/lib/errors.ts): the close code each comes with, and
 * whether the client should reconnect (with backoff) or stop.
 * - `server-restarting`: graceful shutdown; another instance (or this one, restarted) serves it.
 * - `access-revoked`: an admin ended the user's connections; reconnecting would be refused.
 * - `storage-unavailable`: the server could not store the client's change (database down, disk
 *   full) and did not acknowledge it; the client keeps it and re-sends it after reconnecting.
 */
export const COLLAB_CLOSE_REASONS = {
  'server-restarting': { code: 1012, retry: true },
  'access-revoked': { code: 4403, retry: false },
  'storage-unavailable': { code: 4503, retry: true },
} as const;
export type CollabCloseReason = keyof typeof COLLAB_CLOSE_REASONS;

/**
 * Frames the server sends on the /ws/* channel gateway (analytics, notifications, presence), and
 * the `data` pushed in `event` frames. Mirrored by client-sdk/src/protocol.ts and checked by
 * client-sdk/tests/mirrors.test.ts. A message type or field never changes meaning once shipped.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../lib/errors.js';
import type { ConflictMessage } from './collaboration.js';

/** The three gateway endpoints' names (the path is `/ws/<name>`); each keeps its own subscriptions. */
export const GATEWAY_PATH_NAMES = ['analytics', 'notifications', 'presence'] as const;
export type GatewayPath = (typeof GATEWAY_PATH_NAMES)[number];

const pingId = z.union([z.string().max(128), z.number().finite()]);
const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** Every frame the server sends. `heartbeat.at` is an ISO 8601 timestamp of the server clock. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribed'), channel: z.string() }),
  z.object({ type: z.literal('unsubscribed'), channel: z.string() }),
  z.object({ type: z.literal('error'), code: errorCodeSchema, message: z.string(), channel: z.string().optional() }),
  z.object({ type: z.literal('pong'), id: pingId.optional() }),
  z.object({ type: z.literal('event'), channel: z.string(), data: z.unknown() }),
  z.object({ type: z.literal('heartbeat'), at: z.string() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** `type` of every server frame, in declaration order (the SDK mirrors this list). */
export const SERVER_MESSAGE_TYPES = serverMessageSchema.options.map((o) => o.shape.type.value);

/** Live writing numbers of a session, on `user:<userId>` and `project:<projectId>` (/ws/analytics). */
export interface WritingMetricsPush {
  kind: 'writing.metrics';
  sessionId: string;
  userId: string;
  projectId: string;
  state: string;
  wpm: number;
  wordsPerHour: number;
  totals: Record<string, number>;
  documents: string[];
  /** ISO 8601. */
  at: string;
}

/** A break suggestion for a writer, on `user:<userId>` (/ws/analytics). */
export interface BreakSuggestedPush {
  kind: 'writing.break_suggested';
  sessionId: string;
  projectId: string;
  writingMs: number;
  wpm: number;
  earlierWpm: number;
  /** ISO 8601. */
  at: string;
}

/** `kind` of every non-event push the server makes (an `event` frame's `data.kind`). */
export const PUSH_KINDS = ['writing.metrics', 'writing.break_suggested'] as const;

/**
 * What an `event` frame's `data` is, per channel:
 * - a domain event envelope (events/schema.ts, `data.type` like `collaboration.user_joined`) on
 *   `project:` and `document:` channels, bridged from the bus once per channel;
 * - the live conflict warning (`data.type === 'storyloom.conflict'`) on `document:` channels of
 *   /ws/presence; its `collaboration.conflict_*` envelopes go to `project:` channels only, so a
 *   `document:` subscriber gets each warning once;
 * - a WritingMetricsPush or BreakSuggestedPush (`data.kind`) on `user:` and `project:` channels;
 * - whatever JSON an admin broadcasts through REST (hence the open last member).
 */
export type EventData = ConflictMessage | WritingMetricsPush | BreakSuggestedPush | Record<string, unknown>;

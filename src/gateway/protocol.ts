import { RESOURCE_ID_PATTERN } from '../lib/ids.js';
import { z } from 'zod';
import { roleIn, type Identity } from '../lib/identity.js';

/**
 * The JSON protocol of the /ws/* channel gateway. Mirrored by the client SDK: a message type or
 * an error code never changes meaning once it has shipped.
 */

/** The three gateway endpoints (fixed paths); each keeps its own subscriptions. */
export const GATEWAY_PATHS = ['/ws/analytics', '/ws/notifications', '/ws/presence'] as const;
export type GatewayPath = 'analytics' | 'notifications' | 'presence';
export const GATEWAY_PATH_NAMES: readonly GatewayPath[] = ['analytics', 'notifications', 'presence'];

/** Project and document ids, the same alphabet the token's `projects` keys use (lib/ids.ts). */
export { RESOURCE_ID_PATTERN };
/** User ids are token subjects: 1-256 characters, none of them whitespace. */
export const USER_ID_PATTERN = /^\S{1,256}$/;

const pingId = z.union([z.string().max(128), z.number().finite()]);

/**
 * What a client may send. The channel is any string here: a string that is not a valid channel
 * name is a `validation-failed` error about that channel, not a malformed message.
 */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), channel: z.string() }),
  z.object({ type: z.literal('unsubscribe'), channel: z.string() }),
  z.object({ type: z.literal('ping'), id: pingId.optional() }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Everything the server sends: declared with the rest of the wire protocol in src/protocol. */
export { serverMessageSchema, type ServerMessage } from '../protocol/gateway.js';

/** The kinds of channel, by the prefix of their name (`project:`, `document:`, `user:`). */
export const CHANNEL_KINDS = ['project', 'document', 'user'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A parsed channel name. `name` is the canonical string (identical to the input when valid). */
export type Channel =
  | { kind: 'project'; name: string; projectId: string }
  | { kind: 'document'; name: string; projectId: string; documentId: string }
  | { kind: 'user'; name: string; userId: string };

/**
 * Parses `project:<projectId>`, `document:<projectId>/<documentId>` or `user:<userId>`;
 * undefined for anything else (including surrounding whitespace or an empty id).
 */
export function parseChannel(name: string): Channel | undefined {
  if (name.startsWith('project:')) {
    const projectId = name.slice('project:'.length);
    return RESOURCE_ID_PATTERN.test(projectId) ? { kind: 'project', name, projectId } : undefined;
  }
  if (name.startsWith('document:')) {
    const rest = name.slice('document:'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return undefined;
    const projectId = rest.slice(0, slash);
    const documentId = rest.slice(slash + 1);
    if (!RESOURCE_ID_PATTERN.test(projectId) || !RESOURCE_ID_PATTERN.test(documentId)) return undefined;
    return { kind: 'document', name, projectId, documentId };
  }
  if (name.startsWith('user:')) {
    const userId = name.slice('user:'.length);
    return USER_ID_PATTERN.test(userId) ? { kind: 'user', name, userId } : undefined;
  }
  return undefined;
}

/**
 * Channel ACL, decided from the token's claims alone (no database round trip per subscribe):
 * project and document channels need any role in the project, a user channel is only for that
 * user. Admin service tokens get no bypass: they publish through REST instead of listening.
 */
export function canSubscribe(identity: Identity, channel: Channel): boolean {
  switch (channel.kind) {
    case 'project':
    case 'document':
      return roleIn(identity, channel.projectId) !== undefined;
    case 'user':
      return channel.userId === identity.userId;
  }
}

export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'invalid-message'; message: string };

/** Text frame -> client message, or the `invalid-message` explanation to send back. */
export function parseClientMessage(text: string): ParsedClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid-message', message: 'The message is not valid JSON' };
  }
  const result = clientMessageSchema.safeParse(json);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return {
    ok: false,
    code: 'invalid-message',
    message: `Expected {type: "subscribe"|"unsubscribe", channel} or {type: "ping", id?} (${where}${issue?.message ?? 'invalid'})`,
  };
}

/**
 * Request and response shapes of the REST API, by name. Every type here is an alias into
 * openapi.gen.ts, which scripts/gen-api-types.ts generates from the server's OpenAPI document
 * (`/api/openapi.json`) with openapi-typescript, so the SDK cannot drift from the server (a test
 * fails while the generated file is stale). Times are ISO 8601 strings as the server sends them.
 */
import type { components, paths } from './openapi.gen.js';
import type { EventCategory } from './events.js';

type Schemas = components['schemas'];
type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];
/** The JSON request body of an operation. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** The query parameters of an operation. */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
/** The JSON body of an operation's `status` answer. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P], S extends number = 200> =
  Operation<P, M> extends { responses: infer R } ? (R extends Record<S, { content: { 'application/json': infer B } }> ? B : never) : never;

export type { paths as ApiPaths, components as ApiComponents } from './openapi.gen.js';

export type Liveness = ResponseOf<'/healthz', 'get'>;
/** `checks` says `ok` or `down` per dependency; the reason is in the server's log only. */
export type Readiness = Schemas['Readiness'];

/** From a development server's `/api/dev/token` (demo project only; 404 where dev tokens are off). */
export type DevToken = Schemas['DevToken'];

export type DisconnectResult = ResponseOf<'/api/admin/users/{userId}/disconnect', 'post'>;

/** An event as stored in the audit archive (actor is a pseudonym, never a user id). */
export type StoredEvent = Schemas['Event'];
export type EventPage = Schemas['EventPage'];
export type PublishEventInput = RequestBody<'/api/realtime/events/publish', 'post'>;
/** `projectId` is required unless the token is an admin token; `limit` 1-500, default 100. */
export type ListEventsQuery = QueryOf<'/api/realtime/events/{category}', 'get'>;
export type { EventCategory };

export type BroadcastInput = RequestBody<'/api/realtime/websocket/broadcast', 'post'>;

export type WritingDay = Schemas['WritingDay'];
export type WriterReport = Schemas['WriterReport'];
export type ProjectWritingReport = Schemas['ProjectWritingReport'];
/** Inclusive calendar days (YYYY-MM-DD) in `tz`. */
export type ProjectWritingQuery = QueryOf<'/api/realtime/analytics/project/{projectId}/writing', 'get'>;
export type WritingBestHours = Schemas['WritingBestHours'];

export type WritingGoal = Schemas['WritingGoal'];
export type WritingGoalProgress = Schemas['WritingGoalProgress'];
export type WritingPreferences = Schemas['WritingPreferences'];

export type WritingSession = Schemas['WritingSession'];
export type WritingState = WritingSession['state'];
export type WritingSessionTotals = WritingSession['totals'];
/** One keystroke batch entry of an editor that is not on Yjs. */
export type Keystroke = RequestBody<'/api/realtime/writing/sessions/{id}/keystroke', 'post'>['events'][number];

export type BlockCursor = Omit<RequestBody<'/api/realtime/collaboration/cursor', 'post'>, 'documentId'>;
export type RestPresenceInput = RequestBody<'/api/realtime/collaboration/presence', 'post'>;
export type Accepted = ResponseOf<'/api/realtime/collaboration/presence', 'post', 202>;
export type Collaborators = Schemas['Collaborators'];
export type Collaborator = Collaborators['collaborators'][number];
/** A writer's entry; non-owners get only their own (the server's visibility rule). */
export type Contribution = Collaborators['contributions'][string];
/** A live warning as the REST API lists it (`since`/`lastSeenAt` are ISO strings). */
export type ConflictView = Schemas['ConflictWarning'];
export type CollaborationMetrics = Schemas['CollaborationMetrics'];

/** A saved version of a document (`kind`: named versions are kept, automatic ones thinned). */
export type DocumentVersion = Schemas['DocumentVersion'];
export type DocumentVersionContent = Schemas['DocumentVersionContent'];
export type DocumentVersionDiff = Schemas['DocumentVersionDiff'];
export type VersionRestored = Schemas['VersionRestored'];
export type VersionPage = ResponseOf<'/api/documents/{projectId}/{documentId}/versions', 'get'>;
/** `limit` 1-200 (default 50), `cursor` the previous page's `nextCursor`. */
export type VersionListQuery = QueryOf<'/api/documents/{projectId}/{documentId}/versions', 'get'>;

/** One notification in the inbox (`routing` says why it went where it went). */
export type Notification = Schemas['Notification'];
export type NotificationPage = Schemas['NotificationPage'];
/** `unread`, `category`, `projectId`, `cursor` (the previous page's `nextCursor`), `limit` 1-100. */
export type NotificationListQuery = QueryOf<'/api/realtime/notifications', 'get'>;
export type NotificationDelivery = Schemas['NotificationDelivery'];
export type NotificationSendInput = Schemas['NotificationSend'];
/** Effective preferences: defaults filled in, plus whether each channel is configured on the server. */
export type NotificationPreferences = Schemas['NotificationPreferences'];
export type NotificationPreferencesUpdate = Schemas['NotificationPreferencesUpdate'];
export type PushSubscription = Schemas['PushSubscription'];

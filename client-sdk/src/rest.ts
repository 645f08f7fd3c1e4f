/**
 * The typed REST client. {@link API_ROUTES} lists every operation of the server's OpenAPI
 * document (an integration test compares the two in both directions); {@link createApi} gives
 * each a typed method. Every failure is a StoryloomError: the server's own error body for a
 * non-2xx answer, `service-unavailable` when the server could not be reached at all.
 */
import type * as T from './api-types.js';
import { StoryloomError, parseErrorBody } from './errors.js';
import type { EventCategory } from './events.js';
import { WORKFLOW_ROUTES, workflowOperations, type WorkflowsApi } from './workflows.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface RouteSpec {
  method: HttpMethod;
  /** OpenAPI path template, `{name}` for path parameters. */
  path: string;
  /** Sends the bearer token (false: public routes). */
  auth: boolean;
}

const SESSIONS = '/api/realtime/writing/sessions';
const COLLAB = '/api/realtime/collaboration';
const VERSIONS = '/api/documents/{projectId}/{documentId}/versions';
const NOTIFICATIONS = '/api/realtime/notifications';

/** Every REST operation of the server, by SDK method name. */
export const API_ROUTES = {
  liveness: { method: 'GET', path: '/healthz', auth: false },
  readiness: { method: 'GET', path: '/readyz', auth: false },
  devToken: { method: 'GET', path: '/api/dev/token', auth: false },
  disconnectUser: { method: 'POST', path: '/api/admin/users/{userId}/disconnect', auth: true },
  eventSchemas: { method: 'GET', path: '/api/realtime/events/schema', auth: false },
  publishEvent: { method: 'POST', path: '/api/realtime/events/publish', auth: true },
  listEvents: { method: 'GET', path: '/api/realtime/events/{category}', auth: true },
  eventStreamInfo: { method: 'GET', path: '/api/realtime/events/{category}/info', auth: true },
  websocketStats: { method: 'GET', path: '/api/realtime/websocket/stats', auth: true },
  broadcast: { method: 'POST', path: '/api/realtime/websocket/broadcast', auth: true },
  projectWritingReport: { method: 'GET', path: '/api/realtime/analytics/project/{projectId}/writing', auth: true },
  bestHours: { method: 'GET', path: '/api/realtime/analytics/project/{projectId}/writers/{userId}/best-hours', auth: true },
  setWritingGoal: { method: 'PUT', path: '/api/realtime/writing/goals/{projectId}', auth: true },
  getWritingGoal: { method: 'GET', path: '/api/realtime/writing/goals/{projectId}', auth: true },
  setWritingPreferences: { method: 'PUT', path: '/api/realtime/writing/preferences', auth: true },
  getWritingPreferences: { method: 'GET', path: '/api/realtime/writing/preferences', auth: true },
  startWritingSession: { method: 'POST', path: `${SESSIONS}/start`, auth: true },
  recordKeystrokes: { method: 'POST', path: `${SESSIONS}/{id}/keystroke`, auth: true },
  getWritingSession: { method: 'GET', path: `${SESSIONS}/{id}/metrics`, auth: true },
  endWritingSession: { method: 'POST', path: `${SESSIONS}/{id}/end`, auth: true },
  resumeWritingSession: { method: 'POST', path: `${SESSIONS}/{id}/resume`, auth: true },
  activeWritingSessions: { method: 'GET', path: `${SESSIONS}/active`, auth: true },
  setRestPresence: { method: 'POST', path: `${COLLAB}/presence`, auth: true },
  setRestCursor: { method: 'POST', path: `${COLLAB}/cursor`, auth: true },
  recordRestEdit: { method: 'POST', path: `${COLLAB}/edit`, auth: true },
  collaborators: { method: 'GET', path: `${COLLAB}/document/{id}/collaborators`, auth: true },
  conflicts: { method: 'GET', path: `${COLLAB}/document/{id}/conflicts`, auth: true },
  collaborationMetrics: { method: 'GET', path: `${COLLAB}/project/{pId}/document/{dId}/metrics`, auth: true },
  listVersions: { method: 'GET', path: VERSIONS, auth: true },
  createVersion: { method: 'POST', path: VERSIONS, auth: true },
  getVersion: { method: 'GET', path: `${VERSIONS}/{versionId}`, auth: true },
  versionDiff: { method: 'GET', path: `${VERSIONS}/{versionId}/diff`, auth: true },
  restoreVersion: { method: 'POST', path: `${VERSIONS}/{versionId}/restore`, auth: true },
  listNotifications: { method: 'GET', path: NOTIFICATIONS, auth: true },
  markNotificationRead: { method: 'POST', path: `${NOTIFICATIONS}/{id}/read`, auth: true },
  markAllNotificationsRead: { method: 'POST', path: `${NOTIFICATIONS}/read-all`, auth: true },
  archiveNotification: { method: 'POST', path: `${NOTIFICATIONS}/{id}/archive`, auth: true },
  sendNotification: { method: 'POST', path: `${NOTIFICATIONS}/send`, auth: true },
  notificationDeliveries: { method: 'GET', path: `${NOTIFICATIONS}/deliveries/{id}`, auth: true },
  digestPreview: { method: 'GET', path: `${NOTIFICATIONS}/digest/preview`, auth: true },
  getNotificationPreferences: { method: 'GET', path: `${NOTIFICATIONS}/preferences`, auth: true },
  setNotificationPreferences: { method: 'PUT', path: `${NOTIFICATIONS}/preferences`, auth: true },
  addPushSubscription: { method: 'POST', path: `${NOTIFICATIONS}/push-subscriptions`, auth: true },
  removePushSubscription: { method: 'DELETE', path: `${NOTIFICATIONS}/push-subscriptions/{id}`, auth: true },
  unsubscribe: { method: 'POST', path: `${NOTIFICATIONS}/unsubscribe`, auth: false },
  unsubscribePage: { method: 'GET', path: `${NOTIFICATIONS}/unsubscribe`, auth: false },
  exportDocument: { method: 'GET', path: '/api/documents/{projectId}/{documentId}/export', auth: true },
  exportBook: { method: 'POST', path: '/api/projects/{projectId}/export', auth: true },
  importDocument: { method: 'POST', path: '/api/documents/{projectId}/{documentId}/import', auth: true },
  ...WORKFLOW_ROUTES,
} as const satisfies Record<string, RouteSpec>;

export type OperationName = keyof typeof API_ROUTES;

/**
 * One typed method per operation; path parameters come first, then the body or query. Inputs
 * and results are the generated types of the server's OpenAPI document (api-types.ts).
 */
export interface StoryloomApi extends WorkflowsApi {
  liveness(): Promise<T.Liveness>;
  /** Resolves with the report for 503 (not ready) too: that answer is the point of the route. */
  readiness(): Promise<T.Readiness>;
  /** A demo-project token from a development server (the route does not exist in production: 404). */
  devToken(query: T.QueryOf<'/api/dev/token', 'get'>): Promise<T.DevToken>;
  /** Admin tokens: close every connection of a user. */
  disconnectUser(userId: string): Promise<T.DisconnectResult>;
  eventSchemas(): Promise<Record<string, unknown>>;
  /** Admin tokens. */
  publishEvent(input: T.PublishEventInput): Promise<T.ResponseOf<'/api/realtime/events/publish', 'post', 202>>;
  listEvents(category: EventCategory, query?: T.ListEventsQuery): Promise<T.EventPage>;
  /** Admin tokens. */
  eventStreamInfo(category: EventCategory): Promise<Record<string, unknown>>;
  /** Admin tokens. */
  websocketStats(): Promise<Record<string, unknown>>;
  /** Admin tokens. */
  broadcast(input: T.BroadcastInput): Promise<T.ResponseOf<'/api/realtime/websocket/broadcast', 'post', 202>>;
  projectWritingReport(projectId: string, query?: T.ProjectWritingQuery): Promise<T.ProjectWritingReport>;
  bestHours(projectId: string, userId: string, query?: T.QueryOf<'/api/realtime/analytics/project/{projectId}/writers/{userId}/best-hours', 'get'>): Promise<T.WritingBestHours>;
  setWritingGoal(projectId: string, goal: T.RequestBody<'/api/realtime/writing/goals/{projectId}', 'put'>): Promise<T.WritingGoal>;
  getWritingGoal(projectId: string, query?: T.QueryOf<'/api/realtime/writing/goals/{projectId}', 'get'>): Promise<T.WritingGoalProgress>;
  setWritingPreferences(preferences: T.RequestBody<'/api/realtime/writing/preferences', 'put'>): Promise<T.WritingPreferences>;
  getWritingPreferences(): Promise<T.WritingPreferences>;
  /** The caller's open session in the project, or a new one. */
  startWritingSession(input: T.RequestBody<`${typeof SESSIONS}/start`, 'post'>): Promise<T.WritingSession>;
  recordKeystrokes(sessionId: string, events: T.Keystroke[]): Promise<T.ResponseOf<`${typeof SESSIONS}/{id}/keystroke`, 'post'>>;
  getWritingSession(sessionId: string): Promise<T.WritingSession>;
  endWritingSession(sessionId: string): Promise<T.WritingSession>;
  resumeWritingSession(sessionId: string): Promise<T.WritingSession>;
  activeWritingSessions(query?: T.QueryOf<`${typeof SESSIONS}/active`, 'get'>): Promise<T.ResponseOf<`${typeof SESSIONS}/active`, 'get'>>;
  /** Presence of an editor that is not on Yjs (block indexes). */
  setRestPresence(input: T.RestPresenceInput): Promise<T.Accepted>;
  setRestCursor(input: T.RequestBody<`${typeof COLLAB}/cursor`, 'post'>): Promise<T.Accepted>;
  recordRestEdit(input: T.RequestBody<`${typeof COLLAB}/edit`, 'post'>): Promise<T.Accepted>;
  /** `documentName` is `<projectId>/<documentId>`. */
  collaborators(documentName: string): Promise<T.Collaborators>;
  conflicts(documentName: string): Promise<T.ResponseOf<`${typeof COLLAB}/document/{id}/conflicts`, 'get'>>;
  collaborationMetrics(projectId: string, documentId: string): Promise<T.CollaborationMetrics>;
  /** Versions of a document, newest first (any role); also `doc.versions`. */
  listVersions(projectId: string, documentId: string, query?: T.VersionListQuery): Promise<T.VersionPage>;
  /** Saves a named version (owner or editor). */
  createVersion(projectId: string, documentId: string, input?: T.RequestBody<typeof VERSIONS, 'post'>): Promise<T.DocumentVersion>;
  getVersion(projectId: string, documentId: string, versionId: string): Promise<T.DocumentVersionContent>;
  versionDiff(projectId: string, documentId: string, versionId: string): Promise<T.DocumentVersionDiff>;
  /** One new live edit that makes the text the version's (owner or editor). */
  restoreVersion(projectId: string, documentId: string, versionId: string): Promise<T.VersionRestored>;
  /** Your inbox, newest first, with the unread count; also `client.notifications.list`. */
  listNotifications(query?: T.NotificationListQuery): Promise<T.NotificationPage>;
  markNotificationRead(id: string): Promise<{ ok: true }>;
  markAllNotificationsRead(query?: T.QueryOf<`${typeof NOTIFICATIONS}/read-all`, 'post'>): Promise<{ updated: number }>;
  archiveNotification(id: string): Promise<{ ok: true }>;
  /** Admin tokens to anyone; a project's owner to its members. */
  sendNotification(input: T.NotificationSendInput): Promise<T.ResponseOf<`${typeof NOTIFICATIONS}/send`, 'post', 201>>;
  /** Status of each channel's delivery of one of your notifications. */
  notificationDeliveries(id: string): Promise<T.ResponseOf<`${typeof NOTIFICATIONS}/deliveries/{id}`, 'get'>>;
  digestPreview(): Promise<T.ResponseOf<`${typeof NOTIFICATIONS}/digest/preview`, 'get'>>;
  getNotificationPreferences(): Promise<T.NotificationPreferences>;
  /** Every field optional, merged into what was set before. */
  setNotificationPreferences(update: T.NotificationPreferencesUpdate): Promise<T.NotificationPreferences>;
  addPushSubscription(subscription: T.RequestBody<`${typeof NOTIFICATIONS}/push-subscriptions`, 'post'>): Promise<T.PushSubscription>;
  removePushSubscription(id: string): Promise<{ ok: true }>;
  /** An email's one-click unsubscribe (the signed token from its List-Unsubscribe URL). */
  unsubscribe(token: string): Promise<T.ResponseOf<`${typeof NOTIFICATIONS}/unsubscribe`, 'post'>>;
  /** The HTML confirmation page the email footer links to. */
  unsubscribePage(token: string): Promise<string>;
  /** The document as EPUB, DOCX, HTML or Markdown (any role in the project). */
  exportDocument(projectId: string, documentId: string, query: T.QueryOf<'/api/documents/{projectId}/{documentId}/export', 'get'>): Promise<ExportedFile>;
  /** Several documents of the project as one book, in the order given. */
  exportBook(projectId: string, input: T.RequestBody<'/api/projects/{projectId}/export', 'post'>): Promise<ExportedFile>;
  /** A Markdown, plain-text or DOCX file into an empty or new document (owner or editor). */
  importDocument(projectId: string, documentId: string, file: Uint8Array | Blob | string, contentType: ImportContentType): Promise<T.ResponseOf<'/api/documents/{projectId}/{documentId}/import', 'post', 201>>;
}

/** A file the server answered with (export). */
export interface ExportedFile {
  bytes: Uint8Array;
  /** The MIME type, e.g. `application/epub+zip`. */
  contentType: string;
  /** From Content-Disposition, e.g. `my-novel.epub`. */
  fileName: string | null;
}

/** What the import route reads. */
export type ImportContentType = 'text/markdown' | 'text/plain' | 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

// Compile-time proof that the table and the interface name the same operations.
const _sameOperations: Record<keyof StoryloomApi, unknown> = API_ROUTES;
const _noExtraRoutes: Record<OperationName, unknown> = {} as Record<keyof StoryloomApi, unknown>;
void _sameOperations;
void _noExtraRoutes;

export interface RestDeps {
  /** http(s) base of the server, without a trailing slash. */
  baseUrl: string;
  /** A valid token (refreshing it if needed). */
  token(): Promise<string>;
  /** A fresh token after the server answered 401 to one the client believed valid. */
  refreshToken(): Promise<string>;
  fetch?: typeof fetch;
}

export interface RequestInput {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** A raw body (a file) with its type, instead of a JSON `body`. */
  raw?: { body: Uint8Array | Blob | string; contentType: string };
  /** `file`: resolve with the bytes, type and file name of a 2xx answer instead of its JSON. */
  expect?: 'json' | 'file';
}

/** `/a/{id}` with `{id: 'p/d'}` -> `/a/p%2Fd`; a missing parameter is a programming error. */
export function fillPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (typeof value !== 'string' || value === '') throw new StoryloomError('validation-failed', `Missing path parameter ${name}`, { param: name });
    return encodeURIComponent(value);
  });
}

function queryString(query: RequestInput['query']): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Sends one operation and returns the parsed JSON body; see the module comment for errors. */
export function createRequester(deps: RestDeps): <R>(operation: OperationName, input?: RequestInput, okStatuses?: readonly number[]) => Promise<R> {
  const doFetch = deps.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));

  async function once(route: RouteSpec, url: string, input: RequestInput, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: input.expect === 'file' ? '*/*' : 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    if (input.raw) headers['content-type'] = input.raw.contentType;
    const body = input.raw ? (input.raw.body as BodyInit) : input.body !== undefined ? JSON.stringify(input.body) : undefined;
    try {
      return await doFetch(url, { method: route.method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      throw new StoryloomError('service-unavailable', `Could not reach the Storyloom server at ${deps.baseUrl}`, { url }, undefined, { cause: error });
    }
  }

  return async function request<R>(operation: OperationName, input: RequestInput = {}, okStatuses: readonly number[] = []): Promise<R> {
    const route: RouteSpec = API_ROUTES[operation];
    const url = `${deps.baseUrl}${fillPath(route.path, input.params)}${queryString(input.query)}`;
    let response = await once(route, url, input, route.auth ? await deps.token() : null);
    if (response.status === 401 && route.auth) {
      // The token may have been revoked or the clocks disagree: one retry with a fresh token.
      await response.body?.cancel().catch(() => undefined);
      response = await once(route, url, input, await deps.refreshToken());
    }
    if (input.expect === 'file' && response.ok) {
      const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? null;
      return { bytes: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get('content-type') ?? '', fileName } as R;
    }
    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = text;
    }
    if (response.ok || okStatuses.includes(response.status)) {
      if (json === null || typeof json !== 'object') {
        throw new StoryloomError('internal-error', `Expected a JSON body from ${route.method} ${route.path}`, { status: response.status }, response.status);
      }
      return json as R;
    }
    throw parseErrorBody(json, response.status);
  };
}

/** The typed client over {@link createRequester}. */
export function createApi(deps: RestDeps): StoryloomApi {
  const request = createRequester(deps);
  return {
    liveness: () => request('liveness'),
    readiness: () => request('readiness', {}, [503]),
    devToken: (query) => request('devToken', { query: { ...query } }),
    disconnectUser: (userId) => request('disconnectUser', { params: { userId } }),
    eventSchemas: () => request('eventSchemas'),
    publishEvent: (input) => request('publishEvent', { body: input }),
    listEvents: (category, query = {}) => request('listEvents', { params: { category }, query: { ...query } }),
    eventStreamInfo: (category) => request('eventStreamInfo', { params: { category } }),
    websocketStats: () => request('websocketStats'),
    broadcast: (input) => request('broadcast', { body: input }),
    projectWritingReport: (projectId, query = {}) => request('projectWritingReport', { params: { projectId }, query: { ...query } }),
    bestHours: (projectId, userId, query = {}) => request('bestHours', { params: { projectId, userId }, query: { ...query } }),
    setWritingGoal: (projectId, goal) => request('setWritingGoal', { params: { projectId }, body: goal }),
    getWritingGoal: (projectId, query = {}) => request('getWritingGoal', { params: { projectId }, query: { ...query } }),
    setWritingPreferences: (preferences) => request('setWritingPreferences', { body: preferences }),
    getWritingPreferences: () => request('getWritingPreferences'),
    startWritingSession: (input) => request('startWritingSession', { body: input }),
    recordKeystrokes: (id, events) => request('recordKeystrokes', { params: { id }, body: { events } }),
    getWritingSession: (id) => request('getWritingSession', { params: { id } }),
    endWritingSession: (id) => request('endWritingSession', { params: { id } }),
    resumeWritingSession: (id) => request('resumeWritingSession', { params: { id } }),
    activeWritingSessions: (query = {}) => request('activeWritingSessions', { query: { ...query } }),
    setRestPresence: (input) => request('setRestPresence', { body: input }),
    setRestCursor: (input) => request('setRestCursor', { body: input }),
    recordRestEdit: (input) => request('recordRestEdit', { body: input }),
    collaborators: (documentName) => request('collaborators', { params: { id: documentName } }),
    conflicts: (documentName) => request('conflicts', { params: { id: documentName } }),
    collaborationMetrics: (projectId, documentId) => request('collaborationMetrics', { params: { pId: projectId, dId: documentId } }),
    listVersions: (projectId, documentId, query = {}) => request('listVersions', { params: { projectId, documentId }, query: { ...query } }),
    createVersion: (projectId, documentId, input = {}) => request('createVersion', { params: { projectId, documentId }, body: input }),
    getVersion: (projectId, documentId, versionId) => request('getVersion', { params: { projectId, documentId, versionId } }),
    versionDiff: (projectId, documentId, versionId) => request('versionDiff', { params: { projectId, documentId, versionId } }),
    restoreVersion: (projectId, documentId, versionId) => request('restoreVersion', { params: { projectId, documentId, versionId } }),
    listNotifications: (query = {}) => request('listNotifications', { query: { ...query } }),
    markNotificationRead: (id) => request('markNotificationRead', { params: { id } }),
    markAllNotificationsRead: (query = {}) => request('markAllNotificationsRead', { query: { ...query } }),
    archiveNotification: (id) => request('archiveNotification', { params: { id } }),
    sendNotification: (input) => request('sendNotification', { body: input }),
    notificationDeliveries: (id) => request('notificationDeliveries', { params: { id } }),
    digestPreview: () => request('digestPreview'),
    getNotificationPreferences: () => request('getNotificationPreferences'),
    setNotificationPreferences: (update) => request('setNotificationPreferences', { body: update }),
    addPushSubscription: (subscription) => request('addPushSubscription', { body: subscription }),
    removePushSubscription: (id) => request('removePushSubscription', { params: { id } }),
    unsubscribe: (token) => request('unsubscribe', { query: { token } }),
    async unsubscribePage(token) {
      // HTML, not JSON: read it here rather than through the JSON requester.
      const url = `${deps.baseUrl}${API_ROUTES.unsubscribePage.path}?token=${encodeURIComponent(token)}`;
      let response: Response;
      try {
        response = await (deps.fetch ?? globalThis.fetch)(url);
      } catch (error) {
        throw new StoryloomError('service-unavailable', `Could not reach the Storyloom server at ${deps.baseUrl}`, { url }, undefined, { cause: error });
      }
      if (!response.ok) throw parseErrorBody(await response.json().catch(() => null), response.status);
      return response.text();
    },
    exportDocument: (projectId, documentId, query) => request('exportDocument', { params: { projectId, documentId }, query: { ...query }, expect: 'file' }),
    exportBook: (projectId, input) => request('exportBook', { params: { projectId }, body: input, expect: 'file' }),
    importDocument: (projectId, documentId, file, contentType) => request('importDocument', { params: { projectId, documentId }, raw: { body: file, contentType } }),
    ...workflowOperations(request),
  };
}

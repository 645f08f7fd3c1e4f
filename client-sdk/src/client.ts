/**
 * createClient: the one object an application holds. It owns the token, ONE Hocuspocus socket
 * shared by every open document (opened with the first document, closed after the last), one
 * gateway socket per /ws/* endpoint in use, and the typed REST client. Nothing is global: two
 * clients in one page (two users in a test) share nothing.
 */
import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { createChannelSocket, type ChannelSocket, type Subscription, type WebSocketConstructor } from './channel-socket.js';
import type { Clock, Timers } from './clock.js';
import { createSharedDocument, type SharedDocument, type StoryloomDocument } from './document.js';
import { StoryloomError } from './errors.js';
import { asEvent, asWritingMetrics, isWritingEvent, type StoryloomEvent, type WritingEvent, type WritingMetrics } from './events.js';
import { checkProjectId, parseDocumentName, serverUrls, type GatewayPath } from './names.js';
import { createApi, type StoryloomApi } from './rest.js';
import { documentVersions } from './versions.js';
import { workflowsClient, type WorkflowsClient } from './workflows.js';
import { createTokenSource, type TokenIdentity, type TokenProvider } from './token.js';
import type * as T from './api-types.js';
import { NOTIFICATION_PUSH_TYPE, type NotificationPush } from './protocol.js';

interface CommonOptions {
  /** The server's http(s) base URL, e.g. `http://localhost:8080`; ws(s) URLs are derived from it. */
  url: string;
  /** Called with every error not tied to one promise: refresh failures, refused documents, gateway give-ups. */
  onError?: (error: StoryloomError) => void;
  /** A WebSocket implementation for runtimes without a global one (Node 22 and browsers have it). */
  WebSocketPolyfill?: WebSocketConstructor;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** How long before `exp` getToken is called again. Default 60 s. */
  refreshLeadMs?: number;
  /**
   * Gateway reconnect backoff, and the retry of a document the server could not serve
   * (`service-unavailable`). Default 0.5 s doubling to 30 s, jittered.
   */
  backoff?: Partial<BackoffOptions>;
  /**
   * Collaboration socket reconnect backoff (Hocuspocus's retry: `initialMs` after a close, then
   * a step multiplied by `factor` per failed attempt up to `maxMs`, each wait drawn between half
   * of `initialMs` and the step). Default 1 s doubling to 30 s. A lower `maxMs` brings documents
   * back sooner after an outage.
   */
  collaborationBackoff?: Partial<BackoffOptions>;
  clock?: Clock;
  timers?: Timers;
}

/** Either a fixed token (it is never refreshed; expired means `unauthorized`) or a getToken function. */
export type ClientOptions = CommonOptions & ({ token: string; getToken?: never } | { getToken: TokenProvider; token?: never });

/**
 * A message on the token's `user:<id>` channel of /ws/notifications: `notification` is the typed
 * in-app push (null for anything else on the channel, e.g. an admin's broadcast in `data`).
 */
export interface NotificationMessage {
  channel: string;
  data: unknown;
  notification: NotificationPush | null;
}

export interface SubscribeOptions {
  /** The server refused the channel, or the socket gave up (final authentication failure). */
  onError?: (error: StoryloomError) => void;
}

export interface StoryloomClient {
  /** Resolves with the token's identity once a valid token is in hand; rejects with `unauthorized`. */
  readonly ready: Promise<TokenIdentity>;
  /** The current token's identity (null until the first getToken resolved). */
  identity(): TokenIdentity | null;
  /**
   * Opens (or returns another handle on) the document `<projectId>/<documentId>`. Throws
   * StoryloomError('invalid-document-name') for a malformed name, before any network traffic.
   */
  document(name: string): StoryloomDocument;
  notifications: {
    /** Live notifications of the token's user (`user:<sub>` on /ws/notifications). */
    subscribe(listener: (message: NotificationMessage) => void, options?: SubscribeOptions): Subscription;
    /** The inbox, newest first (filters: unread, category, projectId; paged by `cursor`). */
    list(query?: T.NotificationListQuery): Promise<T.NotificationPage>;
    unreadCount(): Promise<number>;
    markRead(id: string): Promise<void>;
    markAllRead(): Promise<number>;
    archive(id: string): Promise<void>;
    preferences: {
      get(): Promise<T.NotificationPreferences>;
      update(update: T.NotificationPreferencesUpdate): Promise<T.NotificationPreferences>;
    };
  };
  writing: {
    /** Live `writing.*` events of a project (`project:<id>` on /ws/analytics). */
    subscribe(projectId: string, listener: (event: WritingEvent) => void, options?: SubscribeOptions): Subscription;
    /**
     * Live figures of every writing session in a project (`writing.metrics` on the same
     * `project:<id>` channel): state, pace and totals after each change. Use it for live
     * dashboards; `subscribe` gets the events (session started, flow entered, ...).
     */
    onMetrics(projectId: string, listener: (metrics: WritingMetrics) => void, options?: SubscribeOptions): Subscription;
    start(projectId: string, documentId?: string): Promise<T.WritingSession>;
    get(sessionId: string): Promise<T.WritingSession>;
    end(sessionId: string): Promise<T.WritingSession>;
    resume(sessionId: string): Promise<T.WritingSession>;
    keystrokes(sessionId: string, events: T.Keystroke[]): Promise<{ accepted: number; session: T.WritingSession }>;
    active(projectId?: string): Promise<T.WritingSession[]>;
  };
  /** A project's workflows and their runs (REST; live run events: `asAutomationEvent` on `project:<id>`). */
  workflows: WorkflowsClient;
  /** Any gateway channel: every event envelope (or raw data) pushed on it. */
  channels: {
    subscribe(path: GatewayPath, channel: string, listener: (data: unknown, event: StoryloomEvent<string> | null) => void, options?: SubscribeOptions): Subscription;
  };
  /** Every REST operation of the server. */
  api: StoryloomApi;
  /** Closes every document, socket and timer. */
  destroy(): void;
}

/** The typed in-app push, or null for other data on the channel. */
function asNotificationPush(data: unknown): NotificationPush | null {
  if (!data || typeof data !== 'object') return null;
  const push = data as Partial<NotificationPush>;
  return push.type === NOTIFICATION_PUSH_TYPE && push.notification && typeof push.notification.id === 'string' ? (push as NotificationPush) : null;
}

export function createClient(options: ClientOptions): StoryloomClient {
  const urls = serverUrls(options.url);
  const onError = (error: StoryloomError) => options.onError?.(error);
  const tokens = createTokenSource({
    ...(options.getToken ? { getToken: options.getToken } : { token: options.token }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.refreshLeadMs !== undefined ? { refreshLeadMs: options.refreshLeadMs } : {}),
    onError,
  });
  const WebSocketImpl = options.WebSocketPolyfill ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined);
  const documents = new Map<string, SharedDocument>();
  const gateways = new Map<GatewayPath, ChannelSocket>();
  let socket: HocuspocusProviderWebsocket | null = null;
  let destroyed = false;

  const ready = tokens.current().then(() => tokens.identity()!);
  ready.catch(onError);
  const whenSelf = ready.then((id) => ({ id: id.userId, name: id.name, color: id.color }));
  whenSelf.catch(() => undefined); // the same failure as `ready`, reported once

  tokens.onRefresh(() => {
    for (const doc of documents.values()) doc.resendToken();
  });

  const alive = () => {
    if (destroyed) throw new StoryloomError('validation-failed', 'The client was destroyed');
  };
  const needWebSocket = (): WebSocketConstructor => {
    if (!WebSocketImpl) throw new StoryloomError('validation-failed', 'No global WebSocket here: pass WebSocketPolyfill (e.g. the `ws` package)');
    return WebSocketImpl;
  };

  const collaborationRetry = options.collaborationBackoff ? providerRetry(options.collaborationBackoff) : {};
  /** 4503 storage-unavailable closes in a row (see sharedSocket); a document sync resets it. */
  let storageCloses = 0;
  let resetStorageBackoff = () => {};

  function sharedSocket(): HocuspocusProviderWebsocket {
    if (socket) return socket;
    const created = new HocuspocusProviderWebsocket({
      url: urls.collaboration,
      ...collaborationRetry,
      ...(options.WebSocketPolyfill ? { WebSocketPolyfill: options.WebSocketPolyfill } : { WebSocketPolyfill: needWebSocket() }),
    });
    // Hocuspocus reconnects a fixed `delay` after any close. A server that could not store a
    // change closes with 4503 `storage-unavailable`, and usually closes the next socket the same
    // way until its storage is back: those closes stretch the delay (backoff, full jitter above
    // the base) until a document syncs again, so an outage is not a reconnect storm.
    const base = created.configuration.delay;
    created.on('close', ({ event }: { event?: { code?: number; reason?: string } }) => {
      if (event?.reason !== 'storage-unavailable') return;
      const ceiling = { initialMs: base, maxMs: Math.max(base, created.configuration.maxDelay || 30_000), factor: 2 };
      created.configuration.delay = Math.max(base, backoffDelay(storageCloses++, ceiling));
    });
    resetStorageBackoff = () => {
      storageCloses = 0;
      created.configuration.delay = base;
    };
    socket = created;
    return socket;
  }

  function gateway(path: GatewayPath): ChannelSocket {
    let found = gateways.get(path);
    if (found) return found;
    found = createChannelSocket({
      url: async () => `${urls.gateway(path)}?token=${encodeURIComponent(await tokens.current())}`,
      WebSocket: needWebSocket(),
      refreshToken: () => tokens.refresh(),
      onError,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    gateways.set(path, found);
    return found;
  }

  function subscribe(path: GatewayPath, channel: () => Promise<string>, onData: (data: unknown) => void, opts: SubscribeOptions = {}): Subscription {
    alive();
    const handlers = { onEvent: onData, ...(opts.onError ? { onError: opts.onError } : {}) };
    // The channel may need the token's identity (user:<sub>), which getToken has to supply first.
    let inner: Subscription | null = null;
    let cancelled = false;
    const ready = channel().then((name) => {
      if (cancelled) return;
      inner = gateway(path).subscribe(name, handlers);
      return inner.ready;
    });
    ready.catch((error: unknown) => {
      if (!inner) opts.onError?.(error instanceof StoryloomError ? error : new StoryloomError('internal-error', String(error)));
    });
    const unsubscribe = () => {
      cancelled = true;
      inner?.();
    };
    const exposed = ready.then(() => undefined);
    exposed.catch(() => undefined); // delivered through onError too: never an unhandled rejection
    return Object.assign(unsubscribe, { ready: exposed });
  }

  const api = createApi({
    baseUrl: urls.http,
    token: () => tokens.current(),
    refreshToken: () => tokens.refresh(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  /**
   * A project's `project:` channel on /ws/analytics, passing on only what `pick` recognises. The
   * project id is checked before anything is sent, so a bad one throws at the call.
   */
  function projectStream<T>(projectId: string, pick: (data: unknown) => T | null, listener: (value: T) => void, opts?: SubscribeOptions): Subscription {
    const channel = `project:${checkProjectId(projectId)}`;
    return subscribe(
      'analytics',
      async () => channel,
      (data) => {
        const value = pick(data);
        if (value !== null) listener(value);
      },
      opts,
    );
  }

  return {
    ready,
    identity: () => tokens.identity(),
    document(name) {
      alive();
      const parsed = parseDocumentName(name);
      let shared = documents.get(parsed.name);
      if (!shared) {
        shared = createSharedDocument({
          name: parsed,
          socket: sharedSocket(),
          tokens,
          self: () => {
            const id = tokens.identity();
            return id ? { id: id.userId, name: id.name, color: id.color } : null;
          },
          whenSelf,
          onError,
          versions: documentVersions(api, parsed.projectId, parsed.documentId),
          ...(options.timers ? { timers: options.timers } : {}),
          ...(options.backoff ? { retryBackoff: { ...DEFAULT_BACKOFF, ...options.backoff } } : {}),
          onSynced: () => resetStorageBackoff(),
          onClosed: () => {
            documents.delete(parsed.name);
            // No document left: close the shared socket rather than keep it pinging for nothing.
            if (documents.size === 0 && socket) {
              socket.destroy();
              socket = null;
            }
          },
        });
        documents.set(parsed.name, shared);
      }
      return shared.acquire();
    },
    notifications: {
      subscribe: (listener, opts) =>
        subscribe(
          'notifications',
          async () => {
            await tokens.current();
            return `user:${tokens.identity()!.userId}`;
          },
          (data) => listener({ channel: `user:${tokens.identity()?.userId ?? ''}`, data, notification: asNotificationPush(data) }),
          opts,
        ),
      list: (query = {}) => api.listNotifications(query),
      unreadCount: async () => (await api.listNotifications({ limit: 1 })).unreadCount,
      markRead: async (id) => void (await api.markNotificationRead(id)),
      markAllRead: async () => (await api.markAllNotificationsRead()).updated,
      archive: async (id) => void (await api.archiveNotification(id)),
      preferences: {
        get: () => api.getNotificationPreferences(),
        update: (update) => api.setNotificationPreferences(update),
      },
    },
    writing: {
      subscribe: (projectId, listener, opts) =>
        projectStream(projectId, (data) => {
          const event = asEvent(data);
          return isWritingEvent(event) ? event : null;
        }, listener, opts),
      onMetrics: (projectId, listener, opts) => projectStream(projectId, asWritingMetrics, listener, opts),
      start: (projectId, documentId) => api.startWritingSession({ projectId, ...(documentId ? { documentId } : {}) }),
      get: (id) => api.getWritingSession(id),
      end: (id) => api.endWritingSession(id),
      resume: (id) => api.resumeWritingSession(id),
      keystrokes: (id, events) => api.recordKeystrokes(id, events),
      active: async (projectId) => (await api.activeWritingSessions(projectId ? { projectId } : {})).sessions,
    },
    workflows: workflowsClient(api),
    channels: {
      subscribe: (path, channel, listener, opts) => subscribe(path, async () => channel, (data) => listener(data, asEvent(data)), opts),
    },
    api,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const doc of [...documents.values()]) doc.close();
      documents.clear();
      socket?.destroy();
      socket = null;
      for (const g of gateways.values()) g.close();
      gateways.clear();
      tokens.close();
    },
  };
}

/** Hocuspocus's own reconnect defaults (HocuspocusProviderWebsocket). */
const PROVIDER_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 1_000, maxMs: 30_000, factor: 2 });

/**
 * BackoffOptions as HocuspocusProviderWebsocket's retry settings. Its retry library throws
 * (inside the socket, where nobody sees it) on non-integer delays or `delay < minDelay`, so the
 * values are checked here, where the application can see the error.
 */
export function providerRetry(backoff: Partial<BackoffOptions>): { delay: number; minDelay: number; maxDelay: number; factor: number; jitter: true } {
  const { initialMs, maxMs, factor } = { ...PROVIDER_BACKOFF, ...backoff };
  const valid = Number.isFinite(initialMs) && initialMs >= 0 && Number.isFinite(maxMs) && maxMs >= initialMs && Number.isFinite(factor) && factor >= 1;
  if (!valid) {
    throw new StoryloomError('validation-failed', `collaborationBackoff needs 0 <= initialMs <= maxMs and factor >= 1 (got ${initialMs}, ${maxMs}, ${factor})`, { initialMs, maxMs, factor });
  }
  const delay = Math.round(initialMs);
  return { delay, minDelay: Math.floor(delay / 2), maxDelay: Math.round(maxMs), factor, jitter: true };
}

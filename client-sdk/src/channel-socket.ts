/**
 * A client of one /ws/* gateway endpoint (analytics, notifications or presence): JSON
 * subscribe/unsubscribe, events dispatched per channel, and a connection that survives the
 * network. It connects on the first subscription, closes after the last, reconnects with
 * exponential backoff with full jitter (backoff.ts), re-subscribes every channel after a reconnect, and treats a
 * silent socket (no heartbeat or any other message for `heartbeatTimeoutMs`) as dead, since a
 * browser gets no close event from a half-open TCP connection.
 */
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { systemTimers, type TimerHandle, type Timers } from './clock.js';
import { ERROR_CODES, StoryloomError, asStoryloomError, isErrorCode } from './errors.js';
import type { GatewayServerMessage } from './protocol.js';

/** The part of the WebSocket API this module uses (browsers, Node 22's global, `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Server -> client messages of the gateway protocol (declared in protocol.ts, mirroring src/protocol). */
export type { GatewayServerMessage };

// Re-exported: the SDK's index has always taken them from here.
export { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';

export interface ChannelSocketOptions {
  /** The full ws(s) URL to open, token included; called before every (re)connect. */
  url(): Promise<string>;
  WebSocket: WebSocketConstructor;
  /** The server closed with `unauthorized` (the token expired): get a fresh token or reject to give up. */
  refreshToken(): Promise<unknown>;
  /** Errors not tied to one subscription's callbacks (a final authentication failure). */
  onError?(error: StoryloomError): void;
  timers?: Timers;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  /** The server's heartbeat is every 30 s; a socket silent this long is replaced. Default 75 s. */
  heartbeatTimeoutMs?: number;
}

export interface ChannelHandlers {
  onEvent(data: unknown): void;
  /** The server refused this channel (forbidden, validation-failed) or the socket gave up. */
  onError?(error: StoryloomError): void;
}

/** An unsubscribe function; `ready` resolves once the server confirmed the subscription. */
export type Subscription = (() => void) & { ready: Promise<void> };

export type ChannelSocketState = 'idle' | 'connecting' | 'open' | 'waiting' | 'failed';

export interface ChannelSocket {
  subscribe(channel: string, handlers: ChannelHandlers): Subscription;
  state(): ChannelSocketState;
  /** Closes the socket and forgets every subscription. */
  close(): void;
}

interface ChannelEntry {
  handlers: Set<ChannelHandlers>;
  /** Pending `ready` promises, settled by the server's subscribed/error reply. */
  waiters: { resolve(): void; reject(error: StoryloomError): void }[];
  /** Refused by the server: not re-sent after reconnects. */
  refused: boolean;
}

const OPEN = 1;

export function createChannelSocket(options: ChannelSocketOptions): ChannelSocket {
  const timers = options.timers ?? systemTimers;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 75_000;
  const channels = new Map<string, ChannelEntry>();
  let ws: WebSocketLike | null = null;
  let state: ChannelSocketState = 'idle';
  let attempt = 0;
  let retryTimer: TimerHandle | undefined;
  let watchdog: TimerHandle | undefined;
  /** Bumped on every close so callbacks of an abandoned socket or connect attempt do nothing. */
  let generation = 0;

  const send = (message: object) => {
    if (ws !== null && ws.readyState === OPEN) ws.send(JSON.stringify(message));
  };

  function settle(entry: ChannelEntry, error?: StoryloomError): void {
    const waiters = entry.waiters.splice(0);
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  function failAll(error: StoryloomError): void {
    state = 'failed';
    for (const entry of channels.values()) {
      settle(entry, error);
      for (const h of entry.handlers) h.onError?.(error);
    }
    options.onError?.(error);
  }

  function armWatchdog(gen: number): void {
    if (watchdog !== undefined) timers.clearTimeout(watchdog);
    watchdog = timers.setTimeout(() => {
      watchdog = undefined;
      if (gen !== generation) return;
      // Silent for too long: do not wait for a close handshake that may never come.
      abandon(4000, 'heartbeat timeout');
      scheduleReconnect();
    }, heartbeatTimeoutMs);
  }

  /** Detaches and closes the current socket without waiting for its close event. */
  function abandon(code: number, reason: string): void {
    generation++;
    if (watchdog !== undefined) timers.clearTimeout(watchdog);
    watchdog = undefined;
    const old = ws;
    ws = null;
    if (old) {
      old.onopen = old.onmessage = old.onclose = old.onerror = null;
      try {
        old.close(code, reason);
      } catch {
        // already closing
      }
    }
  }

  function scheduleReconnect(delay = backoffDelay(attempt, backoff, options.random)): void {
    if (channels.size === 0) {
      state = 'idle';
      return;
    }
    state = 'waiting';
    attempt++;
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
  }

  function handleMessage(text: string): void {
    let message: GatewayServerMessage;
    try {
      message = JSON.parse(text) as GatewayServerMessage;
    } catch {
      return;
    }
    if (message.type === 'subscribed' || message.type === 'heartbeat') attempt = 0; // the server is really there
    if (message.type === 'event') {
      for (const h of channels.get(message.channel)?.handlers ?? []) {
        try {
          h.onEvent(message.data);
        } catch (error) {
          // A throwing callback must not stop the others or the socket.
          options.onError?.(asStoryloomError(error));
        }
      }
    } else if (message.type === 'subscribed') {
      const entry = channels.get(message.channel);
      if (entry) settle(entry);
    } else if (message.type === 'error') {
      const code = isErrorCode(message.code) ? message.code : 'internal-error';
      const error = new StoryloomError(code, message.message, message.channel ? { channel: message.channel } : {});
      const entry = message.channel ? channels.get(message.channel) : undefined;
      if (entry) {
        entry.refused = true;
        settle(entry, error);
        for (const h of entry.handlers) h.onError?.(error);
      } else if (code !== 'unauthorized') {
        // unauthorized comes with the 4401 close, handled there.
        options.onError?.(error);
      }
    }
  }

  async function connect(): Promise<void> {
    const gen = ++generation;
    state = 'connecting';
    let url: string;
    try {
      url = await options.url();
    } catch (error) {
      if (gen !== generation) return;
      const err = asStoryloomError(error, 'unauthorized');
      if (err.code === 'unauthorized') return failAll(err);
      return scheduleReconnect();
    }
    if (gen !== generation || channels.size === 0) return;
    const socket = new options.WebSocket(url);
    ws = socket;
    socket.onopen = () => {
      if (gen !== generation) return;
      state = 'open';
      armWatchdog(gen);
      for (const [channel, entry] of channels) if (!entry.refused) send({ type: 'subscribe', channel });
    };
    socket.onmessage = (event) => {
      if (gen !== generation) return;
      armWatchdog(gen);
      handleMessage(typeof event.data === 'string' ? event.data : String(event.data));
    };
    socket.onerror = () => {
      // The close event follows with the details.
    };
    socket.onclose = (event) => {
      if (gen !== generation) return;
      abandon(1000, 'closed');
      if (event.code === ERROR_CODES.unauthorized.ws) {
        // The token expired under the socket (or was revoked): reconnect with a fresh one.
        options.refreshToken().then(
          () => scheduleReconnect(attempt === 0 ? 0 : undefined),
          (error: unknown) => failAll(asStoryloomError(error, 'unauthorized')),
        );
        return;
      }
      if (event.code === ERROR_CODES.forbidden.ws && event.reason === 'access-revoked') {
        // An admin revoked access: the next connect gets a token with the new roles.
        void options.refreshToken().catch(() => undefined);
      }
      scheduleReconnect();
    };
  }

  function stop(): void {
    abandon(1000, 'no subscriptions');
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
    retryTimer = undefined;
    state = 'idle';
    attempt = 0;
  }

  return {
    subscribe(channel, handlers) {
      let entry = channels.get(channel);
      const isNew = entry === undefined;
      if (!entry) {
        entry = { handlers: new Set(), waiters: [], refused: false };
        channels.set(channel, entry);
      }
      entry.handlers.add(handlers);
      const current = entry;
      const ready = new Promise<void>((resolve, reject) => current.waiters.push({ resolve, reject }));
      ready.catch(() => undefined); // reported through onError as well; never unhandled
      if (state === 'idle' || state === 'failed') void connect();
      else if (isNew && state === 'open') send({ type: 'subscribe', channel });
      else if (!isNew && state === 'open' && !current.refused) send({ type: 'subscribe', channel }); // resolves this ready too (idempotent on the server)
      let done = false;
      const unsubscribe = () => {
        if (done) return;
        done = true;
        current.handlers.delete(handlers);
        if (current.handlers.size > 0) return;
        channels.delete(channel);
        settle(current, new StoryloomError('validation-failed', 'Unsubscribed before the server confirmed'));
        send({ type: 'unsubscribe', channel });
        if (channels.size === 0) stop();
      };
      return Object.assign(unsubscribe, { ready });
    },
    state: () => state,
    close() {
      for (const entry of channels.values()) settle(entry, new StoryloomError('service-unavailable', 'The client was closed'));
      channels.clear();
      stop();
    },
  };
}

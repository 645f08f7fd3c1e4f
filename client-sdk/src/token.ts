/**
 * Tokens: decoding the server's JWT claims (without verifying: only the server can, and the
 * client needs just `sub`, `name`, `color` and `exp`) and keeping a valid token in hand by
 * calling the host application's `getToken` before the current one expires.
 */
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from './clock.js';
import { StoryloomError, asStoryloomError } from './errors.js';

export const ROLES = ['owner', 'editor', 'reviewer', 'reader'] as const;
/** A role in a project: owner and editor write, reviewer and reader only read. */
export type Role = (typeof ROLES)[number];

/** Who the token says the user is (mirrors the server's `Identity`). */
export interface TokenIdentity {
  userId: string;
  name: string;
  /** `color` claim, or the same stable default the server stamps into awareness. */
  color: string;
  projects: Readonly<Record<string, Role>>;
  admin: boolean;
  /** `exp` in milliseconds since the epoch. */
  expiresAt: number;
}

/** What the host application gives the client: a fixed token, or a function minting fresh ones. */
export type TokenProvider = () => string | Promise<string>;

const PALETTE = ['#e11d48', '#db2777', '#9333ea', '#4f46e5', '#0284c7', '#0d9488', '#16a34a', '#ca8a04', '#ea580c', '#57534e'];

/** The server's colour for a user whose token has none (a copy, kept equal by a test). */
export function defaultColor(userId: string): string {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a token's claims WITHOUT checking its signature. Throws StoryloomError('unauthorized')
 * when it is not a JWT with `sub` and `exp`: sending it would only be refused later, with a
 * less helpful message.
 */
export function decodeToken(token: string): TokenIdentity {
  const parts = typeof token === 'string' ? token.split('.') : [];
  let claims: unknown;
  try {
    if (parts.length !== 3) throw new Error('not three parts');
    claims = JSON.parse(base64UrlDecode(parts[1]!));
  } catch (error) {
    throw new StoryloomError('unauthorized', 'The token is not a JWT', {}, undefined, { cause: error });
  }
  if (!isRecord(claims) || typeof claims.sub !== 'string' || claims.sub === '' || !Number.isFinite(claims.exp)) {
    throw new StoryloomError('unauthorized', 'The token has no `sub` or no numeric `exp` claim');
  }
  const projects: Record<string, Role> = {};
  if (isRecord(claims.projects)) {
    for (const [id, role] of Object.entries(claims.projects)) if ((ROLES as readonly unknown[]).includes(role)) projects[id] = role as Role;
  }
  const color = typeof claims.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(claims.color) ? claims.color : defaultColor(claims.sub);
  return {
    userId: claims.sub,
    name: typeof claims.name === 'string' ? claims.name : claims.sub,
    color,
    projects,
    admin: Array.isArray(claims.scope) && claims.scope.includes('admin'),
    expiresAt: (claims.exp as number) * 1000,
  };
}

/**
 * When to call getToken again for a token expiring at `expiresAt`: `leadMs` before expiry, but
 * for short-lived tokens (lifetime under twice the lead) half-way through the remaining time, so
 * a 10-second token is not refreshed in a hot loop. Never sooner than `minMs`, never after expiry.
 */
export function refreshDelay(expiresAt: number, now: number, leadMs = 60_000, minMs = 1_000): number {
  const remaining = expiresAt - now;
  if (remaining <= 0) return 0;
  const delay = Math.max(remaining - leadMs, remaining / 2);
  return Math.min(remaining, Math.max(minMs, Math.floor(delay)));
}

export interface TokenSourceOptions {
  token?: string;
  getToken?: TokenProvider;
  clock?: Clock;
  timers?: Timers;
  /** How long before expiry getToken is called. Default 60 s. */
  refreshLeadMs?: number;
  /** A scheduled refresh failed and the token has expired (or will before the retry). */
  onError?: (error: StoryloomError) => void;
}

export interface TokenSource {
  /** A token that has not expired: the cached one, or a fresh one from getToken. */
  current(): Promise<string>;
  /** Calls getToken now (the server refused the current token); a static token is only re-checked. */
  refresh(): Promise<string>;
  /** Claims of the current token, null before the first one arrived. */
  identity(): TokenIdentity | null;
  /** Called after each scheduled or forced refresh with the new token; returns an unsubscribe. */
  onRefresh(listener: (token: string, identity: TokenIdentity) => void): () => void;
  /** Stops the refresh timer. */
  close(): void;
}

/**
 * Keeps a token valid. With a static `token` nothing is ever refreshed and an expired one is a
 * clear `unauthorized` error. With `getToken`, concurrent callers share one call, the next
 * call is scheduled by {@link refreshDelay}, and a token that is already expired when getToken
 * returns it is refused (it would be refused by the server anyway, after a round trip).
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const lead = options.refreshLeadMs ?? 60_000;
  const getToken = options.getToken;
  if (!getToken && typeof options.token !== 'string') {
    throw new StoryloomError('validation-failed', 'createClient needs `token` or `getToken`');
  }
  let token: string | null = null;
  let identity: TokenIdentity | null = null;
  let inflight: Promise<string> | null = null;
  let timer: TimerHandle | undefined;
  let closed = false;
  const listeners = new Set<(token: string, identity: TokenIdentity) => void>();
  if (!getToken) {
    try {
      identity = decodeToken(options.token!);
      token = options.token!;
    } catch {
      // Reported by current(), where the caller can catch it.
    }
  }

  function accept(value: unknown, source: string): { token: string; identity: TokenIdentity } {
    if (typeof value !== 'string') throw new StoryloomError('unauthorized', `${source} did not return a string`);
    const claims = decodeToken(value);
    if (claims.expiresAt <= clock.now()) {
      throw new StoryloomError('unauthorized', `${source} expired at ${new Date(claims.expiresAt).toISOString()}`, { expiresAt: claims.expiresAt });
    }
    return { token: value, identity: claims };
  }

  function clearTimer(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  }

  function schedule(): void {
    clearTimer();
    if (closed || !getToken || identity === null) return;
    timer = timers.setTimeout(runScheduled, refreshDelay(identity.expiresAt, clock.now(), lead));
  }

  function runScheduled(): void {
    timer = undefined;
    refresh().catch((error: unknown) => {
      if (closed) return;
      // A transient failure (the host's auth endpoint is down) is retried while the current
      // token still works; only a token that is about to lapse is worth an error.
      const left = (identity?.expiresAt ?? 0) - clock.now();
      if (left > 2_000) {
        timer = timers.setTimeout(runScheduled, Math.min(30_000, Math.floor(left / 2)));
        return;
      }
      options.onError?.(asStoryloomError(error, 'unauthorized'));
    });
  }

  function refresh(): Promise<string> {
    if (closed) return Promise.reject(new StoryloomError('service-unavailable', 'The client was destroyed'));
    if (!getToken) {
      try {
        const fixed = accept(options.token, 'The token');
        token = fixed.token;
        identity = fixed.identity;
        return Promise.resolve(fixed.token);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (inflight) return inflight;
    const call = async () => {
      try {
        return await getToken();
      } catch (error) {
        throw error instanceof StoryloomError ? error : new StoryloomError('unauthorized', `getToken failed: ${error instanceof Error ? error.message : String(error)}`, {}, undefined, { cause: error });
      }
    };
    inflight = (async () => {
      let fresh: { token: string; identity: TokenIdentity };
      try {
        fresh = accept(await call(), 'The token from getToken');
      } catch (error) {
        // A host that caches tokens may hand out a stale one once: ask one more time.
        if (!(error instanceof StoryloomError) || error.details.expiresAt === undefined) throw error;
        fresh = accept(await call(), 'The token from getToken');
      }
      const replaced = token !== null;
      token = fresh.token;
      identity = fresh.identity;
      schedule();
      if (replaced) for (const listener of listeners) listener(fresh.token, fresh.identity);
      return fresh.token;
    })().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  return {
    current() {
      if (token !== null && identity !== null && identity.expiresAt > clock.now()) return Promise.resolve(token);
      return refresh();
    },
    refresh,
    identity: () => identity,
    onRefresh(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      clearTimer();
      listeners.clear();
    },
  };
}

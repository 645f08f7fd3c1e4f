import { SESSION_COOKIE } from '../auth/request-token.js';

/**
 * Cross-site WebSocket hijacking guard. A browser attaches the session cookie to a WebSocket
 * upgrade from ANY page, and WebSockets have no CORS, so a cookie credential proves nothing
 * about who opened the socket: the page's Origin must be one of ours. A Bearer header or a
 * `?token=` is not ambient (the page had to hold the token), so those need no Origin check.
 */
export type CredentialSource = 'bearer' | 'cookie' | 'query' | 'none';

/** Where `tokenFromRequest` (Bearer, then cookie, then `?token=`) will take the token from. */
export function credentialSource(headers: { get(name: string): string | null }, url: URL): CredentialSource {
  const authorization = headers.get('authorization');
  if (authorization && /^Bearer\s+\S/i.test(authorization.trim())) return 'bearer';
  const cookie = headers.get('cookie');
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE && part.slice(eq + 1).trim() !== '') return 'cookie';
    }
  }
  return url.searchParams.get('token') ? 'query' : 'none';
}

export interface OriginPolicy {
  /**
   * True when a request with this Origin header may use a cookie credential. A request without
   * Origin is allowed: browsers always send one on a WebSocket upgrade, so its absence means a
   * non-browser client, which holds the cookie itself and cannot be a victim of it.
   */
  allows(origin: string | null, host: string | null): boolean;
}

/**
 * `allowedOrigins` when given (exact `scheme://host[:port]` matches), else the origin of
 * `publicUrl`, else same-origin with the request's Host header (any scheme: TLS may end at a
 * proxy that forwards plain HTTP).
 */
export function createOriginPolicy(options: { allowedOrigins?: readonly string[]; publicUrl?: string | undefined }): OriginPolicy {
  const listed = (options.allowedOrigins ?? []).map(normalize).filter((o): o is string => o !== undefined);
  const fromPublicUrl = options.publicUrl ? normalize(options.publicUrl) : undefined;
  const allowed = new Set(listed.length > 0 ? listed : fromPublicUrl ? [fromPublicUrl] : []);
  return {
    allows(origin, host) {
      if (origin === null) return true;
      const normalized = normalize(origin);
      if (normalized === undefined) return false;
      if (allowed.size > 0) return allowed.has(normalized);
      return host !== null && new URL(normalized).host === host.toLowerCase();
    },
  };
}

/** `https://Example.com:443/` -> `https://example.com`; undefined for `null` origins and garbage. */
function normalize(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

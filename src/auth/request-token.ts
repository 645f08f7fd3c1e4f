/** The session cookie name is part of the fixed auth contract. */
export const SESSION_COOKIE = 'storyloom_session';

/**
 * Finds a token in a request: `Authorization: Bearer …`, then the `storyloom_session` cookie,
 * then (only where the caller allows it, i.e. on /ws/* upgrades, since browsers cannot set
 * headers on WebSockets) the `?token=` query parameter.
 */
export function tokenFromRequest(
  headers: { get(name: string): string | null },
  url: URL | undefined,
  options: { allowQuery: boolean },
): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  const cookie = headers.get('cookie');
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
        const value = safeDecode(part.slice(eq + 1).trim());
        // A malformed value is no credential (401 by the caller), never an exception (500).
        if (value) return value;
      }
    }
  }
  if (options.allowQuery && url) return url.searchParams.get('token') ?? undefined;
  return undefined;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

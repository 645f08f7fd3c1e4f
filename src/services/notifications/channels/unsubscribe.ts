import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelName } from './channel.js';

/**
 * The token in an email's List-Unsubscribe URL. A mail client POSTs it with no session
 * (RFC 8058 one-click), so the token itself must prove which user and which category it stops:
 * an HMAC over {user, category, channel} with a key derived from the server's secret.
 * `category` is '*' for a digest that mixes categories.
 */
export interface UnsubscribeScope {
  userId: string;
  category: string;
  channel: ChannelName;
}

const PURPOSE = 'storyloom-unsubscribe-v1';

function key(secret: string): Buffer {
  return createHmac('sha256', secret).update(PURPOSE).digest();
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', key(secret)).update(body).digest('base64url');
}

export function signUnsubscribeToken(secret: string, scope: UnsubscribeScope): string {
  const body = Buffer.from(JSON.stringify({ u: scope.userId, c: scope.category, ch: scope.channel })).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/** The scope a token grants, or undefined when it is malformed or was not signed with `secret`. */
export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeScope | undefined {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { u?: unknown; c?: unknown; ch?: unknown };
    if (typeof parsed.u !== 'string' || typeof parsed.c !== 'string' || typeof parsed.ch !== 'string') return undefined;
    if (!['in_app', 'email', 'sms', 'push'].includes(parsed.ch)) return undefined;
    return { userId: parsed.u, category: parsed.c, channel: parsed.ch as ChannelName };
  } catch {
    return undefined;
  }
}

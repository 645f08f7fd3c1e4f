import { createHash } from 'node:crypto';
import type { ChannelName, DeliveryChannel, OutboundMessage, SendResult } from '../services/notifications/channels/channel.js';

/**
 * What every channel implementation shares: the "not configured" stand-in, the failure
 * shapes, and the mapping of HTTP answers to retry-or-give-up. A channel never throws for a
 * delivery problem; the outbox decides from `permanent` whether to retry.
 */

/** A channel whose transport is not set: readiness says what to set, send never reports success. */
export function notConfiguredChannel(name: ChannelName, detail: string): DeliveryChannel {
  return {
    name,
    readiness: () => ({ configured: false, detail }),
    // Permanent: retrying cannot help until an operator sets the variable and restarts.
    send: async () => ({ status: 'failed', permanent: true, error: detail }),
  };
}

export function permanentFailure(error: string, extra: Partial<Extract<SendResult, { status: 'failed' }>> = {}): SendResult {
  return { status: 'failed', permanent: true, error, ...extra };
}

export function transientFailure(error: string, retryAfterMs?: number): SendResult {
  return retryAfterMs === undefined
    ? { status: 'failed', permanent: false, error }
    : { status: 'failed', permanent: false, error, retryAfterMs };
}

/** 408, 425, 429 and 5xx are worth retrying; any other 4xx will be refused again. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from now; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A stable, header-safe id derived from the outbox's idempotency key. */
export function idempotencyDigest(message: OutboundMessage): string {
  return createHash('sha256').update(message.idempotencyKey).digest('hex').slice(0, 32);
}

/** The idempotency key as a header value: printable ASCII only, bounded. */
export function idempotencyHeader(message: OutboundMessage): string {
  return message.idempotencyKey.replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A parsed MAIL_FROM: `Name <address>` or a bare address. */
export function parseMailbox(value: string): { name: string | undefined; email: string } | undefined {
  const angled = /^\s*"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (angled) return { name: angled[1]!.trim() || undefined, email: angled[2]! };
  const bare = /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(value);
  return bare ? { name: undefined, email: bare[1]! } : undefined;
}

import type { RequestDetails, Urgency } from 'web-push';
import type { Logger } from '../lib/logger.js';
import type {
  DeliveryChannel,
  OutboundMessage,
  OutboundNotification,
  PushSubscriptionRecord,
  SendResult,
} from '../services/notifications/channels/channel.js';
import { errorText, idempotencyDigest, isTransientStatus, permanentFailure, retryAfterMs } from './common.js';
import { loadWebPush } from './libs.js';
import { messageLinks } from './links.js';
import { renderPushPayload } from './templates.js';
import type { VapidKeys } from './vapid.js';

export interface WebPushChannelOptions {
  keys: VapidKeys;
  /** mailto: or https: contact the push service may use (VAPID `sub`). */
  subject: string;
  publicUrl: string;
  unsubscribeSecret: string;
  logger: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface WebPushChannel extends DeliveryChannel {
  /** The applicationServerKey browsers subscribe with (URL-safe base64). */
  readonly vapidPublicKey: string;
}

/** How long a push service keeps an undelivered message (seconds): alerts stay useful for a day. */
const TTL_SECONDS: Record<OutboundNotification['priority'], number> = { critical: 86_400, high: 86_400, medium: 14_400, low: 14_400 };
const URGENCY: Record<OutboundNotification['priority'], Urgency> = { critical: 'high', high: 'high', medium: 'normal', low: 'low' };
const RANK: Record<OutboundNotification['priority'], number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291). web-push
 * encrypts and signs; the request goes out through fetch so it honours the outbox's
 * AbortSignal. Every subscription of the user gets the message: one that answers 404/410 is
 * gone for good and is reported in expiredSubscriptionIds for the caller to delete.
 */
export function createWebPushChannel(options: WebPushChannelOptions): WebPushChannel {
  const doFetch = options.fetch ?? fetch;
  const vapidDetails = { subject: options.subject, publicKey: options.keys.publicKey, privateKey: options.keys.privateKey };

  async function deliver(subscription: PushSubscriptionRecord, payload: string, message: OutboundMessage, signal?: AbortSignal) {
    const top = message.notifications.reduce((a, b) => (RANK[b.priority] < RANK[a.priority] ? b : a));
    const webpush = await loadWebPush();
    let details: RequestDetails;
    try {
      details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
        vapidDetails,
        TTL: TTL_SECONDS[top.priority],
        urgency: URGENCY[top.priority],
        // A retry replaces an undelivered copy of itself on the push service (RFC 8030 5.4).
        topic: idempotencyDigest(message),
      });
    } catch (error) {
      return { kind: 'invalid' as const, error: `push subscription ${subscription.id}: ${errorText(error)}` };
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(details.headers)) {
      if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
    }
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
    try {
      const response = await doFetch(details.endpoint, {
        method: details.method,
        headers,
        body: details.body ? new Uint8Array(details.body) : null,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { kind: 'sent' as const };
      const error = `push service ${response.status} for subscription ${subscription.id}: ${text.slice(0, 200)}`;
      if (response.status === 404 || response.status === 410) return { kind: 'expired' as const, error };
      if (isTransientStatus(response.status)) return { kind: 'transient' as const, error, retryAfter: retryAfterMs(response.headers.get('retry-after')) };
      return { kind: 'invalid' as const, error };
    } catch (error) {
      return { kind: 'transient' as const, error: `push to subscription ${subscription.id} failed: ${errorText(error)}`, retryAfter: undefined };
    }
  }

  return {
    name: 'push',
    vapidPublicKey: options.keys.publicKey,
    readiness: () => ({ configured: true, detail: `web push (VAPID, subject ${options.subject})` }),
    async send(message, signal): Promise<SendResult> {
      const subscriptions = message.recipient.pushSubscriptions ?? [];
      if (subscriptions.length === 0) return permanentFailure('no push subscriptions for this user');
      if (message.notifications.length === 0) return permanentFailure('message has no notifications');
      const payload = renderPushPayload(message, messageLinks(options.publicUrl, message, options.unsubscribeSecret));
      const outcomes = await Promise.all(subscriptions.map((s) => deliver(s, payload, message, signal)));
      const expired = subscriptions.filter((_, i) => outcomes[i]!.kind === 'expired').map((s) => s.id);
      const withExpired = expired.length > 0 ? { expiredSubscriptionIds: expired } : {};
      const failures = outcomes.filter((o) => o.kind !== 'sent');
      for (const failure of failures) options.logger.warn({ error: 'error' in failure ? failure.error : undefined }, 'web push not delivered');
      // One device reached is a delivery: retrying would show it twice there.
      if (outcomes.some((o) => o.kind === 'sent')) return { status: 'sent', ...withExpired };
      const transient = outcomes.filter((o) => o.kind === 'transient');
      const error = failures.map((o) => ('error' in o ? o.error : '')).join('; ');
      if (transient.length > 0) {
        const waits = transient.map((o) => o.retryAfter).filter((w): w is number => w !== undefined);
        return { status: 'failed', permanent: false, error, ...(waits.length > 0 ? { retryAfterMs: Math.max(...waits) } : {}), ...withExpired };
      }
      return { status: 'failed', permanent: true, error, ...withExpired };
    },
  };
}

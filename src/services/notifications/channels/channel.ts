/**
 * The port every notification delivery channel implements (in-app, email, SMS, web push).
 * The notifications service owns it; the IO implementations live in src/delivery/ (an adapter
 * layer) and server.ts hands them to the outbox worker. A channel never throws for a delivery
 * problem: it answers a SendResult so the worker can decide between retry and give-up.
 */
export type ChannelName = 'in_app' | 'email' | 'sms' | 'push';
export interface PushSubscriptionRecord { id: string; endpoint: string; keys: { p256dh: string; auth: string } }
export interface OutboundNotification { id: string; category: string; priority: 'critical'|'high'|'medium'|'low'; title: string; body: string; createdAt: string; data?: unknown; projectId: string }
export interface OutboundMessage {
  idempotencyKey: string; channel: ChannelName; kind: 'single' | 'digest';
  recipient: { userId: string; email?: string; phone?: string; pushSubscriptions?: PushSubscriptionRecord[] };
  notifications: OutboundNotification[];   // one for 'single', many for 'digest'
}
export type SendResult =
  // expiredSubscriptionIds on 'sent': web push reached some devices while others answered 404/410.
  | { status: 'sent'; providerId?: string; expiredSubscriptionIds?: string[] }
  | { status: 'failed'; permanent: boolean; error: string; retryAfterMs?: number; expiredSubscriptionIds?: string[] };
export interface DeliveryChannel {
  readonly name: ChannelName;
  readiness(): { configured: boolean; detail: string };
  send(message: OutboundMessage, signal?: AbortSignal): Promise<SendResult>;
}

/**
 * Why a delivery on `name` cannot be sent by this build (the `lastError` it is stored `failed`
 * with), or undefined when the channel exists and is configured. The outbox worker and the
 * batch notifier (which fails such deliveries at once) record the same reason.
 */
export function unconfiguredReason(channels: ReadonlyMap<ChannelName, DeliveryChannel>, name: ChannelName): string | undefined {
  const readiness = channels.get(name)?.readiness() ?? { configured: false, detail: 'no such channel in this build' };
  return readiness.configured ? undefined : `channel ${name} is not configured: ${readiness.detail}`;
}

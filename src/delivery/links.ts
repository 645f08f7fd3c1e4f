import type { OutboundMessage, OutboundNotification } from '../services/notifications/channels/channel.js';
import { signUnsubscribeToken } from '../services/notifications/channels/unsubscribe.js';

/**
 * Every URL a message carries, all under PUBLIC_URL. The demo app routes on the hash, so the
 * links work from a mail client without a server-side route per page. The unsubscribe URL is
 * an API path: RFC 8058 one-click clients POST to it without a session, the signed token is
 * the credential (verifyUnsubscribeToken).
 */
export interface MessageLinks {
  inbox: string;
  preferences: string;
  unsubscribe: string;
  open(notification: OutboundNotification): string;
}

export const UNSUBSCRIBE_PATH = '/api/realtime/notifications/unsubscribe';

export function messageLinks(publicUrl: string, message: OutboundMessage, unsubscribeSecret: string): MessageLinks {
  const base = publicUrl.replace(/\/+$/, '');
  const categories = new Set(message.notifications.map((n) => n.category));
  const category = categories.size === 1 ? [...categories][0]! : '*';
  const token = signUnsubscribeToken(unsubscribeSecret, { userId: message.recipient.userId, category, channel: message.channel });
  return {
    inbox: `${base}/#/notifications`,
    preferences: `${base}/#/notifications/preferences`,
    unsubscribe: `${base}${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`,
    open: (n) => `${base}/#/notifications/${encodeURIComponent(n.id)}`,
  };
}

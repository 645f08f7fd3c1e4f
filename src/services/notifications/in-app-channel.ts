/**
 * The in-app channel: the inbox row already exists (the service stored it with the deliveries),
 * so sending is the live push on `user:<id>` of /ws/notifications, typed by
 * src/protocol/notifications.ts. Best effort on a socket, durable in the inbox: a client that was
 * offline reads the inbox; a repeated push carries the same notification id.
 */
import { errorMessage } from '../../lib/errors.js';
import type { NotificationPush } from '../../protocol/notifications.js';
import type { DeliveryChannel, OutboundMessage, OutboundNotification, SendResult } from './channels/channel.js';
import type { StoredNotification } from './ports.js';

/** The worker marks in-app pushes made during quiet hours (and releases of them) silent. */
export type InAppMessage = OutboundMessage & { silent?: boolean };

/** A stored notification as every channel's message carries it. */
export function outboundOf(n: StoredNotification): OutboundNotification {
  return { id: n.id, category: n.category, priority: n.priority, title: n.title, body: n.body, createdAt: new Date(n.createdAt).toISOString(), data: n.data, projectId: n.projectId };
}

export function createInAppChannel(deps: { push(message: { path: 'notifications'; channel: string; data: NotificationPush }): Promise<void> }): DeliveryChannel {
  return {
    name: 'in_app',
    readiness: () => ({ configured: true, detail: 'inbox and /ws/notifications' }),
    async send(message: InAppMessage): Promise<SendResult> {
      try {
        for (const n of message.notifications) {
          await deps.push({
            path: 'notifications',
            channel: `user:${message.recipient.userId}`,
            data: {
              type: 'notification',
              silent: message.silent === true,
              notification: { id: n.id, projectId: n.projectId, category: n.category as NotificationPush['notification']['category'], priority: n.priority, title: n.title, body: n.body, createdAt: n.createdAt, data: n.data ?? null },
            },
          });
        }
        return { status: 'sent' };
      } catch (error) {
        // The gateway served local sockets but Redis refused the fan-out: retry for the others.
        return { status: 'failed', permanent: false, error: errorMessage(error) };
      }
    },
  };
}

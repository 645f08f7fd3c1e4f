/**
 * The in-app notification push on `user:<userId>` of /ws/notifications (fixed contract, issue
 * 14): an `event` frame whose `data` is a NotificationPush. Mirrored by
 * client-sdk/src/protocol.ts. Lists are spelled here (a leaf) and match src/notify/model.ts.
 */
export const NOTIFICATION_PUSH_TYPE = 'notification' as const;

export type NotificationCategoryName = 'writing' | 'collaboration' | 'publishing' | 'analytics' | 'automation' | 'system';
export type NotificationPriorityName = 'critical' | 'high' | 'medium' | 'low';

export interface NotificationPayload {
  id: string;
  projectId: string;
  category: NotificationCategoryName;
  priority: NotificationPriorityName;
  title: string;
  body: string;
  /** ISO 8601. */
  createdAt: string;
  data: unknown;
}

export interface NotificationPush {
  type: typeof NOTIFICATION_PUSH_TYPE;
  notification: NotificationPayload;
  /** Arrived during quiet hours: show it, make no sound. */
  silent: boolean;
}

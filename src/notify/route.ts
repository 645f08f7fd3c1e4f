/**
 * Routing: which deliveries one notification gets, on which channel, when, and why. Pure (the
 * clock is the `now` argument), so it is property-tested (tests/unit/notifications-routing.test.ts)
 * and the outbox stores exactly what it answers.
 *
 * Order (issue 14): the user's channels; critical skips everything below; mute; auto-mute (a
 * repeat of the fingerprint within the hour is folded into the next digest); digest batching
 * for medium and low; quiet hours per channel (in-app lands silently, the others wait for the
 * end); flow (non-critical waits while the writer is in flow).
 *
 * No notification is ever lost by routing: the inbox row exists whatever this answers, and every
 * chosen channel gets exactly one delivery unless the notification is muted or folded, which
 * the result says (and the inbox shows).
 */
import type { EffectivePreferences, NotificationCategory, NotificationChannel, NotificationPriority } from './model.js';
import { nextDigestAt, outsideQuiet, quietUntil } from './schedule.js';

export interface RoutableNotification {
  id: string;
  userId: string;
  projectId: string;
  category: NotificationCategory;
  priority: NotificationPriority;
}

export interface RouteContext {
  /** The writer's live session is in `flow` now. */
  inFlow: boolean;
  /** Notifications of the same user + category + fingerprint in the last hour (before this one). */
  recentSameFingerprint: number;
  /** The zone digests are timed in when there are no quiet hours (the writer's zone). */
  timeZone: string;
  /** A rule that restricts channels (writing.flow_entered: in-app only). */
  onlyChannels?: readonly NotificationChannel[];
}

export type HoldReason = 'quiet_hours' | 'flow';

export interface PlannedDelivery {
  channel: NotificationChannel;
  kind: 'single' | 'digest';
  status: 'pending' | 'held';
  holdReason: HoldReason | null;
  /** When it may go: now, a digest time, or the end of the quiet hours; flow holds have no end (now). */
  dueAt: number;
  /** In-app during quiet hours: lands in the inbox and the live list without an alert. */
  silent: boolean;
  /** Unique in the outbox: a digest's key is shared by every notification it batches. */
  idempotencyKey: string;
  reason: string;
}

export interface RouteResult {
  deliveries: PlannedDelivery[];
  /** Auto-muted: a repeat within the hour, counted into the next digest, not sent. */
  folded: boolean;
  muted: boolean;
  /** Why, in order, for the inbox row and the day-of-a-writer report. */
  reasons: string[];
}

const singleKey = (n: RoutableNotification, channel: NotificationChannel) => `single:${n.id}:${channel}`;
const digestKey = (n: RoutableNotification, channel: NotificationChannel, dueAt: number) => `digest:${n.userId}:${channel}:${dueAt}`;

export function route(n: RoutableNotification, prefs: EffectivePreferences, context: RouteContext, now: number): RouteResult {
  const chosen = prefs.channels[n.category][n.priority];
  const channels = dedupe(context.onlyChannels ? chosen.filter((c) => context.onlyChannels!.includes(c)) : chosen);
  // A rule that allows only in-app still lands in the inbox even if the user chose no in-app.
  if (context.onlyChannels && channels.length === 0 && context.onlyChannels.includes('in_app')) channels.push('in_app');
  const reasons = [`channels for ${n.category}/${n.priority}: ${channels.join(', ') || 'none'}`];

  if (n.priority === 'critical') {
    reasons.push('critical: sent at once, past quiet hours, digests, mute and flow');
    return {
      deliveries: channels.map((channel) => ({ channel, kind: 'single', status: 'pending', holdReason: null, dueAt: now, silent: false, idempotencyKey: singleKey(n, channel), reason: 'critical' })),
      folded: false,
      muted: false,
      reasons,
    };
  }

  const mutedUntil = laterOf(prefs.mute[n.category], prefs.muteProjects[n.projectId]);
  if (mutedUntil !== null && mutedUntil > now) {
    reasons.push(`muted until ${new Date(mutedUntil).toISOString()}: inbox only`);
    return { deliveries: [], folded: false, muted: true, reasons };
  }

  const zone = prefs.quietHours?.timeZone ?? context.timeZone;
  const cadence = prefs.digest[n.category];
  const quietEnd = quietUntil(prefs.quietHours, now);
  const deliveries: PlannedDelivery[] = [];
  const digest = (channel: NotificationChannel, why: string) => {
    // Folded repeats need a digest even when the category's cadence is off: the next daily one.
    const at = outsideQuiet(prefs.quietHours, nextDigestAt(cadence === 'off' ? 'daily' : cadence, zone, now)!);
    deliveries.push({ channel, kind: 'digest', status: 'pending', holdReason: null, dueAt: at, silent: false, idempotencyKey: digestKey(n, channel, at), reason: why });
  };

  if (context.recentSameFingerprint > 0) {
    reasons.push(`auto-muted: repeat #${context.recentSameFingerprint + 1} of this alert within the hour, folded into the next digest`);
    for (const channel of channels) if (channel !== 'in_app') digest(channel, 'auto-mute');
    return { deliveries, folded: true, muted: false, reasons };
  }

  for (const channel of channels) {
    if (channel === 'in_app') {
      if (context.inFlow) {
        deliveries.push({ channel, kind: 'single', status: 'held', holdReason: 'flow', dueAt: now, silent: quietEnd !== null, idempotencyKey: singleKey(n, channel), reason: 'writer in flow: held until the flow ends' });
      } else {
        deliveries.push({ channel, kind: 'single', status: 'pending', holdReason: null, dueAt: now, silent: quietEnd !== null, idempotencyKey: singleKey(n, channel), reason: quietEnd !== null ? 'quiet hours: lands silently' : 'now' });
      }
    } else if ((n.priority === 'medium' || n.priority === 'low') && cadence !== 'off') {
      digest(channel, `${cadence} digest`);
    } else if (quietEnd !== null) {
      deliveries.push({ channel, kind: 'single', status: 'held', holdReason: 'quiet_hours', dueAt: quietEnd, silent: false, idempotencyKey: singleKey(n, channel), reason: `quiet hours: held until ${new Date(quietEnd).toISOString()}` });
    } else if (context.inFlow) {
      deliveries.push({ channel, kind: 'single', status: 'held', holdReason: 'flow', dueAt: now, silent: false, idempotencyKey: singleKey(n, channel), reason: 'writer in flow: held until the flow ends' });
    } else {
      deliveries.push({ channel, kind: 'single', status: 'pending', holdReason: null, dueAt: now, silent: false, idempotencyKey: singleKey(n, channel), reason: 'now' });
    }
  }
  for (const d of deliveries) reasons.push(`${d.channel}: ${d.reason}`);
  return { deliveries, folded: false, muted: false, reasons };
}

/**
 * What a delivery held for flow becomes once the writer left flow at `now`: quiet hours may
 * have begun meanwhile (then email, SMS and push wait for their end; in-app lands silently).
 */
export function releaseFromFlow(channel: NotificationChannel, prefs: EffectivePreferences, now: number): { status: 'pending' | 'held'; holdReason: HoldReason | null; dueAt: number; silent: boolean } {
  const quietEnd = quietUntil(prefs.quietHours, now);
  if (channel === 'in_app' || quietEnd === null) return { status: 'pending', holdReason: null, dueAt: now, silent: channel === 'in_app' && quietEnd !== null };
  return { status: 'held', holdReason: 'quiet_hours', dueAt: quietEnd, silent: false };
}

function dedupe<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function laterOf(a: string | undefined, b: string | undefined): number | null {
  const times = [a, b].filter((v): v is string => v !== undefined).map((v) => Date.parse(v)).filter((v) => Number.isFinite(v));
  return times.length > 0 ? Math.max(...times) : null;
}

import { z } from 'zod';
import { actorHash } from '../../../events/schema/payloads.js';
import { NOTIFICATION_CATEGORIES, NOTIFICATION_PRIORITIES, type NotificationChannel } from '../../../notify/model.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import { asActionError } from './errors.js';
import type { NotifySender } from './ports.js';
import { resourceId } from './ids.js';

const userId = resourceId;

const input = z
  .strictObject({
    /** Users of the run's project; those without a role in it are skipped. */
    userIds: z.array(userId).min(1).max(100).optional(),
    /** Everyone with this role in the run's project. */
    role: z.literal('owners').optional(),
    /** Actor pseudonyms as events carry them (e.g. a conflict's `users`), resolved to users; those without a role in the project are skipped. */
    actors: z.array(actorHash).min(1).max(64).optional(),
    category: z.enum(NOTIFICATION_CATEGORIES).default('automation'),
    priority: z.enum(NOTIFICATION_PRIORITIES).default('medium'),
    title: z.string().trim().min(1).max(200),
    body: z.string().max(4000).default(''),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((v) => [v.userIds, v.role, v.actors].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of userIds, role and actors', path: ['userIds'] });

const output = z.strictObject({ notified: z.number().int(), notificationIds: z.array(z.string()), skipped: z.array(z.string()) });

/**
 * `notification`, `email` and `sms`: a notification to users of the run's project through the
 * notification layer (routing, preferences, quiet hours, the outbox). `notification` uses each
 * user's channels for the category and priority; `email` and `sms` only that channel (still
 * subject to the user's preferences). Each user's copy carries a dedupe key of the run, step and
 * user, so a retried step notifies nobody twice.
 */
export function createNotifyActions(deps: { notify: NotifySender }): ActionHandler[] {
  const usersOf = async (actors: readonly string[]) => {
    if (!deps.notify.usersByActor) throw new ActionError('actors cannot be resolved: this server does not wire usersByActor', { permanent: true });
    const users = await deps.notify.usersByActor(actors);
    if (users.length === 0) throw new ActionError(`none of the actors ${actors.join(', ')} is a known user`, { permanent: true });
    return users;
  };
  const make = (name: string, channel: NotificationChannel | null, what: string): ActionHandler => ({
    spec: { name, description: `${what} to userIds, actors (pseudonyms from an event) or the project's owners (role: "owners") through the notification layer.`, input, output },
    async run(raw, ctx) {
      const args = input.parse(raw);
      try {
        const candidates = args.role === 'owners' ? await deps.notify.owners(ctx.projectId) : [...new Set(args.actors ? await usersOf(args.actors) : (args.userIds ?? []))];
        const ids: string[] = [];
        const skipped: string[] = [];
        for (const user of candidates) {
          if (args.role === undefined && (await deps.notify.roleOf(ctx.projectId, user)) === null) {
            skipped.push(user);
            continue;
          }
          const created = await deps.notify.notify({
            userId: user,
            projectId: ctx.projectId,
            category: args.category,
            priority: args.priority,
            title: args.title,
            body: args.body,
            data: { ...(args.data ?? {}), workflowId: ctx.workflowId, runId: ctx.runId },
            dedupeKey: `workflow:${ctx.runId}:${ctx.stepId}:${user}`,
            ...(channel ? { onlyChannels: [channel] } : {}),
          });
          if (created) ids.push(created.id);
        }
        if (candidates.length > 0 && skipped.length === candidates.length) {
          throw new ActionError(`${name}: none of ${skipped.join(', ')} has a role in project ${ctx.projectId}`, { permanent: true });
        }
        return { notified: candidates.length - skipped.length, notificationIds: ids, skipped };
      } catch (error) {
        throw asActionError(name, error);
      }
    },
  });
  return [make('notification', null, 'Notifies'), make('email', 'email', 'Emails'), make('sms', 'sms', 'Texts (SMS)')];
}

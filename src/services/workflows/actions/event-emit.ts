import { createHash } from 'node:crypto';
import { z } from 'zod';
import { createEvent, EVENT_TYPES, type EventType } from '../../../events/schema.js';
import { isAppError } from '../../../lib/errors.js';
import type { Clock } from '../../../lib/clock.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import type { EventPublisher } from './ports.js';
import { resourceId } from './ids.js';

/** Categories a workflow may publish in; writing and collaboration events come from people's edits only. */
export const EMIT_CATEGORIES = ['publishing', 'analytics', 'automation'] as const;
export const EMITTABLE_TYPES = EVENT_TYPES.filter((type) => (EMIT_CATEGORIES as readonly string[]).includes(type.slice(0, type.indexOf('.')))) as [EventType, ...EventType[]];

const input = z.strictObject({
  type: z.enum(EMITTABLE_TYPES),
  payload: z.record(z.string(), z.unknown()),
  documentId: resourceId.optional(),
});

const output = z.strictObject({ eventId: z.string(), type: z.string() });

/**
 * `event.emit`: publishes a Storyloom event, validated by the event schema, in the run's project
 * (a definition cannot name another). The event id is derived from the run and step, so a retried
 * step publishes the same id and consumers that dedupe by id see it once.
 */
export function createEventEmitAction(deps: { publish: EventPublisher; clock: Clock }): ActionHandler {
  return {
    spec: {
      name: 'event.emit',
      description: `Publishes a ${EMIT_CATEGORIES.join('/')} event in the run's project, validated by the event schema.`,
      input,
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      let event;
      try {
        event = createEvent(args.type, {
          id: stableUuid(`${ctx.runId}:${ctx.stepId}`),
          actor: 'system',
          projectId: ctx.projectId,
          ...(args.documentId ? { documentId: args.documentId } : {}),
          occurredAt: deps.clock.now(),
          payload: args.payload as never,
        });
      } catch (error) {
        if (isAppError(error)) {
          const issues = (error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues;
          const detail = issues?.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; ') ?? error.message;
          throw new ActionError(`event.emit: invalid ${args.type} event: ${detail}`, { permanent: true, cause: error });
        }
        throw error;
      }
      await deps.publish(event);
      return { eventId: event.id, type: event.type };
    },
  };
}

/** A UUID (version 8, RFC 9562) from a hash of `key`: the same key gives the same id. */
export function stableUuid(key: string): string {
  const bytes = createHash('sha256').update(key).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

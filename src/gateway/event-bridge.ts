import type { EventBus, Subscription } from '../events/bus.js';
import { EVENT_CATEGORIES, type StoryloomEvent } from '../events/schema.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { writerAudienceOfEvent } from './audience.js';
import type { Gateway, GatewayPath } from './gateway.js';

/** The consumer group every instance's bridge joins. */
export const GATEWAY_CONSUMER_GROUP = 'gateway';

/**
 * Events whose live message the presence service already pushes on the document's channel
 * (src/protocol: the `storyloom.conflict` warning): bridged to `project:` only, so a `document:`
 * subscriber gets each warning once, in one shape.
 */
const LIVE_ON_DOCUMENT_CHANNEL: ReadonlySet<string> = new Set(['collaboration.conflict_predicted', 'collaboration.conflict_cleared']);

/** Collaboration events feed /ws/presence; everything else feeds /ws/analytics. */
export function gatewayPathFor(event: StoryloomEvent): GatewayPath {
  return event.category === 'collaboration' ? 'presence' : 'analytics';
}

/**
 * Pushes domain events to gateway channels: `project:<projectId>` and, when the event names a
 * document, `document:<projectId>/<documentId>` (except conflict warnings, see
 * LIVE_ON_DOCUMENT_CHANNEL), with the whole envelope as `data`. Events
 * without a project reach no channel (the envelope carries only an HMAC of the actor, so there
 * is no user channel to address).
 *
 * The group is shared by all instances, so each event is bridged once and the gateway's Redis
 * fan-out carries it to every instance's sockets. Live push is best effort: a failed publish is
 * logged and the event acked, since redelivering it minutes later would show stale state and
 * duplicate it for the subscribers that already got it locally.
 */
export function bridgeEventsToGateway(deps: {
  bus: EventBus;
  gateway: Pick<Gateway, 'publish'>;
  logger: Logger;
}): Subscription {
  const { gateway, logger } = deps;
  return deps.bus.subscribe({
    group: GATEWAY_CONSUMER_GROUP,
    categories: EVENT_CATEGORIES,
    async handle(event) {
      if (!event.projectId) return;
      const path = gatewayPathFor(event);
      // A writer's numbers, and workflow runs, reach only who may see them (src/lib/visibility.ts).
      const audience = writerAudienceOfEvent(event);
      const channels = [`project:${event.projectId}`];
      if (event.documentId && !LIVE_ON_DOCUMENT_CHANNEL.has(event.type)) channels.push(`document:${event.projectId}/${event.documentId}`);
      for (const channel of channels) {
        try {
          await gateway.publish({ path, channel, data: event, ...(audience ? { audience } : {}) });
        } catch (error) {
          logger.warn({ event: event.id, type: event.type, channel, err: errorMessage(error) }, 'event not pushed to the gateway');
        }
      }
    },
  });
}

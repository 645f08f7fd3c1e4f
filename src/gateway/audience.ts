import { isWriterEvent } from '../events/schema.js';
import { roleIn, type Identity } from '../lib/identity.js';
import { canSeeAllWriterNumbers, canSeeWorkflows, canSeeWriterNumbers } from '../lib/visibility.js';

/**
 * Marks a gateway message as carrying one writer's numbers (live writing metrics, writing
 * events): it reaches only the subscribers src/lib/visibility.ts lets see that writer's numbers
 * in `projectId` (the writer, the project's owners, admins). The writer is named by user id
 * (`writerId`) or, for bus events, which carry only the actor pseudonym, by `writerActor`.
 * Messages without an audience reach every subscriber the channel ACL admitted.
 */
export interface WriterAudience {
  projectId: string;
  writerId?: string;
  writerActor?: string;
  /** Workflow runs (`automation.*`): the project's owners and editors only (canSeeWorkflows). */
  workflows?: true;
}

/** Decides per subscriber; filtering happens at fan-out on every instance (remote messages too). */
export type AudienceFilter = (identity: Identity, audience: WriterAudience) => boolean;

/** `actorOf` maps a user id to its event pseudonym; without it a `writerActor` reaches owners/admins only. */
export function createAudienceFilter(actorOf?: (userId: string) => string): AudienceFilter {
  // One HMAC per identity, not per message: fan-out is the hot path.
  const actors = new WeakMap<Identity, string>();
  const actorOfIdentity = (identity: Identity) => {
    let actor = actors.get(identity);
    if (actor === undefined) actors.set(identity, (actor = actorOf!(identity.userId)));
    return actor;
  };
  return (identity, audience) => {
    if (audience.workflows) return canSeeWorkflows(identity, audience.projectId);
    if (audience.writerId !== undefined) return canSeeWriterNumbers(identity, audience.projectId, audience.writerId);
    if (canSeeAllWriterNumbers(identity, audience.projectId)) return true;
    if (audience.writerActor === undefined || !actorOf || roleIn(identity, audience.projectId) === undefined) return false;
    return actorOfIdentity(identity) === audience.writerActor;
  };
}

/**
 * Who a bridged event reaches beyond the channel ACL: writing.* and goal outcomes are the actor's
 * numbers; automation.* events report workflow runs, which owners and editors see.
 */
export function writerAudienceOfEvent(event: { category: string; type: string; actor: string; projectId?: string | undefined }): WriterAudience | undefined {
  if (event.projectId && event.category === 'automation') return { projectId: event.projectId, workflows: true };
  if (!event.projectId || event.actor === 'system') return undefined;
  return isWriterEvent(event.type) ? { projectId: event.projectId, writerActor: event.actor } : undefined;
}

/**
 * The audience of a live writing push (`writing.metrics` and the like on `project:` or
 * `document:` channels): data with a `writing.*` kind and the writer's `userId` is that writer's
 * numbers. Applied where the writing service is wired to the gateway (server.ts), so the rule
 * holds whichever part of the service produces the push.
 */
export function withWriterAudience<M extends { channel: string; data: unknown; audience?: WriterAudience }>(message: M): M & { audience?: WriterAudience } {
  if (message.audience || !message.data || typeof message.data !== 'object') return message;
  const { kind, userId } = message.data as { kind?: unknown; userId?: unknown };
  if (typeof kind !== 'string' || !kind.startsWith('writing.') || typeof userId !== 'string') return message;
  const scoped = /^(?:project|document):([^/]+)/.exec(message.channel);
  return scoped ? { ...message, audience: { projectId: scoped[1]!, writerId: userId } } : message;
}

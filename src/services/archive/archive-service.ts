import { EVENT_TYPES, isWriterEvent, type EventType } from '../../events/schema.js';
import { AppError } from '../../lib/errors.js';
import { roleIn, type Identity } from '../../lib/identity.js';
import { canSeeAllWriterNumbers, canSeeWorkflows } from '../../lib/visibility.js';
import type { EventArchive, EventPage, EventQuery } from './ports.js';

/**
 * Event types that carry one writer's numbers (events/schema.ts isWriterEvent) and link to the
 * writer through `sessionId`: a caller who may not see every writer's numbers in the project
 * gets only their own of these. Automation events (workflow runs) are listed to owners and
 * editors only (canSeeWorkflows). Everything else (presence, conflicts, publishing) is
 * project-level and listed to every member.
 */
export const WRITER_EVENT_TYPES: readonly EventType[] = EVENT_TYPES.filter(isWriterEvent);

export interface ArchiveQueryService {
  /** A page of the archive as `identity` may see it; AppError 400/403 when the query is not theirs to ask. */
  list(identity: Identity, query: Omit<EventQuery, 'onlyOwn'>): Promise<EventPage>;
}

/** The audit archive as the REST API reads it, with the visibility rule applied. */
export function createArchiveQueryService(deps: { archive: Pick<EventArchive, 'list'>; actorOf(userId: string): string }): ArchiveQueryService {
  return {
    async list(identity, query) {
      if (!identity.admin) {
        if (!query.projectId) throw new AppError('validation-failed', 'projectId is required unless the token is an admin token', { field: 'projectId' });
        if (!roleIn(identity, query.projectId)) throw new AppError('forbidden', `No role in project ${query.projectId}`, { projectId: query.projectId });
        if (query.category === 'automation' && !canSeeWorkflows(identity, query.projectId)) {
          throw new AppError('forbidden', `Workflow runs are visible to the owners and editors of project ${query.projectId}`, { projectId: query.projectId });
        }
      }
      const everyone = identity.admin || (query.projectId !== undefined && canSeeAllWriterNumbers(identity, query.projectId));
      return deps.archive.list(everyone ? query : { ...query, onlyOwn: { actor: deps.actorOf(identity.userId), types: WRITER_EVENT_TYPES } });
    },
  };
}

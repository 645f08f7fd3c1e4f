import { type Identity, roleIn } from './identity.js';

/**
 * The one visibility rule for a writer's own numbers (words, sessions, pace, goals, streaks,
 * best hours, live writing metrics, and the writing events in the audit archive that carry
 * them), applied alike by REST, the /ws/* channels and the archive:
 *
 * - the writer sees their own numbers in every project they have a role in;
 * - a project's owners (and admin service tokens) see every writer's numbers in that project;
 * - editors, reviewers and readers see project-level aggregates (totals without a per-writer
 *   split) and presence (who is here, where), never another writer's numbers.
 *
 * Why: per-writer pace and word counts are performance data about a person; the owner runs the
 * project and already sees them on the dashboard, co-writers see who is present, not how much
 * each one produced.
 */
export function canSeeWriterNumbers(identity: Identity, projectId: string, writerId: string): boolean {
  if (identity.admin) return true;
  const role = roleIn(identity, projectId);
  if (role === undefined) return false;
  return role === 'owner' || writerId === identity.userId;
}

/** True when the caller may see every writer's numbers in the project (owners, admins). */
export function canSeeAllWriterNumbers(identity: Identity, projectId: string): boolean {
  return identity.admin || roleIn(identity, projectId) === 'owner';
}

/**
 * Workflows and their runs (and the `automation.*` events that report them): the project's owners
 * and editors, who manage and run them, and admins. Reviewers and readers see nothing of them.
 */
export function canSeeWorkflows(identity: Identity, projectId: string): boolean {
  if (identity.admin) return true;
  const role = roleIn(identity, projectId);
  return role === 'owner' || role === 'editor';
}

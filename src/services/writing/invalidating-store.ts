/**
 * REST writes of goals and preferences must reach the service's caches at once (an opt-out is
 * honoured at the next keystroke), so the routes get the store through this wrapper.
 */
import type { WritingService } from './service-types.js';
import type { WritingStore } from './ports.js';

/**
 * The store as the REST routes should see it: a goal or preference written through it also
 * clears the writing service's cached copy, so an opt-out takes effect with the writer's next
 * keystroke instead of after the cache's TTL (30 s preferences, 60 s goals). Writes made
 * elsewhere (another instance) still wait for the TTL.
 */
export function invalidatingWritingStore(
  store: WritingStore,
  caches: Pick<WritingService, 'invalidatePreferences' | 'invalidateGoal'>,
): WritingStore {
  return {
    ...store,
    // Reads pass through (explicit so the wrapper keeps working if the store becomes a class).
    documentContributions: (projectId, documentId) => store.documentContributions(projectId, documentId),
    async setGoal(goal) {
      const saved = await store.setGoal(goal);
      caches.invalidateGoal(goal.userId, goal.projectId);
      return saved;
    },
    async setPreferences(prefs) {
      const saved = await store.setPreferences(prefs);
      caches.invalidatePreferences(prefs.userId);
      return saved;
    },
  };
}

/**
 * Daily goals need storage totals and cross-instance claims, so they sit beside the session
 * model rather than in it; days are counted with tracking/calendar.ts in the goal's zone.
 */
import { createEvent, type StoryloomEvent } from '../../events/schema.js';
import type { Logger } from '../../lib/logger.js';
import type { BucketAggregator } from './bucket-aggregator.js';
import type { CachedLookup } from './cached-lookup.js';
import type { LiveSessionStore, WritingGoal, WritingStore } from './ports.js';
import { liveKeys } from './session-view.js';
import { usableTimeZone } from '../../lib/time-zones.js';
import { dayIn, dayRange } from '../../tracking/calendar.js';

const MINUTE = 60_000;

/** A writer's progress toward their daily goal on one local day, as this instance sees it. */
export interface GoalDay {
  goal: WritingGoal;
  day: string;
  /** Net words of the day: storage at the first edit of the day here, plus this instance's edits since. */
  net: number;
  met: boolean;
}

/** What the tracker keeps per writer and project (a field of the service's slot). */
export interface GoalSlot {
  readonly userId: string;
  readonly projectId: string;
  goalDay: GoalDay | null;
}

export interface GoalTracker {
  /**
   * Counts an edit's net words toward today's goal (call it before the edit's words go to the
   * buckets: the day's stored total is read once, after a flush, and this instance's edits are
   * added from then on). Publishes analytics.goal_met the first time the day reaches the goal.
   */
  onEdit(slot: GoalSlot, at: number, netWords: number): Promise<void>;
  /**
   * At each tick: once the writer's local day is over, publishes analytics.goal_missed for it if
   * the goal was not met. Only days on which the writer wrote here are settled.
   */
  onTick(slot: GoalSlot, now: number): Promise<void>;
}

/**
 * Daily word goals. "Once per day" holds across instances through a claim in the live store
 * (`goal:<project>:<user>:<day>:met|missed`). goal_missed is deliberately narrow: it is decided
 * for a day on which the writer wrote in the project on this instance (so they were active
 * recently), at the first tick after their local midnight; a writer with a goal who does not
 * write at all that day gets no event (nothing to settle; a digest can say it).
 */
export function createGoalTracker(deps: {
  store: Pick<WritingStore, 'wordsBetween'>;
  goals: CachedLookup<WritingGoal | null>;
  live: LiveSessionStore;
  buckets: BucketAggregator;
  actorOf(userId: string): string;
  publish(event: StoryloomEvent): Promise<void>;
  logger: Logger;
}): GoalTracker {
  const { store, live, buckets, logger } = deps;

  const goalKey = (s: GoalSlot) => `${s.projectId}\u0000${s.userId}`;
  // A stored zone the runtime does not know counts in UTC: a bad zone must not stop tracking.
  const rangeOf = (day: string, timeZone: string) => dayRange(day, usableTimeZone(timeZone));
  const dayOf = (at: number, timeZone: string) => dayIn(usableTimeZone(timeZone), at);

  /** The day's stored words up to `before` (default: the whole day). */
  async function storedNet(slot: GoalSlot, day: string, timeZone: string, before = Number.POSITIVE_INFINITY): Promise<number> {
    // Storage must hold everything counted so far, or the day's total would miss the last second.
    await buckets.flush();
    const { from, to } = rangeOf(day, timeZone);
    return store.wordsBetween(slot.userId, slot.projectId, from, Math.min(to, before));
  }

  function goalEvent(type: 'analytics.goal_met' | 'analytics.goal_missed', slot: GoalSlot, state: GoalDay, actual: number, at: number) {
    const { from, to } = rangeOf(state.day, state.goal.timeZone);
    const actor = deps.actorOf(slot.userId);
    return createEvent(type, {
      actor,
      projectId: slot.projectId,
      occurredAt: at,
      payload: {
        // The goal has no id of its own: one daily goal per writer and project.
        goalId: `daily-${slot.projectId}-${actor}`,
        kind: 'daily_words',
        target: state.goal.dailyWords,
        actual,
        periodStart: new Date(from).toISOString(),
        periodEnd: new Date(to).toISOString(),
      },
    });
  }

  async function settle(slot: GoalSlot, state: GoalDay, now: number): Promise<void> {
    if (state.met) return;
    const actual = await storedNet(slot, state.day, state.goal.timeZone);
    // Met after all (another instance counted the rest): nothing to report.
    if (actual >= state.goal.dailyWords) return;
    if (!(await live.claim(liveKeys.goal(slot.projectId, slot.userId, state.day, 'missed')))) return;
    await deps.publish(goalEvent('analytics.goal_missed', slot, state, actual, now));
  }

  return {
    async onEdit(slot, at, netWords) {
      const cached = deps.goals.get(goalKey(slot));
      const goal = cached instanceof Promise ? await cached : cached;
      if (goal === null || goal.dailyWords <= 0) {
        slot.goalDay = null;
        return;
      }
      const day = dayOf(at, goal.timeZone);
      let state = slot.goalDay;
      if (state !== null && state.day !== day) {
        // The edit arrived before the tick noticed midnight: settle the finished day first.
        await settle(slot, state, at).catch((error: unknown) => logger.warn({ err: error }, 'goal_missed check failed'));
        state = null;
      }
      if (state === null || state.goal.dailyWords !== goal.dailyWords || state.goal.timeZone !== goal.timeZone) {
        // Up to this edit's minute only: the flush folds the word journal, which by now may hold
        // this writer's next edits (committed, still queued behind this one) that onEdit will add
        // itself; counting them twice met goals early. A re-count from the buckets (settle) at
        // the day's end is whole; what this skips is words of this minute before the state began.
        state = { goal, day, net: await storedNet(slot, day, goal.timeZone, Math.floor(at / MINUTE) * MINUTE), met: false };
        slot.goalDay = state;
      }
      state.net += netWords;
      if (state.met || state.net < goal.dailyWords) return;
      state.met = true;
      if (await live.claim(liveKeys.goal(slot.projectId, slot.userId, day, 'met'))) {
        await deps.publish(goalEvent('analytics.goal_met', slot, state, state.net, at));
      }
    },

    async onTick(slot, now) {
      const state = slot.goalDay;
      if (state === null || dayOf(now, state.goal.timeZone) === state.day) return;
      slot.goalDay = null;
      await settle(slot, state, now);
    },
  };
}

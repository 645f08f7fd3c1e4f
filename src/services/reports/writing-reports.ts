import type { Clock } from '../../lib/clock.js';
import { canonicalTimeZone } from '../../lib/time-zones.js';
import { dayIn, writerZone } from '../../tracking/calendar.js';
import type { WritingGoal, WritingStore } from '../writing/ports.js';

/** How far back best hours look. */
export const BEST_HOURS_DAYS = 30;

export interface GoalProgress {
  goal: WritingGoal | null;
  timeZone: string;
  today: { day: string; words: number; met: boolean };
  currentStreak: number;
}

export interface BestHoursReport {
  timeZone: string;
  /** ms since the epoch. */
  since: number;
  hours: { hour: number; words: number }[];
  /** The hour with the most net words; null without any. */
  best: number | null;
}

/**
 * Read-side queries of one writer's numbers that the REST routes answer (goal progress, best
 * hours). Who may ask is the route's check (lib/visibility.ts); this only computes.
 */
export interface WritingReports {
  goalProgress(userId: string, projectId: string): Promise<GoalProgress>;
  bestHours(userId: string, projectId: string, timeZone?: string): Promise<BestHoursReport>;
}

export function createWritingReports(deps: { store: Pick<WritingStore, 'getGoal' | 'getPreferences' | 'projectWriting' | 'bestHours'>; clock: Clock }): WritingReports {
  const { store, clock } = deps;
  /** The goal's zone, else the writer's preference, else UTC. */
  const zoneOf = async (userId: string, goal: WritingGoal | null) => writerZone(goal, goal ? null : await store.getPreferences(userId));

  return {
    async goalProgress(userId, projectId) {
      const goal = await store.getGoal(userId, projectId);
      const timeZone = await zoneOf(userId, goal);
      const day = dayIn(timeZone, clock.now());
      const report = await store.projectWriting({ projectId, fromDay: day, toDay: day, timeZone, userId });
      const writer = report.writers.find((w) => w.userId === userId);
      const words = writer?.days.find((d) => d.day === day)?.wordsNet ?? 0;
      return { goal, timeZone, today: { day, words, met: goal ? words >= goal.dailyWords : words > 0 }, currentStreak: writer?.currentStreak ?? 0 };
    },

    async bestHours(userId, projectId, requested) {
      const timeZone = canonicalTimeZone(requested ?? (await zoneOf(userId, await store.getGoal(userId, projectId)))) ?? 'UTC';
      const since = clock.now() - BEST_HOURS_DAYS * 86_400_000;
      const hours = await store.bestHours({ userId, projectId, since, timeZone });
      const top = hours.reduce((a, b) => (b.words > a.words ? b : a));
      return { timeZone, since, hours, best: top.words > 0 ? top.hour : null };
    },
  };
}

import { createRoute, z } from '@hono/zod-openapi';
import { roleIn, type Identity } from '../../lib/identity.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { canonicalTimeZone } from '../../lib/time-zones.js';
import { parseDay } from '../../tracking/calendar.js';
import type { Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import type { WritingReports } from '../../services/reports/writing-reports.js';
import type { WritingGoal, WritingStore } from '../../services/writing/ports.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import { BODY_LIMITS, limitBody } from '../middleware/body-limit.js';
import { errors as pickErrors, json } from '../schemas.js';
import { access } from '../access.js';
import { ResourceId as ProjectId, UserId } from '../params.js';
import { canSeeWriterNumbers } from '../../lib/visibility.js';

/** What the writing goal, preference and analytics routes need. */
export interface WritingAnalyticsDeps {
  verifier: TokenVerifier;
  store: WritingStore;
  clock: Clock;
  /** Goal progress and best hours (services/reports). */
  reports: WritingReports;
}

export { ResourceId as ProjectId, UserId } from '../params.js';
export const TimeZone = z
  .string()
  .refine((v) => canonicalTimeZone(v) !== null, { message: 'not an IANA time zone (e.g. "Europe/Paris")' })
  .openapi({ example: 'Europe/Paris' });
export const Day = z
  .string()
  .refine((v) => parseDay(v) !== null, { message: 'not a calendar date (YYYY-MM-DD)' })
  .openapi({ example: '2025-03-10' });
/** 503: REAL_TIME_TRACKING_ENABLED is off. */
export const errors = pickErrors(400, 401, 403, 413, 503);

/**
 * Whose numbers the caller may read in a project: their own with any role there; anyone's as
 * the project owner (or with an admin service token). Throws AppError 'forbidden' otherwise.
 */
export function authorizeWriter(identity: Identity, projectId: string, userId: string): void {
  if (!roleIn(identity, projectId) && !identity.admin) throw new AppError('forbidden', `No role in project ${projectId}`, { projectId });
  if (!canSeeWriterNumbers(identity, projectId, userId)) {
    throw new AppError('forbidden', "Only the project's owners see other writers' numbers", { projectId, userId });
  }
}

const Goal = z
  .object({ userId: z.string(), projectId: z.string(), dailyWords: z.number().int(), timeZone: z.string(), updatedAt: z.string() })
  .openapi('WritingGoal');
const Preferences = z
  .object({ userId: z.string(), analyticsOptOut: z.boolean(), timeZone: z.string() })
  .openapi('WritingPreferences');
const Progress = z
  .object({
    goal: Goal.nullable(),
    timeZone: z.string(),
    today: z.object({
      day: z.string(),
      words: z.number().int().openapi({ description: 'net words written today in the project' }),
      met: z.boolean().openapi({ description: 'today counts toward the streak: the goal is reached (any net words without a goal)' }),
    }),
    currentStreak: z.number().int(),
  })
  .openapi('WritingGoalProgress');

const putGoal = createRoute({
  method: 'put',
  path: '/api/realtime/writing/goals/{projectId}',
  tags: ['writing'],
  summary: 'Set your daily word goal in a project (streak days count in its time zone)',
  ...access('project:read'),
  security: [{ bearer: [] }],
  request: {
    params: z.object({ projectId: ProjectId }),
    body: { required: true, content: { 'application/json': { schema: z.object({ dailyWords: z.number().int().min(1).max(100_000), timeZone: TimeZone }) } } },
  },
  responses: { 200: json(Goal, 'the stored goal'), ...errors },
});

const getGoal = createRoute({
  method: 'get',
  path: '/api/realtime/writing/goals/{projectId}',
  tags: ['writing'],
  summary: "Your goal and today's progress (owners: any writer's, with ?userId=)",
  ...access('project:read'),
  security: [{ bearer: [] }],
  request: { params: z.object({ projectId: ProjectId }), query: z.object({ userId: UserId.optional() }) },
  responses: { 200: json(Progress, 'goal, today and streak'), ...errors },
});

const putPreferences = createRoute({
  method: 'put',
  path: '/api/realtime/writing/preferences',
  tags: ['writing'],
  summary: 'Your analytics preferences: opt out of tracking, and your time zone',
  ...access('authenticated'),
  security: [{ bearer: [] }],
  request: {
    body: { required: true, content: { 'application/json': { schema: z.object({ analyticsOptOut: z.boolean(), timeZone: TimeZone.optional() }) } } },
  },
  responses: { 200: json(Preferences, 'the stored preferences'), ...errors },
});

const getPreferences = createRoute({
  method: 'get',
  path: '/api/realtime/writing/preferences',
  tags: ['writing'],
  summary: 'Your analytics preferences (defaults when never set)',
  ...access('authenticated'),
  security: [{ bearer: [] }],
  responses: { 200: json(Preferences, 'preferences'), ...errors },
});

/** Goals (per writer and project) and preferences (per writer): always the caller's own to set. */
export function writingGoalRoutes(deps: WritingAnalyticsDeps): ApiApp {
  const app = createResourceApp();
  const auth = requireIdentity(deps.verifier);
  const limit = limitBody(BODY_LIMITS.small);
  app.use('/api/realtime/writing/goals/:projectId', auth, limit);
  app.use('/api/realtime/writing/preferences', auth, limit);

  app.openapi(putGoal, async (c) => {
    const { projectId } = c.req.valid('param');
    const body = c.req.valid('json');
    const identity = c.get('identity');
    if (!roleIn(identity, projectId) && !identity.admin) throw new AppError('forbidden', `No role in project ${projectId}`, { projectId });
    const goal = await deps.store.setGoal({ userId: identity.userId, projectId, dailyWords: body.dailyWords, timeZone: body.timeZone });
    return c.json(presentGoal(goal), 200);
  });

  app.openapi(getGoal, async (c) => {
    const { projectId } = c.req.valid('param');
    const identity = c.get('identity');
    const userId = c.req.valid('query').userId ?? identity.userId;
    authorizeWriter(identity, projectId, userId);
    const progress = await deps.reports.goalProgress(userId, projectId);
    return c.json({ ...progress, goal: progress.goal ? presentGoal(progress.goal) : null }, 200);
  });

  app.openapi(putPreferences, async (c) => {
    const body = c.req.valid('json');
    const { userId } = c.get('identity');
    const timeZone = body.timeZone ?? (await deps.store.getPreferences(userId))?.timeZone ?? 'UTC';
    return c.json(await deps.store.setPreferences({ userId, analyticsOptOut: body.analyticsOptOut, timeZone }), 200);
  });

  app.openapi(getPreferences, async (c) => {
    const { userId } = c.get('identity');
    return c.json((await deps.store.getPreferences(userId)) ?? { userId, analyticsOptOut: false, timeZone: 'UTC' }, 200);
  });
  return app;
}

function presentGoal(goal: WritingGoal): z.infer<typeof Goal> {
  return { ...goal, updatedAt: new Date(goal.updatedAt).toISOString() };
}

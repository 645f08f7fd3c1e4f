import { createRoute, z } from '@hono/zod-openapi';
import { WRITING_STATES } from '../../tracking/writing/session-types.js';
import { canonicalTimeZone } from '../../lib/time-zones.js';
import { addDays, dayIn, daysBetween } from '../../tracking/calendar.js';
import { AppError } from '../../lib/errors.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { requireIdentity } from '../middleware/auth.js';
import {
  Day,
  ProjectId,
  TimeZone,
  UserId,
  authorizeWriter,
  errors,
  type WritingAnalyticsDeps,
} from './writing-goals.js';
import { json } from '../schemas.js';
import { access } from '../access.js';
import { canSeeAllWriterNumbers } from '../../lib/visibility.js';

export type { WritingAnalyticsDeps } from './writing-goals.js';

/** The longest report range: a year and then some. */
export const MAX_REPORT_DAYS = 400;
const DEFAULT_REPORT_DAYS = 30;
const BEST_HOURS_DAYS = 30;

const DayWords = z
  .object({ userId: z.string(), day: z.string(), wordsAdded: z.number().int(), wordsRemoved: z.number().int(), wordsNet: z.number().int(), activeSeconds: z.number().int() })
  .openapi('WritingDay');
const WriterReport = z
  .object({
    userId: z.string(),
    days: z.array(DayWords).openapi({ description: 'days with activity, ascending; missing days had none' }),
    sessions: z.number().int(),
    timeInState: z.object(Object.fromEntries(WRITING_STATES.map((s) => [s, z.number()])) as Record<(typeof WRITING_STATES)[number], z.ZodNumber>),
    writingMs: z.number(),
    composedWords: z.number().int(),
    wordsPerHour: z.number().nullable(),
    currentStreak: z.number().int(),
    longestStreak: z.number().int(),
  })
  .openapi('WriterReport');
const Report = z
  .object({ projectId: z.string(), from: z.string(), to: z.string(), timeZone: z.string(), writers: z.array(WriterReport) })
  .openapi('ProjectWritingReport');
const BestHours = z
  .object({
    projectId: z.string(),
    userId: z.string(),
    timeZone: z.string(),
    since: z.string(),
    hours: z.array(z.object({ hour: z.number().int(), words: z.number().int() })).length(24),
    best: z.number().int().nullable().openapi({ description: 'the hour of day with the most net words; null without any' }),
  })
  .openapi('WritingBestHours');

const projectWriting = createRoute({
  method: 'get',
  path: '/api/realtime/analytics/project/{projectId}/writing',
  tags: ['analytics'],
  summary: 'Words per day, sessions, time in each state, pace and streaks per writer',
  ...access('project:read'),
  description:
    'Owners see every writer (or one, with userId); other members see only themselves. `from`/`to` are inclusive ' +
    `calendar days in \`tz\` (default: the last ${DEFAULT_REPORT_DAYS} days up to today; at most ${MAX_REPORT_DAYS} days). ` +
    "`tz` defaults to the caller's preferred time zone, else UTC. Streaks count in each writer's own zone.",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ projectId: ProjectId }),
    query: z.object({ from: Day.optional(), to: Day.optional(), tz: TimeZone.optional(), userId: UserId.optional() }),
  },
  responses: { 200: json(Report, 'the report'), ...errors },
});

const bestHours = createRoute({
  method: 'get',
  path: '/api/realtime/analytics/project/{projectId}/writers/{userId}/best-hours',
  tags: ['analytics'],
  summary: `A writer's net words by hour of day over the last ${BEST_HOURS_DAYS} days (self or project owner)`,
  ...access('self-or-owner'),
  description: "`tz` defaults to the writer's own zone (goal, then preference, then UTC).",
  security: [{ bearer: [] }],
  request: { params: z.object({ projectId: ProjectId, userId: UserId }), query: z.object({ tz: TimeZone.optional() }) },
  responses: { 200: json(BestHours, '24 hours'), ...errors },
});

/** Writing analytics: the project report and best hours (goals and preferences: writing-goals.ts). */
export function writingAnalyticsRoutes(deps: WritingAnalyticsDeps): ApiApp {
  const app = createResourceApp();
  app.use('/api/realtime/analytics/project/*', requireIdentity(deps.verifier));

  app.openapi(projectWriting, async (c) => {
    const { projectId } = c.req.valid('param');
    const q = c.req.valid('query');
    const identity = c.get('identity');
    authorizeWriter(identity, projectId, q.userId ?? identity.userId);
    const everyone = q.userId === undefined && canSeeAllWriterNumbers(identity, projectId);
    const timeZone = canonicalTimeZone(q.tz ?? (await deps.store.getPreferences(identity.userId))?.timeZone ?? 'UTC') ?? 'UTC';
    const to = q.to ?? dayIn(timeZone, deps.clock.now());
    const from = q.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
    if (from > to) throw invalid('from', 'from is after to', { from, to });
    if (daysBetween(from, to) >= MAX_REPORT_DAYS) throw invalid('from', `the range spans more than ${MAX_REPORT_DAYS} days`, { from, to });
    const report = await deps.store.projectWriting({
      projectId,
      fromDay: from,
      toDay: to,
      timeZone,
      ...(everyone ? {} : { userId: q.userId ?? identity.userId }),
    });
    return c.json(report, 200);
  });

  app.openapi(bestHours, async (c) => {
    const { projectId, userId } = c.req.valid('param');
    const identity = c.get('identity');
    authorizeWriter(identity, projectId, userId);
    const { tz } = c.req.valid('query');
    const { timeZone, since, hours, best } = await deps.reports.bestHours(userId, projectId, tz);
    return c.json({ projectId, userId, timeZone, since: new Date(since).toISOString(), hours, best }, 200);
  });
  return app;
}

/** Same details shape as the schema validation errors. */
function invalid(path: string, message: string, extra: Record<string, unknown>): AppError {
  return new AppError('validation-failed', message, { issues: [{ path, message }], ...extra });
}

import { z } from 'zod';
import { countWords } from '../../../tracking/writing/word-rule.js';
import { textOf } from '../../../manuscript/chapters.js';
import { systemClock, type Clock } from '../../../lib/clock.js';
import { canonicalTimeZone } from '../../../lib/time-zones.js';
import { addDays, dayIn, dayRange, dayStart } from '../../../tracking/calendar.js';
import type { Json } from '../../../workflows/definition.js';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import { bookDocumentIds } from './book.js';
import { asActionError } from './errors.js';
import type { ManuscriptPort, SalesReadPort, WritingReadPort } from './ports.js';
import { resourceId } from './ids.js';

const userId = resourceId;
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
/** ms since the epoch, or an ISO date-time (what `{{trigger.event.occurredAt}}` gives). */
const zone = z
  .string()
  .min(1)
  .max(64)
  .refine((v) => canonicalTimeZone(v) !== null, { message: 'unknown time zone (an IANA name such as Europe/Berlin)' })
  .default('UTC');
const instant = z.union([z.number().int().min(0), z.iso.datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/**
 * The `database` action's operations: named, parameterized reads of ours over ports, always in
 * the run's project. A definition picks an operation by name and gives its parameters; it never
 * carries SQL. Add an operation here (with its parameter schema) to make it available.
 */
const operations = z.discriminatedUnion('operation', [
  /** Words per day per writer, sessions, pace and streaks for [from, to] in a zone (the writing report). */
  z.strictObject({ operation: z.literal('writing.report'), params: z.strictObject({ from: day, to: day, timeZone: z.string().min(1).max(64).default('UTC'), userId: userId.optional() }) }),
  /** Net words of one writer in the project in [from, to). */
  z.strictObject({ operation: z.literal('writing.words'), params: z.strictObject({ userId, from: instant, to: instant }) }),
  /** The writer's daily goal and today's words in the goal's zone. */
  z.strictObject({ operation: z.literal('writing.goal_progress'), params: z.strictObject({ userId }) }),
  /** Every writer's goal in the project. */
  z.strictObject({ operation: z.literal('writing.goals'), params: z.strictObject({}).default({}) }),
  /** Words of each document (current text) and their total. */
  z.strictObject({ operation: z.literal('project.words'), params: z.strictObject({ documents: z.array(userId).max(1000).optional() }).default({}) }),
  /**
   * Units sold per day (in `timeZone`) today and on the `days` days before, from the project's
   * archived publishing.sales_recorded events, with the median of those days. `include` is the
   * triggering sale: counted once whether or not the archive has stored it yet.
   */
  z.strictObject({
    operation: z.literal('sales.daily'),
    params: z.strictObject({
      days: z.number().int().min(1).max(31).default(7),
      timeZone: zone,
      include: z.strictObject({ eventId: z.string().min(1).max(128), occurredAt: instant, units: z.number().int() }).optional(),
    }),
  }),
  /** The last `days` full days (ending yesterday in `timeZone`): words, writers, sessions and a summary text. */
  z.strictObject({
    operation: z.literal('writing.digest'),
    params: z.strictObject({ days: z.number().int().min(1).max(31).default(7), timeZone: zone, userId: userId.optional() }),
  }),
]);

export const DATABASE_OPERATIONS = ['writing.report', 'writing.words', 'writing.goal_progress', 'writing.goals', 'project.words', 'sales.daily', 'writing.digest'] as const;

const output = z.strictObject({ operation: z.string(), result: z.unknown() });

export interface DatabaseDeps {
  writing: WritingReadPort;
  manuscripts: ManuscriptPort;
  /** "Today" for sales.daily and writing.digest (default: the system clock). */
  clock?: Clock;
  /** The audit archive's sales (createArchiveSales); without it `sales.daily` fails its step. */
  sales?: SalesReadPort;
}

export function createDatabaseAction(deps: DatabaseDeps): ActionHandler {
  return {
    spec: {
      name: 'database',
      description: `Runs a named read operation in the run's project: ${DATABASE_OPERATIONS.join(', ')} (never SQL).`,
      input: operations,
      output,
    },
    async run(raw, ctx) {
      const args = operations.parse(raw);
      const projectId = ctx.projectId;
      let result: unknown;
      try {
        switch (args.operation) {
          case 'writing.report': {
            const p = args.params;
            result = await deps.writing.projectWriting({ projectId, fromDay: p.from, toDay: p.to, timeZone: p.timeZone, ...(p.userId ? { userId: p.userId } : {}) });
            break;
          }
          case 'writing.words':
            result = { words: await deps.writing.wordsBetween(args.params.userId, projectId, args.params.from, args.params.to) };
            break;
          case 'writing.goal_progress':
            result = await deps.writing.goalProgress(args.params.userId, projectId);
            break;
          case 'writing.goals':
            result = { goals: await deps.writing.listGoals(projectId) };
            break;
          case 'project.words': {
            const ids = await bookDocumentIds(deps.manuscripts, projectId, args.params.documents);
            const documents: { documentId: string; words: number }[] = [];
            for (const documentId of ids) {
              const doc = await deps.manuscripts.read({ projectId, documentId });
              documents.push({ documentId, words: countWords((doc.content.content ?? []).map(textOf).join('\n')) });
            }
            result = { documents, total: documents.reduce((sum, d) => sum + d.words, 0) };
            break;
          }
          case 'sales.daily':
            result = await salesDaily(deps, projectId, args.params);
            break;
          case 'writing.digest':
            result = await writingDigest(deps, projectId, args.params);
            break;
        }
      } catch (error) {
        throw asActionError('database', error);
      }
      // Outputs are checkpointed as JSON: drop undefined fields the stores may leave.
      return { operation: args.operation, result: JSON.parse(JSON.stringify(result ?? null)) as Json };
    },
  };
}

async function salesDaily(deps: DatabaseDeps, projectId: string, p: { days: number; timeZone: string; include?: { eventId: string; occurredAt: number; units: number } | undefined }) {
  if (!deps.sales) throw new ActionError('database: sales.daily needs the audit archive, which this server does not wire', { permanent: true });
  const today = dayIn(p.timeZone, (deps.clock ?? systemClock).now());
  const first = addDays(today, -p.days);
  const from = dayStart(first, p.timeZone);
  const to = dayRange(today, p.timeZone).to;
  const sales = await deps.sales.salesBetween(projectId, from, to);
  const include = p.include;
  if (include && include.occurredAt >= from && include.occurredAt < to && !sales.some((s) => s.eventId === include.eventId)) {
    sales.push({ eventId: include.eventId, occurredAt: include.occurredAt, units: include.units });
  }
  const byDay = new Map<string, number>();
  for (const sale of sales) {
    const day = dayIn(p.timeZone, sale.occurredAt);
    byDay.set(day, (byDay.get(day) ?? 0) + sale.units);
  }
  const previous = Array.from({ length: p.days }, (_, i) => addDays(first, i)).map((day) => ({ day, units: byDay.get(day) ?? 0 }));
  const median = medianOf(previous.map((d) => d.units));
  const units = byDay.get(today) ?? 0;
  // Against a baseline of at least one unit a day, so a first sale after a quiet week has a finite ratio.
  const ratio = Math.round((Math.max(0, units) / Math.max(1, median)) * 100) / 100;
  return { timeZone: p.timeZone, today: { day: today, units }, previous, median, ratio };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function writingDigest(deps: DatabaseDeps, projectId: string, p: { days: number; timeZone: string; userId?: string | undefined }) {
  const today = dayIn(p.timeZone, (deps.clock ?? systemClock).now());
  const fromDay = addDays(today, -p.days);
  const toDay = addDays(today, -1);
  const report = await deps.writing.projectWriting({ projectId, fromDay, toDay, timeZone: p.timeZone, ...(p.userId ? { userId: p.userId } : {}) });
  const writers = report.writers
    .map((w) => ({ userId: w.userId, words: w.days.reduce((sum, d) => sum + d.wordsNet, 0), sessions: w.sessions, currentStreak: w.currentStreak }))
    .filter((w) => w.words !== 0 || w.sessions > 0)
    .sort((a, b) => b.words - a.words);
  const words = writers.reduce((sum, w) => sum + w.words, 0);
  const sessions = writers.reduce((sum, w) => sum + w.sessions, 0);
  const lines = [
    `${fromDay} to ${toDay} (${p.timeZone}): ${words} words (net) by ${writers.length} writer${writers.length === 1 ? '' : 's'} in ${sessions} session${sessions === 1 ? '' : 's'}.`,
    ...writers.map((w) => `- ${w.userId}: ${w.words} words, ${w.sessions} sessions, streak ${w.currentStreak} days`),
  ];
  return {
    periodStart: new Date(dayStart(fromDay, p.timeZone)).toISOString(),
    periodEnd: new Date(dayRange(toDay, p.timeZone).to).toISOString(),
    words,
    sessions,
    writers: writers.length,
    perWriter: writers,
    summary: writers.length === 0 ? `${lines[0]} No writing this week.` : lines.join('\n'),
  };
}

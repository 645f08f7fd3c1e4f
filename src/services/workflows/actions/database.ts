import { z } from 'zod';
import { countWords } from '../../../tracking/writing/word-rule.js';
import { textOf } from '../../../manuscript/chapters.js';
import type { Json } from '../../../workflows/definition.js';
import type { ActionHandler } from '../action-handlers.js';
import { bookDocumentIds } from './book.js';
import { asActionError } from './errors.js';
import type { ManuscriptPort, WritingReadPort } from './ports.js';

const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ -');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
/** ms since the epoch, or an ISO date-time (what `{{trigger.event.occurredAt}}` gives). */
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
]);

export const DATABASE_OPERATIONS = ['writing.report', 'writing.words', 'writing.goal_progress', 'writing.goals', 'project.words'] as const;

const output = z.strictObject({ operation: z.string(), result: z.unknown() });

export function createDatabaseAction(deps: { writing: WritingReadPort; manuscripts: ManuscriptPort }): ActionHandler {
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
        }
      } catch (error) {
        throw asActionError('database', error);
      }
      // Outputs are checkpointed as JSON: drop undefined fields the stores may leave.
      return { operation: args.operation, result: JSON.parse(JSON.stringify(result ?? null)) as Json };
    },
  };
}

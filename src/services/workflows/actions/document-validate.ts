import { z } from 'zod';
import { ActionError, type ActionHandler } from '../action-handlers.js';
import { bookChapters, bookDocumentIds, readBook } from './book.js';
import type { ManuscriptPort } from './ports.js';
import { resourceId } from './ids.js';

const id = resourceId;

const input = z.strictObject({
  /** Document ids in reading order; default: every document of the project. */
  documents: z.array(id).max(1000).optional(),
  minChapters: z.number().int().min(0).max(10_000).default(1),
  /** Words the whole manuscript needs at least. */
  minWords: z.number().int().min(0).max(10_000_000).default(1),
  /** Words of text (the opening heading aside) each chapter needs; below it a chapter counts as empty. */
  minChapterWords: z.number().int().min(0).max(1_000_000).default(1),
  /** Fail the step when a problem is found (true); false returns {ok: false, problems} for a later `condition`. */
  failWhenNotOk: z.boolean().default(true),
  /** Words of the manuscript's beginning returned as `excerpt` (e.g. for the `ai` action). */
  excerptWords: z.number().int().min(0).max(5000).default(600),
});

const problem = z.strictObject({ code: z.enum(['too-few-chapters', 'empty-chapter', 'too-few-words']), message: z.string(), chapter: z.number().int().optional() });

const output = z.strictObject({
  ok: z.boolean(),
  problems: z.array(problem),
  words: z.number().int(),
  chapters: z.array(z.strictObject({ title: z.string(), words: z.number().int() })),
  /** The first chapter's title (a book's usual title page or opening heading). */
  title: z.string(),
  excerpt: z.string(),
});

/** At most this many problems are listed (a 500-chapter draft of empty chapters is one message). */
const MAX_PROBLEMS = 50;

/**
 * `document.validate`: the manuscript's structure before publishing: enough chapters, no empty
 * chapter, enough words. The chapters are the export's (manuscript/chapters.ts), so what passes
 * here is what the EPUB will contain.
 */
export function createDocumentValidateAction(deps: { manuscripts: ManuscriptPort }): ActionHandler {
  return {
    spec: {
      name: 'document.validate',
      description: 'Checks the manuscript (all project documents, or the given ones): chapters, empty chapters, minimum words; fails when not ok unless failWhenNotOk is false.',
      input,
      output,
    },
    async run(raw, ctx) {
      const args = input.parse(raw);
      const ids = await bookDocumentIds(deps.manuscripts, ctx.projectId, args.documents);
      const chapters = bookChapters(await readBook(deps.manuscripts, ctx.projectId, ids, ctx.signal));
      const words = chapters.reduce((sum, c) => sum + c.words, 0);
      const problems: z.infer<typeof problem>[] = [];
      if (chapters.length < args.minChapters) problems.push({ code: 'too-few-chapters', message: `${chapters.length} chapters; at least ${args.minChapters} needed` });
      chapters.forEach((c, i) => {
        if (c.bodyWords < args.minChapterWords) {
          problems.push({ code: 'empty-chapter', message: `chapter ${i + 1} "${c.title.slice(0, 80)}" has ${c.bodyWords} words of text; at least ${args.minChapterWords} needed`, chapter: i + 1 });
        }
      });
      if (words < args.minWords) problems.push({ code: 'too-few-words', message: `${words} words; at least ${args.minWords} needed` });
      const listed = problems.slice(0, MAX_PROBLEMS);
      if (problems.length > MAX_PROBLEMS) listed.push({ code: problems.at(-1)!.code, message: `… and ${problems.length - MAX_PROBLEMS} more problems` });
      if (listed.length > 0 && args.failWhenNotOk) {
        throw new ActionError(`document.validate: ${listed.length === 1 ? 'a problem' : `${problems.length} problems`}: ${listed.slice(0, 10).map((p) => p.message).join('; ')}`, { permanent: true });
      }
      return {
        ok: listed.length === 0,
        problems: listed,
        words,
        chapters: chapters.map((c) => ({ title: c.title, words: c.words })),
        title: chapters[0]?.title ?? '',
        excerpt: excerptOf(chapters.map((c) => c.text).join('\n'), args.excerptWords),
      };
    },
  };
}

/** The first `words` whitespace-separated words, keeping line breaks (a title line stays a line). */
export function excerptOf(text: string, words: number): string {
  if (words === 0) return '';
  const out: string[] = [];
  let count = 0;
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/).filter((w) => w !== '');
    if (parts.length === 0) continue;
    const room = words - count;
    out.push(parts.slice(0, room).join(' '));
    count += Math.min(room, parts.length);
    if (count >= words) break;
  }
  return out.join('\n');
}

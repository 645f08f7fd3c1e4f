import { bigint, boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * The word journal: a writer's words of one logged update, written durably with the update's
 * log row (same transaction on Postgres; with the embedded file log, the words travel in the
 * log record and are copied here before the ack and again, idempotently, after a restart).
 * The minute buckets are folded from it (src/db/repositories/word-journal.ts), so words
 * acknowledged to a writer survive `kill -9` (docs/architecture.md, "Words as durable as edits").
 *
 * `log_seq` is the seq of the update's log row (document_updates.seq, or the file log's seq).
 * `replayable` rows came from the file log: a restart may offer them again, so once counted they
 * stay (counted = true) until their log record is durably gone; other rows are deleted when
 * counted.
 */
export const writingWordJournal = pgTable(
  'writing_word_journal',
  {
    logSeq: bigint('log_seq', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    projectId: text('project_id').notNull(),
    documentId: text('document_id').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    wordsAdded: integer('words_added').notNull(),
    wordsRemoved: integer('words_removed').notNull(),
    wordsNet: integer('words_net').notNull(),
    replayable: boolean('replayable').notNull().default(false),
    counted: boolean('counted').notNull().default(false),
  },
  // The fold reads the rows not yet counted, oldest first.
  (t) => [index('writing_word_journal_uncounted_idx').on(t.logSeq).where(sql`not ${t.counted}`)],
);

import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Which logged updates' words are journaled already, by a key every instance computes alike
 * (the Yjs struct ranges and deletions the update applied: tracking/update-key.ts). With several
 * instances an update reaches the others through Redis before its log row commits; if its
 * instance dies before the commit, another instance journals its words instead
 * (collab/relayed-words.ts). Whichever commits the key first journals the words; the other's
 * journal rows are skipped, so a word is counted once. Rows are only needed while an update may
 * still be in flight somewhere: they are pruned after minutes.
 */
export const writingWordKeys = pgTable(
  'writing_word_keys',
  {
    key: text('key').primaryKey(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('writing_word_keys_created_idx').on(t.createdAt)],
);

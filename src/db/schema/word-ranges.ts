import { bigint, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Which inserted Yjs struct ranges have their words journaled, and how many words that journal
 * row credited (several instances). An update reaches the other instances through Redis before
 * its log row commits; if its instance dies in between, another instance journals its words
 * instead (collab/relayed-words.ts), while the author may re-send the same structs (merged with
 * others) to a restarted instance. Ranges, not whole updates, are what every instance agrees on:
 * an append skips words whose ranges a claim already covers and subtracts the words of claims
 * inside its own ranges (db/repositories/word-keys.ts), under a per-document lock, so a word is
 * counted once. Rows matter only while an update may still be in flight: pruned after minutes.
 */
export const writingWordRanges = pgTable(
  'writing_word_ranges',
  {
    documentName: text('document_name').notNull(),
    clientId: bigint('client_id', { mode: 'number' }).notNull(),
    clockFrom: bigint('clock_from', { mode: 'number' }).notNull(),
    clockTo: bigint('clock_to', { mode: 'number' }).notNull(),
    userId: text('user_id').notNull(),
    wordsAdded: integer('words_added').notNull(),
    wordsRemoved: integer('words_removed').notNull(),
    wordsNet: integer('words_net').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('writing_word_ranges_client_idx').on(t.documentName, t.clientId, t.clockTo), index('writing_word_ranges_created_idx').on(t.createdAt)],
);

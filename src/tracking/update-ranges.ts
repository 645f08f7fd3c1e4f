/**
 * The Yjs struct ranges one transaction inserted: per client id, the clocks from its state
 * before to its state after. Every replica that applies the same structs computes the same
 * ranges, however the updates that carried them were split or merged (a re-send after a crash
 * merges several), which is how instances agree on whose words are journaled already
 * (db/schema/word-ranges.ts).
 */
import type * as Y from 'yjs';

export interface InsertedRange {
  client: number;
  /** First clock inserted. */
  from: number;
  /** One past the last clock inserted. */
  to: number;
}

export function insertedRanges(tr: Y.Transaction): InsertedRange[] {
  const ranges: InsertedRange[] = [];
  for (const [client, to] of tr.afterState) {
    const from = tr.beforeState.get(client) ?? 0;
    if (to > from) ranges.push({ client, from, to });
  }
  return ranges.sort((a, b) => a.client - b.client);
}

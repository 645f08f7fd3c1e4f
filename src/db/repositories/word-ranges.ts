import { and, eq, gt, lt, or, sql } from 'drizzle-orm';
import type { RecordWords, UpdateRecord, WordRange, WordRangeStore } from '../document-store.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { writingWordRanges } from '../schema/word-ranges.js';

/**
 * Journaled struct ranges (db/schema/word-ranges.ts), so that with several instances an
 * update's words are journaled once, whether by the instance its writer sent it to, by one it
 * was relayed to (collab/relayed-words.ts), or by a restarted one the writer re-sent it to
 * merged with other updates. An append's words for some ranges are:
 * - nothing, if one claim already covers each of its ranges (it was journaled, whole or as part
 *   of a bigger update);
 * - its words minus those of the same writer's claims inside its ranges (it merges updates
 *   journaled one by one: net words add up over consecutive updates), otherwise.
 */

type Claim = typeof writingWordRanges.$inferSelect;
interface Item {
  documentName: string;
  ranges: readonly WordRange[];
}

/** Claims of the items' documents and clients overlapping any of their ranges. */
async function overlapping(db: DrizzleDatabase, items: readonly Item[]): Promise<Claim[]> {
  const bounds = new Map<string, { documentName: string; client: number; from: number; to: number }>();
  for (const item of items) {
    for (const r of item.ranges) {
      const key = `${item.documentName}\u0000${r.client}`;
      const b = bounds.get(key);
      if (b === undefined) bounds.set(key, { documentName: item.documentName, client: r.client, from: r.from, to: r.to });
      else bounds.set(key, { ...b, from: Math.min(b.from, r.from), to: Math.max(b.to, r.to) });
    }
  }
  if (bounds.size === 0) return [];
  const w = writingWordRanges;
  const where = [...bounds.values()].map((b) => and(eq(w.documentName, b.documentName), eq(w.clientId, b.client), gt(w.clockTo, b.from), lt(w.clockFrom, b.to)));
  return db.select().from(w).where(or(...where));
}

const sameClient = (c: Claim, documentName: string, r: WordRange) => c.documentName === documentName && c.clientId === r.client;

/** Whether each of `ranges` lies inside one claim. */
function isCovered(claims: readonly Claim[], documentName: string, ranges: readonly WordRange[]): boolean {
  return ranges.every((r) => claims.some((c) => sameClient(c, documentName, r) && c.clockFrom <= r.from && c.clockTo >= r.to));
}

/** The words of `userId` not journaled yet for `ranges`: `words` minus the claims inside them. */
function remaining(claims: readonly Claim[], documentName: string, userId: string, ranges: readonly WordRange[], words: RecordWords): RecordWords {
  const left = { ...words };
  for (const c of claims) {
    if (c.userId !== userId || !ranges.some((r) => sameClient(c, documentName, r) && c.clockFrom >= r.from && c.clockTo <= r.to)) continue;
    left.added -= c.wordsAdded;
    left.removed -= c.wordsRemoved;
    left.net -= c.wordsNet;
  }
  return left;
}

/**
 * Claims the ranges of the records that carry them, inside the append's transaction, and returns
 * the records with the words left to journal (none for covered ones). Serialized per document
 * (an advisory lock held to the commit), so two instances never both find a range unclaimed.
 */
export async function claimWordRanges(tx: DrizzleDatabase, records: readonly UpdateRecord[]): Promise<UpdateRecord[]> {
  const ranged = records.filter((r) => r.wordRanges !== undefined && r.wordRanges.length > 0 && r.words !== undefined && r.userId !== null);
  if (ranged.length === 0) return [...records];
  const names = [...new Set(ranged.map((r) => r.documentName))].sort();
  for (const name of names) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'storyloom-words:' + name}))`);
  const claims = await overlapping(tx, ranged.map((r) => ({ documentName: r.documentName, ranges: r.wordRanges! })));
  const fresh: (typeof writingWordRanges.$inferInsert)[] = [];
  const out = records.map((record) => {
    const { wordRanges: ranges, words, userId, documentName } = record;
    if (ranges === undefined || ranges.length === 0 || words === undefined || userId === null) return record;
    if (isCovered(claims, documentName, ranges)) {
      const { words: _dropped, ...rest } = record;
      return rest;
    }
    const left = remaining(claims, documentName, userId, ranges, words);
    // Whole ranges, with the words this row journals on the first (so later subtractions add up).
    const rows = ranges.map((r, i) => ({ documentName, clientId: r.client, clockFrom: r.from, clockTo: r.to, userId, wordsAdded: i === 0 ? left.added : 0, wordsRemoved: i === 0 ? left.removed : 0, wordsNet: i === 0 ? left.net : 0, createdAt: new Date() }));
    fresh.push(...rows);
    claims.push(...rows);
    return { ...record, words: left };
  });
  for (let start = 0; start < fresh.length; start += 1_000) await tx.insert(writingWordRanges).values(fresh.slice(start, start + 1_000));
  return out;
}

export function createWordRangeRepository(db: DrizzleDatabase): WordRangeStore {
  return {
    async covered(items) {
      const claims = await overlapping(db, items);
      return items.map((item) => isCovered(claims, item.documentName, item.ranges));
    },
    async prune(before) {
      await db.delete(writingWordRanges).where(lt(writingWordRanges.createdAt, before));
    },
  };
}

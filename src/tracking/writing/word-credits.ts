/**
 * Whose words a transaction's are. A client's update is not always its own writing: after a
 * crash, a provider re-sends everything the server lacks, including another writer's keystroke it
 * received before that keystroke was committed. Crediting the connection that sent the update
 * would give that word to the wrong writer (or, when the author's own re-send is then a no-op, to
 * nobody twice over). So words are credited by the Yjs client id that inserted them
 * (TransactionWords.byClient), through the document's client id -> writer map; only what no
 * known client id names (deletions, ids never claimed) goes to the sender.
 */
import { SENDER_CLIENT, type TransactionWords, type UnitWords } from './word-index-types.js';

/** One writer's share of a transaction's words. */
export interface WordCredit extends UnitWords {
  userId: string;
}

/**
 * Splits `words` between writers: the parts of `byClient` whose client id `writerOf` knows go to
 * that writer, the rest to `sender`. Writers with nothing (0/0/0) are left out; the sender, when
 * credited, comes first. The credits add up to the transaction's words.
 */
export function creditWords(words: TransactionWords, sender: string, writerOf: (clientId: number) => string | undefined): WordCredit[] {
  const byUser = new Map<string, UnitWords>();
  const add = (userId: string, w: UnitWords): void => {
    const sum = byUser.get(userId) ?? { added: 0, removed: 0, net: 0 };
    sum.added += w.added;
    sum.removed += w.removed;
    sum.net += w.net;
    byUser.set(userId, sum);
  };
  if (words.byClient === undefined) {
    add(sender, { added: words.wordsAdded, removed: words.wordsRemoved, net: words.netWords });
  } else {
    byUser.set(sender, { added: 0, removed: 0, net: 0 });
    for (const [client, w] of words.byClient) add((client === SENDER_CLIENT ? undefined : writerOf(client)) ?? sender, w);
  }
  const credits: WordCredit[] = [];
  for (const [userId, w] of byUser) if (w.added !== 0 || w.removed !== 0 || w.net !== 0) credits.push({ userId, ...w });
  return credits;
}

/** Merges the per-client words of two transactions' worth of words (both roots of a document). */
export function mergeByClient(a: ReadonlyMap<number, UnitWords> | undefined, b: ReadonlyMap<number, UnitWords> | undefined, aWords: TransactionWords, bWords: TransactionWords): Map<number, UnitWords> | undefined {
  if (a === undefined && b === undefined) return undefined;
  const out = new Map<number, UnitWords>();
  const take = (m: ReadonlyMap<number, UnitWords> | undefined, w: TransactionWords): void => {
    const entries: [number, UnitWords][] = m === undefined ? [[SENDER_CLIENT, { added: w.wordsAdded, removed: w.wordsRemoved, net: w.netWords }]] : [...m];
    for (const [client, part] of entries) {
      const sum = out.get(client) ?? { added: 0, removed: 0, net: 0 };
      out.set(client, { added: sum.added + part.added, removed: sum.removed + part.removed, net: sum.net + part.net });
    }
  };
  take(a, aWords);
  take(b, bWords);
  return out;
}

/**
 * The one Yjs transaction tap per loaded document: feeds the word indexes every transaction,
 * resolves who made it, and hands one DocumentEdit to every consumer. The Hocuspocus extension
 * (extensions/document-tap.ts) only attaches and detaches it; tests drive this file directly with
 * a plain Y.Doc and Hocuspocus-shaped origins, so they exercise the production code path.
 */
import { isTransactionOrigin } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { DOCUMENT_EDIT, JOURNAL_WORDS, type DocumentEdit, type DocumentEditConsumer, type EditOrigin, type TouchedBlock } from '../tracking/document-edit.js';
import { touchOf } from '../tracking/collab/edit-blocks.js';
import { insertedRanges } from '../tracking/update-ranges.js';
import { creditWords, mergeByClient, type WordCredit } from '../tracking/writing/word-credits.js';
import { createParagraphWordIndex, type ParagraphWordIndex, type TransactionWords } from '../tracking/writing/word-count.js';
import type { CollabContext } from './context.js';

/** The roots words are counted in: TipTap/y-prosemirror's fragment, and a plain-text (Markdown) Y.Text. */
export const WRITING_ROOTS = { fragment: 'default', text: 'text' } as const;

/** The document a tap reports for (from the loading connection's CollabContext). */
export interface TapTarget {
  projectId: string;
  documentId: string;
}

/**
 * Shape of a root as stored, without defining it: a root nobody on the server has asked for yet
 * is a plain AbstractType; its first item says whether it holds blocks (a fragment) or text.
 */
function rootKind(doc: Y.Doc, name: string): 'fragment' | 'text' | 'empty' {
  const type = doc.share.get(name);
  if (type === undefined) return 'empty';
  if (type instanceof Y.XmlFragment) return 'fragment';
  if (type instanceof Y.Text) return 'text';
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    return item.content instanceof Y.ContentType ? 'fragment' : 'text';
  }
  return 'empty';
}

/** Who made a transaction, from Hocuspocus's origin and the connection's context (set by the auth extension). */
export function attributionOf(origin: unknown): { origin: EditOrigin; userId: string | null } {
  if (!isTransactionOrigin(origin)) return { origin: 'unknown', userId: null };
  if (origin.source !== 'connection') return { origin: origin.source, userId: null };
  const context: CollabContext | undefined = origin.connection.context;
  return { origin: 'connection', userId: context?.user?.userId ?? null };
}

/**
 * Taps `doc` until the returned function is called. Exactness guarantees (the word index's
 * contract, see ParagraphWordIndex):
 * - the indexes are fed from `afterTransaction` for EVERY transaction whatever its origin (they
 *   must see them all to stay exact, and right after it Yjs discards deleted text; Hocuspocus's
 *   onChange comes too late); attribution by origin happens only afterwards;
 * - the indexes are built at the document's first transaction after the tap, not at the tap (a
 *   novel's index takes ~35 ms, which readers who never type should not wait for while syncing);
 *   beforeTransaction runs before anything changes, so they start from the state the first
 *   counted edit is applied to. Loading from storage happens before the tap exists;
 * - nothing throws out of the listener (it runs inside Yjs's transaction cleanup, so an error
 *   would escape into whoever applied the update): a failing consumer is logged and the others
 *   still get the edit.
 *
 * The transaction is walked once per tap: each index reads its added/deleted items and the block
 * touch reads `changed`; the same DocumentEdit object goes to every consumer.
 */
export function tapDocument(
  doc: Y.Doc,
  target: TapTarget,
  deps: {
    clock: Clock;
    logger: Logger;
    consumers: () => readonly DocumentEditConsumer[];
    /** The writer who owns a Yjs client id of this document (services/writing/client-writers.ts), if known. */
    writerOf?: (clientId: number) => string | undefined;
    /** Give edits that changed words their `insertedRanges` (several instances share the log). */
    keyUpdates?: boolean;
  },
): () => void {
  const documentName = `${target.projectId}/${target.documentId}`;
  const indexes: ParagraphWordIndex[] = [];
  const build = (): void => {
    doc.off('beforeTransaction', build);
    // A root defined with the wrong type would throw for a later getText/getXmlFragment: only
    // define the shape the content already has (or the expected one for an empty document).
    if (rootKind(doc, WRITING_ROOTS.fragment) !== 'text') indexes.push(createParagraphWordIndex(doc.getXmlFragment(WRITING_ROOTS.fragment)));
    if (rootKind(doc, WRITING_ROOTS.text) !== 'fragment') indexes.push(createParagraphWordIndex(doc.getText(WRITING_ROOTS.text)));
  };
  // Roots nobody defined yet are defined here, outside any transaction: defining one runs a
  // transaction of its own, which inside `build` (a beforeTransaction handler) would re-enter
  // Doc.get and bind the index to a type the document then replaces.
  if (!doc.share.has(WRITING_ROOTS.fragment)) doc.getXmlFragment(WRITING_ROOTS.fragment);
  if (!doc.share.has(WRITING_ROOTS.text)) doc.getText(WRITING_ROOTS.text);
  doc.on('beforeTransaction', build);
  let failures = 0;
  const fail = (error: unknown, what: string): void => {
    // Logged a few times per document, not per keystroke: a broken index fails every time.
    if (failures++ < 3) deps.logger.error({ err: error, document: documentName }, what);
  };

  const listener = (tr: Y.Transaction): void => {
    try {
      let words: TransactionWords | null = null;
      const blockWords = new Map<string, number>();
      for (const index of indexes) {
        const w = index.applyTransaction(tr);
        if (w === null) continue;
        w.paragraphNetWords?.forEach((n, i) => blockWords.set(w.paragraphsTouched[i]!, n));
        words = words === null ? w : sum(words, w);
      }
      const consumers = deps.consumers();
      if (consumers.length === 0) return;
      const touch = touchOf(tr, WRITING_ROOTS.fragment);
      if (words === null && touch.blocks.length === 0 && touch.clientIds.length === 0) return;
      let documentWords = 0;
      for (const index of indexes) documentWords += index.totalWords;
      const blocks: TouchedBlock[] = touch.blocks.map((index, i) => {
        const key = touch.blockKeys[i]!;
        return { index, key, netWords: blockWords.get(key) ?? 0 };
      });
      const attribution = attributionOf(tr.origin);
      const journal = tr.meta.get(JOURNAL_WORDS) === true;
      const credits = journal ? foreignCredits(words, attribution.userId, deps.writerOf) : undefined;
      const ranges = deps.keyUpdates === true && words !== null ? insertedRanges(tr) : [];
      const edit: DocumentEdit = {
        projectId: target.projectId,
        documentId: target.documentId,
        documentName,
        ...attribution,
        at: deps.clock.now(),
        blocks,
        clientIds: touch.clientIds,
        words,
        netWords: words?.netWords ?? 0,
        documentWords,
        ...(credits !== undefined ? { credits } : journal ? { wordsJournaled: true } : {}),
        ...(ranges.length > 0 ? { insertedRanges: ranges } : {}),
      };
      tr.meta.set(DOCUMENT_EDIT, edit);
      for (const consume of consumers) {
        try {
          consume(edit);
        } catch (error) {
          fail(error, 'a document edit consumer failed');
        }
      }
    } catch (error) {
      fail(error, 'document tap failed for a transaction');
    }
  };
  doc.on('afterTransaction', listener);
  return () => {
    doc.off('afterTransaction', listener);
    doc.off('beforeTransaction', build);
  };
}

/**
 * A journaled update's words split by the client ids that typed them, when some belong to
 * another writer than the sender (word-credits.ts says why); undefined when all are the sender's.
 */
function foreignCredits(words: TransactionWords | null, sender: string | null, writerOf: ((clientId: number) => string | undefined) | undefined): WordCredit[] | undefined {
  if (words === null || sender === null || writerOf === undefined || words.byClient === undefined) return undefined;
  const credits = creditWords(words, sender, writerOf);
  return credits.some((c) => c.userId !== sender) ? credits : undefined;
}

function sum(a: TransactionWords, b: TransactionWords): TransactionWords {
  const byClient = mergeByClient(a.byClient, b.byClient, a, b);
  return {
    ...(byClient ? { byClient } : {}),
    insertedChars: a.insertedChars + b.insertedChars,
    deletedChars: a.deletedChars + b.deletedChars,
    netWords: a.netWords + b.netWords,
    wordsAdded: a.wordsAdded + b.wordsAdded,
    wordsRemoved: a.wordsRemoved + b.wordsRemoved,
    paragraphsTouched: [...a.paragraphsTouched, ...b.paragraphsTouched],
  };
}

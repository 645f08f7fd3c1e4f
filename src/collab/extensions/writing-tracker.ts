import type { Extension, afterLoadDocumentPayload, afterUnloadDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { createParagraphWordIndex, type ParagraphWordIndex, type TransactionWords } from '../../tracking/writing/word-count.js';
import type { TrackedEdit } from '../../services/writing/service-types.js';
import type { CollabContext } from '../context.js';
import { parseDocumentName } from '../document-name.js';

/** The roots words are counted in: TipTap/y-prosemirror's fragment, and a plain-text (Markdown) Y.Text. */
export const WRITING_ROOTS = { fragment: 'default', text: 'text' } as const;

interface Indexed {
  doc: Y.Doc;
  indexes: ParagraphWordIndex[];
  listener: (tr: Y.Transaction) => void;
  build: () => void;
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

/**
 * Attributes every transaction's words to its writer. The word index is fed from the document's
 * `afterTransaction` for every transaction whatever its origin (the index must see them all to
 * stay exact, and right after it Yjs discards deleted text; Hocuspocus's onChange comes too
 * late), and only then is the result attributed by origin:
 *
 * - `{source: 'connection'}`: the connection's authenticated user: counted;
 * - `{source: 'redis'}`: the same edit made on another instance, which counts it there;
 * - `{source: 'local'}`: a server-side change (no writer);
 * - loading from storage happens before the index exists (it is built at the first transaction
 *   after afterLoadDocument).
 *
 * Nothing may throw out of the listener: it runs inside Yjs's transaction cleanup, so an error
 * would escape into whoever applied the update (Hocuspocus's message handler).
 */
export function createWritingTrackerExtension(deps: {
  tracker: { recordEdit(edit: TrackedEdit): void };
  clock: Clock;
  logger: Logger;
}): Extension<CollabContext> {
  const { tracker, clock, logger } = deps;
  const documents = new Map<string, Indexed>();

  function attach(doc: Y.Doc, documentName: string): void {
    let name;
    try {
      name = parseDocumentName(documentName);
    } catch {
      return; // the auth extension refuses such names; nothing to attribute
    }
    // Built at the document's first transaction after the load, not at the load: a novel's
    // index takes ~35 ms, which readers who never type should not wait for while syncing.
    // beforeTransaction runs before the transaction changes anything, so the index starts from
    // exactly the state the first counted edit is applied to.
    const indexes: ParagraphWordIndex[] = [];
    const build = (): void => {
      doc.off('beforeTransaction', build);
      // A root defined with the wrong type would throw for a later getText/getXmlFragment: only
      // define the shape the content already has (or the expected one for an empty document).
      if (rootKind(doc, WRITING_ROOTS.fragment) !== 'text') indexes.push(createParagraphWordIndex(doc.getXmlFragment(WRITING_ROOTS.fragment)));
      if (rootKind(doc, WRITING_ROOTS.text) !== 'fragment') indexes.push(createParagraphWordIndex(doc.getText(WRITING_ROOTS.text)));
    };
    doc.on('beforeTransaction', build);
    let failures = 0;

    const listener = (tr: Y.Transaction): void => {
      try {
        let words: TransactionWords | null = null;
        for (const index of indexes) {
          const w = index.applyTransaction(tr);
          if (w !== null) words = words === null ? w : sum(words, w);
        }
        if (words === null) return;
        const origin = tr.origin as { source?: string; connection?: { context?: CollabContext; readOnly?: boolean } } | null;
        if (origin?.source !== 'connection') return;
        const user = origin.connection?.context?.user;
        if (user === undefined) return;
        let documentWords = 0;
        for (const index of indexes) documentWords += index.totalWords;
        tracker.recordEdit({ userId: user.userId, projectId: name.projectId, documentId: name.documentId, at: clock.now(), words, documentWords });
      } catch (error) {
        // Logged a few times per document, not per keystroke: a broken index fails every time.
        if (failures++ < 3) logger.error({ err: error, document: documentName }, 'word tracking failed for a transaction');
      }
    };
    doc.on('afterTransaction', listener);
    documents.set(documentName, { doc, indexes, listener, build });
  }

  function detach(documentName: string): void {
    const indexed = documents.get(documentName);
    if (indexed === undefined) return;
    indexed.doc.off('afterTransaction', indexed.listener);
    indexed.doc.off('beforeTransaction', indexed.build);
    documents.delete(documentName);
  }

  return {
    extensionName: 'storyloom-writing-tracker',
    priority: 500,

    async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload<CollabContext>) {
      try {
        detach(documentName);
        attach(document, documentName);
      } catch (error) {
        // Never fail a load over analytics: the document works, its words are just not counted.
        logger.error({ err: error, document: documentName }, 'word index not built');
      }
    },

    async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload) {
      detach(documentName);
    },
  };
}

function sum(a: TransactionWords, b: TransactionWords): TransactionWords {
  return {
    insertedChars: a.insertedChars + b.insertedChars,
    deletedChars: a.deletedChars + b.deletedChars,
    netWords: a.netWords + b.netWords,
    wordsAdded: a.wordsAdded + b.wordsAdded,
    wordsRemoved: a.wordsRemoved + b.wordsRemoved,
    paragraphsTouched: [...a.paragraphsTouched, ...b.paragraphsTouched],
  };
}

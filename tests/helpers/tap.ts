/**
 * Drives the production document tap (src/collab/document-tap.ts) on a plain Y.Doc, so word
 * tests and benches go through the same afterTransaction listener, word indexes and attribution
 * as the server instead of a test-only listener of their own.
 */
import * as Y from 'yjs';
import { tapDocument, WRITING_ROOTS } from '../../src/collab/document-tap.js';
import { createManualClock, type Clock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { DocumentEdit, DocumentEditConsumer } from '../../src/tracking/document-edit.js';
import { countDocumentWords, type TransactionWords } from '../../src/tracking/writing/word-count.js';

/** The origin Hocuspocus 4 gives a transaction applied from `userId`'s connection (context set by the auth extension). */
export function fromConnection(userId: string): unknown {
  return { source: 'connection', connection: { context: { user: { userId } } } };
}

/** A tapped document, as seen by one consumer. */
export interface TestTap {
  /** Every edit the tap handed out, in order (empty with `record: false`). */
  edits: DocumentEdit[];
  /** The words of the recorded edits that touched counted text: what the tap's word indexes reported. */
  words: TransactionWords[];
  /** The last recorded edit's words (throws when there is none). */
  last(): TransactionWords;
  /**
   * Words in the document according to the tap: the last edit's `documentWords`. Before the first
   * edit, a full recount of the writing roots (the tap builds its indexes at the first transaction).
   */
  documentWords(): number;
  stop(): void;
}

const silent = createLogger({ level: 'silent' });

/**
 * Taps `doc` as the server does. `onEdit` runs for every edit, inside Yjs's transaction cleanup
 * like the server's consumers; `record: false` keeps no edits (long trace replays).
 */
export function tapTestDoc(
  doc: Y.Doc,
  options: { onEdit?: DocumentEditConsumer; clock?: Clock; record?: boolean } = {},
): TestTap {
  const edits: DocumentEdit[] = [];
  const words: TransactionWords[] = [];
  const record = options.record ?? true;
  let documentWords: number | null = null;
  const consumer: DocumentEditConsumer = (edit) => {
    documentWords = edit.documentWords;
    if (record) {
      edits.push(edit);
      if (edit.words !== null) words.push(edit.words);
    }
    options.onEdit?.(edit);
  };
  const stop = tapDocument(doc, { projectId: 'p', documentId: 'd' }, {
    clock: options.clock ?? createManualClock(0),
    logger: silent,
    consumers: () => [consumer],
  });
  // The tap has defined both roots by now (a root it found only as stored content keeps its shape).
  const initialWords = (): number => {
    let n = 0;
    for (const name of [WRITING_ROOTS.fragment, WRITING_ROOTS.text]) {
      const root = doc.share.get(name);
      if (root instanceof Y.XmlFragment || root instanceof Y.Text) n += countDocumentWords(root);
      else if (root !== undefined && root._start !== null) throw new Error(`tapTestDoc: define root '${name}' before tapping`);
    }
    return n;
  };
  const atTap = initialWords();
  return {
    edits,
    words,
    last: () => {
      const w = words.at(-1);
      if (w === undefined) throw new Error('tapTestDoc: no edit with words yet');
      return w;
    },
    documentWords: () => documentWords ?? atTap,
    stop,
  };
}

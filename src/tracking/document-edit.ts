/**
 * The one shape a Yjs transaction reaches the application in. The collab document tap builds it
 * once per transaction and hands the same object to every consumer (writing, presence, later
 * notifications and workflows), so consumers import this type and never Yjs origins or collab/.
 */
import type { InsertedRange } from './update-ranges.js';
import type { TransactionWords } from './writing/word-count.js';
import type { WordCredit } from './writing/word-credits.js';

/**
 * Where a transaction came from, which decides whether it has a writer:
 * - `connection`: a client's update on this instance: `userId` is the connection's user;
 * - `redis`: the same update relayed from another instance, which attributes it there
 *   (`userId` null; presence attributes it through relayed awareness);
 * - `local`: a server-side change (no writer);
 * - `unknown`: an origin Hocuspocus does not produce (Yjs-level code): no writer.
 */
export type EditOrigin = 'connection' | 'redis' | 'local' | 'unknown';

/** One top-level block of the document's ProseMirror fragment that the transaction touched. */
export interface TouchedBlock {
  /** Index among the fragment's top-level blocks after the transaction. */
  index: number;
  /** Identity of the block (`client:clock` of its Yjs item), stable across replicas and moves. */
  key: string;
  /** Net words the transaction added to this block; 0 when it changed no counted text (formatting, a caret-only block). */
  netWords: number;
}

/** What one transaction did to one document, attributed. Built once, shared read-only. */
export interface DocumentEdit {
  projectId: string;
  documentId: string;
  /** `<projectId>/<documentId>`: the Hocuspocus document name. */
  documentName: string;
  origin: EditOrigin;
  /** The connection's authenticated user for `connection` origins, else null (see EditOrigin). */
  userId: string | null;
  /** The injected clock when the transaction finished, ms since the epoch. */
  at: number;
  /** Top-level blocks touched (sorted by index, at most 64); blocks deleted by it have no index and are absent. */
  blocks: readonly TouchedBlock[];
  /** Yjs client ids whose clock advanced: they created this transaction's items. */
  clientIds: readonly number[];
  /** What it did to the counted text (both roots summed), or null when it touched no counted text. */
  words: TransactionWords | null;
  /** Net words over the whole document (deleted blocks included): `words?.netWords ?? 0`. */
  netWords: number;
  /** Words in the document after the transaction. */
  documentWords: number;
  /**
   * The transaction applied a client update whose log record carries these words (the
   * persistence extension asked for it with JOURNAL_WORDS): storage credits them to the writer
   * from that record, so the writing service must not add them to its buckets a second time.
   */
  wordsJournaled?: boolean;
  /**
   * With several instances (tapped with `keyUpdates`), the struct ranges this transaction
   * inserted (tracking/update-ranges.ts), set when it changed counted words: what the instance
   * that logs an update and those it was relayed to agree on, so they journal its words once.
   */
  insertedRanges?: readonly InsertedRange[];
  /**
   * Set instead of `wordsJournaled` when the update carries words other writers typed (a re-send
   * after a crash: tracking/writing/word-credits.ts): each writer's share, to be journaled for
   * them by the word-credits extension (the update's own log record then carries no words).
   */
  credits?: readonly WordCredit[];
}

/**
 * Keys in a Yjs transaction's `meta` map. The persistence extension sets JOURNAL_WORDS before it
 * applies a client's update; the document tap then leaves the transaction's DocumentEdit under
 * DOCUMENT_EDIT, so the extension can write the writer's words into the update's log record,
 * durable in the same batch as the update (docs/architecture.md, "Words as durable as edits").
 */
export const JOURNAL_WORDS = 'storyloom:journal-words';
export const DOCUMENT_EDIT = 'storyloom:document-edit';

/** Something that wants every document edit. Called synchronously inside Yjs's cleanup: queue, never block or throw. */
export type DocumentEditConsumer = (edit: DocumentEdit) => void;

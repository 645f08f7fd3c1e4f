import type * as Y from 'yjs';

/**
 * What one Yjs transaction did to the words of a document.
 *
 * `netWords` is exact: summed over every transaction applied to the index it equals the final
 * word count minus the initial one. `wordsAdded`/`wordsRemoved` are the positive and negative
 * parts of the per-unit changes (unit: a touched top-level block of a ProseMirror document; a
 * whitespace-bounded changed region of a plain Y.Text), so `netWords = wordsAdded - wordsRemoved`.
 * Retyping a word in place ("cat" -> "dog") is 0/0; splitting a ProseMirror paragraph moves
 * words to a new block and shows up in both.
 */
export interface TransactionWords {
  /** UTF-16 code units of text inserted (embeds count 1). */
  readonly insertedChars: number;
  /** UTF-16 code units of text deleted (embeds count 1). */
  readonly deletedChars: number;
  readonly netWords: number;
  readonly wordsAdded: number;
  readonly wordsRemoved: number;
  /**
   * Stable ids of the paragraphs the transaction touched and that still exist, the same on every
   * replica: for a ProseMirror fragment the Yjs id (`client:clock`) of the top-level block; for
   * a Y.Text the id of the newline that opens the line, or `"start"` for the first line.
   */
  readonly paragraphsTouched: readonly string[];
  /** Net words of each of `paragraphsTouched`, same order (ProseMirror fragments only; the document tap reports them per block). */
  readonly paragraphNetWords?: readonly number[];
  /**
   * The same words split by the Yjs client id that wrote them (ProseMirror fragments only): each
   * touched block goes to the client whose inserted characters in it are the most; a block the
   * transaction only deleted from goes to SENDER_CLIENT (deletions carry no author in Yjs). The
   * parts add up to wordsAdded/wordsRemoved/netWords. Absent: all of it is the sender's.
   */
  readonly byClient?: ReadonlyMap<number, UnitWords>;
}

/** Words of a part of a transaction. */
export interface UnitWords {
  added: number;
  removed: number;
  net: number;
}

/** Key of `byClient` for the words no inserted item names a writer of: whoever sent the update. */
export const SENDER_CLIENT = -1;

/** Word counts of one shared type, kept current transaction by transaction. */
export interface ParagraphWordIndex {
  /** Words in the whole document now; equals a full recount at every point. */
  readonly totalWords: number;
  /**
   * Applies one finished transaction and says what it did to the words, or `null` when it did
   * not touch this index's root. Call it for EVERY transaction on the document (local, remote,
   * from another instance), from `doc.on('afterTransaction')`: later calls assume the earlier
   * ones were seen, and after that event Yjs discards deleted text. Attribute the result to a
   * user only for origins you count. Never throws for well-formed Yjs state.
   */
  applyTransaction(transaction: Y.Transaction): TransactionWords | null;
}

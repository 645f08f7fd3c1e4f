import type { LoggedUpdate } from '../document-store.js';
import type { UpdateEntry } from './codec.js';
import type { Segment } from './segment-files.js';

/** A live update and the segment file that holds it (moved forward when its segment goes). */
export interface Located extends UpdateEntry {
  segment: Segment;
}

/**
 * The in-memory index of the log's live (not durably folded) updates, by seq and by document.
 * A document load reads only this; the files are read once, at open. Hidden entries (folded,
 * fold not yet durable) leave the per-document view at once but keep their place by seq, so
 * their segment stays counted live until the fold reaches the disk.
 */
export interface LiveIndex {
  remember(entry: Located): void;
  /** Drops a seq from everything (durably dead) and uncounts it from its segment. */
  forget(seq: number): void;
  /** Takes an entry out of its document's view only. */
  hide(entry: Located): void;
  get(seq: number): Located | undefined;
  has(seq: number): boolean;
  /** The document's visible entry of this seq, if any. */
  visible(documentName: string, seq: number): Located | undefined;
  all(): IterableIterator<Located>;
  size(): number;
  documents(): number;
  /** The document's visible updates in seq order (a fresh array; the bytes are shared). */
  updates(documentName: string): LoggedUpdate[];
  count(documentName: string): number;
}

export function createLiveIndex(): LiveIndex {
  const bySeq = new Map<number, Located>();
  const byDocument = new Map<string, Map<number, Located>>();

  function hide(entry: Located): void {
    const doc = byDocument.get(entry.documentName);
    if (!doc?.delete(entry.seq)) return;
    if (doc.size === 0) byDocument.delete(entry.documentName);
  }

  return {
    remember(entry) {
      bySeq.set(entry.seq, entry);
      let doc = byDocument.get(entry.documentName);
      if (!doc) byDocument.set(entry.documentName, (doc = new Map()));
      doc.set(entry.seq, entry);
    },
    forget(seq) {
      const entry = bySeq.get(seq);
      if (!entry) return;
      bySeq.delete(seq);
      entry.segment.live--;
      hide(entry);
    },
    hide,
    get: (seq) => bySeq.get(seq),
    has: (seq) => bySeq.has(seq),
    visible: (documentName, seq) => byDocument.get(documentName)?.get(seq),
    all: () => bySeq.values(),
    size: () => bySeq.size,
    documents: () => byDocument.size,
    updates(documentName) {
      const doc = byDocument.get(documentName);
      if (!doc) return [];
      return [...doc.values()].sort((a, b) => a.seq - b.seq).map((e) => ({ seq: e.seq, update: e.update, userId: e.userId, receivedAt: e.receivedAt }));
    },
    count: (documentName) => byDocument.get(documentName)?.size ?? 0,
  };
}

/** The entry as it is written again (carried forward or moved to a new segment). */
export function toEntry(e: Located): UpdateEntry {
  return { kind: 'update', seq: e.seq, documentName: e.documentName, update: e.update, userId: e.userId, receivedAt: e.receivedAt, ...(e.words ? { words: e.words } : {}) };
}

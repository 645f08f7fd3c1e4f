import type { UpdateRecord } from '../../db/document-store.js';
import { backoffDelay } from '../../lib/backoff.js';
import type { Logger } from '../../lib/logger.js';
import type { PersistenceHealth } from '../persistence-health.js';

export interface UpdateAppender {
  /** Resolves with the row's seq once its batch is committed. */
  append(record: UpdateRecord): Promise<number>;
}

/**
 * How much applied-but-uncommitted log the server may hold while the store refuses writes. Past
 * any bound a client's next change is refused (4503 `storage-unavailable`) instead of applied:
 * its writer keeps it and re-sends it later, so memory stays bounded and nothing is lost.
 */
export interface PendingLimits {
  maxBytesPerDocument: number;
  maxUpdatesPerDocument: number;
  maxBytes: number;
  maxUpdates: number;
}

/** Failed appends are retried: ceilings 250 ms, 500 ms .. 2 s, so the log resumes <= 2 s after the store returns. */
const APPEND_RETRY = { baseMs: 250, maxMs: 2_000 };

/** One document's log records that are applied in memory and not yet committed. */
export interface DocumentOutbox {
  /** Whether `bytes` more stay within the per-document and the total bounds. */
  admits(bytes: number): boolean;
  /** Queues a record for the log; a failed write is retried until it commits. Never throws. */
  enqueue(record: UpdateRecord): void;
  /** Resolves once every record queued so far is committed (never rejects: it waits). */
  drained(): Promise<void>;
  /** Records not yet committed. */
  size(): number;
  /** A write of this document failed and its records wait for the next attempt. */
  retrying(): boolean;
  /** Resolves when no write of this document is in flight. */
  idle(): Promise<void>;
  /** Stops the retry timer (the document is unloaded; it held nothing). */
  close(): void;
}

export interface Outboxes {
  /** The document's outbox; `onCommitted` is told each committed row (for compaction). */
  open(name: string, onCommitted: (seq: number, update: Uint8Array) => void): DocumentOutbox;
  /** Uncommitted records and bytes over every document, and documents retrying. */
  totals(): { updates: number; bytes: number; retryingDocuments: number };
}

interface Entry {
  index: number;
  record: UpdateRecord;
  bytes: number;
  writing: boolean;
}

/**
 * The update log's outbox: every record goes to the group commit at once (in the order the
 * document received it, so the rows commit in that order), and a record whose write failed is
 * kept and retried with backoff (lib/backoff.ts) instead of failing its writer. While a document
 * is retrying, records queued behind the failure wait for the next round, so they commit in
 * their order when the store returns; each retry probes with the oldest record alone. (A record
 * written in a later batch just as the store came back may commit before an earlier one that
 * failed; Yjs applies such rows in any order.)
 *
 * Nothing here acknowledges anything: the persistence extension holds a writer's acknowledgement
 * until `drained()` says the rows up to its change are committed.
 */
export function createOutboxes(deps: { appender: UpdateAppender; health: PersistenceHealth; logger: Logger; limits: PendingLimits }): Outboxes {
  const { appender, health, logger, limits } = deps;
  const totals = { updates: 0, bytes: 0 };
  const retryingDocs = new Set<string>();

  function open(name: string, onCommitted: (seq: number, update: Uint8Array) => void): DocumentOutbox {
    const entries: Entry[] = [];
    const waiters: { through: number; resolve(): void }[] = [];
    const idlers: (() => void)[] = [];
    let nextIndex = 0;
    let docBytes = 0;
    let inflight = 0;
    let failing = false;
    let failedThisRound = false;
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;

    const setFailing = (value: boolean) => {
      failing = value;
      if (value) retryingDocs.add(name);
      else retryingDocs.delete(name);
    };

    function submit(entry: Entry): void {
      entry.writing = true;
      inflight++;
      appender.append(entry.record).then(
        (seq) => {
          health.recordSuccess('append');
          const at = entries.indexOf(entry);
          // Not there: the outbox was closed meanwhile (its totals already given back).
          if (at >= 0) {
            entries.splice(at, 1);
            docBytes -= entry.bytes;
            totals.updates--;
            totals.bytes -= entry.bytes;
            onCommitted(seq, entry.record.update);
          }
          settled();
        },
        (error: unknown) => {
          health.recordFailure('append', error);
          entry.writing = false;
          if (!failing) logger.warn({ err: error, document: name }, 'update log append failed; the update is kept and retried');
          setFailing(true);
          failedThisRound = true;
          settled();
        },
      );
    }

    /** After each write: wake waiters, and once nothing is in flight decide the next round. */
    function settled(): void {
      inflight--;
      const lowest = entries[0]?.index ?? Number.POSITIVE_INFINITY;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.through < lowest) waiters.splice(i, 1)[0]!.resolve();
      }
      if (inflight > 0) return;
      idlers.splice(0).forEach((resolve) => resolve());
      if (!failing || timer || closed) return;
      if (entries.length === 0) {
        setFailing(false);
        attempt = 0;
        logger.info({ document: name }, 'update log takes writes again; every held update is committed');
      } else if (failedThisRound) {
        const delay = backoffDelay(attempt++, APPEND_RETRY);
        timer = setTimeout(() => round(true), delay);
        timer.unref();
      } else {
        // The round went through, but records queued behind it still wait: write them all now.
        round(false);
      }
    }

    /**
     * A retry first writes only the oldest record (a probe): while the store is down, each
     * attempt costs one small row instead of every held one; once it commits, the rest follow.
     */
    function round(probe: boolean): void {
      timer = undefined;
      failedThisRound = false;
      for (const entry of entries) {
        if (entry.writing) continue;
        submit(entry);
        if (probe) break;
      }
    }

    return {
      admits(bytes) {
        return (
          docBytes + bytes <= limits.maxBytesPerDocument &&
          entries.length + 1 <= limits.maxUpdatesPerDocument &&
          totals.bytes + bytes <= limits.maxBytes &&
          totals.updates + 1 <= limits.maxUpdates
        );
      },
      enqueue(record) {
        const entry: Entry = { index: nextIndex++, record, bytes: record.update.byteLength, writing: false };
        entries.push(entry);
        docBytes += entry.bytes;
        totals.updates++;
        totals.bytes += entry.bytes;
        // While retrying, it waits for the next round (behind the records that failed).
        if (!failing) submit(entry);
      },
      drained() {
        if (entries.length === 0) return Promise.resolve();
        const through = nextIndex - 1;
        return new Promise<void>((resolve) => waiters.push({ through, resolve }));
      },
      size: () => entries.length,
      retrying: () => failing,
      idle() {
        return inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idlers.push(resolve));
      },
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
        retryingDocs.delete(name);
        // Unloading waits for an empty outbox; anything left is forgotten with the document.
        for (const entry of entries) {
          totals.updates--;
          totals.bytes -= entry.bytes;
        }
        entries.length = 0;
      },
    };
  }

  return { open, totals: () => ({ ...totals, retryingDocuments: retryingDocs.size }) };
}

import type { NotificationStore } from '../services/notifications/ports.js';
import type { WritingStore } from '../services/writing/ports.js';
import type { VersionStore } from '../services/versions/ports.js';
import type { WorkflowStore } from '../services/workflows/ports.js';
import type { EventArchive } from './event-archive.js';
import type { ClientWriterClaim } from '../services/writing/client-writers.js';

/**
 * What the collaboration layer needs from storage. Implemented once with drizzle
 * (src/db/repositories/documents.ts) over both PGlite and Postgres, and proven by one contract
 * suite (tests/contracts/document-store.contract.ts) run against each.
 *
 * A document is a snapshot plus an append-only update log. The log is the source of truth for
 * anything newer than the snapshot: an update is acknowledged to its client only after its log
 * row is committed, and compaction removes only rows the new snapshot provably contains.
 */
export interface UpdateRecord {
  /** Full document name, `<projectId>/<documentId>`. */
  documentName: string;
  /** A Yjs v1 update. */
  update: Uint8Array;
  /** Authenticated author; null for server-side changes. */
  userId: string | null;
  /** Milliseconds since the epoch; when the server received it. */
  receivedAt: number;
  /**
   * The author's words in this update (the word journal): stored durably with the row, credited
   * to `userId` in the minute of `receivedAt`. Absent when the update is nobody's writing.
   */
  words?: RecordWords;
  /**
   * Several instances: the struct ranges whose words `words` are (tracking/update-ranges.ts).
   * The SQL log journals only the words no instance journaled before for these ranges
   * (db/schema/word-ranges.ts); the row itself is logged either way.
   */
  wordRanges?: readonly WordRange[];
}

/** Words one update added and removed, as the writing analytics count them. */
export interface RecordWords {
  added: number;
  removed: number;
  net: number;
}

export interface LoggedUpdate {
  /** Monotonic per database (bigserial); log order within a document. */
  seq: number;
  update: Uint8Array;
  userId: string | null;
  receivedAt: number;
  /** As appended (UpdateRecord.words); the file log keeps it, the SQL log moves it to the journal. */
  words?: RecordWords;
}

export interface StoredDocument {
  snapshot: Uint8Array | null;
  /** Log rows not yet folded into the snapshot, in seq order. */
  updates: LoggedUpdate[];
}

export interface DocumentStore {
  /** Snapshot plus remaining log; `{snapshot: null, updates: []}` for a new document. */
  load(documentName: string): Promise<StoredDocument>;
  /** Appends all records in one transaction: all land or none do. Returns their seqs, in order. */
  appendUpdates(records: UpdateRecord[]): Promise<number[]>;
  /**
   * Merges `snapshot` (a Yjs update of the whole document) into the stored one and deletes the
   * named log rows, in one transaction. Merging, not replacing: with several instances, the
   * stored snapshot may hold updates this instance has not received yet. The caller passes only
   * seqs whose updates the snapshot contains.
   */
  storeSnapshot(documentName: string, snapshot: Uint8Array, foldedSeqs: number[]): Promise<void>;
  /** Number of log rows not yet folded into the snapshot. */
  countUpdates(documentName: string): Promise<number>;
  /** Deletes the document, its snapshot and its log. */
  deleteDocument(documentName: string): Promise<void>;
}

/** One Yjs client id seen writing a document, and whose connection it came through. */
export interface ClientSighting {
  documentName: string;
  /** A Yjs client id (uint32). */
  clientId: number;
  userId: string;
  /** Milliseconds since the epoch. */
  seenAt: number;
}

/**
 * The Yjs client id -> user map of each document, kept so text written in earlier sessions is
 * still attributed to its author (tests/contracts/document-clients.contract.ts).
 */
export interface DocumentClientStore {
  /** Inserts sightings in one batch; a (document, client id) already stored keeps its user. */
  record(sightings: readonly ClientSighting[]): Promise<void>;
  /**
   * Like `record`, in one round trip, and returns the stored owner of every valid (document,
   * client id) among the sightings: the sighting's user where it was first, else whoever was.
   */
  claim(sightings: readonly ClientSighting[]): Promise<ClientWriterClaim[]>;
  /** Every known client id of the document and its user. */
  load(documentName: string): Promise<Map<number, string>>;
  deleteDocument(documentName: string): Promise<void>;
}

/** Inserted Yjs structs of one client: clocks `from` up to (not including) `to`. */
export interface WordRange {
  client: number;
  from: number;
  to: number;
}

/**
 * Journaled struct ranges (db/schema/word-ranges.ts): what the relayed-words reconciler
 * (collab/relayed-words.ts) asks before journaling an update another instance logs.
 */
export interface WordRangeStore {
  /** Which of `items` are entirely covered by journaled ranges (same order). */
  covered(items: readonly { documentName: string; ranges: readonly WordRange[] }[]): Promise<boolean[]>;
  /** Forgets ranges journaled before `before` (their updates are long committed or lost). */
  prune(before: Date): Promise<void>;
}

/** What the composition root holds: the store plus what readiness and shutdown need. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly documents: DocumentStore;
  readonly events: EventArchive;
  /** Writing analytics: minute buckets, sessions, goals, preferences and reports. */
  readonly writing: WritingStore;
  /** Yjs client id -> user per document, for contributions after a reload. */
  readonly documentClients: DocumentClientStore;
  /** Struct ranges of journaled words (several instances). */
  readonly wordRanges: WordRangeStore;
  /** Stored versions of documents (services/versions). */
  readonly versions: VersionStore;
  /** Notifications: inbox, preferences, push subscriptions and the delivery outbox. */
  readonly notifications: NotificationStore;
  /** Workflow definitions, runs (checkpoints and leases) and fired cron ticks. */
  readonly workflows: WorkflowStore;
  /** A project's stored document ids in natural order (a book's default reading order). */
  projectDocuments(projectId: string): Promise<string[]>;
  /** Resolves when a trivial query succeeds; rejects otherwise. For /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

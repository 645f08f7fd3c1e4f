import type { DocumentRef } from '../documents/ports.js';

export type VersionKind = 'named' | 'auto';

/** What the list shows of a version (no content). */
export interface VersionMeta {
  id: string;
  projectId: string;
  documentId: string;
  /** A person's or workflow's label; automatic versions may carry one too ("Before restoring …"). */
  name: string | null;
  kind: VersionKind;
  /** A user id, or `workflow:<id>` for versions a workflow made. */
  createdBy: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  words: number;
  /** Words changed against the version that was newest when this one was made (0 for the first). */
  wordsChanged: number;
  /**
   * Bytes of the Yjs update stored for it, before compression: the whole state for a snapshot,
   * the delta against its base otherwise (what retention's size budget counts).
   */
  size: number;
}

/**
 * A version as stored: a snapshot (`baseId` null, `state` is the document's whole Yjs state,
 * `Y.encodeStateAsUpdate(doc)`) or a delta (`state` is `Y.encodeStateAsUpdate(doc, sv)` with
 * `sv` the state vector of the snapshot `baseId`, a version of the same document).
 */
export interface StoredVersion extends VersionMeta {
  baseId: string | null;
  state: Uint8Array;
}

/** A version read back: its update and, for a delta, its base snapshot's (apply base first). */
export interface LoadedVersion extends StoredVersion {
  baseState: Uint8Array | null;
}

/** Keyset position in a document's list (newest first): strictly older than this. */
export interface VersionCursor {
  createdAt: number;
  id: string;
}

/** The versions table (db/repositories/versions.ts implements it on PGlite and Postgres). */
export interface VersionStore {
  insert(version: StoredVersion): Promise<void>;
  /** Newest first, `limit` of them, strictly after `after` in that order. */
  list(ref: DocumentRef, page: { limit: number; after?: VersionCursor }): Promise<(VersionMeta & { baseId: string | null })[]>;
  /** The version with its base's state, only if it belongs to this document (another document's id is null). */
  get(ref: DocumentRef, id: string): Promise<LoadedVersion | null>;
  /** Every automatic version of the document, without content (what retention decides on). */
  autoVersions(ref: DocumentRef): Promise<Pick<VersionMeta, 'id' | 'createdAt' | 'size'>[]>;
  /**
   * Deletes these automatic versions of the document (a named one is never deleted), except a
   * snapshot that a version not in `ids` is a delta of (deleting it would break that one); returns how many went.
   */
  deleteAuto(ref: DocumentRef, ids: readonly string[]): Promise<number>;
}

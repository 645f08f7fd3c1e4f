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
  /** Bytes of the Yjs state (the store may keep it compressed). */
  size: number;
}

/** A version with its content: the document's whole Yjs state (`Y.encodeStateAsUpdate`). */
export interface StoredVersion extends VersionMeta {
  state: Uint8Array;
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
  list(ref: DocumentRef, page: { limit: number; after?: VersionCursor }): Promise<VersionMeta[]>;
  /** The version, only if it belongs to this document (another document's id is null). */
  get(ref: DocumentRef, id: string): Promise<StoredVersion | null>;
  /** Every automatic version of the document, without content (what retention decides on). */
  autoVersions(ref: DocumentRef): Promise<Pick<VersionMeta, 'id' | 'createdAt' | 'size'>[]>;
  /** Deletes these automatic versions of the document (a named one is never deleted); returns how many went. */
  deleteAuto(ref: DocumentRef, ids: readonly string[]): Promise<number>;
}

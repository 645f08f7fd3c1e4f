/**
 * Messages between the server's event loop and the PGlite worker thread (worker.ts). Only the
 * little drizzle needs crosses the boundary: queries (optionally inside a transaction) and the
 * transaction's begin/commit/rollback. Values travel by structured clone (Uint8Array stays bytes).
 */

export type RowMode = 'object' | 'array';

export type WorkerRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[]; rowMode: RowMode; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  /** CHECKPOINT, then fsync every file of the data directory changed since `sinceMs` (mtime). */
  | { id: number; op: 'sync'; sinceMs: number }
  | { id: number; op: 'close' };

/** What a query returns: the part of PGlite's `Results` drizzle reads. */
export interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

/** A Postgres error flattened for postMessage: `code` (SQLSTATE) is what callers branch on. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
}

export type WorkerResponse =
  | { id: number; ok: true; result?: QueryResult; tx?: number }
  | { id: number; ok: false; error: SerializedError };

/** The first message the worker sends: opened (with how long it took) or failed to open. */
export type WorkerHello = { ready: true; ms: number; initialized: Initialized } | { ready: false; error: SerializedError };

/**
 * A file in the PGlite directory present while a new database is being made there (template or
 * initdb); see worker.ts. Found at start, the making was interrupted and starts over.
 */
export const INITIALIZING_MARKER = 'storyloom-initializing';

/** How the worker found the data directory: already there, unpacked from the template, or made by initdb. */
export type Initialized = 'existing' | 'template' | 'initdb';

export interface WorkerOptions {
  dir: string;
  /** A template archive (src/db/pglite/template.ts) to unpack when `dir` holds no database yet. */
  template?: string | undefined;
}

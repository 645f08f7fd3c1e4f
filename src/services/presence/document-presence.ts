/**
 * The mutable shell around one document's pure presence state: the latest raw awareness per
 * client and the edits since the last tick (both applied only at the recompute tick), the Yjs
 * client id -> user map, and the in-memory
 * counters the metrics endpoint reads. Nothing here does IO.
 */
import type * as Y from 'yjs';
import type { ActivityRow } from '../../tracking/collab/contributions.js';
import type { CursorBlocks } from '../../tracking/collab/cursor-block.js';
import { createPresenceState, type EditInput } from '../../tracking/collab/presence-model.js';
import type { CollisionHit, PresenceState, Warning } from '../../tracking/collab/presence-types.js';

/** One client's latest awareness, waiting for the next tick. */
export interface PendingAwareness {
  userId: string;
  canEdit: boolean;
  /** The raw state (untrusted); `null` when the client left. */
  state: unknown;
  at: number;
  /** Given directly by REST clients (block indexes); undefined: resolve `state.cursor` against the doc. */
  blocks?: CursorBlocks | null;
}

/** What the tick remembers per present user, for joined/left events and cursor sampling. */
export interface UserPresence {
  joinedAt: number;
  sampledBlock: number | null;
  sampledAt: number;
}

export interface DocumentPresence {
  readonly name: string;
  readonly projectId: string;
  readonly documentId: string;
  /** The live Y.Doc while Hocuspocus holds it; null for REST-only documents and after unload. */
  doc: Y.Doc | null;
  state: PresenceState;
  warnings: Warning[];
  pending: Map<number, PendingAwareness>;
  /** Edits since the last recompute, applied there in one batch (recordEdits). */
  pendingEdits: EditInput[];
  dirty: boolean;
  lastComputeAt: number | null;
  /** Yjs client id -> user id, learned from connection transactions; for surviving-text shares. */
  clientToUser: Map<number, string>;
  users: Map<string, UserPresence>;
  /** REST (non-Yjs) writers get a synthetic negative client id, never a valid Yjs id (uint32). */
  restClients: Map<string, { clientId: number; state: RestState }>;
  conflictsPredicted: number;
  collisions: CollisionHit[];
  /** `${userId}:${minute}` -> row; minutes in which the user edited this document. */
  activity: Map<string, ActivityRow>;
  lastTouchedAt: number;
  readonly createdAt: number;
}

/** The last state a REST client sent (merged field by field with the next one). */
export interface RestState {
  cursor?: CursorBlocks;
  editMode?: 'typing' | 'selecting' | 'idle';
  viewport?: { fromBlock: number; toBlock: number };
}

/** Bounded so a document open for months cannot grow the counters without limit. */
export const MAX_HITS = 10_000;
export const MAX_ACTIVITY_ROWS = 10_000;

export function createDocumentPresence(name: string, projectId: string, documentId: string, now: number): DocumentPresence {
  return {
    name,
    projectId,
    documentId,
    doc: null,
    state: createPresenceState(),
    warnings: [],
    pending: new Map(),
    pendingEdits: [],
    dirty: false,
    lastComputeAt: null,
    clientToUser: new Map(),
    users: new Map(),
    restClients: new Map(),
    conflictsPredicted: 0,
    collisions: [],
    activity: new Map(),
    lastTouchedAt: now,
    createdAt: now,
  };
}

/** Remembers that `userId` edited at `at` (one row per user and minute). */
export function noteActivity(entry: DocumentPresence, userId: string, at: number): void {
  const minute = Math.floor(at / 60_000) * 60_000;
  const key = `${userId}:${minute}`;
  if (entry.activity.has(key)) return;
  if (entry.activity.size >= MAX_ACTIVITY_ROWS) {
    const oldest = entry.activity.keys().next();
    if (oldest.done !== true) entry.activity.delete(oldest.value);
  }
  entry.activity.set(key, { userId, minute, projectId: entry.projectId, documentId: entry.documentId });
}

/** Appends collision hits, dropping the oldest beyond MAX_HITS. */
export function noteCollisions(entry: DocumentPresence, hits: readonly CollisionHit[]): void {
  if (hits.length === 0) return;
  entry.collisions.push(...hits);
  if (entry.collisions.length > MAX_HITS) entry.collisions.splice(0, entry.collisions.length - MAX_HITS);
}

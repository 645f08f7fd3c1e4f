/**
 * How a version's Yjs state is stored (docs/versions.md, "Storage"): as a delta against a
 * snapshot of the same document when that is small, else as a snapshot. A delta is
 * `Y.encodeStateAsUpdate(doc, sv)` with `sv` the snapshot's state vector: every struct the
 * snapshot lacks plus the whole delete set, so snapshot + delta = the document's state. Deltas
 * are always against a snapshot, never against another delta: a read applies at most two
 * updates, and deleting a delta never breaks another version.
 */
import * as Y from 'yjs';
import type { LoadedVersion } from './ports.js';

/** A delta larger than this share of its snapshot is stored as a new snapshot instead. */
export const SNAPSHOT_RATIO = 1 / 8;

/** The snapshot new versions of a document are deltas of. */
export interface VersionBase {
  id: string;
  /** Its encoded state vector (what `encodeStateAsUpdate` takes). */
  sv: Uint8Array;
  /** The same, decoded: to check that a document still contains everything the snapshot has. */
  clocks: Map<number, number>;
  /** Bytes of its state: a delta over SNAPSHOT_RATIO of this becomes a snapshot. */
  size: number;
}

/** What to store for a version. */
export interface EncodedVersion {
  baseId: string | null;
  state: Uint8Array;
  /** The snapshot the next version is a delta of: `base`, or this version when it is a snapshot. */
  nextBase(versionId: string): VersionBase;
}

/** The base a stored snapshot's bytes make (a version read back, after a restart or on another instance). */
export function baseOfSnapshot(id: string, state: Uint8Array): VersionBase {
  const sv = Y.encodeStateVectorFromUpdate(state);
  return { id, sv, clocks: Y.decodeStateVector(sv), size: state.byteLength };
}

/**
 * True when the document holds every struct of the snapshot (its state vector is at least the
 * snapshot's for each client). False for a document deleted and made anew under the same id,
 * whose clients differ: a delta would then carry the old text along.
 */
function covers(doc: Y.Doc, base: VersionBase): boolean {
  // A few bytes per client that ever wrote: cheap next to any encode.
  const clocks = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of base.clocks) if ((clocks.get(client) ?? 0) < clock) return false;
  return true;
}

/**
 * The update to store for `doc`. Synchronous and read-only: it runs inside `LiveDocuments.read`
 * on the live document, so no edit falls between the blocks counted and the state stored.
 */
export function encodeVersion(doc: Y.Doc, base: VersionBase | null, ratio = SNAPSHOT_RATIO): EncodedVersion {
  if (base && covers(doc, base)) {
    const delta = Y.encodeStateAsUpdate(doc, base.sv);
    if (delta.byteLength <= base.size * ratio) return { baseId: base.id, state: delta, nextBase: () => base };
  }
  const state = Y.encodeStateAsUpdate(doc);
  const sv = Y.encodeStateVector(doc);
  return { baseId: null, state, nextBase: (id) => ({ id, sv, clocks: Y.decodeStateVector(sv), size: state.byteLength }) };
}

/** The document a stored version holds: its base snapshot (for a delta), then its own update. */
export function decodeVersion(version: LoadedVersion): Y.Doc {
  if (version.baseId !== null && version.baseState === null) throw new Error(`Version ${version.id} is a delta of ${version.baseId}, which is missing`);
  const doc = new Y.Doc();
  Y.transact(doc, () => {
    if (version.baseState) Y.applyUpdate(doc, version.baseState);
    Y.applyUpdate(doc, version.state);
  });
  return doc;
}

/** The base the next version of a document is a delta of, given its newest stored version. */
export function baseAfter(version: LoadedVersion): VersionBase {
  return version.baseId !== null && version.baseState ? baseOfSnapshot(version.baseId, version.baseState) : baseOfSnapshot(version.id, version.state);
}

import { LRUCache } from 'lru-cache';
import * as Y from 'yjs';
import type { Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { EDITOR_FRAGMENT, type DocumentRef, type LiveDocuments } from '../documents/ports.js';
import { blocksWords, decodeState, documentBlocks, documentHTML, documentJSONConverter, type ProseMirrorJSON } from './content.js';
import { baseAfter, decodeVersion, encodeVersion, type EncodedVersion, type VersionBase } from './deltas.js';
import { diffBlocks, wordsChanged, wordsDelta, type Block, type BlockChange } from './paragraph-diff.js';
import type { LoadedVersion, StoredVersion, VersionKind, VersionMeta, VersionStore } from './ports.js';
import { DEFAULT_RETENTION, versionsToDrop, type RetentionPolicy } from './retention.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface CreateVersionInput {
  ref: DocumentRef;
  name?: string | null;
  /** `named` by people (kept forever); `auto` by workflows and before a restore (thinned). */
  kind: VersionKind;
  /** A user id, or `workflow:<id>`. */
  createdBy: string;
  /**
   * An idempotency key chosen by the caller (a UUID): when the document already has a version
   * with this id, that version is returned and nothing is stored, so a retried workflow step
   * stores one version, not two.
   */
  id?: string;
}

export interface VersionView extends VersionMeta {
  content: { json: ProseMirrorJSON; html: string };
}

export interface VersionDiff {
  versionId: string;
  /** Blocks of the version that differ from the current text, in document order. */
  changes: BlockChange[];
  summary: { added: number; removed: number; changed: number; unchanged: number; wordsChanged: number };
}

export interface RestoreResult {
  restoredFrom: string;
  /** The automatic version of the text just before the restore (restore it to undo); absent when nothing changed. */
  newVersionId?: string;
}

export interface VersionService {
  create(input: CreateVersionInput): Promise<VersionMeta>;
  /** Newest first; `cursor` is the previous page's `nextCursor`. */
  list(ref: DocumentRef, page: { limit: number; cursor?: string | undefined }): Promise<{ versions: VersionMeta[]; nextCursor: string | null }>;
  get(ref: DocumentRef, versionId: string): Promise<VersionView>;
  /** Paragraph-level changes from the version to the current text. */
  diff(ref: DocumentRef, versionId: string): Promise<VersionDiff>;
  /** One new edit on the live document that makes its text the version's; history is kept. */
  restore(ref: DocumentRef, versionId: string, actor: { userId: string }): Promise<RestoreResult>;
}

export interface VersionServiceDeps {
  store: VersionStore;
  live: LiveDocuments;
  clock: Clock;
  logger: Logger;
  retention?: RetentionPolicy;
  newId?: () => string;
}

/** The newest stored version of a document, as the next create needs it. */
interface Previous {
  blocks: Block[];
  words: number;
  base: VersionBase;
}

/** What the list shows of a stored or loaded version (field by field: no bytes leak into answers). */
const metaOf = (v: StoredVersion): VersionMeta => ({
  id: v.id,
  projectId: v.projectId,
  documentId: v.documentId,
  name: v.name,
  kind: v.kind,
  createdBy: v.createdBy,
  createdAt: v.createdAt,
  words: v.words,
  wordsChanged: v.wordsChanged,
  size: v.size,
});
/** Characters of block text the service keeps of each document's newest version. */
const BLOCK_CACHE_CHARS = 32 * 1024 * 1024;

/**
 * Versions of documents (docs/versions.md): stored Yjs states with word counts, listed newest
 * first, viewed as ProseMirror JSON and HTML, compared paragraph by paragraph with the current
 * text and restored as one live edit. Automatic versions are thinned by the retention policy
 * after each automatic create.
 */
export function createVersionService(deps: VersionServiceDeps): VersionService {
  const { store, live, clock, logger } = deps;
  const retention = deps.retention ?? DEFAULT_RETENTION;
  const newId = deps.newId ?? (() => crypto.randomUUID());
  // The blocks of each document's newest version and the snapshot it is (or is a delta of), so
  // "words changed" and the delta of the next one need no read and decode of ~1 MB (the common
  // case: versions of a document are made on one instance).
  const newest = new LRUCache<string, { versionId: string; blocks: Block[]; base: VersionBase }>({
    maxSize: BLOCK_CACHE_CHARS,
    sizeCalculation: (entry) => Math.max(1, entry.blocks.reduce((n, b) => n + b.text.length + 16, 0)),
  });
  const keyOf = (ref: DocumentRef) => `${ref.projectId}/${ref.documentId}`;

  /** The newest version's blocks, word count and base snapshot, or null when the document has none. */
  async function previousOf(ref: DocumentRef): Promise<Previous | null> {
    const [latest] = await store.list(ref, { limit: 1 });
    if (!latest) return null;
    const cached = newest.get(keyOf(ref));
    if (cached?.versionId === latest.id) return { blocks: cached.blocks, words: latest.words, base: cached.base };
    const stored = await store.get(ref, latest.id);
    return stored ? { blocks: documentBlocks(decodeVersion(stored)), words: latest.words, base: baseAfter(stored) } : null;
  }

  async function find(ref: DocumentRef, versionId: string): Promise<LoadedVersion> {
    const version = await store.get(ref, versionId);
    if (!version) throw new AppError('not-found', `Document ${ref.projectId}/${ref.documentId} has no version ${versionId}`, { versionId });
    return version;
  }

  /** Stores an encoded state (with its blocks) as a version; words changed are against `previous`, the newest stored version. */
  async function storeVersion(input: CreateVersionInput, previous: Previous | null, encoded: EncodedVersion, blocks: Block[]): Promise<VersionMeta> {
    const changes = previous ? diffBlocks(previous.blocks, blocks) : [];
    // Only the changed blocks are counted: a novel's full recount is the slowest step otherwise.
    const words = previous ? previous.words + wordsDelta(changes) : blocksWords(blocks);
    const version: StoredVersion = {
      id: input.id ?? newId(),
      projectId: input.ref.projectId,
      documentId: input.ref.documentId,
      name: input.name ?? null,
      kind: input.kind,
      createdBy: input.createdBy,
      createdAt: clock.now(),
      words,
      wordsChanged: wordsChanged(changes),
      size: encoded.state.byteLength,
      baseId: encoded.baseId,
      state: encoded.state,
    };
    await store.insert(version);
    newest.set(keyOf(input.ref), { versionId: version.id, blocks, base: encoded.nextBase(version.id) });
    if (version.kind === 'auto') await thin(input.ref);
    return metaOf(version);
  }

  async function thin(ref: DocumentRef): Promise<void> {
    const autos = await store.autoVersions(ref);
    const drop = versionsToDrop(autos.map((v) => ({ ...v, kind: 'auto' as const })), clock.now(), retention);
    if (drop.length === 0) return;
    const deleted = await store.deleteAuto(ref, drop);
    logger.debug({ document: `${ref.projectId}/${ref.documentId}`, deleted }, 'automatic versions thinned');
  }

  return {
    async create(input) {
      if (input.id !== undefined) {
        const existing = await store.get(input.ref, input.id);
        if (existing) return metaOf(existing);
      }
      const previous = await previousOf(input.ref);
      // Read in place (no copy of the live document): the update to store (a small delta against
      // the base snapshot, usually) and the blocks.
      const { encoded, blocks } = await live.read(input.ref, (doc) => ({ encoded: encodeVersion(doc, previous?.base ?? null), blocks: documentBlocks(doc) }));
      return storeVersion(input, previous, encoded, blocks);
    },

    async list(ref, page) {
      const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      const rows = await store.list(ref, { limit: page.limit + 1, ...(after ? { after } : {}) });
      const versions = rows.slice(0, page.limit);
      const last = versions.at(-1);
      return { versions: versions.map(({ baseId: _baseId, ...meta }) => meta), nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
    },

    async get(ref, versionId) {
      const version = await find(ref, versionId);
      const documentJSON = await documentJSONConverter();
      const json = documentJSON(decodeVersion(version));
      return { ...metaOf(version), content: { json, html: await documentHTML(json) } };
    },

    async diff(ref, versionId) {
      const version = await find(ref, versionId);
      const before = documentBlocks(decodeVersion(version));
      const after = await live.read(ref, documentBlocks);
      const changes = diffBlocks(before, after);
      const count = (type: BlockChange['type']) => changes.filter((c) => c.type === type).length;
      const removedOrChanged = count('removed') + count('changed');
      return {
        versionId,
        changes,
        summary: { added: count('added'), removed: count('removed'), changed: count('changed'), unchanged: before.length - removedOrChanged, wordsChanged: wordsChanged(changes) },
      };
    },

    async restore(ref, versionId, actor) {
      const version = await find(ref, versionId);
      const documentJSON = await documentJSONConverter();
      // Decoded before the transaction: nothing can fail once the live document is touched.
      const source = decodeVersion(version).getXmlFragment(EDITOR_FRAGMENT);
      // Compared as ProseMirror JSON: marks and attributes count, not only the text.
      const wanted = JSON.stringify(documentJSON(source.doc!));
      let before: Uint8Array | undefined;
      await live.transact(ref, { userId: actor.userId, reason: `restore:${versionId}` }, (doc) => {
        const fragment = doc.getXmlFragment(EDITOR_FRAGMENT);
        if (JSON.stringify(documentJSON(doc)) === wanted) return;
        // The exact text replaced, read in the same transaction: no edit can fall between.
        before = Y.encodeStateAsUpdate(doc);
        fragment.delete(0, fragment.length);
        fragment.insert(0, source.toArray().map((child) => child.clone() as Y.XmlElement | Y.XmlText));
      });
      if (before === undefined) return { restoredFrom: versionId };
      try {
        const label = version.name ?? new Date(version.createdAt).toISOString();
        const replaced = decodeState(before);
        const previous = await previousOf(ref);
        const input: CreateVersionInput = { ref, kind: 'auto', name: `Before restoring ${label}`, createdBy: actor.userId };
        const saved = await storeVersion(input, previous, encodeVersion(replaced, previous?.base ?? null), documentBlocks(replaced));
        return { restoredFrom: versionId, newVersionId: saved.id };
      } catch (error) {
        // The restore is done and live; only its undo point is missing (the response says so).
        logger.error({ err: error, document: `${ref.projectId}/${ref.documentId}`, versionId }, 'restored, but the version before the restore was not stored');
        return { restoredFrom: versionId };
      }
    },
  };
}

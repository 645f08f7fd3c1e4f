import { promisify } from 'node:util';
import { deflate, inflate } from 'node:zlib';
import { and, desc, eq, inArray, lt, notExists, notInArray, or } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DocumentRef } from '../../services/documents/ports.js';
import type { StoredVersion, VersionStore } from '../../services/versions/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { documentVersions as v } from '../schema/versions.js';

/** Ids per DELETE: one bind parameter each, far below Postgres's 65,535. */
const MAX_IDS_PER_DELETE = 10_000;

const meta = {
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
  baseId: v.baseId,
};
/** The base snapshot of a delta, joined in the same query as the version. */
const base = alias(v, 'base');

type MetaRow = { [K in keyof typeof meta]: (typeof v.$inferSelect)[K] };
const toMeta = (row: MetaRow) => ({ ...row, createdAt: row.createdAt.getTime() });
const ofDocument = (ref: DocumentRef) => and(eq(v.projectId, ref.projectId), eq(v.documentId, ref.documentId));

/**
 * `state` is stored zlib-compressed (level 1, on libuv's thread pool): a novel's Yjs state is
 * mostly text and shrinks about 3×, and both drivers pass bytea as hex text, so the bytes sent
 * and parsed per version dominate a create on PGlite (bench/scenarios/versions.ts).
 */
const pack = promisify(deflate);
const unpack = promisify(inflate);
const packState = async (state: Uint8Array) => new Uint8Array(await pack(state, { level: 1 }));
const unpackState = async (stored: Uint8Array) => new Uint8Array(await unpack(stored));

/** The VersionStore contract over drizzle (PGlite and Postgres). */
export function createVersionRepository(db: DrizzleDatabase): VersionStore {
  return {
    async insert(version: StoredVersion) {
      await db.insert(v).values({ ...version, state: await packState(version.state), createdAt: new Date(version.createdAt) });
    },

    async list(ref, page) {
      const after = page.after;
      const where = after
        ? and(ofDocument(ref), or(lt(v.createdAt, new Date(after.createdAt)), and(eq(v.createdAt, new Date(after.createdAt)), lt(v.id, after.id))))
        : ofDocument(ref);
      const rows = await db.select(meta).from(v).where(where).orderBy(desc(v.createdAt), desc(v.id)).limit(page.limit);
      return rows.map(toMeta);
    },

    async get(ref, id) {
      const rows = await db
        .select({ ...meta, state: v.state, baseState: base.state })
        .from(v)
        .leftJoin(base, eq(base.id, v.baseId))
        .where(and(ofDocument(ref), eq(v.id, id)));
      const row = rows[0];
      if (!row) return null;
      const [state, baseState] = await Promise.all([unpackState(row.state), row.baseState ? unpackState(row.baseState) : null]);
      return { ...toMeta(row), state, baseState };
    },

    async autoVersions(ref) {
      const rows = await db.select({ id: v.id, createdAt: v.createdAt, size: v.size }).from(v).where(and(ofDocument(ref), eq(v.kind, 'auto')));
      return rows.map((r) => ({ id: r.id, createdAt: r.createdAt.getTime(), size: r.size }));
    },

    async deleteAuto(ref, ids) {
      let deleted = 0;
      for (let i = 0; i < ids.length; i += MAX_IDS_PER_DELETE) {
        const chunk = [...ids.slice(i, i + MAX_IDS_PER_DELETE)];
        // A snapshot stays while a version outside this chunk is a delta of it (deltas in the
        // chunk go with it: the foreign key is checked at the statement's end).
        const needed = db.select({ id: base.id }).from(base).where(and(eq(base.baseId, v.id), notInArray(base.id, chunk)));
        const rows = await db
          .delete(v)
          .where(and(ofDocument(ref), eq(v.kind, 'auto'), inArray(v.id, chunk), notExists(needed)))
          .returning({ id: v.id });
        deleted += rows.length;
      }
      return deleted;
    },
  };
}

/**
 * Versions over REST with two live writers (issue 15): save, change, compare, restore as one
 * live edit both writers see, undo the restore; bad input; retention after automatic versions.
 * On PGlite always, and on a Postgres database of its own when DATABASE_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { DAY_MS, HOUR_MS } from '../../src/services/versions/retention.js';
import { createVersionService } from '../../src/services/versions/version-service.js';
import { storageBackends } from '../helpers/storage-backends.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

interface Version {
  id: string;
  name: string | null;
  kind: 'named' | 'auto';
  createdAt: string;
  createdBy: string;
  words: number;
  wordsChanged: number;
}

/** The fields the tests read from any of the answers. */
interface Reply {
  status: number;
  json: Version & {
    error: { code: string };
    versions: Version[];
    nextCursor: string | null;
    content: { json: unknown; html: string };
    summary: unknown;
    changes: unknown[];
    restoredFrom: string;
    newVersionId: string;
  };
}

for (const backend of storageBackends('storyloom-versions')) {
  describe(`versions (${backend.name})`, () => {
    let t: TestServer;
    let cleanupStorage: () => Promise<void> = async () => {};
    const clients: TestClient[] = [];
    const tokens: Record<string, string> = {};

    async function call(method: string, path: string, who: string, body?: unknown): Promise<Reply> {
      const res = await fetch(`${t.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: res.status, json: await res.json() };
    }
    const v = (doc: string) => `/api/documents/${doc}/versions`;

    beforeAll(async () => {
      const storage = await backend.env();
      cleanupStorage = storage.cleanup;
      // The update log is kept while writers are connected (no compaction), so the test reads it.
      t = await startTestServer({ ...storage.env, COMPACT_AFTER_UPDATES: '1000000' });
      tokens.alice = await t.token('alice', { novel: 'editor' });
      tokens.bob = await t.token('bob', { novel: 'editor' });
      tokens.olive = await t.token('olive', { novel: 'owner', other: 'owner' });
      tokens.rita = await t.token('rita', { novel: 'reader' });
      tokens.rev = await t.token('rev', { novel: 'reviewer' });
      tokens.stranger = await t.token('stranger', { other: 'owner' });
    }, 120_000);

    afterAll(async () => {
      for (const c of clients) c.destroy();
      await t?.cleanup();
      await cleanupStorage();
    });

    it('saves, compares, restores as one live edit both writers see, and undoes the restore', async () => {
      const doc = 'novel/ch1';
      const a = connectClient(t.wsUrl, doc, tokens.alice!);
      const b = connectClient(t.wsUrl, doc, tokens.bob!);
      clients.push(a, b);
      await Promise.all([a.synced, b.synced]);
      typeInto(a.ydoc, 'The original opening.', 0);
      typeInto(a.ydoc, 'Second paragraph.', 1);
      const original = 'The original opening.\nSecond paragraph.';
      await vi.waitFor(() => expect(textOf(b.ydoc)).toBe(original));

      const saved = await call('POST', v(doc), 'alice', { name: 'Draft 1' });
      expect(saved.status).toBe(201);
      expect(saved.json).toMatchObject({ name: 'Draft 1', kind: 'named', createdBy: 'alice', words: 5, wordsChanged: 0 });
      const draft = saved.json as Version;

      // Both writers change the text.
      typeInto(a.ydoc, ' Alice adds this.', 0);
      typeInto(b.ydoc, ' Bob adds.', 1);
      const changed = 'The original opening. Alice adds this.\nSecond paragraph. Bob adds.';
      await vi.waitFor(() => {
        expect(textOf(a.ydoc)).toBe(changed);
        expect(textOf(b.ydoc)).toBe(changed);
      });

      const diff = await call('GET', `${v(doc)}/${draft.id}/diff`, 'rita');
      expect(diff.status).toBe(200);
      expect(diff.json.summary).toEqual({ added: 0, removed: 0, changed: 2, unchanged: 0, wordsChanged: 5 });
      expect(diff.json.changes[0]).toMatchObject({ type: 'changed', oldIndex: 0, newIndex: 0, before: { type: 'paragraph', text: 'The original opening.' } });

      const view = await call('GET', `${v(doc)}/${draft.id}`, 'rev');
      expect(view.status).toBe(200);
      expect(view.json.content.json).toEqual({
        type: 'doc',
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'The original opening.' }] },
          { type: 'paragraph', content: [{ type: 'text', text: 'Second paragraph.' }] },
        ],
      });
      expect(view.json.content.html).toBe('<p>The original opening.</p><p>Second paragraph.</p>');

      // Acknowledged means logged (durable acks): only then is the log's length settled.
      await vi.waitFor(() => expect(a.provider.hasUnsyncedChanges || b.provider.hasUnsyncedChanges).toBe(false));
      const logBefore = (await t.server.database.documents.load(doc)).updates.length;
      const restored = await call('POST', `${v(doc)}/${draft.id}/restore`, 'olive');
      expect(restored.status).toBe(200);
      expect(restored.json.restoredFrom).toBe(draft.id);
      expect(typeof restored.json.newVersionId).toBe('string');
      await vi.waitFor(() => {
        expect(textOf(a.ydoc)).toBe(original);
        expect(textOf(b.ydoc)).toBe(original);
      });
      // One new update in the log, the restorer's: nothing was rewritten.
      const log = (await t.server.database.documents.load(doc)).updates;
      expect(log.length).toBe(logBefore + 1);
      expect(log.at(-1)!.userId).toBe('olive');

      const listed = await call('GET', v(doc), 'rita');
      expect(listed.status).toBe(200);
      const versions = listed.json.versions as Version[];
      expect(versions.map((x) => x.id)).toEqual([restored.json.newVersionId, draft.id]);
      expect(versions[0]).toMatchObject({ kind: 'auto', createdBy: 'olive', words: 10, wordsChanged: 5 });
      expect(versions[0]!.name).toMatch(/^Before restoring Draft 1/);

      // Restoring the version made before the restore brings the writers' changes back.
      const undo = await call('POST', `${v(doc)}/${restored.json.newVersionId}/restore`, 'alice');
      expect(undo.status).toBe(200);
      await vi.waitFor(() => {
        expect(textOf(a.ydoc)).toBe(changed);
        expect(textOf(b.ydoc)).toBe(changed);
      });
      // And the writers keep writing on the restored text.
      typeInto(b.ydoc, ' More.', 1);
      await vi.waitFor(() => expect(textOf(a.ydoc)).toBe(`${changed} More.`));
    });

    it('restores a document nobody has open, and a restore to the same text changes nothing', async () => {
      const ref = { projectId: 'novel', documentId: 'closed' };
      const para = (text: string) => {
        const p = new Y.XmlElement('paragraph');
        const x = new Y.XmlText();
        x.insert(0, text);
        p.insert(0, [x]);
        return p;
      };
      await t.server.liveDocuments.transact(ref, { userId: 'seed', reason: 'test' }, (d) => d.getXmlFragment('default').insert(0, [para('Kept words here.')]));
      const first = (await call('POST', v('novel/closed'), 'olive', {})).json as Version;
      await t.server.liveDocuments.transact(ref, { userId: 'seed', reason: 'test' }, (d) => d.getXmlFragment('default').insert(1, [para('New words.')]));
      const same = await call('POST', `${v('novel/closed')}/${first.id}/restore`, 'olive');
      expect(same.status).toBe(200);
      expect(textOf(await t.server.liveDocuments.snapshot(ref))).toBe('Kept words here.');
      const again = await call('POST', `${v('novel/closed')}/${first.id}/restore`, 'olive');
      expect(again.json).toEqual({ restoredFrom: first.id });
    });

    it('pages the list newest first with a keyset cursor', async () => {
      const doc = 'novel/paged';
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push(((await call('POST', v(doc), 'alice', { name: `v${i}` })).json as Version).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Reply = await call('GET', `${v(doc)}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, 'rita');
        expect(page.status).toBe(200);
        expect(page.json.versions.length).toBeLessThanOrEqual(2);
        seen.push(...page.json.versions.map((x) => x.id));
        cursor = page.json.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...made].reverse());
      expect((await call('GET', `${v(doc)}?cursor=bm90LWEtY3Vyc29y`, 'rita')).json.error.code).toBe('validation-failed');
    });

    it('refuses bad input with clear 4xx errors', async () => {
      const mine = (await call('POST', v('novel/a'), 'olive', { name: 'A' })).json as Version;
      // A version of another document, or of another project: not found there.
      for (const path of [`${v('novel/b')}/${mine.id}`, `${v('other/a')}/${mine.id}`, `${v('novel/b')}/${mine.id}/diff`]) {
        const res = await call('GET', path, 'olive');
        expect(res.status, path).toBe(404);
        expect(res.json.error.code).toBe('not-found');
      }
      expect((await call('POST', `${v('other/a')}/${mine.id}/restore`, 'olive')).status).toBe(404);
      expect((await call('GET', `${v('novel/a')}/not-a-uuid`, 'olive')).status).toBe(400);
      // Readers and reviewers read; only owners and editors save and restore.
      expect((await call('GET', `${v('novel/a')}/${mine.id}`, 'rita')).status).toBe(200);
      const forbidden = await call('POST', `${v('novel/a')}/${mine.id}/restore`, 'rita');
      expect(forbidden.status).toBe(403);
      expect(forbidden.json.error.code).toBe('forbidden');
      expect((await call('POST', v('novel/a'), 'rev', {})).status).toBe(403);
      expect((await call('GET', v('novel/a'), 'stranger')).status).toBe(403);
      // Bodies: bounded, and only a name.
      expect((await call('POST', v('novel/a'), 'olive', { name: 'x'.repeat(40_000) })).status).toBe(413);
      expect((await call('POST', v('novel/a'), 'olive', { name: 'x'.repeat(201) })).status).toBe(400);
      expect((await call('POST', v('novel/a'), 'olive', { name: 'ok', kind: 'auto' })).status).toBe(400);
      expect((await call('POST', v('novel/a'), 'olive', '{"name":')).status).toBe(400);
      expect((await call('GET', `${v('novel/a')}?limit=1000`, 'olive')).status).toBe(400);
    });

    it('counts words changed against a version another instance made (nothing cached)', async () => {
      const ref = { projectId: 'novel', documentId: 'cold' };
      const write = (text: string) =>
        t.server.liveDocuments.transact(ref, { userId: 'seed', reason: 'test' }, (d) => {
          const fragment = d.getXmlFragment('default');
          fragment.delete(0, fragment.length);
          const p = new Y.XmlElement('paragraph');
          const x = new Y.XmlText();
          x.insert(0, text);
          p.insert(0, [x]);
          fragment.insert(0, [p]);
        });
      await write('One two three four.');
      expect((await call('POST', v('novel/cold'), 'olive', {})).json.wordsChanged).toBe(0);
      await write('One two five six seven four.');
      const fresh = createVersionService({ store: t.server.database.versions, live: t.server.liveDocuments, clock: createManualClock(Date.now() + 1000), logger: createLogger({ level: 'silent' }) });
      // "three" became "five six seven": 3 words changed.
      expect((await fresh.create({ ref, kind: 'named', createdBy: 'olive' })).wordsChanged).toBe(3);
    });

    it('thins automatic versions after each automatic create, never a named one', async () => {
      const clock = createManualClock(Date.UTC(2026, 0, 1));
      const service = createVersionService({ store: t.server.database.versions, live: t.server.liveDocuments, clock, logger: createLogger({ level: 'silent' }) });
      const ref = { projectId: 'novel', documentId: 'thinned' };
      const named = await service.create({ ref, kind: 'named', name: 'keep', createdBy: 'alice' });
      // Eight automatic versions an hour apart... then three days later one more.
      for (let i = 0; i < 8; i++) {
        await service.create({ ref, kind: 'auto', createdBy: 'workflow:every-hour' });
        clock.advance(HOUR_MS / 2);
        await service.create({ ref, kind: 'auto', createdBy: 'workflow:every-hour' });
        clock.advance(HOUR_MS / 2);
      }
      expect((await service.list(ref, { limit: 100 })).versions.length).toBe(17);
      clock.advance(3 * DAY_MS);
      await service.create({ ref, kind: 'auto', createdBy: 'workflow:every-hour' });
      const left = (await service.list(ref, { limit: 100 })).versions;
      // 16 automatic versions in 8 hours are 3+ days old now: one per hour is kept, plus the new one.
      expect(left.filter((x) => x.kind === 'auto').length).toBe(9);
      expect(left.some((x) => x.id === named.id)).toBe(true);
    });
  });
}

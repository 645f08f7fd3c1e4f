/**
 * Versions stored as deltas against a snapshot (docs/versions.md, "Storage"), through the real
 * service and database: small edits store small deltas that read back as their text; retention
 * never deletes a snapshot a kept version is a delta of; and versions acknowledged over REST
 * survive a SIGKILL of the server (PGlite in DATA_DIR), deltas and snapshots alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { signToken } from '../../src/auth/tokens.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { documentBlocks } from '../../src/services/versions/content.js';
import { decodeVersion } from '../../src/services/versions/deltas.js';
import { DAY_MS, HOUR_MS } from '../../src/services/versions/retention.js';
import { createVersionService } from '../../src/services/versions/version-service.js';
import { startServerProcess } from '../helpers/server-process.js';
import { storageBackends } from '../helpers/storage-backends.js';
import { connectClient, startTestServer, TEST_SECRET, textOf, typeInto, type TestServer } from '../helpers/test-server.js';
import { paragraph } from '../helpers/paragraph.js';


const PARAGRAPHS = Array.from({ length: 60 }, (_, i) => `Paragraph ${i}: it was a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife.`);

for (const backend of storageBackends('storyloom-version-deltas')) {
  describe(`version deltas (${backend.name})`, () => {
    let t: TestServer;
    let cleanupStorage: () => Promise<void> = async () => {};

    beforeAll(async () => {
      const storage = await backend.env();
      cleanupStorage = storage.cleanup;
      t = await startTestServer(storage.env);
    }, 120_000);

    afterAll(async () => {
      await t?.cleanup();
      await cleanupStorage();
    });

    const edit = (documentId: string, fn: (fragment: Y.XmlFragment) => void) =>
      t.server.liveDocuments.transact({ projectId: 'novel', documentId }, { userId: 'seed', reason: 'test' }, (d) => fn(d.getXmlFragment('default')));
    const textNow = (documentId: string) => t.server.liveDocuments.read({ projectId: 'novel', documentId }, (d) => documentBlocks(d).map((b) => b.text));

    it('stores small edits as small deltas of a snapshot that read back as their text', async () => {
      const store = t.server.database.versions;
      const ref = { projectId: 'novel', documentId: 'small-edits' };
      const clock = createManualClock(Date.now());
      const service = createVersionService({ store, live: t.server.liveDocuments, clock, logger: createLogger({ level: 'silent' }) });
      // "Newest" is by creation time: each create a second after the one before.
      const tick = () => clock.advance(1000);
      await edit('small-edits', (f) => f.insert(0, PARAGRAPHS.map(paragraph)));
      const first = await service.create({ ref, kind: 'named', name: 'first', createdBy: 'olive' });
      const texts = new Map([[first.id, await textNow('small-edits')]]);
      const ids = [first.id];
      for (let i = 0; i < 4; i++) {
        await edit('small-edits', (f) => {
          ((f.get(i * 3) as Y.XmlElement).get(0) as Y.XmlText).insert(0, `Edit ${i}. `);
          f.delete(50 - i, 1);
        });
        tick();
        const version = await service.create({ ref, kind: 'auto', createdBy: 'workflow:w' });
        ids.push(version.id);
        texts.set(version.id, await textNow('small-edits'));
        expect(version.size).toBeLessThan(first.size / 20);
      }
      for (const id of ids) {
        const stored = (await store.get(ref, id))!;
        expect(stored.baseId).toBe(id === first.id ? null : first.id);
        expect(documentBlocks(decodeVersion(stored)).map((b) => b.text)).toEqual(texts.get(id));
        expect((await service.get(ref, id)).content.html).toContain('Paragraph 3');
      }
      // A change larger than an eighth of the snapshot makes a new snapshot, the base of what follows.
      await edit('small-edits', (f) => f.insert(0, PARAGRAPHS.slice(0, 20).map((p) => paragraph(`New ${p}`))));
      tick();
      const rebased = await service.create({ ref, kind: 'auto', createdBy: 'workflow:w' });
      expect((await store.get(ref, rebased.id))!.baseId).toBeNull();
      await edit('small-edits', (f) => f.delete(0, 1));
      tick();
      const after = await service.create({ ref, kind: 'named', createdBy: 'olive' });
      expect((await store.get(ref, after.id))!.baseId).toBe(rebased.id);
      // Restore of a delta version brings its text back.
      tick();
      await service.restore(ref, ids[2]!, { userId: 'olive' });
      expect(await textNow('small-edits')).toEqual(texts.get(ids[2]!));
    });

    it('keeps a snapshot that a kept version is a delta of, and lets it go with its last delta', async () => {
      const store = t.server.database.versions;
      const ref = { projectId: 'novel', documentId: 'thin-deltas' };
      const clock = createManualClock(Date.UTC(2026, 0, 1));
      const service = createVersionService({ store, live: t.server.liveDocuments, clock, logger: createLogger({ level: 'silent' }) });
      await edit('thin-deltas', (f) => f.insert(0, PARAGRAPHS.map(paragraph)));
      // Three automatic versions within one hour: a snapshot and two deltas of it.
      const base = await service.create({ ref, kind: 'auto', createdBy: 'workflow:w' });
      const texts = new Map<string, string[]>();
      const deltas: string[] = [];
      for (let i = 0; i < 2; i++) {
        clock.advance(10 * 60_000);
        await edit('thin-deltas', (f) => ((f.get(i) as Y.XmlElement).get(0) as Y.XmlText).insert(0, `Hour edit ${i}. `));
        const version = await service.create({ ref, kind: 'auto', createdBy: 'workflow:w' });
        deltas.push(version.id);
        texts.set(version.id, await textNow('thin-deltas'));
      }
      // Three days later another one: the hour's versions thin to its newest (a delta), but
      // the snapshot both remaining deltas need stays.
      clock.advance(3 * DAY_MS);
      await edit('thin-deltas', (f) => ((f.get(5) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'Later. '));
      const later = await service.create({ ref, kind: 'auto', createdBy: 'workflow:w' });
      texts.set(later.id, await textNow('thin-deltas'));
      expect((await store.get(ref, later.id))!.baseId).toBe(base.id);
      const left = (await service.list(ref, { limit: 100 })).versions.map((v) => v.id);
      expect(left).toEqual([later.id, deltas[1], base.id]);
      for (const id of [later.id, deltas[1]!]) expect(documentBlocks(decodeVersion((await store.get(ref, id))!)).map((b) => b.text)).toEqual(texts.get(id));
      // The store itself refuses to break a delta: the snapshot alone is not deleted...
      expect(await store.deleteAuto(ref, [base.id])).toBe(0);
      expect(await store.deleteAuto(ref, [base.id, deltas[1]!])).toBe(1);
      // ...and goes with the last delta that needs it.
      expect(await store.deleteAuto(ref, [base.id, later.id])).toBe(2);
      expect((await service.list(ref, { limit: 100 })).versions).toEqual([]);
      clock.advance(HOUR_MS);
    });
  });
}

describe('version deltas survive kill -9 (PGlite)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-version-kill-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads back every acknowledged version, snapshot and deltas, after a SIGKILL', async () => {
    const token = await signToken(TEST_SECRET, { userId: 'olive', name: 'olive', projects: { novel: 'owner' }, admin: false, expiresInSeconds: 3600, issuer: undefined, audience: undefined });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const server = await startServerProcess({ DATA_DIR: dataDir }, { startTimeoutMs: 60_000 });
    const saved = new Map<string, string>();
    try {
      const imported = await fetch(`${server.httpUrl}/api/documents/novel/killed/import`, { method: 'POST', headers: { authorization: headers.authorization, 'content-type': 'text/markdown' }, body: PARAGRAPHS.join('\n\n') });
      expect(imported.status).toBeLessThan(300);
      const writer = connectClient(server.wsUrl, 'novel/killed', token);
      await writer.synced;
      for (let i = 0; i < 4; i++) {
        if (i > 0) typeInto(writer.ydoc, ` Typed ${i}.`, i);
        await vi.waitFor(() => expect(writer.provider.hasUnsyncedChanges).toBe(false));
        const res = await fetch(`${server.httpUrl}/api/documents/novel/killed/versions`, { method: 'POST', headers, body: JSON.stringify({ name: `v${i}` }) });
        expect(res.status).toBe(201);
        saved.set(((await res.json()) as { id: string }).id, textOf(writer.ydoc));
      }
      writer.destroy();
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    const again = await startServerProcess({ DATA_DIR: dataDir }, { startTimeoutMs: 60_000 });
    try {
      const list = (await (await fetch(`${again.httpUrl}/api/documents/novel/killed/versions`, { headers })).json()) as { versions: { id: string; size: number }[] };
      expect(list.versions.map((v) => v.id).sort()).toEqual([...saved.keys()].sort());
      // The first is the snapshot, the others small deltas of it.
      expect(Math.max(...list.versions.slice(0, 3).map((v) => v.size))).toBeLessThan(list.versions[3]!.size / 20);
      for (const [id, text] of saved) {
        const view = (await (await fetch(`${again.httpUrl}/api/documents/novel/killed/versions/${id}`, { headers })).json()) as { content: { html: string } };
        for (const line of text.split('\n').slice(0, 4)) expect(view.content.html).toContain(line.replace(/\.$/, ''));
      }
    } finally {
      again.child.kill('SIGKILL');
      await again.exited;
    }
  }, 180_000);
});

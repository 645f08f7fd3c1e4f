/**
 * versions: the issue's targets for document versions (docs/versions.md):
 * creating a version of a 127K-word document < 100 ms; listing 1,000 versions p99 < 50 ms.
 *
 *   npm run bench -- versions
 *
 * An in-process Storyloom server per storage (PGlite in a temp dir; also a Postgres database of
 * its own when DATABASE_URL is set). `bench-v/novel` gets all of Pride and Prejudice
 * (tests/fixtures/novels, 127,359 words by `wc -w`, one paragraph per blank-line block) as one
 * server-side edit; one real provider stays connected (the document is loaded, as while people
 * write). Then, N times: the writer types a sentence into a paragraph, waits for its ack, and
 * the owner POSTs a named version over loopback HTTP (latency = request sent → body read; the
 * server reads the state, diffs paragraphs against the previous version and stores a delta
 * against the document's snapshot, or a ~0.8 MB snapshot for the first and when the delta grew
 * past 1/8 of it, src/services/versions/deltas.ts). Also with nobody connected, right after the
 * writer left: a single instance keeps the document it just closed decoded for a few minutes
 * (src/collab/recently-closed.ts), so those creates read no storage; the first is reported on
 * its own. Then cold: the server restarts on the same storage and creates of the closed document
 * read its ~0.8 MB state from storage and decode it into a fresh Y.Doc each time; the first of
 * those pays for V8 and the heap meeting that decode for the first time in the process.
 * Listing: 1,000 versions of
 * `bench-v/listed` are inserted through the store (small states: the list never reads them), then
 * GET the first page (limit 50) and walk all 1,000 in pages of 200.
 */
import { readFile } from 'node:fs/promises';
import * as Y from 'yjs';
import { storageBackends } from '../../tests/helpers/storage-backends.js';
import { connectClient, startTestServer, typeInto, type TestServer } from '../../tests/helpers/test-server.js';
import { FULL, fmt, header, writeResult } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';

const NOVEL = new URL('../../tests/fixtures/novels/pride_and_prejudice.txt', import.meta.url);
const CREATES = FULL ? 100 : 20;
const CLOSED_CREATES = FULL ? 40 : 10;
const LISTS = FULL ? 1_000 : 200;
const WALKS = FULL ? 100 : 20;
const LISTED = 1_000;

async function timed(fn: () => Promise<Response>): Promise<{ ms: number; body: unknown }> {
  const t0 = performance.now();
  const res = await fn();
  const body = (await res.json()) as unknown;
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`unexpected ${res.status}: ${JSON.stringify(body)}`);
  return { ms, body };
}

function paragraph(text: string): Y.XmlElement {
  const p = new Y.XmlElement('paragraph');
  const t = new Y.XmlText();
  t.insert(0, text);
  p.insert(0, [t]);
  return p;
}

interface Measured {
  storage: string;
  words: number;
  stateBytes: number;
  createOpen: Summary;
  /** The first create after the document closed. */
  createClosedFirst: number;
  /** The later ones. */
  createClosed: Summary;
  /** After a restart on the same storage: the first create of the closed document, then later ones. */
  createColdFirst: number;
  createCold: Summary;
  firstPage: Summary;
  walk: Summary;
}

async function measure(storage: string, env: Record<string, string>): Promise<Measured> {
  const t: TestServer = await startTestServer(env);
  try {
    const owner = await t.token('owner', { 'bench-v': 'owner' });
    const post = (doc: string, body: unknown) =>
      fetch(`${t.httpUrl}/api/documents/bench-v/${doc}/versions`, { method: 'POST', headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const get = (doc: string, query: string) => fetch(`${t.httpUrl}/api/documents/bench-v/${doc}/versions${query}`, { headers: { authorization: `Bearer ${owner}` } });

    const paragraphs = (await readFile(NOVEL, 'utf8')).split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
    await t.server.liveDocuments.transact({ projectId: 'bench-v', documentId: 'novel' }, { userId: 'bench', reason: 'seed' }, (doc) => {
      doc.getXmlFragment('default').insert(0, paragraphs.map(paragraph));
    });

    const writer = connectClient(t.wsUrl, 'bench-v/novel', await t.token('writer', { 'bench-v': 'editor' }));
    await writer.synced;
    const open: number[] = [];
    let words = 0;
    let stateBytes = 0;
    for (let i = 0; i < CREATES + 2; i++) {
      typeInto(writer.ydoc, ` An added sentence number ${i}.`, 10 + i * 7);
      while (writer.provider.hasUnsyncedChanges) await new Promise((r) => setTimeout(r, 5));
      const { ms, body } = await timed(() => post('novel', { name: `v${i}` }));
      const version = body as { words: number; size: number };
      words = version.words;
      stateBytes = version.size;
      if (i >= 2) open.push(ms); // two warm-ups
    }
    writer.destroy();
    while (t.server.collaboration.hocuspocus.documents.has('bench-v/novel')) await new Promise((r) => setTimeout(r, 20));
    const closed: number[] = [];
    const closedFirst = (await timed(() => post('novel', {}))).ms;
    for (let i = 0; i < CLOSED_CREATES; i++) closed.push((await timed(() => post('novel', {}))).ms);

    const small = Y.encodeStateAsUpdate((() => {
      const d = new Y.Doc();
      d.getXmlFragment('default').insert(0, [paragraph('A short text of a few words.')]);
      return d;
    })());
    const start = Date.now() - LISTED * 60_000;
    for (let i = 0; i < LISTED; i++) {
      await t.server.database.versions.insert({
        id: crypto.randomUUID(),
        projectId: 'bench-v',
        documentId: 'listed',
        name: i % 10 === 0 ? `Named ${i}` : null,
        kind: i % 10 === 0 ? 'named' : 'auto',
        createdBy: 'writer',
        createdAt: start + i * 60_000,
        words: 7,
        wordsChanged: 1,
        size: small.byteLength,
        baseId: null,
        state: small,
      });
    }
    const firstPage: number[] = [];
    for (let i = 0; i < LISTS + 5; i++) {
      const { ms, body } = await timed(() => get('listed', '?limit=50'));
      if ((body as { versions: unknown[] }).versions.length !== 50) throw new Error('short first page');
      if (i >= 5) firstPage.push(ms);
    }
    const walk: number[] = [];
    for (let w = 0; w < WALKS; w++) {
      let cursor: string | null = null;
      let seen = 0;
      do {
        const query: string = `?limit=200${cursor ? `&cursor=${cursor}` : ''}`;
        const { ms, body } = await timed(() => get('listed', query));
        const page = body as { versions: unknown[]; nextCursor: string | null };
        seen += page.versions.length;
        cursor = page.nextCursor;
        walk.push(ms);
      } while (cursor);
      if (seen !== LISTED) throw new Error(`walked ${seen} versions, not ${LISTED}`);
    }

    // Cold: a new process on the same storage has nothing decoded (t.cleanup later removes the dir).
    await t.close();
    const restarted = await startTestServer({ ...env, DATA_DIR: t.dataDir });
    try {
      const postCold = () =>
        fetch(`${restarted.httpUrl}/api/documents/bench-v/novel/versions`, { method: 'POST', headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' }, body: '{}' });
      const coldFirst = (await timed(postCold)).ms;
      const cold: number[] = [];
      for (let i = 0; i < CLOSED_CREATES; i++) cold.push((await timed(postCold)).ms);
      return {
        storage,
        words,
        stateBytes,
        createOpen: summarize(open),
        createClosedFirst: closedFirst,
        createClosed: summarize(closed),
        createColdFirst: coldFirst,
        createCold: summarize(cold),
        firstPage: summarize(firstPage),
        walk: summarize(walk),
      };
    } finally {
      await restarted.cleanup();
    }
  } finally {
    await t.cleanup();
  }
}

export async function versionsBench(): Promise<string> {
  const results: Measured[] = [];
  for (const backend of storageBackends('storyloom-bench-versions')) {
    const storage = await backend.env();
    try {
      results.push(await measure(backend.name, storage.env));
    } finally {
      await storage.cleanup();
    }
  }
  await writeResult('versions', results);
  const ms = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} / ${fmt(s.max)}`;
  const lines = [
    header(),
    '',
    '| storage | words | stored by the last create | create, document open: p50 / p95 / p99 / max ms | create, nobody connected: first after close | later ones | after a restart: first | later ones | list first page (50 of 1,000) | walk 1,000 in pages of 200 (per request) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.storage} | ${r.words.toLocaleString('en-US')} | ${fmt(r.stateBytes / 1024, 1)} KiB | ${ms(r.createOpen)} (n=${r.createOpen.count}) | ${fmt(r.createClosedFirst)} | ${ms(r.createClosed)} (n=${r.createClosed.count}) | ${fmt(r.createColdFirst)} | ${ms(r.createCold)} (n=${r.createCold.count}) | ${ms(r.firstPage)} (n=${r.firstPage.count}) | ${ms(r.walk)} (n=${r.walk.count}) |`),
    '',
    'Targets: create < 100 ms; listing p99 < 50 ms.',
  ];
  return lines.join('\n');
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { writeJSON } from '../../src/manuscript/convert.js';
import { markdownToJSON } from '../../src/manuscript/import.js';
import type { DocumentRef, LiveDocuments } from '../../src/services/documents/ports.js';
import { createPublishingService } from '../../src/services/publishing/publishing-service.js';
import { ActionError, type ActionContext, type ActionHandler } from '../../src/services/workflows/action-handlers.js';
import { createWorkflowActions, createLiveManuscripts, type WorkflowActionsDeps } from '../../src/services/workflows/actions/index.js';
import { createEpubCheckAction } from '../../src/services/workflows/actions/epub-check.js';
import { createSandbox } from '../../src/services/workflows/actions/sandbox.js';
import type { Json } from '../../src/workflows/definition.js';

/**
 * The manuscript actions with the real publishing service and the real `epubcheck`: validate a
 * project's chapters, export it as an EPUB into the project's files, check that EPUB (and a
 * broken one), upload it to a local HTTP endpoint and take it back (the compensation), and
 * count the project's words. The documents are real Yjs documents behind the LiveDocuments port.
 */

const logger = createLogger({ level: 'silent' });

/** LiveDocuments over Yjs documents held in memory (the port's contract: copies for snapshot). */
function memoryLiveDocuments(docs: Map<string, Y.Doc>): LiveDocuments {
  const key = (ref: DocumentRef) => `${ref.projectId}/${ref.documentId}`;
  const get = (ref: DocumentRef) => {
    let doc = docs.get(key(ref));
    if (!doc) docs.set(key(ref), (doc = new Y.Doc()));
    return doc;
  };
  return {
    async transact(ref, _actor, fn) {
      const doc = get(ref);
      doc.transact(() => fn(doc));
    },
    async snapshot(ref) {
      const copy = new Y.Doc();
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(get(ref)));
      return copy;
    },
    async read(ref, fn) {
      return fn(get(ref));
    },
  };
}

const CHAPTERS: Record<string, string> = {
  'ch-1': '# The Cliffs\n\nMara keeps the lighthouse on the northern cliffs. Every night the lamp turns.\n\nShe writes to the sailors she has never met.',
  'ch-2': '# The Storm\n\nWhen the storm comes the lighthouse goes dark, and Mara climbs to the lamp.',
  'ch-3': '# The Morning\n\nThe ships are safe. Mara sleeps until noon, and the sailors write back.',
};

describe('manuscript actions', { timeout: 300_000 }, () => {
  let dataDir: string;
  let handlers: Map<string, ActionHandler>;
  let server: Server;
  let uploadBase: string;
  const uploads = new Map<string, Buffer>();
  const requests: string[] = [];
  const events: StoryloomEvent[] = [];
  const order = ['ch-1', 'ch-2', 'ch-3'];
  let deps: WorkflowActionsDeps;

  const ctx = (over: Partial<ActionContext> = {}): ActionContext => ({
    runId: '0190f5a2-0000-7000-8000-000000000001',
    workflowId: 'wf-pub',
    projectId: 'novel',
    stepId: 'step',
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  });
  const invoke = async (name: string, input: unknown, context = ctx()): Promise<Record<string, Json>> => {
    const handler = handlers.get(name)!;
    const parsed = handler.spec.input.safeParse(input);
    if (!parsed.success) throw new Error(parsed.error.message);
    const output = await handler.run(parsed.data as Json, context);
    expect(handler.spec.output!.safeParse(output).success).toBe(true);
    return output as Record<string, Json>;
  };
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ActionError);
    return error as ActionError;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wf-docs-'));
    const docs = new Map<string, Y.Doc>();
    const live = memoryLiveDocuments(docs);
    for (const [documentId, markdown] of Object.entries(CHAPTERS)) {
      const json1 = await markdownToJSON(markdown);
      await live.transact({ projectId: 'novel', documentId }, { userId: 'u', reason: 'test' }, (doc) => writeJSON(doc, json1));
    }
    const json2 = await markdownToJSON('# One\n\nSome words here.\n\n# Two\n\n# Three\n\nMore.');
    await live.transact({ projectId: 'drafty', documentId: 'a' }, { userId: 'u', reason: 'test' }, (doc) => writeJSON(doc, json2));

    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''}`);
        if (req.method === 'PUT') {
          uploads.set(req.url!, Buffer.concat(chunks));
          res.writeHead(201).end();
        } else if (req.method === 'DELETE') res.writeHead(uploads.delete(req.url!) ? 204 : 404).end();
        else res.writeHead(405).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    uploadBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/books/`;

    const manuscripts = createLiveManuscripts({ live, documentIds: async (projectId) => (projectId === 'novel' ? order : projectId === 'drafty' ? ['a'] : []) });
    const publishing = createPublishingService({ documents: live, clock: systemClock, logger, maxImportBytes: 1 << 20, publish: async (e) => void events.push(e), actorOf: () => '0123456789abcdef' });
    deps = {
      dataDir,
      clock: systemClock,
      httpAllow: '',
      uploadUrl: uploadBase,
      ai: { baseUrl: undefined, apiKey: undefined, model: undefined },
      publish: async (e) => void events.push(e),
      versions: {
        create: async () => {
          throw new Error('not used here');
        },
      },
      publishing,
      manuscripts,
      writing: {
        projectWriting: async () => {
          throw new Error('not used here');
        },
        wordsBetween: async () => 0,
        listGoals: async () => [],
        goalProgress: async () => {
          throw new Error('not used here');
        },
      },
      notify: { notify: async () => null, owners: async () => [], roleOf: async () => null },
    };
    handlers = new Map(createWorkflowActions(deps).map((h) => [h.spec.name, h]));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers every action once, each with input and output schemas', () => {
    expect([...handlers.keys()].sort()).toEqual(
      ['ai', 'database', 'document.export', 'document.validate', 'document.version', 'email', 'epub.check', 'event.emit', 'file', 'http', 'loop', 'notification', 'sms', 'upload', 'upload.delete'].sort(),
    );
    for (const handler of handlers.values()) expect(handler.spec.output, handler.spec.name).toBeDefined();
  });

  it('document.validate passes a sound manuscript and returns its chapters, words and excerpt', async () => {
    const out = await invoke('document.validate', { minChapters: 3, minWords: 30, excerptWords: 12 });
    expect(out).toMatchObject({ ok: true, problems: [], title: 'The Cliffs' });
    expect(out.chapters).toEqual([
      { title: 'The Cliffs', words: 24 },
      { title: 'The Storm', words: 16 },
      { title: 'The Morning', words: 15 },
    ]);
    // Headings count: the export's words are the documents' words.
    expect(out.words).toBe(55);
    expect(out.excerpt).toBe('The Cliffs\nMara keeps the lighthouse on the northern cliffs. Every night');
  });

  it('document.validate lists empty chapters and too few words, and fails unless told not to', async () => {
    const error = await failure(invoke('document.validate', { minWords: 100 }, ctx({ projectId: 'drafty' })));
    expect(error.permanent).toBe(true);
    expect(error.message).toContain('chapter 2 "Two" has 0 words');
    const out = await invoke('document.validate', { minWords: 100, failWhenNotOk: false }, ctx({ projectId: 'drafty' }));
    expect(out.ok).toBe(false);
    expect((out.problems as { code: string }[]).map((p) => p.code)).toEqual(['empty-chapter', 'too-few-words']);
    await failure(invoke('document.validate', {}, ctx({ projectId: 'empty' })));
  });

  it('database project.words counts the current text of every document', async () => {
    expect(await invoke('database', { operation: 'project.words', params: {} })).toEqual({
      operation: 'project.words',
      result: { documents: [{ documentId: 'ch-1', words: 24 }, { documentId: 'ch-2', words: 16 }, { documentId: 'ch-3', words: 15 }], total: 55 },
    });
    expect(handlers.get('database')!.spec.input.safeParse({ operation: 'sql', params: { query: 'DROP TABLE x' } }).success).toBe(false);
  });

  let epubPath = '';

  it('document.export writes the project as an EPUB under exports/<runId>/ and epub.check accepts it', async () => {
    const out = await invoke('document.export', { format: 'epub', title: 'The Lighthouse Keeper', author: 'A. Writer' });
    expect(out).toMatchObject({ format: 'epub', chapters: 3, path: 'exports/0190f5a2-0000-7000-8000-000000000001/The-Lighthouse-Keeper.epub' });
    epubPath = out.path as string;
    const file = join(dataDir, 'files', 'novel', epubPath);
    expect((await stat(file)).size).toBe(out.bytes);
    expect(events.some((e) => e.type === 'publishing.export_completed')).toBe(true);

    const check = await invoke('epub.check', { path: epubPath });
    expect(check).toMatchObject({ ok: true, fatals: 0, errors: 0 });
  });

  it('epub.check fails permanently on an EPUB with errors and lists them', async () => {
    const good = await readFile(join(dataDir, 'files', 'novel', epubPath));
    const entries = unzipSync(good);
    const chapter = Object.keys(entries).find((name) => /chapter-\d+\.xhtml$/.test(name))!;
    const broken: Zippable = {};
    for (const [name, data] of Object.entries(entries)) if (name !== chapter) broken[name] = name === 'mimetype' ? [data, { level: 0 }] : data;
    await writeFile(join(dataDir, 'files', 'novel', 'broken.epub'), zipSync(broken));
    const error = await failure(invoke('epub.check', { path: 'broken.epub' }));
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/epub\.check: broken\.epub: \d+ fatal, [1-9]\d* errors/);
    expect(error.message).toContain(chapter.slice(chapter.lastIndexOf('/') + 1));
  });

  it('epub.check says clearly when epubcheck is not installed, and refuses paths outside', async () => {
    const missing = createEpubCheckAction({ sandbox: createSandbox(join(dataDir, 'files')), command: join(dataDir, 'no-such-epubcheck') });
    const error = await failure(missing.run({ path: epubPath }, ctx()));
    expect(error.message).toContain('is not installed');
    expect((await failure(invoke('epub.check', { path: '../novel/x.epub' }))).permanent).toBe(true);
  });

  it('upload PUTs the file to WORKFLOW_UPLOAD_URL/{project}/{name}; upload.delete removes it', async () => {
    const out = await invoke('upload', { path: epubPath, name: 'book.epub' });
    expect(out).toMatchObject({ target: 'http', location: `${uploadBase}novel/book.epub`, status: 201 });
    const sent = uploads.get('/books/novel/book.epub')!;
    expect(sent.equals(await readFile(join(dataDir, 'files', 'novel', epubPath)))).toBe(true);
    expect(requests).toContain('PUT /books/novel/book.epub application/epub+zip');
    expect(await invoke('upload.delete', { path: epubPath, name: 'book.epub' })).toEqual({ target: 'http', location: `${uploadBase}novel/book.epub`, deleted: true });
    expect(uploads.has('/books/novel/book.epub')).toBe(false);
    // Deleting what is not there is not an error (a compensation may run twice).
    expect(await invoke('upload.delete', { path: epubPath, name: 'book.epub' })).toMatchObject({ deleted: false });
  });

  it('upload without an URL copies into the storage directory, and upload.delete removes the copy', async () => {
    const list = createWorkflowActions({ ...deps, uploadUrl: undefined });
    const [upload, remove] = ['upload', 'upload.delete'].map((name) => list.find((h) => h.spec.name === name)!);
    const out = (await upload!.run({ path: epubPath, method: 'PUT' }, ctx())) as Record<string, Json>;
    expect(out).toMatchObject({ target: 'directory', location: join(dataDir, 'uploads', 'novel', 'The-Lighthouse-Keeper.epub') });
    expect((await stat(out.location as string)).size).toBe(out.bytes);
    expect(await remove!.run({ path: epubPath, method: 'PUT' }, ctx())).toMatchObject({ deleted: true });
    await expect(stat(out.location as string)).rejects.toThrow();
  });
});

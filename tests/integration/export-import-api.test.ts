import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';
import { strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApi } from '../../client-sdk/src/index.js';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { zipEntries } from '../helpers/epub-text.js';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const MD = '# The Ball\n\nIt was *late*, and the music\nwas loud.\n\n> A letter.\n\n* * *\n\nNext morning.  \nRain.\n';

describe('export and import over REST', () => {
  let server: TestServer;
  let small: TestServer;
  let owner: string;
  let reader: string;
  let reviewer: string;
  let outsider: string;
  const seen: StoryloomEvent[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    small = await startTestServer({ MAX_IMPORT_BYTES: '4096' });
    owner = await server.token('olive', { novel: 'owner' });
    reader = await server.token('rhea', { novel: 'reader' });
    reviewer = await server.token('remy', { novel: 'reviewer' });
    outsider = await server.token('otto', { other: 'owner' });
    server.server.bus.subscribe({ group: 'export-test', categories: ['publishing'], handle: async (e) => void seen.push(e) });
  }, 120_000);
  afterAll(async () => {
    await server?.cleanup();
    await small?.cleanup();
  });

  const call = (s: TestServer, path: string, token: string, init: RequestInit = {}) =>
    fetch(`${s.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  const importFile = (documentId: string, body: BodyInit, contentType: string, token = owner, s = server) =>
    call(s, `/api/documents/novel/${documentId}/import`, token, { method: 'POST', body, headers: { 'content-type': contentType } });
  const exportDoc = (documentId: string, format: string, token = owner) => call(server, `/api/documents/novel/${documentId}/export?format=${format}`, token);

  it('imports Markdown, then exports it in every format with its MIME type and file name', async () => {
    const res = await importFile('ball', MD, 'text/markdown; charset=utf-8');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ projectId: 'novel', documentId: 'ball', format: 'markdown', blocks: 5, words: 15 });

    const expected = {
      epub: 'application/epub+zip',
      docx: DOCX_TYPE,
      html: 'text/html; charset=utf-8',
      md: 'text/markdown; charset=utf-8',
    };
    for (const [format, type] of Object.entries(expected)) {
      const out = await exportDoc('ball', format, reader);
      expect(out.status, format).toBe(200);
      expect(out.headers.get('content-type')).toBe(type);
      expect(out.headers.get('content-disposition')).toBe(`attachment; filename="ball.${format}"`);
      const bytes = new Uint8Array(await out.arrayBuffer());
      if (format === 'epub') {
        const entries = zipEntries(bytes);
        expect(entries[0]![0]).toBe('mimetype');
        expect(strFromU8(entries[0]![1])).toBe('application/epub+zip');
      }
      if (format === 'html') expect(new TextDecoder().decode(bytes)).toContain('<h1>The Ball</h1>');
      if (format === 'md') {
        // The round trip: what we export is what was imported, in Markdown's own spelling.
        expect(new TextDecoder().decode(bytes)).toBe('# The Ball\n\nIt was *late*, and the music was loud.\n\n> A letter.\n\n* * *\n\nNext morning.\\\nRain.\n');
      }
    }
    await vi.waitFor(() => expect(seen.filter((e) => e.type === 'publishing.export_completed' && e.documentId === 'ball')).toHaveLength(4));
    const formats = seen.map((e) => (e.type === 'publishing.export_completed' ? e.payload.format : null));
    expect(new Set(formats)).toEqual(new Set(['epub', 'docx', 'html', 'markdown']));
  });

  it('exports with a title and author given, and the file name follows the title', async () => {
    const out = await exportDoc('ball', 'docx&title=' + encodeURIComponent('The Ball: Part I') + '&author=Jane%20Austen');
    expect(out.headers.get('content-disposition')).toBe('attachment; filename="The-Ball-Part-I.docx"');
  });

  it('imports a DOCX and plain text; a round trip through export and import keeps the text', async () => {
    const docx = await Packer.toBuffer(
      new Document({
        sections: [
          {
            children: [
              new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun('Letters')] }),
              new Paragraph({ children: [new TextRun('She read it '), new TextRun({ text: 'twice', italics: true }), new TextRun('.')] }),
              new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun('#')] }),
            ],
          },
        ],
      }),
    );
    expect((await importFile('letters', new Uint8Array(docx), DOCX_TYPE)).status).toBe(201);
    const html = await (await exportDoc('letters', 'html')).text();
    expect(html).toContain('<h1>Letters</h1>');
    expect(html).toContain('<em>twice</em>');
    expect(html).toContain('<hr>');

    // Our own DOCX back in, into a new document: the same HTML comes out.
    const exported = new Uint8Array(await (await exportDoc('letters', 'docx')).arrayBuffer());
    expect((await importFile('letters-again', exported, DOCX_TYPE)).status).toBe(201);
    expect(await (await exportDoc('letters-again', 'html')).text()).toBe(html.replace('<title>letters</title>', '<title>letters-again</title>'));

    const text = await importFile('plain', 'Chapter One\n\nA line\nwrapped.\n\n# Two\n\nEnd.', 'text/plain');
    expect(await text.json()).toMatchObject({ format: 'text', blocks: 4, words: 7 });
  });

  it('exports several documents as one book, in the order given', async () => {
    const res = await call(server, '/api/projects/novel/export', reviewer, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'md', documents: ['letters', 'ball'], title: 'Two Chapters', author: 'A. Writer', language: 'en-GB' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="Two-Chapters.md"');
    const md = await res.text();
    expect(md.indexOf('# Letters')).toBeLessThan(md.indexOf('# The Ball'));

    const epub = await call(server, '/api/projects/novel/export', owner, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'epub', documents: ['ball', 'letters'], title: 'Two Chapters', author: 'A. Writer' }),
    });
    expect(epub.headers.get('content-type')).toBe('application/epub+zip');
    const names = zipEntries(new Uint8Array(await epub.arrayBuffer())).map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['EPUB/chapter-001.xhtml', 'EPUB/chapter-002.xhtml', 'EPUB/nav.xhtml', 'EPUB/title.xhtml']));
    await vi.waitFor(() => expect(seen.some((e) => e.type === 'publishing.export_completed' && e.documentId === undefined && e.payload.format === 'epub')).toBe(true));
  });

  it('refuses bad imports with a clear 4xx and leaves the document unchanged', async () => {
    const notZip = await importFile('target', '# not a docx', DOCX_TYPE);
    expect(notZip.status).toBe(400);
    expect((await notZip.json()).error).toMatchObject({ code: 'validation-failed', message: expect.stringContaining('not a DOCX') });

    const pdf = await importFile('target', '%PDF-1.4', 'application/pdf');
    expect(pdf.status).toBe(400);
    expect((await pdf.json()).error.details).toMatchObject({ contentType: 'application/pdf' });

    const big = await importFile('target', 'word '.repeat(2000), 'text/markdown', await small.token('olive', { novel: 'owner' }), small);
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('message-too-large');

    // Still empty after all three: a Markdown import goes in, and a second one is refused.
    expect(await (await exportDoc('target', 'md')).text()).toBe('\n');
    expect((await importFile('target', 'Fresh text.', 'text/markdown')).status).toBe(201);
    const again = await importFile('target', 'Other text.', 'text/markdown');
    expect(again.status).toBe(409);
    expect(await (await exportDoc('target', 'md')).text()).toBe('Fresh text.\n');
  });

  it('follows the access model: readers and reviewers export, only owners and editors import, outsiders neither', async () => {
    expect((await importFile('by-reader', 'x', 'text/plain', reader)).status).toBe(403);
    expect((await importFile('by-reviewer', 'x', 'text/plain', reviewer)).status).toBe(403);
    expect((await exportDoc('ball', 'md', outsider)).status).toBe(403);
    const book = await call(server, '/api/projects/novel/export', outsider, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'epub', documents: ['ball'], title: 'T', author: 'A' }),
    });
    expect(book.status).toBe(403);
    expect((await fetch(`${server.httpUrl}/api/documents/novel/ball/export?format=md`)).status).toBe(401);
    expect((await exportDoc('ball', 'pdf')).status).toBe(400);
  });

  it('is covered by the SDK: client.api.importDocument, exportDocument and exportBook', async () => {
    const api = createApi({ baseUrl: server.httpUrl, token: async () => owner, refreshToken: async () => owner });
    const imported = await api.importDocument('novel', 'sdk', '# From the SDK\n\nHello there.', 'text/markdown');
    expect(imported).toMatchObject({ documentId: 'sdk', words: 5 });
    const md = await api.exportDocument('novel', 'sdk', { format: 'md' });
    expect(md).toMatchObject({ contentType: 'text/markdown; charset=utf-8', fileName: 'sdk.md' });
    expect(new TextDecoder().decode(md.bytes)).toBe('# From the SDK\n\nHello there.\n');
    const book = await api.exportBook('novel', { format: 'epub', documents: ['sdk', 'ball'], title: 'SDK Book', author: 'Me' });
    expect(book.fileName).toBe('SDK-Book.epub');
    expect(zipEntries(book.bytes)[0]![0]).toBe('mimetype');
    await expect(api.importDocument('novel', 'sdk', 'again', 'text/plain')).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });

  it('lists the three operations in the OpenAPI document with their access levels', async () => {
    const doc = (await (await fetch(`${server.httpUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-access': string }>> };
    expect(doc.paths['/api/documents/{projectId}/{documentId}/export']!.get!['x-access']).toBe('project:read');
    expect(doc.paths['/api/projects/{projectId}/export']!.post!['x-access']).toBe('project:read');
    expect(doc.paths['/api/documents/{projectId}/{documentId}/import']!.post!['x-access']).toBe('project:write');
  });
});

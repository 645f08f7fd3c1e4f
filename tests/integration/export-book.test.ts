import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../../src/manuscript/chapters.js';
import { docxToJSON, markdownToJSON } from '../../src/manuscript/import.js';
import type { ManuscriptJSON } from '../../src/manuscript/schema.js';
import { countWords } from '../../src/tracking/writing/word-rule.js';
import { epubChapterTexts, zipEntries } from '../helpers/epub-text.js';
import { epubcheck, which } from '../helpers/epubcheck.js';
import { prideAndPrejudiceChapters } from '../helpers/export-novel.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const run = promisify(execFile);
const wordsOf = (doc: ManuscriptJSON) => countWords((doc.content ?? []).map(textOf).join('\n'));

/**
 * The issue's book test: Pride and Prejudice imported over REST as one document per chapter,
 * exported as one book. epubcheck (the Debian package) must report nothing at all; the EPUB's
 * chapters and words, and the words of the DOCX and Markdown read back, equal the documents'.
 */
describe('Pride and Prejudice as a book', { timeout: 300_000 }, () => {
  let server: TestServer;
  let token: string;
  let dir: string;
  let ids: string[] = [];
  let documentWords = 0;

  const book = async (format: string) => {
    const res = await fetch(`${server.httpUrl}/api/projects/austen/export`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ format, documents: ids, title: 'Pride and Prejudice', author: 'Jane Austen', language: 'en' }),
    });
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  };

  beforeAll(async () => {
    server = await startTestServer();
    token = await server.token('jane', { austen: 'owner' });
    dir = await mkdtemp(join(tmpdir(), 'storyloom-book-'));
    const chapters = await prideAndPrejudiceChapters();
    for (const chapter of chapters) {
      const res = await fetch(`${server.httpUrl}/api/documents/austen/${chapter.id}/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain; charset=utf-8' },
        body: chapter.text,
      });
      expect(res.status).toBe(201);
      documentWords += ((await res.json()) as { words: number }).words;
    }
    ids = chapters.map((c) => c.id);
  }, 240_000);
  afterAll(async () => {
    await server?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the 61 chapters and ~122K words we expect from the fixture', () => {
    expect(ids).toHaveLength(61);
    expect(documentWords).toBeGreaterThan(115_000);
  });

  it('EPUB: epubcheck reports no error and no warning; chapters and words equal the documents', async () => {
    const epub = await book('epub');
    const file = join(dir, 'pride-and-prejudice.epub');
    await writeFile(file, epub);
    const report = await epubcheck(file);
    expect(report, report.output).toMatchObject({ fatals: 0, errors: 0, warnings: 0 });

    const texts = epubChapterTexts(epub);
    expect(texts).toHaveLength(ids.length);
    expect(countWords(texts.join('\n'))).toBe(documentWords);
    const nav = strFromU8(zipEntries(epub).find(([name]) => name === 'EPUB/nav.xhtml')![1]);
    expect(nav.match(/<li><a href="chapter-\d+\.xhtml">/g)).toHaveLength(ids.length);
    expect(nav).toContain('>Chapter LXI</a>');
  });

  it('DOCX: the text read back (mammoth, and LibreOffice when installed) has the same words', async () => {
    const docx = await book('docx');
    expect(wordsOf(await docxToJSON(docx))).toBe(documentWords);
    const soffice = which('soffice');
    if (soffice) {
      const file = join(dir, 'book.docx');
      await writeFile(file, docx);
      await run(soffice, ['--headless', '--norestore', `-env:UserInstallation=file://${join(dir, 'lo-profile')}`, '--convert-to', 'txt:Text', '--outdir', dir, file], { timeout: 180_000 });
      const text = await readFile(join(dir, 'book.txt'), 'utf8');
      expect(countWords(text)).toBe(documentWords);
    }
  });

  it('Markdown: the book read back has the same words and the 61 chapter headings', async () => {
    const md = new TextDecoder().decode(await book('md'));
    const back = await markdownToJSON(md);
    expect(wordsOf(back)).toBe(documentWords);
    expect((back.content ?? []).filter((b) => b.type === 'heading')).toHaveLength(ids.length);
  });
});

/**
 * export: the issue's targets for book export (docs/export.md): the whole of Pride and Prejudice
 * (61 chapter documents, ~122K words) as EPUB < 2 s and as DOCX < 3 s on this machine.
 *
 *   npm run bench -- export
 *
 * An in-process Storyloom server on PGlite; the chapters are imported over REST (one document
 * each, tests/helpers/export-novel.ts), then the book is exported N times per format over
 * loopback HTTP (latency = request sent → last byte read: the server reads 61 documents through
 * LiveDocuments, converts them and builds the file). The first request of each format is a
 * warm-up and is not counted. Also the pure conversion alone (src/manuscript exportBook on the
 * documents' ProseMirror JSON), to show where the time goes.
 */
import { docToJSON } from '../../src/manuscript/convert.js';
import { exportBook, type ExportFormat } from '../../src/manuscript/export.js';
import { prideAndPrejudiceChapters } from '../../tests/helpers/export-novel.js';
import { startTestServer } from '../../tests/helpers/test-server.js';
import { FULL, fmt, header, writeResult } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';

const RUNS = FULL ? 10 : 3;
const FORMATS: ExportFormat[] = ['epub', 'docx', 'md', 'html'];
const TARGET_MS: Partial<Record<ExportFormat, number>> = { epub: 2_000, docx: 3_000 };

interface Row {
  format: ExportFormat;
  bytes: number;
  http: Summary;
  pure: Summary;
}

export async function exportBench(): Promise<string> {
  const t = await startTestServer();
  const rows: Row[] = [];
  let words = 0;
  try {
    const token = await t.token('bench', { 'bench-x': 'owner' });
    const chapters = await prideAndPrejudiceChapters();
    for (const chapter of chapters) {
      const res = await fetch(`${t.httpUrl}/api/documents/bench-x/${chapter.id}/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: chapter.text,
      });
      if (res.status !== 201) throw new Error(`import of ${chapter.id}: ${res.status} ${await res.text()}`);
      words += ((await res.json()) as { words: number }).words;
    }
    const ids = chapters.map((c) => c.id);
    const documents = [];
    for (const id of ids) documents.push({ title: id, content: docToJSON(await t.server.liveDocuments.snapshot({ projectId: 'bench-x', documentId: id })) });
    const meta = { title: 'Pride and Prejudice', author: 'Jane Austen', identifier: 'urn:uuid:00000000-0000-7000-8000-000000000000', modified: new Date() };

    for (const format of FORMATS) {
      const http: number[] = [];
      const pure: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= RUNS; i++) {
        const t0 = performance.now();
        const res = await fetch(`${t.httpUrl}/api/projects/bench-x/export`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ format, documents: ids, title: meta.title, author: meta.author }),
        });
        bytes = (await res.arrayBuffer()).byteLength;
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`export ${format}: ${res.status}`);
        const p0 = performance.now();
        await exportBook(format, documents, meta);
        const pureMs = performance.now() - p0;
        if (i > 0) {
          http.push(ms);
          pure.push(pureMs);
        }
      }
      rows.push({ format, bytes, http: summarize(http), pure: summarize(pure) });
    }
  } finally {
    await t.cleanup();
  }
  await writeResult('export', { words, rows });
  const ms = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.max)}`;
  return [
    header(),
    '',
    `Pride and Prejudice: 61 chapter documents, ${words.toLocaleString('en-US')} words (the writing tracker's rule), ${RUNS} timed runs per format after a warm-up.`,
    '',
    '| format | file | book over REST: p50 / max ms | conversion alone: p50 / max ms | target |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.format} | ${fmt(r.bytes / 1024, 0)} KiB | ${ms(r.http)} | ${ms(r.pure)} | ${TARGET_MS[r.format] ? `< ${TARGET_MS[r.format]! / 1000} s` : '—'} |`),
  ].join('\n');
}

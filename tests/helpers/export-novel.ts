import { readFile } from 'node:fs/promises';

const NOVEL = new URL('../fixtures/novels/pride_and_prejudice.txt', import.meta.url);
const CHAPTER_LINE = /^(?:Chapter|CHAPTER) ([IVXLC]+)\.?\]?$/;

/**
 * Pride and Prejudice (tests/fixtures/novels) cut into its 61 chapters at the "Chapter N" lines,
 * each as the plain text of one document: a `# Chapter N` heading line, then the chapter's
 * hard-wrapped paragraphs. The front matter before chapter I (title pages, the preface, the list
 * of illustrations) is left out.
 */
export async function prideAndPrejudiceChapters(): Promise<Array<{ id: string; text: string }>> {
  const chapters: Array<{ id: string; lines: string[] }> = [];
  for (const line of (await readFile(NOVEL, 'utf8')).split('\n')) {
    const heading = CHAPTER_LINE.exec(line.trim());
    if (heading) chapters.push({ id: `chapter-${String(chapters.length + 1).padStart(2, '0')}`, lines: [`# Chapter ${heading[1]}`, ''] });
    else chapters.at(-1)?.lines.push(line);
  }
  return chapters.map((c) => ({ id: c.id, text: c.lines.join('\n') }));
}

import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { splitChapters } from '../../src/manuscript/chapters.js';
import { docToJSON, isEmptyDoc, writeJSON } from '../../src/manuscript/convert.js';
import { exportBook } from '../../src/manuscript/export.js';
import { docxToJSON, importFile, importKindOf, markdownToJSON, plainTextToJSON } from '../../src/manuscript/import.js';
import { toMarkdown } from '../../src/manuscript/markdown.js';
import { MANUSCRIPT_FRAGMENT, manuscriptExtensions, type ManuscriptJSON } from '../../src/manuscript/schema.js';
import { blocksToXhtml, escapeXml } from '../../src/manuscript/xhtml.js';
import { AppError } from '../../src/lib/errors.js';
import { readFileSync } from 'node:fs';
import { WRITING_ROOTS } from '../../src/collab/document-tap.js';
import { EDITOR_FRAGMENT } from '../../src/services/documents/ports.js';

const t = (text: string, marks?: string[]): ManuscriptJSON => ({ type: 'text', text, ...(marks ? { marks: marks.map((type) => ({ type })) } : {}) });
const p = (...content: ManuscriptJSON[]): ManuscriptJSON => ({ type: 'paragraph', content });
const h = (level: number, text: string): ManuscriptJSON => ({ type: 'heading', attrs: { level }, content: [t(text)] });
const hr: ManuscriptJSON = { type: 'horizontalRule' };
const doc = (...content: ManuscriptJSON[]): ManuscriptJSON => ({ type: 'doc', content });

/** Every construct the exporters promise to keep. */
const RICH = doc(
  h(1, 'Chapter One'),
  p(t('It was '), t('very', ['italic']), t(' late, and '), t('loud', ['bold']), t('.')),
  p(t('First line'), { type: 'hardBreak' }, t('second line')),
  hr,
  { type: 'blockquote', content: [p(t('A quoted letter.'))] },
  { type: 'bulletList', content: [{ type: 'listItem', content: [p(t('one'))] }, { type: 'listItem', content: [p(t('two'))] }] },
  { type: 'orderedList', attrs: { start: 1, type: null }, content: [{ type: 'listItem', content: [p(t('first'))] }] },
  h(2, 'A scene'),
  p(t('5 * 3 = 15 # not a heading, [not a link] and_under_scores')),
);

/** Drops attributes the schema adds with defaults, so expectations stay readable. */
function shape(node: ManuscriptJSON): unknown {
  const out: Record<string, unknown> = { type: node.type };
  if (node.type === 'heading') out.level = node.attrs?.level;
  if (node.text !== undefined) out.text = node.text;
  if (node.marks?.length) out.marks = node.marks.map((m) => m.type).sort();
  if (node.content?.length) out.content = node.content.map(shape);
  return out;
}

describe('manuscript conversions', () => {
  it('is the one schema: the editor, the word counter and the SDK bind the same fragment', () => {
    expect(WRITING_ROOTS.fragment).toBe(MANUSCRIPT_FRAGMENT);
    expect(EDITOR_FRAGMENT).toBe(MANUSCRIPT_FRAGMENT);
    // The SDK may not import the server; its Collaboration field must still be this one.
    expect(readFileSync(new URL('../../client-sdk/src/tiptap.ts', import.meta.url), 'utf8')).toContain(`field: '${MANUSCRIPT_FRAGMENT}'`);
    // web/ takes its extensions from this module (through the @storyloom/schema alias).
    const web = readFileSync(new URL('../../web/src/demo/main.ts', import.meta.url), 'utf8');
    expect(web).toContain("from '@storyloom/schema'");
    expect(web).not.toContain('@tiptap/starter-kit');
    // The SDK example is an application outside this repository, which cannot import the server's
    // module: it configures exactly what manuscriptExtensions() holds, spelled out.
    const example = readFileSync(new URL('../../client-sdk/examples/embed-tiptap.ts', import.meta.url), 'utf8');
    expect(example).toContain('StarterKit.configure({ undoRedo: false })');
    const extensions = manuscriptExtensions();
    expect(extensions.map((e) => e.name)).toEqual(['starterKit']);
    expect(extensions[0]!.options).toMatchObject({ undoRedo: false });
  });

  it('writes ProseMirror JSON into the editor fragment of a Y.Doc and reads the same back', () => {
    const ydoc = new Y.Doc();
    expect(isEmptyDoc(ydoc)).toBe(true);
    writeJSON(ydoc, RICH);
    expect(ydoc.getXmlFragment(MANUSCRIPT_FRAGMENT).length).toBe(RICH.content!.length);
    expect(shape(docToJSON(ydoc))).toEqual(shape(RICH));
  });

  it('plain text: blank lines separate paragraphs, wrapped lines join, # lines are headings, * * * is a scene break', () => {
    const json = plainTextToJSON('# Chapter 1\n\nIt is a truth\nuniversally acknowledged.\n\n* * *\n\n## Part\nNext paragraph.\r\n\r\nLast.');
    expect(shape(json)).toEqual(shape(doc(h(1, 'Chapter 1'), p(t('It is a truth universally acknowledged.')), hr, h(2, 'Part'), p(t('Next paragraph.')), p(t('Last.')))));
  });

  it('Markdown export reads back to the same document (emphasis, headings, quotes, lists, scene breaks, hard breaks, escapes)', async () => {
    const md = toMarkdown(RICH);
    expect(md).toContain('# Chapter One');
    expect(md).toContain('*very*');
    expect(md).toContain('* * *');
    expect(shape(await markdownToJSON(md))).toEqual(shape(RICH));
  });

  it('Markdown keeps nested and neighbouring marks (one delimiter pair per shared mark, spaces outside)', async () => {
    const nested = doc(
      p(t('She was '), t('very ', ['italic']), t('very', ['italic', 'bold']), t(' tired', ['italic']), t('. Use '), t('x < y', ['code']), t(' now.')),
      p({ type: 'text', text: 'the site', marks: [{ type: 'link', attrs: { href: 'https://example.com/a b' } }, { type: 'italic' }] }, t(' and '), t('gone', ['strike', 'underline'])),
    );
    const md = toMarkdown(nested);
    expect(md).toContain('She was *very **very** tired*. Use `x < y` now.');
    expect(shape(await markdownToJSON(md))).toEqual(shape(nested));
  });

  it('XHTML escapes text and drops characters XML forbids', () => {
    expect(escapeXml('a < b & "c"\u0001')).toBe('a &lt; b &amp; &quot;c&quot;');
    expect(blocksToXhtml([p(t('x'), { type: 'hardBreak' }, t('y', ['italic'])), hr])).toBe('<p>x<br/><em>y</em></p>\n<hr class="scene-break"/>');
  });

  it('imports a DOCX made with the docx library: headings, italics, a scene break', async () => {
    const file = new Document({
      sections: [
        {
          children: [
            new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun('The Letter')] }),
            new Paragraph({ children: [new TextRun('She read it '), new TextRun({ text: 'twice', italics: true }), new TextRun(', then burned it.')] }),
            new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun('#')] }),
            new Paragraph({ heading: HeadingLevel.HEADING_2, children: [new TextRun('Morning')] }),
            new Paragraph({ children: [new TextRun('Rain.')] }),
          ],
        },
      ],
    });
    const json = await docxToJSON(new Uint8Array(await Packer.toBuffer(file)));
    expect(json).toEqual({
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'The Letter' }] },
        {
          type: 'paragraph',
          content: [{ type: 'text', text: 'She read it ' }, { type: 'text', text: 'twice', marks: [{ type: 'italic' }] }, { type: 'text', text: ', then burned it.' }],
        },
        { type: 'horizontalRule' },
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Morning' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Rain.' }] },
      ],
    });
  });

  it('our DOCX export imports back to the same blocks', async () => {
    const file = await exportBook('docx', [{ title: 'One', content: RICH }], { title: 'T', author: 'A B', identifier: 'urn:uuid:x', modified: new Date(0) });
    const back = await docxToJSON(file.bytes);
    const texts = (back.content ?? []).map((b) => b.type);
    expect(texts).toEqual(['heading', 'paragraph', 'paragraph', 'horizontalRule', 'paragraph', 'bulletList', 'orderedList', 'heading', 'paragraph']);
    expect(shape(back.content![1]!)).toEqual(shape(RICH.content![1]!));
    expect(JSON.stringify(back.content![2])).toContain('hardBreak');
  });

  it('refuses a DOCX that is not a zip, and text that is not UTF-8, with validation-failed', async () => {
    await expect(docxToJSON(new TextEncoder().encode('# not a docx'))).rejects.toMatchObject({ code: 'validation-failed' });
    await expect(docxToJSON(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]))).rejects.toBeInstanceOf(AppError);
    await expect(importFile('text', new Uint8Array([0xff, 0xfe, 0xfd]))).rejects.toMatchObject({ code: 'validation-failed' });
  });

  it('knows the three import types and nothing else', () => {
    expect(importKindOf('text/markdown; charset=utf-8')).toBe('markdown');
    expect(importKindOf('text/plain')).toBe('text');
    expect(importKindOf('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe('docx');
    expect(importKindOf('application/pdf')).toBeNull();
    expect(importKindOf(undefined)).toBeNull();
  });

  it('chapters: one per document, another at each top-level heading, never an empty one', () => {
    const chapters = splitChapters([
      { title: 'doc-a', content: doc(p(t('prologue')), h(2, 'One'), p(t('a')), h(2, 'Two'), p(t('b')), h(3, 'scene')) },
      { title: 'doc-b', content: doc(h(2, 'Three'), p(t('c'))) },
      { title: 'empty', content: doc() },
    ]);
    expect(chapters.map((c) => [c.title, c.blocks.length])).toEqual([
      ['doc-a (1)', 1],
      ['One', 2],
      ['Two', 3],
      ['Three', 2],
    ]);
  });
});

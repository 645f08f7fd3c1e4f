/**
 * DOCX with the `docx` library, in standard manuscript format by default: 12 pt Times New Roman,
 * double-spaced, 1-inch margins, first lines indented half an inch, every chapter on a new page,
 * a running header "Author / TITLE / page", scene breaks as a centred "#". Title and author are
 * the file's properties and the header, not body text, so the body's words are the documents'.
 */
import type { IRunOptions, Paragraph, ParagraphChild } from 'docx';
import { headingLevel, type Chapter } from './chapters.js';
import { loadDocx } from './libs.js';
import { MARK, NODE, type ManuscriptJSON } from './names.js';

export interface DocxOptions {
  title: string;
  author: string;
  /** Standard manuscript format (default). false: single-spaced, 11 pt, no header. */
  manuscriptFormat?: boolean;
}

const INCH = 1440; // twips
/** The docx library, loaded on first use (libs.ts). */
type Docx = Awaited<ReturnType<typeof loadDocx>>;
/** The text of a scene break in manuscript format, and what the DOCX importer reads back as one. */
export const SCENE_BREAK_TEXT = '#';

interface Context {
  d: Docx;
  /** Next ordered-list instance: each list restarts its numbering. */
  lists: number;
  quote: number;
  list: { kind: 'bullet' | 'ordered'; instance: number; level: number } | null;
}

/** The DOCX bytes of a book (or of one document: one chapter). */
export async function buildDocx(chapters: readonly Chapter[], options: DocxOptions): Promise<Uint8Array> {
  const smf = options.manuscriptFormat !== false;
  const d = await loadDocx();
  const ctx: Context = { d, lists: 0, quote: 0, list: null };
  const children: Paragraph[] = [];
  chapters.forEach((chapter, i) => {
    const paragraphs = chapter.blocks.flatMap((b) => block(b, ctx));
    // A chapter starts on a new page (the first one already does).
    if (i > 0) {
      const first = chapter.blocks[0];
      if (first?.type === NODE.heading || first?.type === NODE.paragraph) paragraphs[0] = paragraphOf(first, ctx, { pageBreakBefore: true });
      else paragraphs.unshift(new d.Paragraph({ pageBreakBefore: true, children: [] }));
    }
    children.push(...paragraphs);
  });
  const size = smf ? 24 : 22; // half-points
  const doc = new d.Document({
    creator: options.author,
    title: options.title,
    styles: {
      default: {
        document: { run: { font: 'Times New Roman', size }, paragraph: { spacing: { line: smf ? 480 : 276, before: 0, after: 0 } } },
        heading1: { run: { font: 'Times New Roman', size, bold: false }, paragraph: { alignment: d.AlignmentType.CENTER, spacing: { before: smf ? 2 * INCH : 240, after: 240 } } },
        heading2: { run: { font: 'Times New Roman', size, bold: true }, paragraph: { spacing: { before: 240, after: 0 } } },
        heading3: { run: { font: 'Times New Roman', size, italics: true }, paragraph: { spacing: { before: 240, after: 0 } } },
      },
    },
    numbering: {
      config: [
        {
          reference: 'ordered',
          levels: [0, 1, 2, 3].map((level) => ({
            level,
            format: d.LevelFormat.DECIMAL,
            text: `%${level + 1}.`,
            alignment: d.AlignmentType.START,
            style: { paragraph: { indent: { left: (level + 1) * 720, hanging: 360 } } },
          })),
        },
      ],
    },
    sections: [
      {
        properties: { page: { margin: { top: INCH, bottom: INCH, left: INCH, right: INCH } } },
        ...(smf
          ? {
              headers: {
                default: new d.Header({
                  children: [
                    new d.Paragraph({
                      alignment: d.AlignmentType.RIGHT,
                      children: [new d.TextRun(`${surname(options.author)} / ${options.title.toUpperCase()} / `), new d.TextRun({ children: [d.PageNumber.CURRENT] })],
                    }),
                  ],
                }),
              },
            }
          : {}),
        children: children.length > 0 ? children : [new d.Paragraph('')],
      },
    ],
  });
  return new Uint8Array(await d.Packer.toBuffer(doc));
}

function surname(author: string): string {
  return author.trim().split(/\s+/).at(-1) ?? author;
}

function block(node: ManuscriptJSON, ctx: Context): Paragraph[] {
  const { d } = ctx;
  const children = node.content ?? [];
  switch (node.type) {
    case NODE.paragraph:
    case NODE.heading:
      return [paragraphOf(node, ctx)];
    case NODE.blockquote: {
      ctx.quote++;
      const out = children.flatMap((c) => block(c, ctx));
      ctx.quote--;
      return out;
    }
    case NODE.bulletList:
    case NODE.orderedList: {
      const outer = ctx.list;
      const kind = node.type === NODE.bulletList ? 'bullet' : 'ordered';
      ctx.list = { kind, instance: kind === 'ordered' ? ++ctx.lists : 0, level: outer ? Math.min(outer.level + 1, 3) : 0 };
      const out = children.flatMap((item) => (item.content ?? []).flatMap((c) => block(c, ctx)));
      ctx.list = outer;
      return out;
    }
    case NODE.codeBlock: {
      const lines = children.map((c) => c.text ?? '').join('').split('\n');
      return [new d.Paragraph({ indent: { left: 720 }, children: lines.map((line, i) => new d.TextRun({ text: line, font: 'Courier New', ...(i > 0 ? { break: 1 } : {}) })) })];
    }
    case NODE.horizontalRule:
      return [new d.Paragraph({ alignment: d.AlignmentType.CENTER, children: [new d.TextRun(SCENE_BREAK_TEXT)] })];
    default:
      return children.flatMap((c) => block(c, ctx));
  }
}

function paragraphOf(node: ManuscriptJSON, ctx: Context, extra: { pageBreakBefore?: boolean } = {}): Paragraph {
  const { d } = ctx;
  const runs = inline(node.content ?? [], d);
  if (node.type === NODE.heading) {
    const heading = [d.HeadingLevel.HEADING_1, d.HeadingLevel.HEADING_2, d.HeadingLevel.HEADING_3, d.HeadingLevel.HEADING_4, d.HeadingLevel.HEADING_5, d.HeadingLevel.HEADING_6][headingLevel(node) - 1]!;
    return new d.Paragraph({ heading, children: runs, keepNext: true, ...extra });
  }
  const list = ctx.list;
  const indent = ctx.quote > 0 ? { left: 720 * ctx.quote, right: 720 } : list ? undefined : { firstLine: 720 };
  return new d.Paragraph({
    children: runs,
    ...(indent ? { indent } : {}),
    ...(list?.kind === 'bullet' ? { bullet: { level: list.level } } : {}),
    ...(list?.kind === 'ordered' ? { numbering: { reference: 'ordered', level: list.level, instance: list.instance } } : {}),
    ...extra,
  });
}

function inline(nodes: readonly ManuscriptJSON[], d: Docx): ParagraphChild[] {
  const out: ParagraphChild[] = [];
  let pendingBreak = false;
  for (const node of nodes) {
    if (node.type === NODE.hardBreak) {
      if (pendingBreak) out.push(new d.TextRun({ break: 1 }));
      pendingBreak = true;
      continue;
    }
    if (node.type !== NODE.text) continue;
    const marks = node.marks ?? [];
    const has = (type: string) => marks.some((m) => m.type === type);
    const run: IRunOptions = {
      text: node.text ?? '',
      ...(pendingBreak ? { break: 1 } : {}),
      ...(has(MARK.italic) ? { italics: true } : {}),
      ...(has(MARK.bold) ? { bold: true } : {}),
      ...(has(MARK.underline) ? { underline: {} } : {}),
      ...(has(MARK.strike) ? { strike: true } : {}),
      ...(has(MARK.code) ? { font: 'Courier New' } : {}),
    };
    pendingBreak = false;
    const link = marks.find((m) => m.type === MARK.link);
    const href = String((link?.attrs as { href?: unknown } | undefined)?.href ?? '');
    out.push(link && /^(https?:|mailto:)/i.test(href) ? new d.ExternalHyperlink({ link: href, children: [new d.TextRun({ ...run, style: 'Hyperlink' })] }) : new d.TextRun(run));
  }
  if (pendingBreak) out.push(new d.TextRun({ break: 1 }));
  return out;
}

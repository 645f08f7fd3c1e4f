/**
 * ProseMirror JSON → Markdown (CommonMark + GFM strikethrough), small and our own: the node set
 * is the editor's eight block types and six marks, and every one maps to one Markdown construct
 * that `marked` (our Markdown importer) reads back to the same node. Underline has no Markdown
 * form and is written as `<u>…</u>`, which the importer also reads back.
 */
import type { Chapter } from './chapters.js';
import { headingLevel } from './chapters.js';
import { MARK, NODE, type ManuscriptJSON } from './names.js';

/** The Markdown of one document's content. */
export function toMarkdown(doc: ManuscriptJSON): string {
  return blocksToMarkdown(doc.content ?? []);
}

/** A book: a title heading is not added (it would add words); chapters follow each other. */
export function chaptersToMarkdown(chapters: readonly Chapter[]): string {
  return chapters.map((c) => blocksToMarkdown(c.blocks)).join('\n\n') + '\n';
}

function blocksToMarkdown(blocks: readonly ManuscriptJSON[]): string {
  return blocks.map(block).join('\n\n');
}

function block(node: ManuscriptJSON): string {
  const children = node.content ?? [];
  switch (node.type) {
    case NODE.paragraph:
      return escapeLineStart(inline(children));
    case NODE.heading:
      return `${'#'.repeat(headingLevel(node))} ${inline(children).replace(/\n/g, ' ')}`;
    case NODE.blockquote:
      return prefixLines(blocksToMarkdown(children), '> ', '>');
    case NODE.bulletList:
      return children.map((item) => listItem(item, '- ')).join('\n');
    case NODE.orderedList: {
      const start = Number((node.attrs as { start?: unknown } | undefined)?.start ?? 1) || 1;
      return children.map((item, i) => listItem(item, `${start + i}. `)).join('\n');
    }
    case NODE.codeBlock: {
      const text = children.map((c) => c.text ?? '').join('');
      const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
      return `${fence}\n${text}\n${fence}`;
    }
    case NODE.horizontalRule:
      return '* * *';
    default:
      // A node type the exporter does not know: keep its text.
      return children.length > 0 ? blocksToMarkdown(children) : '';
  }
}

function listItem(item: ManuscriptJSON, marker: string): string {
  const body = blocksToMarkdown(item.content ?? []);
  const indent = ' '.repeat(marker.length);
  return marker + body.split('\n').map((line, i) => (i === 0 || line === '' ? line : indent + line)).join('\n');
}

function prefixLines(text: string, prefix: string, emptyPrefix: string): string {
  return text.split('\n').map((line) => (line === '' ? emptyPrefix : prefix + line)).join('\n');
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

/**
 * Inline content. Neighbouring runs that share a mark share one pair of delimiters (`*a **b***`,
 * not `*a****b***`, which CommonMark reads differently), and spaces at a group's edges go outside
 * its delimiters, which must touch the text. A hard break is a backslash at the end of the line.
 */
function inline(nodes: readonly ManuscriptJSON[]): string {
  return runs(nodes.map((node) => ({ node, marks: (node.marks ?? []).map((m) => markKey(m)).filter((k): k is string => k !== null) })));
}

interface Run {
  node: ManuscriptJSON;
  /** The node's marks as keys (`bold`, `link:<href>` …) still to be written around it. */
  marks: string[];
}

/** Outer marks first: a link around emphasis, emphasis around underline and strike. */
const MARK_ORDER = ['link', MARK.bold, MARK.italic, MARK.strike, MARK.underline];

function markKey(mark: { type: string; attrs?: Record<string, unknown> }): string | null {
  if (mark.type === MARK.link) {
    const href = String(mark.attrs?.href ?? '');
    return href ? `link:${href}` : null;
  }
  return MARK_ORDER.includes(mark.type) ? mark.type : null;
}

function runs(list: readonly Run[]): string {
  let out = '';
  for (let i = 0; i < list.length; ) {
    const { node, marks } = list[i]!;
    const outer = [...marks].sort((a, b) => MARK_ORDER.indexOf(a.split(':')[0]!) - MARK_ORDER.indexOf(b.split(':')[0]!))[0];
    if (node.type === NODE.hardBreak || outer === undefined) {
      out += node.type === NODE.hardBreak ? '\\\n' : leafText(node);
      i++;
      continue;
    }
    let j = i + 1;
    while (j < list.length && list[j]!.node.type === NODE.text && list[j]!.marks.includes(outer)) j++;
    const inner = runs(list.slice(i, j).map((r) => ({ node: r.node, marks: r.marks.filter((m) => m !== outer) })));
    out += wrap(inner, outer);
    i = j;
  }
  return out;
}

function wrap(inner: string, mark: string): string {
  const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner)!;
  if (!core) return inner;
  if (mark === MARK.italic) return `${lead}*${core}*${trail}`;
  if (mark === MARK.bold) return `${lead}**${core}**${trail}`;
  if (mark === MARK.strike) return `${lead}~~${core}~~${trail}`;
  if (mark === MARK.underline) return `${lead}<u>${core}</u>${trail}`;
  const href = mark.slice('link:'.length);
  return `${lead}[${core}](<${href.replace(/[<>\s]/g, encodeURIComponent)}>)${trail}`;
}

/** A text node's own text: a code span for code, escaped otherwise. */
function leafText(node: ManuscriptJSON): string {
  const raw = node.text ?? '';
  if (!(node.marks ?? []).some((m) => m.type === MARK.code)) return escapeInline(raw);
  const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/.exec(raw)!;
  return core ? lead + codeSpan(core) + trail : raw;
}

function codeSpan(text: string): string {
  const fence = '`'.repeat(longestRun(text, '`') + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Characters that would start Markdown syntax inside a line. */
function escapeInline(text: string): string {
  return text.replace(/[\\`*_[\]<>~|]/g, (c) => `\\${c}`);
}

/** Characters that start a block construct at the beginning of a line (after a hard break too). */
function escapeLineStart(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^(\s*)([#>+-]|\d+[.)]|=+\s*$)/, (_all, space: string, mark: string) => `${space}${mark.replace(/^(\d+)([.)])$/, '$1\\$2').replace(/^([#>+=-])/, '\\$1')}`))
    .join('\n');
}

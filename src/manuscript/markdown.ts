/**
 * ProseMirror JSON → Markdown (CommonMark + GFM strikethrough), small and our own: the node set
 * is the editor's eight block types and six marks, and every one maps to one Markdown construct
 * that `marked` (our Markdown importer) reads back to the same node. Underline has no Markdown
 * form and is written as `<u>…</u>`, which the importer also reads back.
 */
import type { Chapter } from './chapters.js';
import { headingLevel } from './chapters.js';
import { MARK, NODE, type ManuscriptJSON } from './schema.js';

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

/** Inline content: text runs with their marks; a hard break is a backslash at the end of the line. */
function inline(nodes: readonly ManuscriptJSON[]): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === NODE.hardBreak) out += '\\\n';
    else if (node.type === NODE.text) out += markText(node);
  }
  return out;
}

function markText(node: ManuscriptJSON): string {
  const marks = node.marks ?? [];
  const isCode = marks.some((m) => m.type === MARK.code);
  const raw = node.text ?? '';
  // Emphasis delimiters must touch the text, so surrounding spaces go outside them.
  const lead = /^\s*/.exec(raw)![0];
  const trail = raw.length > lead.length ? /\s*$/.exec(raw)![0] : '';
  const core = raw.slice(lead.length, raw.length - trail.length);
  if (core === '') return raw;
  let text = isCode ? codeSpan(core) : escapeInline(core);
  for (const mark of marks) {
    if (mark.type === MARK.italic) text = `*${text}*`;
    else if (mark.type === MARK.bold) text = `**${text}**`;
    else if (mark.type === MARK.strike) text = `~~${text}~~`;
    else if (mark.type === MARK.underline) text = `<u>${text}</u>`;
    else if (mark.type === MARK.link) {
      const href = String((mark.attrs as { href?: unknown } | undefined)?.href ?? '');
      if (href) text = `[${text}](<${href.replace(/[<>\s]/g, encodeURIComponent)}>)`;
    }
  }
  return lead + text + trail;
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

/**
 * ProseMirror JSON → XHTML for EPUB content documents. Our own, not @tiptap/html: EPUB needs
 * well-formed XML (self-closed `<br/>`, escaped attributes, no characters XML forbids), which the
 * HTML serializer does not promise, and a book of 120K words renders here in a few milliseconds
 * without a DOM.
 */
import { headingLevel } from './chapters.js';
import { MARK, NODE, type ManuscriptJSON } from './names.js';

// eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters outright
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text or an attribute value for XML and drops characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, '').replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** XHTML of top-level blocks. */
export function blocksToXhtml(blocks: readonly ManuscriptJSON[]): string {
  return blocks.map(block).join('\n');
}

function block(node: ManuscriptJSON): string {
  const children = node.content ?? [];
  switch (node.type) {
    case NODE.paragraph:
      return `<p>${inline(children)}</p>`;
    case NODE.heading: {
      const level = headingLevel(node);
      return `<h${level}>${inline(children)}</h${level}>`;
    }
    case NODE.blockquote:
      return `<blockquote>\n${blocksToXhtml(children)}\n</blockquote>`;
    case NODE.bulletList:
      return `<ul>\n${children.map(block).join('\n')}\n</ul>`;
    case NODE.orderedList: {
      const start = Number((node.attrs as { start?: unknown } | undefined)?.start ?? 1) || 1;
      return `<ol${start === 1 ? '' : ` start="${start}"`}>\n${children.map(block).join('\n')}\n</ol>`;
    }
    case NODE.listItem:
      return `<li>${blocksToXhtml(children)}</li>`;
    case NODE.codeBlock:
      return `<pre><code>${escapeXml(children.map((c) => c.text ?? '').join(''))}</code></pre>`;
    case NODE.horizontalRule:
      return '<hr class="scene-break"/>';
    default:
      return children.length > 0 ? blocksToXhtml(children) : '';
  }
}

function inline(nodes: readonly ManuscriptJSON[]): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === NODE.hardBreak) out += '<br/>';
    else if (node.type === NODE.text) out += markText(node);
  }
  return out;
}

function markText(node: ManuscriptJSON): string {
  let text = escapeXml(node.text ?? '');
  for (const mark of node.marks ?? []) {
    if (mark.type === MARK.italic) text = `<em>${text}</em>`;
    else if (mark.type === MARK.bold) text = `<strong>${text}</strong>`;
    else if (mark.type === MARK.underline) text = `<u>${text}</u>`;
    else if (mark.type === MARK.strike) text = `<s>${text}</s>`;
    else if (mark.type === MARK.code) text = `<code>${text}</code>`;
    else if (mark.type === MARK.link) {
      const href = String((mark.attrs as { href?: unknown } | undefined)?.href ?? '');
      // Only links a reading system can follow; anything else would fail epubcheck or be unsafe.
      if (/^(https?:|mailto:)/i.test(href)) text = `<a href="${escapeXml(href)}">${text}</a>`;
    }
  }
  return text;
}

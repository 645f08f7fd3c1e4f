/**
 * The manuscript schema: the one list of TipTap extensions and the one Yjs fragment name that the
 * demo editor (web/), the SDK's TipTap example and the server's conversions (import, export,
 * versions) all use. A document is only portable between them if they agree on node and mark
 * names: an importer that produced a node the editor lacks would be dropped by the editor on
 * first load. Why it lives here (server domain, imported by web/ through an alias) and not in the
 * SDK package: docs/export.md, "One schema".
 *
 * Pure: no DOM, no IO. Browser and Node both import it.
 */
import type { AnyExtension, JSONContent } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';

/** The Y.XmlFragment the editor binds to (Collaboration `field`), where the server counts words and resolves carets. */
export const MANUSCRIPT_FRAGMENT = 'default';

/**
 * The editor's extensions without the collaboration ones (those need a live document; the SDK's
 * `collaborationExtensions` adds them). `undoRedo` is off because Collaboration brings its own
 * Yjs-aware undo; it adds no node or mark, so the schema is the same with or without it.
 */
export function manuscriptExtensions(): AnyExtension[] {
  return [StarterKit.configure({ undoRedo: false })];
}

/** ProseMirror JSON of a manuscript document (`{type: 'doc', content: [...]}`). */
export type ManuscriptJSON = JSONContent;

/** Node and mark names of the schema that the exporters render (the rest are rendered as their text). */
export const NODE = {
  doc: 'doc',
  paragraph: 'paragraph',
  heading: 'heading',
  blockquote: 'blockquote',
  bulletList: 'bulletList',
  orderedList: 'orderedList',
  listItem: 'listItem',
  codeBlock: 'codeBlock',
  horizontalRule: 'horizontalRule',
  hardBreak: 'hardBreak',
  text: 'text',
} as const;

export const MARK = {
  bold: 'bold',
  italic: 'italic',
  underline: 'underline',
  strike: 'strike',
  code: 'code',
  link: 'link',
} as const;

/**
 * The manuscript schema's names (schema.ts has the TipTap extensions themselves): the fragment
 * the editor binds to, node and mark names, the JSON type. A module of constants, so the
 * exporters' and workflows' code that only needs names never loads TipTap and ProseMirror
 * (~30 MB RSS), which the server loads on first conversion (libs.ts).
 */
import type { JSONContent } from '@tiptap/core';

/** The Y.XmlFragment the editor binds to (Collaboration `field`), where the server counts words and resolves carets. */
export const MANUSCRIPT_FRAGMENT = 'default';

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

/**
 * What a version shows: its blocks (for diffs and word counts), its ProseMirror JSON and HTML.
 * The one place that turns a Yjs document into something to read, so the HTML renderer is
 * swapped here alone (the manuscript module's, once it is shared).
 */
import { generateHTML } from '@tiptap/html';
import StarterKit from '@tiptap/starter-kit';
import { yXmlFragmentToProsemirrorJSON } from '@tiptap/y-tiptap';
import * as Y from 'yjs';
import { blockText } from '../../tracking/writing/fragment-word-index.js';
import { countDocumentWords } from '../../tracking/writing/word-count.js';
import { EDITOR_FRAGMENT } from '../documents/ports.js';
import type { Block } from './paragraph-diff.js';

/** ProseMirror JSON as TipTap writes it. */
export interface ProseMirrorJSON {
  type: string;
  content?: ProseMirrorJSON[];
  [key: string]: unknown;
}

/** A document decoded from a version's stored state. */
export function decodeState(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

/** Words of the editor's fragment, by the writing tracker's rule (tracking/writing/word-count.ts). */
export function documentWords(doc: Y.Doc): number {
  return countDocumentWords(doc.getXmlFragment(EDITOR_FRAGMENT));
}

/** The top-level blocks of the editor's fragment, with their text. */
export function documentBlocks(doc: Y.Doc): Block[] {
  const blocks: Block[] = [];
  for (const child of doc.getXmlFragment(EDITOR_FRAGMENT).toArray()) {
    if (child instanceof Y.XmlElement) blocks.push({ type: child.nodeName, text: blockText(child) });
    else if (child instanceof Y.XmlText) blocks.push({ type: 'text', text: blockText(child) });
  }
  return blocks;
}

export function documentJSON(doc: Y.Doc): ProseMirrorJSON {
  const json = yXmlFragmentToProsemirrorJSON(doc.getXmlFragment(EDITOR_FRAGMENT)) as ProseMirrorJSON;
  return { type: 'doc', content: json.content ?? [] };
}

/** HTML of the document with the demo editor's extensions (StarterKit). */
export function documentHTML(json: ProseMirrorJSON): string {
  return generateHTML(json, [StarterKit]);
}

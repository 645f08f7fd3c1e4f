/**
 * What a version shows: its blocks (for diffs and word counts), its ProseMirror JSON and HTML,
 * through the manuscript schema the editor uses (src/manuscript/schema.ts). The one place that
 * turns a Yjs document into something to read.
 */
import * as Y from 'yjs';
import { loadTiptapHtml } from '../../manuscript/libs.js';
import { loadConvert, loadSchema } from '../../manuscript/load.js';
import type { ManuscriptJSON } from '../../manuscript/names.js';
import { blockText } from '../../tracking/writing/fragment-word-index.js';
import { countWords } from '../../tracking/writing/word-count.js';
import { EDITOR_FRAGMENT } from '../documents/ports.js';
import type { Block } from './paragraph-diff.js';

/** ProseMirror JSON as TipTap writes it. */
export type ProseMirrorJSON = ManuscriptJSON;

/** A document decoded from a version's stored state. */
export function decodeState(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

/**
 * Words of a document's blocks by the writing tracker's rule: the same sum of per-block counts
 * as its `countDocumentWords` on the editor's fragment (tracking/writing/word-count.ts).
 */
export function blocksWords(blocks: readonly Block[]): number {
  return blocks.reduce((total, block) => total + countWords(block.text), 0);
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

/**
 * The Y.Doc -> ProseMirror JSON converter, loaded on first use (TipTap and ProseMirror: only
 * viewing and restoring a version need it, not creating one). Synchronous once loaded, for reads
 * inside a transaction.
 */
export async function documentJSONConverter(): Promise<(doc: Y.Doc) => ProseMirrorJSON> {
  return (await loadConvert()).docToJSON;
}

/** HTML of the document with the editor's extensions (its renderer, with happy-dom, loads on first use). */
export async function documentHTML(json: ProseMirrorJSON): Promise<string> {
  const [{ generateHTML }, { manuscriptExtensions }] = await Promise.all([loadTiptapHtml(), loadSchema()]);
  return generateHTML(json, manuscriptExtensions());
}

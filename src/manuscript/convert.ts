/**
 * Y.Doc ⇄ ProseMirror JSON through the editor's schema (@tiptap/y-tiptap, the binding TipTap's
 * Collaboration extension uses), so what the server reads and writes is exactly what the editor
 * shows.
 */
import { getSchema } from '@tiptap/core';
import type { Schema } from '@tiptap/pm/model';
import { prosemirrorJSONToYXmlFragment, yXmlFragmentToProsemirrorJSON } from '@tiptap/y-tiptap';
import type * as Y from 'yjs';
import { MANUSCRIPT_FRAGMENT, manuscriptExtensions, type ManuscriptJSON } from './schema.js';

let schema: Schema | undefined;

/** The ProseMirror schema of manuscriptExtensions() (built once: it is immutable). */
export function manuscriptSchema(): Schema {
  schema ??= getSchema(manuscriptExtensions());
  return schema;
}

/** The document's text as ProseMirror JSON (an empty document is `{type: 'doc', content: []}`). */
export function docToJSON(doc: Y.Doc): ManuscriptJSON {
  const json = yXmlFragmentToProsemirrorJSON(doc.getXmlFragment(MANUSCRIPT_FRAGMENT)) as ManuscriptJSON;
  return { type: 'doc', content: json.content ?? [] };
}

/** Whether the document has no block at all (a new document, or one never written to). */
export function isEmptyDoc(doc: Y.Doc): boolean {
  return doc.getXmlFragment(MANUSCRIPT_FRAGMENT).length === 0;
}

/**
 * Checks `json` against the schema and returns it normalised (throws a RangeError naming the
 * offending node when it does not fit). Importers call it before touching any document, so a
 * bad file never leaves half a document behind.
 */
export function validateJSON(json: ManuscriptJSON): ManuscriptJSON {
  const node = manuscriptSchema().nodeFromJSON(json);
  node.check();
  return node.toJSON() as ManuscriptJSON;
}

/**
 * Writes `json` into the document's fragment, replacing what is there, in one Yjs transaction
 * (nested in the caller's, when there is one).
 */
export function writeJSON(doc: Y.Doc, json: ManuscriptJSON): void {
  prosemirrorJSONToYXmlFragment(manuscriptSchema(), json, doc.getXmlFragment(MANUSCRIPT_FRAGMENT));
}

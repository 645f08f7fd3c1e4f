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
import type { AnyExtension } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';

/**
 * The editor's extensions without the collaboration ones (those need a live document; the SDK's
 * `collaborationExtensions` adds them). `undoRedo` is off because Collaboration brings its own
 * Yjs-aware undo; it adds no node or mark, so the schema is the same with or without it.
 */
export function manuscriptExtensions(): AnyExtension[] {
  return [StarterKit.configure({ undoRedo: false })];
}

// The names live in names.ts (no TipTap); re-exported so every user of the schema has one import.
export { MANUSCRIPT_FRAGMENT, MARK, NODE, type ManuscriptJSON } from './names.js';

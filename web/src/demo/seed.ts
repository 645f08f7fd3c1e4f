import type { Editor } from '@tiptap/core';

/** The opening of Pride and Prejudice (public domain; tests/fixtures/novels), so the demo starts with prose. */
const OPENING = [
  'It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife.',
  'However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered as the rightful property of some one or other of their daughters.',
  '“My dear Mr. Bennet,” said his lady to him one day, “have you heard that Netherfield Park is let at last?”',
  'Mr. Bennet replied that he had not.',
  '“But it is,” returned she; “for Mrs. Long has just been here, and she told me all about it.”',
  'Mr. Bennet made no answer.',
];

/**
 * Fills an empty demo document once, after the first sync (so it is really empty on the server,
 * not just not loaded yet). Two tabs opening a brand-new document in the same instant could both
 * seed it; for a demo that is an acceptable, visible, undoable oddity.
 */
export function seedIfEmpty(editor: Editor): boolean {
  if (editor.state.doc.textContent.trim().length > 0 || editor.state.doc.childCount > 1) return false;
  editor.commands.setContent(OPENING.map((text) => `<p>${text}</p>`).join(''));
  return true;
}

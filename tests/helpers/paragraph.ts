import * as Y from 'yjs';

/** A TipTap paragraph node holding `text`, as the editor's Yjs binding writes one. */
export function paragraph(text: string): Y.XmlElement {
  const p = new Y.XmlElement('paragraph');
  const t = new Y.XmlText();
  t.insert(0, text);
  p.insert(0, [t]);
  return p;
}

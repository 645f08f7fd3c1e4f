import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { touchOf, type TransactionTouch } from '../../src/tracking/collab/edit-blocks.js';

function docWith(paragraphs: number): Y.Doc {
  const doc = new Y.Doc();
  const fragment = doc.getXmlFragment('default');
  doc.transact(() => {
    for (let i = 0; i < paragraphs; i++) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(`p${i}`)]);
      fragment.push([p]);
    }
  });
  return doc;
}

function capture(doc: Y.Doc, change: () => void): TransactionTouch {
  let touch: TransactionTouch | null = null;
  const listener = (tr: Y.Transaction) => (touch = touchOf(tr));
  doc.on('afterTransaction', listener);
  doc.transact(change);
  doc.off('afterTransaction', listener);
  return touch!;
}

const textOf = (doc: Y.Doc, i: number) => (doc.getXmlFragment('default').get(i) as Y.XmlElement).get(0) as Y.XmlText;
/** A top-level block's identity as touchOf and resolveCursorBlock report it. */
const keyOf = (doc: Y.Doc, i: number) => {
  const id = (doc.getXmlFragment('default').get(i) as Y.XmlElement)._item!.id;
  return `${id.client}:${id.clock}`;
};

describe('transaction -> top-level blocks (presence edits)', () => {
  it('maps text edits in nested types to their top-level blocks and reports the writing client', () => {
    const doc = docWith(5);
    const touch = capture(doc, () => {
      textOf(doc, 1).insert(0, 'a');
      textOf(doc, 3).insert(0, 'b');
    });
    expect(touch).toEqual({ blocks: [1, 3], clientIds: [doc.clientID], blockKeys: [keyOf(doc, 1), keyOf(doc, 3)] });
  });

  it('counts a new paragraph as touched and ignores deleted ones and other roots', () => {
    const doc = docWith(3);
    const fragment = doc.getXmlFragment('default');
    expect(capture(doc, () => fragment.insert(1, [new Y.XmlElement('paragraph')])).blocks).toEqual([1]);
    const deletion = capture(doc, () => fragment.delete(0, 1));
    expect(deletion.blocks).toEqual([]);
    expect(deletion.clientIds).toEqual([]); // deletions create no items
    expect(capture(doc, () => doc.getText('notes').insert(0, 'x')).blocks).toEqual([]);
  });

  it('attributes remote updates to the clients that created the items', () => {
    const source = docWith(2);
    const target = new Y.Doc();
    Y.applyUpdate(target, Y.encodeStateAsUpdate(source));
    textOf(source, 1).insert(0, 'z');
    const touch = capture(target, () => Y.applyUpdate(target, Y.encodeStateAsUpdate(source, Y.encodeStateVector(target))));
    expect(touch).toEqual({ blocks: [1], clientIds: [source.clientID], blockKeys: [keyOf(target, 1)] });
  });
});

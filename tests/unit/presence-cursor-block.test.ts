/**
 * resolveCursorBlock against a real Y.Doc shaped like y-prosemirror's: a 'default' XmlFragment of
 * paragraphs, each holding one Y.XmlText, carets as JSON relative positions.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseRelativePosition, resolveCursorBlock } from '../../src/tracking/collab/cursor-block.js';

function docWith(paragraphs: string[]): { doc: Y.Doc; fragment: Y.XmlFragment } {
  const doc = new Y.Doc();
  const fragment = doc.getXmlFragment('default');
  fragment.insert(
    0,
    paragraphs.map((text) => {
      const p = new Y.XmlElement('paragraph');
      const t = new Y.XmlText();
      t.insert(0, text);
      p.insert(0, [t]);
      return p;
    }),
  );
  return { doc, fragment };
}

const textOf = (fragment: Y.XmlFragment, i: number) => (fragment.get(i) as Y.XmlElement).get(0) as Y.XmlText;
const at = (fragment: Y.XmlFragment, i: number, offset: number) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(textOf(fragment, i), offset));

describe('resolveCursorBlock', () => {
  it('resolves a collapsed caret and a selection across paragraphs', () => {
    const { doc, fragment } = docWith(['one', 'two', 'three', 'four']);
    expect(resolveCursorBlock(doc, { anchor: at(fragment, 2, 1), head: at(fragment, 2, 1) })).toMatchObject({ anchorBlock: 2, headBlock: 2 });
    expect(resolveCursorBlock(doc, { anchor: at(fragment, 1, 0), head: at(fragment, 3, 4) })).toMatchObject({ anchorBlock: 1, headBlock: 3 });
    // End of a paragraph: Yjs encodes it by the type, not an item.
    expect(resolveCursorBlock(doc, { anchor: at(fragment, 0, 3), head: at(fragment, 0, 3) })).toMatchObject({ anchorBlock: 0, headBlock: 0 });
  });

  it('follows the caret when paragraphs are inserted above it, from another replica', () => {
    const { doc, fragment } = docWith(['a', 'b', 'c']);
    const cursor = { anchor: at(fragment, 2, 0), head: at(fragment, 2, 1) };
    expect(resolveCursorBlock(doc, cursor)?.headBlock).toBe(2);
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    other.getXmlFragment('default').insert(0, [new Y.XmlElement('paragraph'), new Y.XmlElement('paragraph')]);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    expect(resolveCursorBlock(doc, cursor)).toMatchObject({ anchorBlock: 4, headBlock: 4 });
    // An explicit version that did not change keeps the (now stale) cache: the caller's contract.
    expect(resolveCursorBlock(doc, cursor, 'default', { version: 7 })?.headBlock).toBe(4);
  });

  it('resolves positions on a server doc that only received updates', () => {
    const { doc, fragment } = docWith(['x', 'y']);
    const server = new Y.Doc();
    Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
    expect(resolveCursorBlock(server, { anchor: at(fragment, 1, 1), head: at(fragment, 1, 1) })).toMatchObject({ anchorBlock: 1, headBlock: 1 });
  });

  it('keeps a caret in a live paragraph whose characters were deleted, drops one in a deleted paragraph', () => {
    const { doc, fragment } = docWith(['hello world', 'second', 'third']);
    const inText = { anchor: at(fragment, 0, 6), head: at(fragment, 0, 6) };
    const inSecond = { anchor: at(fragment, 1, 2), head: at(fragment, 1, 2) };
    textOf(fragment, 0).delete(3, 6);
    expect(resolveCursorBlock(doc, inText)).toMatchObject({ anchorBlock: 0, headBlock: 0 });
    fragment.delete(1, 1);
    expect(resolveCursorBlock(doc, inSecond)).toBeNull();
  });

  it('a position between top-level blocks belongs to the block after it', () => {
    const { doc, fragment } = docWith(['a', 'b', 'c']);
    const between = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(fragment, 1));
    expect(resolveCursorBlock(doc, { anchor: between, head: between })).toMatchObject({ anchorBlock: 1, headBlock: 1 });
  });

  it('returns null for unknown clients, garbage and wrong shapes without touching the doc', () => {
    const { doc, fragment } = docWith(['a', 'b']);
    const good = at(fragment, 0, 0);
    const shares = [...doc.share.keys()];
    const garbage: unknown[] = [
      null,
      42,
      'cursor',
      [],
      {},
      { anchor: good },
      { anchor: good, head: null },
      { anchor: { item: { client: 999_999, clock: 0 } }, head: good },
      { anchor: { item: { client: 'x', clock: 0 } }, head: good },
      { anchor: { item: { client: -1, clock: 0 } }, head: good },
      { anchor: { item: { client: 1.5, clock: 0 } }, head: good },
      { anchor: { type: { client: 5, clock: 1e15 } }, head: good },
      { anchor: { tname: 'not-there' }, head: good },
      { anchor: { tname: 42 }, head: good },
      { anchor: { assoc: 0 }, head: good },
      { anchor: { ...good, assoc: 'left' }, head: good },
    ];
    for (const cursor of garbage) expect(resolveCursorBlock(doc, cursor)).toBeNull();
    expect([...doc.share.keys()]).toEqual(shares); // no root type created from a sent name
    expect(resolveCursorBlock(new Y.Doc(), { anchor: good, head: good })).toBeNull();
    expect(resolveCursorBlock(doc, { anchor: good, head: good }, 'missing')).toBeNull();
  });

  it('a fragment name that is another type is not a fragment', () => {
    const doc = new Y.Doc();
    doc.getText('default').insert(0, 'plain');
    const pos = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(doc.getText('default'), 1));
    expect(resolveCursorBlock(doc, { anchor: pos, head: pos })).toBeNull();
  });

  it('parseRelativePosition accepts what relativePositionToJSON produces', () => {
    const { fragment } = docWith(['abc']);
    const json = at(fragment, 0, 1);
    expect(parseRelativePosition(json)).not.toBeNull();
    expect(parseRelativePosition(JSON.parse(JSON.stringify(json)))).not.toBeNull();
    expect(parseRelativePosition({ item: null, type: null })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { resolveCursorBlock } from '../../src/tracking/collab/cursor-block.js';
import { parseConflictMessage, parsePresence, toRelativePositionJSON, type PresenceUser } from '../src/index.js';

/** A document of `n` paragraphs the way TipTap stores them: XmlElement('paragraph') > XmlText. */
function docWith(n: number): Y.Doc {
  const doc = new Y.Doc();
  const fragment = doc.getXmlFragment('default');
  for (let i = 0; i < n; i++) {
    const p = new Y.XmlElement('paragraph');
    const text = new Y.XmlText();
    text.insert(0, `Paragraph ${i} text.`);
    p.insert(0, [text]);
    fragment.push([p]);
  }
  return doc;
}

const self: PresenceUser = { id: 'me', name: 'Me', color: '#000000' };

describe('toRelativePositionJSON', () => {
  it('points {block, offset} at a place the server resolves to that block', () => {
    const doc = docWith(5);
    for (const block of [0, 2, 4]) {
      const pos = toRelativePositionJSON(doc, { block, offset: 3 });
      expect(resolveCursorBlock(doc, { anchor: pos, head: pos })).toMatchObject({ anchorBlock: block, headBlock: block });
      const abs = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(pos), doc)!;
      expect(abs.index).toBe(3);
    }
  });

  it('clamps past the end and handles an empty document and empty paragraphs', () => {
    const doc = docWith(2);
    const far = toRelativePositionJSON(doc, { block: 99, offset: 999 });
    expect(resolveCursorBlock(doc, { anchor: far, head: far })).toMatchObject({ anchorBlock: 1, headBlock: 1 });
    doc.getXmlFragment('default').push([new Y.XmlElement('paragraph')]);
    const empty = toRelativePositionJSON(doc, { block: 2 });
    expect(resolveCursorBlock(doc, { anchor: empty, head: empty })).toMatchObject({ anchorBlock: 2, headBlock: 2 });
    const blank = new Y.Doc();
    expect(() => toRelativePositionJSON(blank, { block: 0 })).not.toThrow();
  });

  it('passes Yjs relative positions through', () => {
    const doc = docWith(3);
    const text = (doc.getXmlFragment('default').get(1) as Y.XmlElement).get(0) as Y.XmlText;
    const rpos = Y.createRelativePositionFromTypeIndex(text, 2);
    expect(toRelativePositionJSON(doc, rpos)).toEqual(Y.relativePositionToJSON(rpos));
    const json = Y.relativePositionToJSON(rpos) as Record<string, unknown>;
    expect(toRelativePositionJSON(doc, json)).toBe(json);
  });

  it('refuses negative or fractional blocks', () => {
    expect(() => toRelativePositionJSON(docWith(1), { block: -1 })).toThrow(RangeError);
    expect(() => toRelativePositionJSON(docWith(1), { block: 0, offset: 1.5 })).toThrow(RangeError);
  });
});

describe('parsePresence', () => {
  it('lists stamped writers with their blocks, modes and viewports; self from the token', () => {
    const doc = docWith(4);
    const at = (block: number) => toRelativePositionJSON(doc, { block, offset: 1 });
    const states = new Map<number, unknown>([
      [doc.clientID, { cursor: { anchor: at(1), head: at(1) }, editMode: 'typing' }],
      [7, { user: { id: 'bob', name: 'Bob', color: '#ff0000' }, cursor: { anchor: at(0), head: at(3) }, editMode: 'selecting', viewport: { fromBlock: 0, toBlock: 3 }, typingVelocity: 4.5 }],
      [9, { user: { id: 'eve', name: 'Eve', color: '#00ff00' } }],
    ]);
    const writers = parsePresence(states, doc.clientID, doc, self);
    const byId = Object.fromEntries(writers.map((w) => [w.user.id, w]));
    expect(byId.me).toMatchObject({ clientId: doc.clientID, isSelf: true, block: 1, anchorBlock: 1, editMode: 'typing', user: self });
    expect(byId.bob).toMatchObject({ clientId: 7, isSelf: false, block: 3, anchorBlock: 0, editMode: 'selecting', viewport: { fromBlock: 0, toBlock: 3 }, typingVelocity: 4.5 });
    expect(byId.eve).toMatchObject({ block: null, editMode: null, viewport: null, typingVelocity: null });
    expect(writers.map((w) => w.clientId)).toEqual([...writers.map((w) => w.clientId)].sort((a, b) => a - b));
  });

  it('skips states without a stamped user and survives garbage without touching the document', () => {
    const doc = docWith(2);
    const states = new Map<number, unknown>([
      [1, {}],
      [2, null],
      [3, 'nonsense'],
      [4, { user: { id: 'x', name: 'X' }, cursor: { anchor: { item: { client: 424242, clock: 7 } }, head: { tname: 'evil' } } }],
      [5, { user: { id: 'y', name: 'Y' }, cursor: 'x', viewport: { fromBlock: 3, toBlock: 1 }, editMode: 'dancing', typingVelocity: -1 }],
      [6, { user: { id: 'z', name: 'Z' }, cursor: { anchor: { item: { client: 1e300, clock: 'x' } }, head: null } }],
    ]);
    const writers = parsePresence(states, 999, doc, self);
    expect(writers.map((w) => w.user.id)).toEqual(['x', 'y', 'z']);
    expect(writers.every((w) => w.block === null && w.viewport === null && w.editMode === null && w.typingVelocity === null)).toBe(true);
    expect(doc.share.has('evil')).toBe(false);
  });
});

describe('parseConflictMessage', () => {
  const message = { type: 'storyloom.conflict', status: 'predicted', document: 'p/d', severity: 'high', users: ['a', 'b'], blocks: [2], since: 10, at: 20 };

  it('reads the server message', () => {
    expect(parseConflictMessage(JSON.stringify(message))).toEqual(message);
  });

  it.each(['not json', '{}', JSON.stringify({ ...message, type: 'other' }), JSON.stringify({ ...message, severity: 'low' }), JSON.stringify({ ...message, users: [1] }), JSON.stringify({ ...message, blocks: [-1] })])(
    'returns null for %s',
    (payload) => expect(parseConflictMessage(payload)).toBeNull(),
  );
});

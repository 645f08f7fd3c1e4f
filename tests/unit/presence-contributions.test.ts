/** Surviving-text shares from Yjs items, collision episodes and team metrics. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { collisionEpisodes, survivingShare, teamMetrics, teamMetricsBy } from '../../src/tracking/collab/contributions.js';

describe('survivingShare', () => {
  it('counts visible characters per user by the client id that typed them', () => {
    const ann = new Y.Doc();
    ann.clientID = 11;
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('Hello world')]);
    ann.getXmlFragment('default').insert(0, [p]);
    const bob = new Y.Doc();
    bob.clientID = 22;
    Y.applyUpdate(bob, Y.encodeStateAsUpdate(ann));
    const text = (bob.getXmlFragment('default').get(0) as Y.XmlElement).get(0) as Y.XmlText;
    text.insert(11, ', said Bob');
    text.delete(0, 6); // Bob removes "Hello " (Ann's)
    text.format(0, 5, { bold: true }); // marks are not text
    const stranger = new Y.Doc();
    stranger.clientID = 33;
    Y.applyUpdate(stranger, Y.encodeStateAsUpdate(bob));
    const q = new Y.XmlElement('paragraph');
    q.insert(0, [new Y.XmlText('!!')]);
    stranger.getXmlFragment('default').insert(1, [q]);
    const shares = survivingShare(stranger, new Map([[11, 'ann'], [22, 'bob']]));
    expect(shares).toEqual({
      ann: { chars: 5, share: 5 / 17 },
      bob: { chars: 10, share: 10 / 17 },
      unknown: { chars: 2, share: 2 / 17 },
    });
  });

  it('is empty for a doc without the fragment and never creates it', () => {
    const doc = new Y.Doc();
    expect(survivingShare(doc, new Map())).toEqual({});
    expect(doc.share.has('default')).toBe(false);
  });
});

describe('team metrics', () => {
  const m = (minute: number) => minute * 60_000;

  it('computes concurrent minutes, collision minutes and efficiency', () => {
    const rows = [
      { userId: 'ann', minute: m(0) },
      { userId: 'bob', minute: m(0) },
      { userId: 'ann', minute: m(1) },
      { userId: 'bob', minute: m(1) },
      { userId: 'ann', minute: m(2) },
      { userId: 'ann', minute: m(3) },
      { userId: 'bob', minute: m(3) },
      { userId: 'cat', minute: m(3) },
    ];
    const episodes = collisionEpisodes([
      { users: ['ann', 'bob'], block: 1, at: m(1) + 1000 },
      { users: ['ann', 'bob'], block: 1, at: m(1) + 9000 },
      { users: ['ann', 'bob'], block: 2, at: m(1) + 50_000 },
    ]);
    expect(episodes).toHaveLength(2);
    expect(teamMetrics(rows, episodes, 4)).toEqual({
      activeWriters: 3,
      concurrentMinutes: 3,
      conflictsPredicted: 4,
      actualCollisions: 2,
      collisionMinutes: 1,
      efficiency: 1 - 1 / 3,
    });
    expect(teamMetrics([{ userId: 'ann', minute: 0 }], [], 0).efficiency).toBeNull();
  });

  it('groups per document', () => {
    const rows = [
      { userId: 'ann', minute: 0, documentId: 'd1' },
      { userId: 'bob', minute: 0, documentId: 'd1' },
      { userId: 'ann', minute: 0, documentId: 'd2' },
    ];
    const by = teamMetricsBy('documentId', rows, new Map(), new Map([['d1', 2]]));
    expect(by.get('d1')).toMatchObject({ activeWriters: 2, concurrentMinutes: 1, conflictsPredicted: 2, efficiency: 1 });
    expect(by.get('d2')).toMatchObject({ activeWriters: 1, concurrentMinutes: 0, efficiency: null });
  });
});

/** The pure presence and conflict model: severity, activity, hysteresis, expiry, bad input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { resolveCursorBlock, type CursorBlocks } from '../../src/tracking/collab/cursor-block.js';
import {
  applyAwareness,
  createPresenceState,
  expire,
  predict,
  presenceView,
  recordEdit,
  recordEdits,
  removeClient,
  shouldRecompute,
} from '../../src/tracking/collab/presence-model.js';
import type { PresenceState, Warning } from '../../src/tracking/collab/presence-types.js';

const caret = (anchorBlock: number, headBlock = anchorBlock) => ({ anchorBlock, headBlock });

/** A writer whose caret is at `blocks` and who typed at `at` (via editMode). */
function writer(state: PresenceState, clientId: number, userId: string, blocks: CursorBlocks | null, at: number, canEdit = true) {
  return applyAwareness(state, { clientId, userId, canEdit, at, blocks, awarenessState: { editMode: 'typing', cursor: {} } });
}

describe('conflict prediction', () => {
  it('same block is high, adjacent is medium when approaching, two apart is nothing', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(5), 0);
    s = writer(s, 2, 'bob', caret(5), 0);
    expect(predict(s, 100, []).predicted).toMatchObject([{ users: ['ann', 'bob'], severity: 'high', blocks: [5] }]);
    s = writer(s, 2, 'bob', caret(8), 0);
    s = writer(s, 2, 'bob', caret(6), 0); // moved toward ann
    expect(predict(s, 100, []).predicted).toMatchObject([{ severity: 'medium', blocks: [5, 6] }]);
    s = writer(s, 2, 'bob', caret(7), 0);
    expect(predict(s, 100, []).predicted).toEqual([]);
  });

  it('neighbours who stay put raise no medium warning (unless approachMs is 0), but keep a raised one', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(5), 0);
    s = writer(s, 2, 'bob', caret(6), 0);
    expect(predict(s, 100, []).predicted).toEqual([]);
    expect(predict(s, 100, [], { approachMs: 0 }).predicted).toMatchObject([{ severity: 'medium' }]);
    s = writer(s, 2, 'bob', caret(9), 0);
    s = writer(s, 2, 'bob', caret(6), 200); // arrives next to ann
    const raised = predict(s, 500, []);
    expect(raised.predicted).toMatchObject([{ severity: 'medium' }]);
    // Five seconds later bob is no longer approaching, still adjacent: the warning stays.
    s = writer(s, 2, 'bob', caret(6), 5000);
    s = writer(s, 1, 'ann', caret(5), 5000);
    const kept = predict(s, 5000, raised.warnings);
    expect(kept.warnings).toHaveLength(1);
    expect(kept.cleared).toEqual([]);
  });

  it('a caret passing by (not settled, not typing) does not count', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(5), 0);
    const passing = (at: number, block: number) => applyAwareness(s, { clientId: 2, userId: 'bob', canEdit: true, at, blocks: caret(block), awarenessState: { editMode: 'idle', cursor: { at } } });
    s = recordEdit(s, { userId: 'bob', blocks: [20], at: 0 }).state; // bob is active
    s = passing(100, 9);
    s = passing(200, 5);
    expect(predict(s, 300, []).predicted).toEqual([]); // 100 ms in block 5
    expect(predict(s, 500, []).predicted).toMatchObject([{ severity: 'high' }]); // settled 300 ms
  });

  it('footprint: a caret where another writer typed seconds ago is high, by block identity', () => {
    let s = writer(createPresenceState(), 1, 'ann', { anchorBlock: 4, headBlock: 4, anchorKey: '9:40', headKey: '9:40' }, 0);
    s = recordEdit(s, { userId: 'ann', blocks: [4], blockKeys: ['9:40'], at: 0 }).state;
    // Ann pressed Enter: her caret is in the new paragraph 5; a paragraph inserted above then
    // shifts the one she typed in to index 5 as well, where bob arrives.
    s = writer(s, 1, 'ann', { anchorBlock: 6, headBlock: 6, anchorKey: '9:90', headKey: '9:90' }, 1000);
    s = writer(s, 2, 'bob', { anchorBlock: 5, headBlock: 5, anchorKey: '9:40', headKey: '9:40' }, 2000);
    expect(predict(s, 2000, []).predicted).toMatchObject([{ users: ['ann', 'bob'], severity: 'high' }]);
    // Both still active, but past the footprint window (ann adjacent, not approaching): nothing.
    expect(predict(s, 7_500, [], { footprintMs: 5_000 }).predicted).toEqual([]);
  });

  it('overlapping selections are high even when the carets are far apart', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(2, 8), 0);
    s = writer(s, 2, 'bob', caret(12, 6), 0);
    expect(predict(s, 0, []).predicted).toMatchObject([{ severity: 'high' }]);
  });

  it('pair keys are sorted whatever the order of arrival', () => {
    let s = writer(createPresenceState(), 1, 'zoe', caret(1), 0);
    s = writer(s, 2, 'amy', caret(1), 0);
    const [w] = predict(s, 0, []).predicted;
    expect(w?.users).toEqual(['amy', 'zoe']);
    expect(w?.key).toBe(JSON.stringify(['amy', 'zoe']));
  });

  it('readers, idle writers and one user in two tabs are excluded', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(3), 0);
    s = writer(s, 2, 'rex', caret(3), 0, false);
    s = writer(s, 3, 'ann', caret(3), 0);
    expect(predict(s, 0, []).predicted).toEqual([]);
    // Bob sits in the same block but last typed more than 7 s (the default window) ago.
    s = writer(s, 4, 'bob', caret(3), 0);
    expect(predict(s, 7_001, []).predicted).toEqual([]);
    expect(predict(s, 7_000, []).predicted).toHaveLength(1);
    expect(predict(s, 9_000, [], { activeWindowMs: 10_000 }).predicted).toHaveLength(1);
  });

  it('an edit counts as activity even without editMode', () => {
    let s = applyAwareness(createPresenceState(), { clientId: 1, userId: 'ann', canEdit: true, at: 0, blocks: caret(4), awarenessState: {} });
    s = applyAwareness(s, { clientId: 2, userId: 'bob', canEdit: true, at: 0, blocks: caret(4), awarenessState: {} });
    expect(predict(s, 1000, []).predicted).toEqual([]);
    s = recordEdit(s, { userId: 'ann', blocks: [4], at: 1000 }).state;
    s = recordEdit(s, { userId: 'bob', blocks: [4], at: 1000 }).state;
    expect(predict(s, 1000, []).predicted).toHaveLength(1);
  });

  it('hysteresis: a caret hopping to the next paragraph and back does not flap the warning', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(10), 0);
    s = writer(s, 2, 'bob', caret(10), 0);
    let warnings: Warning[] = [];
    const events: string[] = [];
    const positions = [10, 11, 10, 11, 11, 10, ...Array<number>(14).fill(11)];
    positions.forEach((block, i) => {
      const now = i * 500;
      s = writer(s, 2, 'bob', caret(block), now);
      const r = predict(s, now, warnings);
      warnings = r.warnings;
      events.push(...r.predicted.map(() => `+${now}`), ...r.cleared.map(() => `-${now}`));
    });
    // Raised once and kept: adjacent is still together.
    expect(events).toEqual(['+0']);
    expect(warnings).toHaveLength(1);
  });

  it('writers who part (two or more blocks apart) clear after partClearMs, and coming back resets it', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(10), 0);
    s = writer(s, 2, 'bob', caret(10), 0);
    let warnings: Warning[] = [];
    const events: string[] = [];
    // Apart at 500, back at 1000, apart from 1500 on.
    const positions = [10, 12, 10, ...Array<number>(10).fill(13)];
    positions.forEach((block, i) => {
      const now = i * 500;
      s = writer(s, 2, 'bob', caret(block), now);
      const r = predict(s, now, warnings, { partClearMs: 1000 });
      warnings = r.warnings;
      events.push(...r.predicted.map(() => `+${now}`), ...r.cleared.map(() => `-${now}`));
    });
    expect(events).toEqual(['+0', '-2500']);
  });

  it('a footprint stops counting once its writer types two blocks away', () => {
    // Both typed in block 3 (by identity); then ann moves to block 0 and types there.
    let s = writer(createPresenceState(), 1, 'ann', { ...caret(3), headKey: 'k3', anchorKey: 'k3' }, 0);
    s = writer(s, 2, 'bob', { ...caret(3), headKey: 'k3', anchorKey: 'k3' }, 0);
    s = recordEdit(s, { userId: 'ann', blocks: [3], blockKeys: ['k3'], at: 0 }).state;
    s = recordEdit(s, { userId: 'bob', blocks: [3], blockKeys: ['k3'], at: 0 }).state;
    const first = predict(s, 100, []);
    expect(first.predicted).toMatchObject([{ severity: 'high', blocks: [3] }]);
    s = writer(s, 1, 'ann', { ...caret(0), headKey: 'k0', anchorKey: 'k0' }, 1000);
    s = recordEdit(s, { userId: 'ann', blocks: [0], blockKeys: ['k0'], at: 1000 }).state;
    expect(s.footprints.get('ann')?.has('k3')).toBe(false);
    // Typing one block away keeps the footprint (that is still "here").
    let t = recordEdit(s, { userId: 'bob', blocks: [3], blockKeys: ['k3'], at: 1000 }).state;
    t = recordEdit(t, { userId: 'bob', blocks: [4], blockKeys: ['k4'], at: 1100 }).state;
    expect(t.footprints.get('bob')?.has('k3')).toBe(true);
    const r1 = predict(s, 1000, first.warnings, { partClearMs: 1000 });
    expect(r1.cleared).toEqual([]);
    expect(r1.warnings[0]?.apartSince).toBe(1000);
    expect(predict(s, 2000, r1.warnings, { partClearMs: 1000 }).cleared).toHaveLength(1);
    // Without the leave rule (the previous model), ann's old footprint keeps them "together".
    let old = writer(createPresenceState(), 1, 'ann', { ...caret(3), headKey: 'k3', anchorKey: 'k3' }, 0);
    old = writer(old, 2, 'bob', { ...caret(3), headKey: 'k3', anchorKey: 'k3' }, 0);
    old = recordEdit(old, { userId: 'ann', blocks: [3], blockKeys: ['k3'], at: 0 }, { footprintLeaveBlocks: Infinity }).state;
    old = writer(old, 1, 'ann', { ...caret(0), headKey: 'k0', anchorKey: 'k0' }, 1000);
    old = recordEdit(old, { userId: 'ann', blocks: [0], blockKeys: ['k0'], at: 1000 }, { footprintLeaveBlocks: Infinity }).state;
    expect(old.footprints.get('ann')?.has('k3')).toBe(true);
  });

  it('blocks name where the writers overlap, or the two facing blocks when adjacent', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(2, 6), 0);
    s = writer(s, 2, 'bob', caret(5, 9), 0);
    expect(predict(s, 100, []).predicted).toMatchObject([{ severity: 'high', blocks: [5, 6] }]);
    let a = writer(createPresenceState(), 1, 'ann', caret(4), 0);
    a = writer(a, 2, 'bob', caret(5), 0);
    expect(predict(a, 100, [], { approachMs: 0 }).predicted).toMatchObject([{ severity: 'medium', blocks: [4, 5] }]);
  });

  it('escalation from medium to high is predicted again, and a user leaving clears at once', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(1), 0);
    s = writer(s, 2, 'bob', caret(4), 0);
    s = writer(s, 2, 'bob', caret(2), 0);
    const first = predict(s, 0, []);
    expect(first.predicted).toMatchObject([{ severity: 'medium' }]);
    s = writer(s, 2, 'bob', caret(1), 100);
    const second = predict(s, 500, first.warnings);
    expect(second.predicted).toMatchObject([{ severity: 'high', raisedAt: 0 }]);
    s = removeClient(s, 2, 600);
    const third = predict(s, 1000, second.warnings);
    expect(third.cleared).toHaveLength(1);
    expect(third.warnings).toEqual([]);
  });

  it('shouldRecompute allows at most one recompute per interval', () => {
    expect(shouldRecompute(null, 0)).toBe(true);
    expect(shouldRecompute(1000, 1499)).toBe(false);
    expect(shouldRecompute(1000, 1500)).toBe(true);
    expect(shouldRecompute(1000, 1100, 100)).toBe(true);
  });
});

describe('presence', () => {
  it('expires a client 15 min after its last renewal and removes it on disconnect', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(0), 0);
    s = writer(s, 2, 'bob', caret(0), 5 * 60_000);
    s = expire(s, 15 * 60_000 - 1);
    expect([...s.clients.keys()]).toEqual([1, 2]);
    s = expire(s, 15 * 60_000);
    expect([...s.clients.keys()]).toEqual([2]);
    s = removeClient(s, 2, 0);
    expect(s.clients.size).toBe(0);
    // A null awareness state is how y-protocols says a client left.
    s = writer(s, 3, 'cat', caret(0), 0);
    s = applyAwareness(s, { clientId: 3, userId: 'cat', canEdit: true, at: 1, blocks: null, awarenessState: null });
    expect(s.clients.size).toBe(0);
  });

  it('reports where each caret is and how long each writer has been idle', () => {
    let s = writer(createPresenceState(), 1, 'ann', caret(2, 4), 1000);
    s = applyAwareness(s, { clientId: 2, userId: 'bob', canEdit: true, at: 0, blocks: null, awarenessState: { editMode: 'idle' } });
    expect(presenceView(s, 6000)).toEqual([
      { clientId: 1, userId: 'ann', canEdit: true, block: 4, idleMs: 5000 },
      { clientId: 2, userId: 'bob', canEdit: true, block: null, idleMs: 6000 },
    ]);
  });

  it('detects actual collisions: two users, one block, within 10 s', () => {
    let s = createPresenceState();
    s = recordEdit(s, { userId: 'ann', blocks: [3], at: 0 }).state;
    expect(recordEdit(s, { userId: 'bob', blocks: [3], at: 10_001 }).collisions).toEqual([]);
    expect(recordEdit(s, { userId: 'ann', blocks: [3], at: 5000 }).collisions).toEqual([]);
    expect(recordEdit(s, { userId: 'bob', blocks: [3, 4], at: 9000 }).collisions).toEqual([{ users: ['ann', 'bob'], block: 3, at: 9000 }]);
  });

  it('recordEdits over a batch equals recordEdit one by one, and never changes the state it was given', () => {
    const edit = fc.record({
      userId: fc.constantFrom('ann', 'bob', 'cat'),
      blocks: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
      blockKeys: fc.array(fc.constantFrom('1:0', '1:5', '2:9'), { maxLength: 2 }),
      dt: fc.integer({ min: 0, max: 6_000 }),
    });
    const plain = (s: PresenceState) => JSON.stringify([[...s.lastEdits], [...s.blockEdits].map(([b, u]) => [b, [...u]]), [...s.footprints].map(([u, k]) => [u, [...k]])]);
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (raw, split) => {
        let at = 0;
        const edits = raw.map((e) => ({ userId: e.userId, blocks: e.blocks, blockKeys: e.blockKeys, at: (at += e.dt) }));
        let one = createPresenceState();
        const hits = [];
        for (const e of edits) {
          const r = recordEdit(one, e);
          one = r.state;
          hits.push(...r.collisions);
        }
        // Two batches, so the second starts from a state whose inner maps the first built.
        const first = recordEdits(createPresenceState(), edits.slice(0, split));
        const before = plain(first.state);
        const second = recordEdits(first.state, edits.slice(split));
        expect(plain(first.state)).toBe(before);
        expect(plain(second.state)).toBe(plain(one));
        expect([...first.collisions, ...second.collisions]).toEqual(hits);
      }),
    );
  });

  it('drops oversized awareness states whole', () => {
    const s = writer(createPresenceState(), 1, 'ann', caret(0), 0);
    const huge = { cursor: {}, junk: 'x'.repeat(100_000) };
    expect(applyAwareness(s, { clientId: 1, userId: 'ann', canEdit: true, at: 10, blocks: caret(1), awarenessState: huge })).toBe(s);
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 0; i < 5000; i++) node = (node.next = {}) as Record<string, unknown>;
    expect(applyAwareness(s, { clientId: 1, userId: 'ann', canEdit: true, at: 10, blocks: caret(1), awarenessState: deep })).toBe(s);
  });

  it('garbage awareness states never throw and never predict from garbage carets', () => {
    const doc = new Y.Doc();
    const fragment = doc.getXmlFragment('default');
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('text')]);
    fragment.insert(0, [p]);
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.anything(), (cursor, other, state) => {
        const blocks = resolveCursorBlock(doc, cursor);
        const blocks2 = resolveCursorBlock(doc, { anchor: other, head: cursor });
        let s = writer(createPresenceState(), 1, 'ann', blocks, 0);
        s = applyAwareness(s, { clientId: 2, userId: 'bob', canEdit: true, at: 0, blocks: blocks2, awarenessState: state });
        s = applyAwareness(s, { clientId: 3, userId: 'cat', canEdit: true, at: 0, blocks: null, awarenessState: { cursor, editMode: other, viewport: state, typingVelocity: other } });
        const r = predict(s, 0, []);
        for (const w of r.warnings) expect(w.users).not.toContain('cat');
        expect(presenceView(s, 0).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

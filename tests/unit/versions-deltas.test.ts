/**
 * Versions stored as deltas against a snapshot (services/versions/deltas.ts): snapshot + delta is
 * the document, for any edits (property-tested); small edits give small deltas; a delta past the
 * ratio, a first version and a document made anew under the same id give snapshots.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docToJSON as documentJSON } from '../../src/manuscript/convert.js';
import { baseAfter, decodeVersion, encodeVersion, type VersionBase } from '../../src/services/versions/deltas.js';
import type { LoadedVersion } from '../../src/services/versions/ports.js';
import { paragraph } from '../helpers/paragraph.js';


const fragment = (doc: Y.Doc) => doc.getXmlFragment('default');

/** A stored row as the repository gives it back. */
function loaded(id: string, state: Uint8Array, baseId: string | null, baseState: Uint8Array | null): LoadedVersion {
  return { id, projectId: 'p', documentId: 'd', name: null, kind: 'auto', createdBy: 'u', createdAt: 0, words: 0, wordsChanged: 0, size: state.byteLength, baseId, state, baseState };
}

describe('version deltas', () => {
  it('stores the first version as a snapshot, small edits as small deltas that decode to the document', () => {
    const doc = new Y.Doc();
    fragment(doc).insert(0, Array.from({ length: 200 }, (_, i) => paragraph(`Paragraph ${i} of a long enough text to matter.`)));
    const first = encodeVersion(doc, null);
    expect(first.baseId).toBeNull();
    expect(first.state).toEqual(Y.encodeStateAsUpdate(doc));
    const base = first.nextBase('v1');
    const states = new Map([['v1', first.state]]);

    ((fragment(doc).get(5) as Y.XmlElement).get(0) as Y.XmlText).insert(3, ' typed');
    fragment(doc).delete(7, 1);
    const second = encodeVersion(doc, base);
    expect(second.baseId).toBe('v1');
    expect(second.state.byteLength).toBeLessThan(first.state.byteLength / 50);
    expect(second.nextBase('v2')).toBe(base);
    const back = decodeVersion(loaded('v2', second.state, 'v1', states.get('v1')!));
    expect(documentJSON(back)).toEqual(documentJSON(doc));
    // The next create after a restart finds the same base from the stored rows.
    const again = baseAfter(loaded('v2', second.state, 'v1', states.get('v1')!));
    expect(again.id).toBe('v1');
    expect(again.sv).toEqual(base.sv);
  });

  it('stores a snapshot when the delta grows past the ratio of its base', () => {
    const doc = new Y.Doc();
    fragment(doc).insert(0, [paragraph('A short text.')]);
    const base = encodeVersion(doc, null).nextBase('v1');
    fragment(doc).insert(1, [paragraph('Much more text than the first version had, far past an eighth of it.')]);
    const next = encodeVersion(doc, base);
    expect(next.baseId).toBeNull();
    expect(next.nextBase('v2').id).toBe('v2');
  });

  it('stores a snapshot for a document made anew under the same id (its clients are not the base’s)', () => {
    const old = new Y.Doc();
    fragment(old).insert(0, [paragraph('The old text, long enough for the ratio to allow a delta.')]);
    const base: VersionBase = encodeVersion(old, null).nextBase('v1');
    const anew = new Y.Doc();
    fragment(anew).insert(0, [paragraph('New.')]);
    const next = encodeVersion(anew, base, 10);
    expect(next.baseId).toBeNull();
    expect(documentJSON(decodeVersion(loaded('v2', next.state, null, null)))).toEqual(documentJSON(anew));
  });

  it('refuses to decode a delta whose base is missing', () => {
    expect(() => decodeVersion(loaded('v2', new Uint8Array([0, 0]), 'v1', null))).toThrow(/missing/);
  });

  it('snapshot + delta equals the document for any edits, inserts and deletions (property)', () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 30 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('type' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 10 }) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 12 }), fc.array(edit, { minLength: 1, maxLength: 12 }), (before, after) => {
        const doc = new Y.Doc();
        const apply = (edits: typeof before) => {
          for (const e of edits) {
            const f = fragment(doc);
            if (e.op === 'insert') f.insert(e.at % (f.length + 1), [paragraph(e.text)]);
            else if (f.length === 0) continue;
            else if (e.op === 'delete') f.delete(e.at % f.length, 1);
            else ((f.get(e.at % f.length) as Y.XmlElement).get(0) as Y.XmlText).insert(0, e.text);
          }
        };
        apply(before);
        const first = encodeVersion(doc, null);
        apply(after);
        // An unbounded ratio: always a delta, to test its content whatever its size.
        const next = encodeVersion(doc, first.nextBase('v1'), Number.POSITIVE_INFINITY);
        expect(next.baseId).toBe('v1');
        expect(documentJSON(decodeVersion(loaded('v2', next.state, 'v1', first.state)))).toEqual(documentJSON(doc));
      }),
      { numRuns: 200 },
    );
  });
});

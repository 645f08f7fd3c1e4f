import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { updateMetaOf } from '../../src/collab/update-meta.js';

function typedUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe('updateMetaOf', () => {
  it('gives what Y.parseUpdateMeta gives, decoded once per payload array', () => {
    const update = typedUpdate('Reader, I married him.');
    const meta = updateMetaOf(update);
    expect(meta).toEqual(Y.parseUpdateMeta(update));
    // The second hook asking about the same message gets the same decoded object.
    expect(updateMetaOf(update)).toBe(meta);
    // Another array with the same bytes is another message: decoded on its own.
    expect(updateMetaOf(update.slice())).not.toBe(meta);
  });

  it('throws for an update that does not decode, on every call', () => {
    const garbage = new Uint8Array([200, 1, 2, 3]);
    expect(() => Y.parseUpdateMeta(garbage)).toThrow();
    expect(() => updateMetaOf(garbage)).toThrow();
    expect(() => updateMetaOf(garbage)).toThrow();
  });
});

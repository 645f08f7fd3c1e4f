/** Paragraph-level diff and words changed (services/versions/paragraph-diff.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksWords } from '../../src/services/versions/content.js';
import { diffBlocks, wordsChanged, wordsDelta, type Block } from '../../src/services/versions/paragraph-diff.js';

const p = (text: string, type = 'paragraph'): Block => ({ type, text });

describe('paragraph diff', () => {
  it('finds added, removed and changed blocks in document order', () => {
    const before = [p('One two.'), p('Three.'), p('Gone away now.'), p('Tail.')];
    const after = [p('One two three.'), p('Three.'), p('Tail.'), p('New end here.')];
    expect(diffBlocks(before, after)).toEqual([
      { type: 'changed', oldIndex: 0, newIndex: 0, before: p('One two.'), after: p('One two three.') },
      { type: 'removed', oldIndex: 2, before: p('Gone away now.') },
      { type: 'added', newIndex: 3, after: p('New end here.') },
    ]);
  });

  it('counts words changed: whole blocks added or removed, the changed middle of an edited one', () => {
    const changes = diffBlocks([p('The cat sat on the mat.'), p('Old line.')], [p('The dog sat on the mat.'), p('Brand new words here.'), p('Old line.')]);
    // cat -> dog is 1; the inserted paragraph is 4.
    expect(wordsChanged(changes)).toBe(5);
    expect(diffBlocks([p('Title', 'heading')], [p('Title')])).toHaveLength(1);
  });

  it('property: applying the changes to before gives after; identical texts have no changes', () => {
    const blocks = fc.array(fc.constantFrom('a', 'b', 'c', 'd one', 'e two').map((t) => p(t)), { maxLength: 30 });
    fc.assert(
      fc.property(blocks, blocks, (before, after) => {
        expect(diffBlocks(before, before)).toEqual([]);
        const changes = diffBlocks(before, after);
        const removed = new Set(changes.flatMap((c) => (c.type === 'added' ? [] : [c.oldIndex])));
        const kept = before.filter((_, i) => !removed.has(i));
        const added = new Set(changes.flatMap((c) => (c.type === 'removed' ? [] : [c.newIndex])));
        expect(after.filter((_, i) => !added.has(i))).toEqual(kept);
        for (const c of changes) if (c.type !== 'removed') expect(after[c.newIndex]).toEqual(c.after);
        // The count moves by exactly the changed blocks' words (versions count only those).
        expect(blocksWords(before) + wordsDelta(changes)).toBe(blocksWords(after));
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { countDocumentWords, countWords, matchWords } from '../../src/tracking/writing/word-count.js';
import { tapTestDoc } from '../helpers/tap.js';

/**
 * A ProseMirror-shaped doc: XmlFragment('default') of paragraphs, each holding one XmlText,
 * loaded before the production document tap is attached (as from storage). `seen` holds the
 * words of every edit the tap reported; `words()` is the tap's word total.
 */
function proseDoc(paragraphs: string[]) {
  const doc = new Y.Doc();
  const root = doc.getXmlFragment('default');
  doc.transact(() => root.insert(0, paragraphs.map(paragraph)));
  const tap = tapTestDoc(doc);
  const text = (i: number) => (root.get(i) as Y.XmlElement).get(0) as Y.XmlText;
  const id = (i: number) => `${root.get(i)._item!.id.client}:${root.get(i)._item!.id.clock}`;
  return { doc, root, seen: tap.words, words: tap.documentWords, stop: tap.stop, text, id, last: tap.last };
}

function paragraph(content: string): Y.XmlElement {
  const p = new Y.XmlElement('paragraph');
  const t = new Y.XmlText();
  t.insert(0, content);
  p.insert(0, [t]);
  return p;
}

describe('the word rule', () => {
  it.each([
    ['', []],
    ["don't stop", ["don't", 'stop']],
    ['isn’t it well-known?', ['isn’t', 'it', 'well-known']],
    ['“Hello,” she said — twice.', ['Hello', 'she', 'said', 'twice']],
    ["'quoted' and ‘curly’", ['quoted', 'and', 'curly']],
    ['1,000 yes,no 3.14 e.g. U.S.A.', ['1,000', 'yes', 'no', '3.14', 'e.g', 'U.S.A']],
    ['a--b x...y', ['a', 'b', 'x', 'y']],
    ['naïve café Ωμέγα Привет', ['naïve', 'café', 'Ωμέγα', 'Привет']],
    ['日本語', ['日', '本', '語']],
    ['😀 ok #tag @me', ['ok', 'tag', 'me']],
    ['tab\tseparated\nlines\u00a0nbsp', ['tab', 'separated', 'lines', 'nbsp']],
  ] as const)('%j -> %j', (text, words) => {
    expect(matchWords(text)).toEqual(words);
    expect(countWords(text)).toBe(words.length);
  });

  it('is additive across whitespace, which the incremental index relies on', () => {
    const char = fc.constantFrom(...'ab1 \n\t\u00a0\'’-‐.,—日ö😀'.split(''), 'x', 'ok');
    const text = fc.array(char, { maxLength: 24 }).map((cs) => cs.join(''));
    const space = fc.constantFrom(' ', '\n', '\t', '\u00a0', '\u2003');
    fc.assert(
      fc.property(text, space, text, (a, ws, b) => {
        expect(countWords(a + ws + b)).toBe(countWords(a + ws) + countWords(b));
      }),
    );
  });
});

describe('paragraph word index on a ProseMirror-shaped Y.Doc', () => {
  it('counts the initial document and attributes an insert to its paragraph', () => {
    const d = proseDoc(['Hello world', 'Second paragraph here']);
    expect(d.words()).toBe(5);
    d.text(0).insert(5, ' big');
    expect(d.last()).toMatchObject({ insertedChars: 4, deletedChars: 0, netWords: 1, wordsAdded: 1, wordsRemoved: 0 });
    expect(d.last().paragraphsTouched).toEqual([d.id(0)]);
    expect(d.words()).toBe(6);
  });

  it('typing a word one keystroke at a time counts it once, at its first letter', () => {
    const d = proseDoc(['One']);
    for (const [i, c] of [...' two'].entries()) d.text(0).insert(3 + i, c);
    expect(d.seen.map((w) => w.netWords)).toEqual([0, 1, 0, 0]);
    expect(d.words()).toBe(2);
  });

  it('deleting across paragraphs removes the joined paragraph and recounts the survivor', () => {
    const d = proseDoc(['alpha beta gamma', 'delta epsilon', 'zeta']);
    // Select from after "alpha " to after "delta " and delete (as y-prosemirror applies it).
    d.doc.transact(() => {
      d.text(0).delete(6, 10);
      d.text(0).insert(6, 'epsilon');
      d.root.delete(1, 1);
    });
    expect(d.last()).toMatchObject({ netWords: -3, wordsAdded: 0, wordsRemoved: 3, deletedChars: 10 + 13, insertedChars: 7 });
    expect(d.last().paragraphsTouched).toEqual([d.id(0)]);
    expect(d.words()).toBe(countDocumentWords(d.root));
    expect(d.words()).toBe(3);
  });

  it('splitting a paragraph moves words (added and removed) with net 0; merging back joins a word', () => {
    const d = proseDoc(['one two three four']);
    d.doc.transact(() => {
      d.text(0).delete(8, 10);
      d.root.insert(1, [paragraph('three four')]);
    });
    expect(d.last()).toMatchObject({ netWords: 0, wordsAdded: 2, wordsRemoved: 2 });
    expect([...d.last().paragraphsTouched].sort()).toEqual([d.id(0), d.id(1)].sort());
    // Backspace at the start of the second paragraph: "one two" + "three four", no space between.
    d.doc.transact(() => {
      d.text(0).insert(7, 'three four');
      d.root.delete(1, 1);
    });
    expect(d.last().netWords).toBe(-1); // "twothree" is one word
    expect(d.words()).toBe(3);
  });

  it('deleting a whole paragraph and undoing it', () => {
    const d = proseDoc(['keep this', 'drop these three words', 'and this']);
    const undo = new Y.UndoManager(d.root);
    d.root.delete(1, 1);
    expect(d.last()).toMatchObject({ netWords: -4, wordsRemoved: 4, deletedChars: 22, paragraphsTouched: [] });
    undo.undo();
    expect(d.last()).toMatchObject({ netWords: 4, wordsAdded: 4, insertedChars: 22 });
    expect(d.last().paragraphsTouched).toEqual([d.id(1)]);
    expect(d.words()).toBe(8);
  });

  it('nested blocks and inline nodes never join words; formatting changes nothing', () => {
    const d = proseDoc(['x']);
    const quote = new Y.XmlElement('blockquote');
    quote.insert(0, [paragraph('quoted'), paragraph('text')]);
    const withBreak = new Y.XmlElement('paragraph');
    const a = new Y.XmlText();
    a.insert(0, 'before');
    const b = new Y.XmlText();
    b.insert(0, 'after');
    withBreak.insert(0, [a, new Y.XmlElement('hardBreak'), b]);
    d.root.insert(1, [quote, withBreak]);
    expect(d.last().netWords).toBe(4);
    d.text(0).format(0, 1, { bold: true });
    expect(d.last()).toMatchObject({ netWords: 0, insertedChars: 0, deletedChars: 0 });
    expect(d.words()).toBe(countDocumentWords(d.root));
    expect(d.words()).toBe(5);
  });

  it('stays exact for remote updates (another replica) and ignores other roots', () => {
    const d = proseDoc(['shared start']);
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(d.doc));
    const otherRoot = other.getXmlFragment('default');
    ((otherRoot.get(0) as Y.XmlElement).get(0) as Y.XmlText).insert(12, ' plus remote words');
    other.getText('notes').insert(0, 'not in the fragment');
    const before = d.seen.length;
    Y.applyUpdate(d.doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(d.doc)), 'remote');
    expect(d.seen.slice(before).map((w) => w.netWords)).toEqual([3]);
    expect(d.words()).toBe(5);
  });

  it('keeps sum(netWords) == final - initial over random edit sequences', () => {
    const word = fc.constantFrom('a', 'be', 'sea', "don't", 'well-known', '1,000', '日本', '—', '.');
    const chunk = fc.array(fc.oneof(word, fc.constantFrom(' ', '  ', '\n')), { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), p: fc.nat(), at: fc.nat(), s: chunk }),
      fc.record({ kind: fc.constant('delete' as const), p: fc.nat(), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('addParagraph' as const), p: fc.nat(), s: chunk }),
      fc.record({ kind: fc.constant('dropParagraph' as const), p: fc.nat() }),
      fc.record({ kind: fc.constant('split' as const), p: fc.nat(), at: fc.nat() }),
      fc.record({ kind: fc.constant('merge' as const), p: fc.nat() }),
      fc.record({ kind: fc.constant('format' as const), p: fc.nat(), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('embed' as const), p: fc.nat(), at: fc.nat() }),
      fc.record({ kind: fc.constant('inline' as const), p: fc.nat(), s: chunk }),
      fc.record({ kind: fc.constant('dropInline' as const), p: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 4 }), fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { maxLength: 25 }), (initial, txns) => {
        const d = proseDoc(initial);
        const start = d.words();
        for (const ops of txns) {
          d.doc.transact(() => ops.forEach((o) => applyOp(d.root, o)));
          expect(d.words()).toBe(countDocumentWords(d.root));
        }
        const net = d.seen.reduce((sum, w) => sum + w.netWords, 0);
        expect(net).toBe(countDocumentWords(d.root) - start);
        for (const w of d.seen) expect(w.netWords).toBe(w.wordsAdded - w.wordsRemoved);
        d.stop();
      }),
      { numRuns: 150 },
    );
  });
});

type Op =
  | { kind: 'insert'; p: number; at: number; s: string }
  | { kind: 'delete'; p: number; at: number; n: number }
  | { kind: 'addParagraph'; p: number; s: string }
  | { kind: 'dropParagraph'; p: number }
  | { kind: 'split'; p: number; at: number }
  | { kind: 'merge'; p: number }
  | { kind: 'format'; p: number; at: number; n: number }
  | { kind: 'embed'; p: number; at: number }
  | { kind: 'inline'; p: number; s: string }
  | { kind: 'dropInline'; p: number };

/** The characters of an XmlText (its toString() renders formatting as tags). */
function plain(text: Y.XmlText): string {
  return text.toDelta().map((d: { insert: unknown }) => (typeof d.insert === 'string' ? d.insert : '')).join('');
}

/** Applies an op the way y-prosemirror would express it; indexes wrap around the current size. */
function applyOp(root: Y.XmlFragment, o: Op): void {
  const count = root.length;
  if (o.kind === 'addParagraph') {
    root.insert(o.p % (count + 1), [paragraph(o.s)]);
    return;
  }
  if (count === 0) return;
  const p = o.p % count;
  const block = root.get(p) as Y.XmlElement;
  const text = block.get(0) as Y.XmlText;
  const length = text.length;
  switch (o.kind) {
    case 'embed':
      text.insertEmbed(o.at % (length + 1), { image: 'cat.png' });
      break;
    case 'inline': {
      // A hard break and more text after the paragraph's first text node.
      const more = new Y.XmlText();
      more.insert(0, o.s);
      block.insert(block.length, [new Y.XmlElement('hardBreak'), more]);
      break;
    }
    case 'dropInline':
      if (block.length > 1) block.delete(1, 1);
      break;
    case 'insert':
      text.insert(o.at % (length + 1), o.s);
      break;
    case 'delete':
      if (length > 0) text.delete(o.at % length, Math.min(o.n, length - (o.at % length)));
      break;
    case 'format':
      if (length > 0) text.format(o.at % length, Math.min(o.n, length - (o.at % length)), { em: true });
      break;
    case 'dropParagraph':
      root.delete(p, 1);
      break;
    case 'split': {
      const at = o.at % (length + 1);
      const tail = plain(text).slice(at);
      text.delete(at, length - at);
      root.insert(p + 1, [paragraph(tail)]);
      break;
    }
    case 'merge': {
      if (p + 1 >= count) return;
      const next = plain((root.get(p + 1) as Y.XmlElement).get(0) as Y.XmlText);
      text.insert(length, next);
      root.delete(p + 1, 1);
      break;
    }
  }
}

describe('word index on a plain Y.Text (lines are paragraphs)', () => {
  function textDoc(initial: string, clientID = 1) {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    const text = doc.getText('text'); // the plain-text root the tap counts
    text.insert(0, initial);
    const tap = tapTestDoc(doc);
    return { doc, text, seen: tap.words, words: tap.documentWords, stop: tap.stop, last: tap.last };
  }

  it('counts only the changed region and names lines by the newline that opens them', () => {
    const d = textDoc('first line\nsecond line');
    d.text.insert(22, ' more');
    expect(d.last()).toMatchObject({ netWords: 1, insertedChars: 5, paragraphsTouched: ['1:10'] });
    d.text.insert(0, 'the ');
    expect(d.last().paragraphsTouched).toEqual(['start']);
    d.text.insert(d.text.length, '\nthird');
    const newline = `1:${Y.getState(d.doc.store, 1) - 6}`;
    expect(d.last().netWords).toBe(1);
    expect([...d.last().paragraphsTouched].sort()).toEqual(['1:10', newline].sort());
    // Joining two words by deleting the space between them, and a replace in one transaction.
    d.text.delete(9, 1); // "the firstline"
    expect(d.last()).toMatchObject({ netWords: -1, deletedChars: 1 });
    d.doc.transact(() => {
      d.text.delete(0, 3);
      d.text.insert(0, 'a');
    });
    expect(d.last()).toMatchObject({ netWords: 0, wordsAdded: 0, wordsRemoved: 0 });
    expect(d.words()).toBe(countWords(d.text.toString()));
  });

  it('keeps sum(netWords) == final - initial on two replicas exchanging updates', () => {
    const piece = fc.constantFrom('a', 'bb', "it's", 'x-y', ' ', '\n', '  ', '. ', 'ü', '語');
    const op = fc.record({
      replica: fc.nat(1),
      at: fc.nat(),
      del: fc.nat(6),
      ins: fc.array(piece, { maxLength: 4 }).map((p) => p.join('')),
      sync: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(op, { maxLength: 40 }), (initial, ops) => {
        const a = textDoc(initial.join(''), 1);
        const b = new Y.Doc();
        b.clientID = 2;
        Y.applyUpdate(b, Y.encodeStateAsUpdate(a.doc));
        const bText = b.getText('text');
        const bWatch = tapTestDoc(b);
        const start = a.words();
        const sync = () => {
          Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a.doc)), 'remote');
          Y.applyUpdate(b, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b)), 'remote');
        };
        for (const o of ops) {
          const text = o.replica === 0 ? a.text : bText;
          const at = o.at % (text.length + 1);
          text.doc!.transact(() => {
            text.delete(at, Math.min(o.del, text.length - at));
            text.insert(at, o.ins);
          });
          if (o.sync) sync();
        }
        sync();
        const final = countWords(a.text.toString());
        expect(bText.toString()).toBe(a.text.toString());
        expect(a.words()).toBe(final);
        expect(bWatch.documentWords()).toBe(final);
        expect(a.seen.reduce((s, w) => s + w.netWords, 0)).toBe(final - start);
        expect(bWatch.words.reduce((s, w) => s + w.netWords, 0)).toBe(final - start);
      }),
      { numRuns: 200 },
    );
  });
});

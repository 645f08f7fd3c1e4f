import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { tapDocument } from '../../src/collab/document-tap.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { DocumentEdit, DocumentEditConsumer } from '../../src/tracking/document-edit.js';
import { countDocumentWords, countWords } from '../../src/tracking/writing/word-count.js';
import { concurrentTraceToUpdates, loadConcurrentTrace, loadSequentialTrace, replaySequentialTraceIntoFragment } from '../helpers/traces.js';

/**
 * The production document tap (collab/document-tap.ts) on plain Y.Docs, with the origins
 * Hocuspocus 4 gives transactions: what the server's single afterTransaction listener hands to
 * the writing and presence consumers.
 */
const logger = createLogger({ level: 'silent' });
const fromConnection = (userId: string) => ({ source: 'connection', connection: { context: { user: { userId } } } });
const target = { projectId: 'p', documentId: 'd' };

function tap(doc: Y.Doc, consumers: DocumentEditConsumer[], clock = createManualClock(1_000)) {
  const edits: DocumentEdit[] = [];
  const stop = tapDocument(doc, target, { clock, logger, consumers: () => [...consumers, (e) => edits.push(e)] });
  return { edits, stop };
}

function paragraphs(doc: Y.Doc, texts: string[], origin: unknown = null): void {
  const fragment = doc.getXmlFragment('default');
  doc.transact(() => {
    for (const t of texts) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(t)]);
      fragment.push([p]);
    }
  }, origin);
}
const textAt = (doc: Y.Doc, i: number) => (doc.getXmlFragment('default').get(i) as Y.XmlElement).get(0) as Y.XmlText;

describe('document tap', () => {
  it('hands one attributed edit with blocks, per-block and total words to every consumer', () => {
    const doc = new Y.Doc();
    paragraphs(doc, ['one two', 'three', 'four five six']); // before the tap: loading from storage
    const clock = createManualClock(5_000);
    const other: DocumentEdit[] = [];
    const { edits } = tap(doc, [(e) => other.push(e)], clock);
    doc.transact(() => {
      textAt(doc, 0).insert(7, ' seven eight');
      textAt(doc, 2).delete(0, 5); // "four " gone
    }, fromConnection('alice'));
    expect(edits).toHaveLength(1);
    expect(other[0]).toBe(edits[0]); // the same object for every consumer
    const edit = edits[0]!;
    expect(edit).toMatchObject({ projectId: 'p', documentId: 'd', documentName: 'p/d', origin: 'connection', userId: 'alice', at: 5_000, netWords: 1, documentWords: 7 });
    expect(edit.blocks.map((b) => [b.index, b.netWords])).toEqual([[0, 2], [2, -1]]);
    expect(edit.clientIds).toEqual([doc.clientID]);
    expect(edit.words).toMatchObject({ wordsAdded: 2, wordsRemoved: 1 });
  });

  it('gives redis, local and foreign origins no writer, and still feeds the index with them', () => {
    const doc = new Y.Doc();
    const { edits } = tap(doc, []);
    paragraphs(doc, ['a b c'], { source: 'redis' });
    paragraphs(doc, ['d e'], { source: 'local' });
    paragraphs(doc, ['f'], 'something else');
    paragraphs(doc, ['g h'], fromConnection('bob'));
    expect(edits.map((e) => [e.origin, e.userId, e.netWords])).toEqual([
      ['redis', null, 3],
      ['local', null, 2],
      ['unknown', null, 1],
      ['connection', 'bob', 2],
    ]);
    expect(edits.at(-1)!.documentWords).toBe(8);
  });

  it('survives a throwing consumer: the others still get the edit and nothing escapes into Yjs', () => {
    const doc = new Y.Doc();
    const { edits } = tap(doc, [() => {
      throw new Error('broken consumer');
    }]);
    expect(() => paragraphs(doc, ['still counted'], fromConnection('carol'))).not.toThrow();
    expect(edits).toHaveLength(1);
    expect(edits[0]!.netWords).toBe(2);
  });

  it('stops reporting once detached', () => {
    const doc = new Y.Doc();
    const { edits, stop } = tap(doc, []);
    paragraphs(doc, ['x'], fromConnection('dave'));
    stop();
    paragraphs(doc, ['y'], fromConnection('dave'));
    expect(edits).toHaveLength(1);
  });

  it('seph-blog1 into a ProseMirror fragment: net words add up exactly through the tap', () => {
    const trace = loadSequentialTrace('seph-blog1');
    const doc = new Y.Doc();
    const { edits } = tap(doc, []);
    replaySequentialTraceIntoFragment(doc.getXmlFragment('default'), trace, undefined, fromConnection('seph'));
    const net = edits.reduce((n, e) => n + e.netWords, 0);
    expect(net).toBe(countWords(trace.endContent) - countWords(trace.startContent));
    expect(edits.at(-1)!.documentWords).toBe(countDocumentWords(doc.getXmlFragment('default')));
    expect(edits.every((e) => e.userId === 'seph')).toBe(true);
    expect(edits.some((e) => e.blocks.length > 1)).toBe(true);
  }, 60_000);

  it('clownschool: concurrent writers, some relayed through Redis; words add up overall and per writer', () => {
    const trace = loadConcurrentTrace('clownschool');
    const updates = concurrentTraceToUpdates(trace);
    const server = new Y.Doc();
    const { edits } = tap(server, []);
    // Every third update arrives from another instance: not attributed here, but still indexed.
    updates.forEach((u, i) => Y.applyUpdate(server, u.update, i % 3 === 2 ? { source: 'redis' } : fromConnection(`agent-${u.agent}`)));
    expect(server.getText('text').toString()).toBe(trace.endContent);
    const total = edits.reduce((n, e) => n + e.netWords, 0);
    expect(total).toBe(countWords(trace.endContent));
    const attributed = edits.filter((e) => e.userId !== null).reduce((n, e) => n + e.netWords, 0);
    const relayed = edits.filter((e) => e.origin === 'redis').reduce((n, e) => n + e.netWords, 0);
    expect(attributed + relayed).toBe(total);
    expect(edits.at(-1)!.documentWords).toBe(countWords(trace.endContent));
  }, 60_000);
});

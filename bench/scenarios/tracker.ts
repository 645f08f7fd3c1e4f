/**
 * tracker: the writing tracker's cost per edit (target: at most 20 µs).
 *
 *   npm run bench -- tracker
 *
 * Replays the automerge-paper trace (259,778 single-character edits; its timestamps are not real,
 * so one edit per 250 ms is assumed for the session model) into a Y.Text three times: Yjs alone,
 * Yjs + the production document tap (collab/document-tap.ts: word indexes, touched blocks,
 * attribution, one DocumentEdit per transaction), and that + the pure session model. The tracker's
 * cost is the difference to "Yjs alone", per edit; the best of three rounds of each is kept, so a
 * passing spike from another process on the 2 cores does not decide the result.
 */
import * as Y from 'yjs';
import { tapDocument } from '../../src/collab/document-tap.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { DocumentEditConsumer } from '../../src/tracking/document-edit.js';
import { countWords } from '../../src/tracking/writing/word-count.js';
import { createWritingSession, editFromWords, transition, type WritingSession } from '../../src/tracking/writing/session-model.js';
import { fromConnection } from '../../tests/helpers/tap.js';
import { loadSequentialTrace, replaySequentialTrace } from '../../tests/helpers/traces.js';
import { fmt, header, writeResult } from '../lib/report.js';

type Mode = 'yjs' | 'index' | 'index+model';

const logger = createLogger({ level: 'silent' });
// Every mode replays with the origin a writer's connection gives, as on the server.
const origin = fromConnection('martin');

function run(mode: Mode, trace: ReturnType<typeof loadSequentialTrace>): { ms: number; net: number } {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  let net = 0;
  let session: WritingSession = createWritingSession({ sessionId: 's', writerId: 'w', projectId: 'p' });
  let at = Date.UTC(2021, 3, 19);
  const consumers: DocumentEditConsumer[] = [
    (edit) => {
      net += edit.netWords;
      if (mode === 'index+model' && edit.words !== null) {
        at += 250;
        session = transition(session, editFromWords(edit.words, 'd', at)).state;
      }
    },
  ];
  const stop =
    mode === 'yjs' ? undefined : tapDocument(doc, { projectId: 'p', documentId: 'd' }, { clock: createManualClock(at), logger, consumers: () => consumers });
  const t0 = performance.now();
  replaySequentialTrace(text, trace, undefined, origin);
  const ms = performance.now() - t0;
  stop?.();
  return { ms, net };
}

export async function tracker(): Promise<string> {
  const trace = loadSequentialTrace('automerge-paper');
  const edits = trace.txns.length;
  const expectedNet = countWords(trace.endContent) - countWords(trace.startContent);
  const best: Record<Mode, number> = { yjs: Infinity, index: Infinity, 'index+model': Infinity };
  for (let round = 1; round <= 3; round++) {
    for (const mode of ['yjs', 'index', 'index+model'] as const) {
      const { ms, net } = run(mode, trace);
      if (mode !== 'yjs' && net !== expectedNet) throw new Error(`attributed ${net} net words, expected ${expectedNet}`);
      best[mode] = Math.min(best[mode], ms);
      console.log(`  round ${round} ${mode}: ${fmt(ms, 0)} ms`);
    }
  }
  const perEdit = (ms: number) => (ms * 1000) / edits;
  const indexCost = perEdit(best.index - best.yjs);
  const trackerCost = perEdit(best['index+model'] - best.yjs);
  await writeResult('tracker', { edits, expectedNet, bestMs: best, indexMicrosPerEdit: indexCost, trackerMicrosPerEdit: trackerCost });
  return [
    header(),
    `Trace: automerge-paper, ${edits.toLocaleString('en-US')} edits; attributed net words = ${expectedNet.toLocaleString('en-US')} (final − initial, exact).`,
    '',
    '| measurement | value |',
    '|---|---|',
    `| Yjs alone, total (ms) | ${fmt(best.yjs, 0)} |`,
    `| Yjs + word index, total (ms) | ${fmt(best.index, 0)} |`,
    `| Yjs + word index + session model, total (ms) | ${fmt(best['index+model'], 0)} |`,
    `| word index, µs per edit | ${fmt(indexCost, 2)} |`,
    `| tracker (index + model), µs per edit (target ≤ 20) | ${fmt(trackerCost, 2)} |`,
    '',
    'Bare Hocuspocus has no tracker: the comparison is with Yjs applying the same edits.',
  ].join('\n');
}

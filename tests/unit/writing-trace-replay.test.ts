/**
 * Accuracy on real editing traces (tests/fixtures/editing-traces): word attribution must add
 * up exactly, per writer too, and the session model must make sense of real timestamps. Words
 * come from the production document tap (tests/helpers/tap.ts), the server's code path.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createWritingSession, editFromWords, sessionSummary, transition } from '../../src/tracking/writing/session-model.js';
import type { SessionEffect, SessionSummary, WritingSession } from '../../src/tracking/writing/session-model.js';
import { createManualClock } from '../../src/lib/clock.js';
import { countDocumentWords, countWords } from '../../src/tracking/writing/word-count.js';
import type { TransactionWords } from '../../src/tracking/writing/word-count.js';
import { fromConnection, tapTestDoc } from '../helpers/tap.js';
import {
  AGENT_LOCAL_ORIGIN,
  concurrentTraceToUpdates,
  loadConcurrentTrace,
  loadSequentialTrace,
  replaySequentialTrace,
  replaySequentialTraceIntoFragment,
} from '../helpers/traces.js';

/** Feeds timed edits to session models, starting a new session whenever one has ended. */
function sessionRunner(writerId: string) {
  let n = 0;
  let session: WritingSession = createWritingSession({ sessionId: `${writerId}-0`, writerId, projectId: 'trace' });
  const finished: SessionSummary[] = [];
  const effects: SessionEffect[] = [];
  return {
    edit(words: TransactionWords, at: number, documentId = 'doc') {
      const input = editFromWords(words, documentId, at);
      let r = transition(session, input);
      effects.push(...r.effects);
      if (r.ignored) {
        finished.push(sessionSummary(r.state));
        session = createWritingSession({ sessionId: `${writerId}-${++n}`, writerId, projectId: 'trace' });
        r = transition(session, input);
        effects.push(...r.effects);
      }
      session = r.state;
    },
    finish(): { sessions: SessionSummary[]; effects: SessionEffect[] } {
      const r = transition(session, { kind: 'end', at: session.clock ?? 0 });
      effects.push(...r.effects);
      return { sessions: [...finished, sessionSummary(r.state)], effects };
    },
  };
}

const sum = (xs: SessionSummary[], f: (s: SessionSummary) => number) => xs.reduce((a, s) => a + f(s), 0);

describe('seph-blog1: one writer over ~90 days, 137k transactions', () => {
  it('attributed net words add up exactly, and the trace splits into many real sessions', () => {
    const trace = loadSequentialTrace('seph-blog1');
    const doc = new Y.Doc();
    const text = doc.getText('text');
    text.insert(0, trace.startContent); // loaded before the tap, as from storage
    let pending: TransactionWords | null = null;
    let net = 0;
    let transactions = 0;
    let othersEdits = 0;
    const tap = tapTestDoc(doc, {
      record: false,
      onEdit: (edit) => {
        if (edit.userId !== 'seph') othersEdits++;
        if (edit.words === null) return;
        pending = edit.words;
        net += edit.netWords;
        transactions++;
      },
    });
    const runner = sessionRunner('seph');
    replaySequentialTrace(text, trace, (_, at) => {
      if (pending !== null) runner.edit(pending, at);
      pending = null;
    }, fromConnection('seph'));

    expect(text.toString()).toBe(trace.endContent);
    expect(othersEdits).toBe(0);
    expect(transactions).toBe(trace.txns.length);
    expect(net).toBe(countWords(trace.endContent) - countWords(trace.startContent));
    expect(tap.documentWords()).toBe(countWords(trace.endContent));

    const { sessions, effects } = runner.finish();
    const writingHours = sum(sessions, (s) => s.writingMs) / 3_600_000;
    expect(sessions.length).toBeGreaterThan(10);
    expect(writingHours).toBeGreaterThan(5);
    expect(sum(sessions, (s) => s.totals.netWords)).toBe(net);
    expect(sum(sessions, (s) => s.totals.edits)).toBe(trace.txns.length);
    for (const s of sessions) expect(Object.values(s.timeInState).reduce((a, b) => a + b, 0)).toBe(s.lengthMs);
    // The first transaction pastes an earlier draft (14k characters): a paste, not composition.
    expect(sessions[0]!.totals.pastedWords).toBeGreaterThanOrEqual(countWords(trace.txns[0]!.patches[0]![2]));
    console.info(
      `[seph-blog1] ${sessions.length} sessions, ${writingHours.toFixed(1)} h writing, ` +
        `${(sum(sessions, (s) => s.timeInState.flow) / 3_600_000).toFixed(1)} h flow, ` +
        `${effects.filter((e) => e.type === 'flow_entered').length} flow episodes, ` +
        `${effects.filter((e) => e.type === 'break_suggested').length} break suggestions; words net ${net}, ` +
        `composed ${sum(sessions, (s) => s.totals.composedWords)}, pasted ${sum(sessions, (s) => s.totals.pastedWords)}`,
    );
  }, 60_000);
});

describe('automerge-paper: 259,778 single-character edits', () => {
  it('adds up exactly; logs the tracker cost per edit (measured here, never asserted)', () => {
    const trace = loadSequentialTrace('automerge-paper');
    const doc = new Y.Doc();
    const text = doc.getText('text');
    const runner = sessionRunner('martin');
    let net = 0;
    let tapMs = 0;
    let modelMs = 0;
    let pending: TransactionWords | null = null;
    // Registered before the tap, so it runs just before the tap's afterTransaction listener; the
    // tap calls its consumers last, so the gap is the tap's own cost (indexes, blocks, attribution).
    let tapStarted = 0;
    doc.on('afterTransaction', () => {
      tapStarted = performance.now();
    });
    const tap = tapTestDoc(doc, {
      record: false,
      onEdit: (edit) => {
        tapMs += performance.now() - tapStarted;
        pending = edit.words;
      },
    });
    const started = performance.now();
    replaySequentialTrace(text, trace, (_, at) => {
      const t = performance.now();
      if (pending !== null) {
        net += pending.netWords;
        runner.edit(pending, at);
      }
      pending = null;
      modelMs += performance.now() - t;
    }, fromConnection('martin'));
    const totalMs = performance.now() - started;
    expect(net).toBe(countWords(trace.endContent));
    expect(tap.documentWords()).toBe(countWords(trace.endContent));
    const { sessions } = runner.finish();
    // Its timestamps are not real (all within 0.3 s): one session, nearly all of it over 100 WPM.
    expect(sessions).toHaveLength(1);
    console.info(
      `[automerge-paper] ${trace.txns.length} edits in ${(totalMs / 1000).toFixed(1)} s with Yjs; ` +
        `document tap ${((tapMs * 1000) / trace.txns.length).toFixed(2)} us/edit, ` +
        `session model ${((modelMs * 1000) / trace.txns.length).toFixed(2)} us/edit (target: 20 us together)`,
    );
  }, 60_000);
});

describe('seph-blog1 as a ProseMirror document (one paragraph per line)', () => {
  it('splits, merges and typing inside paragraphs add up exactly', () => {
    const trace = loadSequentialTrace('seph-blog1');
    const doc = new Y.Doc();
    const root = doc.getXmlFragment('default');
    let net = 0;
    let maxTouched = 0;
    tapTestDoc(doc, {
      record: false,
      onEdit: (edit) => {
        if (edit.words === null) return;
        net += edit.netWords;
        maxTouched = Math.max(maxTouched, edit.words.paragraphsTouched.length);
      },
    });
    replaySequentialTraceIntoFragment(root, trace, undefined, fromConnection('seph'));
    const lines = Array.from({ length: root.length }, (_, i) => ((root.get(i) as Y.XmlElement).get(0) as Y.XmlText).toString());
    expect(lines.join('\n')).toBe(trace.endContent);
    expect(net).toBe(countWords(trace.endContent) - countWords(trace.startContent));
    expect(countDocumentWords(root)).toBe(countWords(trace.endContent));
    expect(maxTouched).toBeGreaterThan(1);
  }, 60_000);
});

describe('clownschool: 3 agents writing concurrently with real timestamps', () => {
  it('the causal replay reproduces the document; words add up overall and per writer', () => {
    const trace = loadConcurrentTrace('clownschool');
    // Each agent's own view: net words of its own transactions in its own doc. The tap gives
    // neither origin a writer (they are not Hocuspocus origins), so the origin is noted before
    // each transaction: the tap reports within that same transaction's cleanup.
    const ownView = new Array<number>(trace.numAgents).fill(0);
    const updates = concurrentTraceToUpdates(trace, {
      observeAgentDoc: (doc, agent) => {
        let own = false;
        doc.on('beforeTransaction', (tr: Y.Transaction) => {
          own = tr.origin === AGENT_LOCAL_ORIGIN;
        });
        tapTestDoc(doc, {
          record: false,
          onEdit: (edit) => {
            if (own) ownView[agent]! += edit.netWords;
          },
        });
      },
    });

    // The server's view: updates arrive in trace order from their agent's connection, at the
    // trace's time (the tap stamps edits with its injected clock).
    const server = new Y.Doc();
    const clock = createManualClock(0);
    const serverNet = new Array<number>(trace.numAgents).fill(0);
    const runners = Array.from({ length: trace.numAgents }, (_, a) => sessionRunner(`agent-${a}`));
    let unattributed = 0;
    const agentOf = new Map(runners.map((_, a) => [`agent-${a}`, a]));
    tapTestDoc(server, {
      clock,
      record: false,
      onEdit: (edit) => {
        const agent = agentOf.get(edit.userId ?? '');
        // Not thrown: the tap catches what its consumers throw (it runs inside Yjs's cleanup).
        if (agent === undefined) return void unattributed++;
        serverNet[agent]! += edit.netWords;
        if (edit.words !== null) runners[agent]!.edit(edit.words, edit.at);
      },
    });
    for (const u of updates) {
      clock.set(u.timeMs);
      Y.applyUpdate(server, u.update, fromConnection(`agent-${u.agent}`));
    }

    expect(server.getText('text').toString()).toBe(trace.endContent);
    expect(unattributed).toBe(0);
    const finalWords = countWords(trace.endContent);
    expect(serverNet.reduce((a, b) => a + b, 0)).toBe(finalWords);
    expect(serverNet).toEqual(ownView);

    const perAgent = runners.map((r) => r.finish().sessions);
    for (const sessions of perAgent) for (const s of sessions) expect(s.lengthMs).toBeLessThan(2 * 3_600_000);
    console.info(
      `[clownschool] ${finalWords} words; net per agent ${serverNet.join('/')}; sessions per agent ` +
        perAgent.map((s) => `${s.length} (${(sum(s, (x) => x.writingMs) / 60_000).toFixed(0)} min writing)`).join(', '),
    );
  }, 60_000);
});

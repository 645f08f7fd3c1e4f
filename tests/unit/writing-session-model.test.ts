import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  WRITING_STATES,
  createWritingSession,
  currentWpm,
  sessionSummary,
  transition,
} from '../../src/tracking/writing/session-model.js';
import type {
  EditInput,
  SessionEffect,
  SessionInput,
  WritingSession,
  WritingState,
} from '../../src/tracking/writing/session-model.js';
import { DEFAULT_WRITING_THRESHOLDS, resolveWritingThresholds } from '../../src/tracking/writing/thresholds.js';

const S = 1000;
const MIN = 60 * S;
const T0 = Date.UTC(2024, 0, 1, 9);

function edit(at: number, netWords = 1, extra: Partial<EditInput> = {}): EditInput {
  return {
    kind: 'edit',
    documentId: 'doc-1',
    wordsAdded: Math.max(0, netWords),
    wordsRemoved: Math.max(0, -netWords),
    netWords,
    chars: Math.abs(netWords) * 5,
    paste: false,
    at,
    ...extra,
  };
}

function fresh(medianWpm: number | null = null): WritingSession {
  return createWritingSession({ sessionId: 'sess-1', writerId: 'w-1', projectId: 'p-1', medianWpm });
}

/** Runs inputs in order; returns the final session and every effect. */
function run(inputs: SessionInput[], session = fresh()): { state: WritingSession; effects: SessionEffect[]; ignored: number } {
  let state = session;
  const effects: SessionEffect[] = [];
  let ignored = 0;
  for (const input of inputs) {
    const r = transition(state, input);
    state = r.state;
    effects.push(...r.effects);
    if (r.ignored) ignored++;
  }
  return { state, effects, ignored };
}

/** One word every `60 / wpm` seconds from `from` for `minutes`. */
function steady(from: number, wpm: number, minutes: number): EditInput[] {
  const step = MIN / wpm;
  return Array.from({ length: Math.floor(minutes * wpm) }, (_, i) => edit(from + i * step));
}

const changes = (effects: SessionEffect[]) =>
  effects.flatMap((e) => (e.type === 'session_state_changed' ? [`${e.from}->${e.to}@${(e.at - T0) / S}s`] : []));

describe('writing session scenarios', () => {
  it('30 minutes of steady 25 WPM writing warms up, becomes active, then flows at 25 minutes', () => {
    const { state, effects } = run(steady(T0, 25, 30));
    expect(effects[0]).toMatchObject({ type: 'session_started', writerId: 'w-1', projectId: 'p-1', at: T0 });
    expect(changes(effects)).toEqual(['idle->warming_up@0s', 'warming_up->active@180s', 'active->flow@1500s']);
    const entered = effects.find((e) => e.type === 'flow_entered');
    expect(entered).toMatchObject({ thresholdWpm: 10, at: T0 + 25 * MIN });
    expect(entered?.type === 'flow_entered' && entered.wpm).toBeCloseTo(25, 0);
    expect(state.state).toBe('flow');
    expect(currentWpm(state)).toBeCloseTo(25, 5);
    expect(sessionSummary(state).wordsPerHour).toBeCloseTo(1500, -1);
  });

  it('uses the writer’s own median: 25 WPM is not flow for a 40 WPM writer (threshold 32)', () => {
    const { state, effects } = run(steady(T0, 25, 40), fresh(40));
    expect(state.state).toBe('active');
    expect(effects.some((e) => e.type === 'flow_entered')).toBe(false);
  });

  it('61 s without input pauses (at exactly 60 s), 5 min is a break, 15 min ends the session', () => {
    const last = T0 + 10 * S;
    const { state, effects } = run([edit(T0), edit(last), { kind: 'tick', at: last + 61 * S }]);
    expect(state.state).toBe('paused');
    expect(changes(effects)).toContain('warming_up->paused@70s');
    const later = run([{ kind: 'tick', at: last + 5 * MIN }], state);
    expect(later.state.state).toBe('break');
    const end = run([{ kind: 'tick', at: last + 60 * MIN }], later.state);
    expect(end.state).toMatchObject({ state: 'ended', endReason: 'timeout', endedAt: last + 15 * MIN });
    const ended = end.effects.find((e) => e.type === 'session_ended');
    expect(ended).toMatchObject({ reason: 'timeout', at: last + 15 * MIN });
    expect(ended?.type === 'session_ended' && ended.summary.timeInState).toEqual({
      idle: 0,
      warming_up: 70 * S,
      active: 0,
      flow: 0,
      paused: 4 * MIN,
      break: 10 * MIN,
      ended: 0,
    });
  });

  it('an edit after a pause returns to the state before it; after the session ended it is ignored', () => {
    const warm = run([...steady(T0, 20, 5)]).state; // active after 3 min
    const back = run([edit(warm.lastEditAt! + 90 * S)], warm);
    expect(changes(back.effects)).toEqual(['active->paused@357s', 'paused->active@387s']);
    const late = run([edit(back.state.lastEditAt! + 16 * MIN)], back.state);
    expect(late.ignored).toBe(1);
    expect(late.state.state).toBe('ended');
    expect(late.state.totals.edits).toBe(back.state.totals.edits);
  });

  it('pastes count toward totals but never toward pace', () => {
    const typed = run(steady(T0, 20, 4)).state;
    const before = currentWpm(typed);
    const pasted = run([edit(typed.clock! + S, 400), edit(typed.clock! + 2 * S, 10, { paste: true })], typed).state;
    expect(pasted.totals).toMatchObject({ netWords: typed.totals.netWords + 410, pastedWords: 410, pastes: 2 });
    expect(pasted.totals.composedWords).toBe(typed.totals.composedWords);
    expect(currentWpm(pasted)).toBeLessThanOrEqual(before);
  });

  it('more than 100 WPM sustained over 60 s is reclassified as pasted, edit by edit small as it is', () => {
    const burst = Array.from({ length: 120 }, (_, i) => edit(T0 + i * 400)); // 150 WPM for 48 s
    const { state } = run(burst);
    expect(state.totals.netWords).toBe(120);
    expect(state.totals).toMatchObject({ composedWords: 0, pastedWords: 120 });
    // A fast but human stretch stays composition, whatever the edit granularity (80 WPM, 3 min).
    expect(run(Array.from({ length: 240 }, (_, i) => edit(T0 + i * 750))).state.totals.composedWords).toBe(240);
    // A machine-speed stream keeps the model's history bounded (one entry per second).
    const flood = run(Array.from({ length: 5000 }, (_, i) => edit(T0 + i * 7))).state;
    expect(flood.burst.length).toBeLessThanOrEqual(61);
    expect(flood.pace.length).toBeLessThanOrEqual(100);
  });

  it('flow survives a short pause, and ends after a 3-minute gap or when the pace drops', () => {
    const flowing = run(steady(T0, 25, 26)).state;
    expect(flowing.state).toBe('flow');
    const t = flowing.lastEditAt!;
    const short = run([edit(t + 90 * S)], flowing);
    expect(changes(short.effects).map((c) => c.split('@')[0])).toEqual(['flow->paused', 'paused->flow']);
    expect(short.effects.some((e) => e.type === 'flow_exited')).toBe(false);
    const gap = run([{ kind: 'tick', at: t + 4 * MIN }], flowing);
    expect(gap.effects.find((e) => e.type === 'flow_exited')).toMatchObject({ reason: 'gap', at: t + 3 * MIN });
    const slow = run(steady(t + 2 * S, 4, 6), flowing);
    const exit = slow.effects.find((e) => e.type === 'flow_exited');
    expect(exit).toMatchObject({ reason: 'pace' });
    expect(slow.state.state).toBe('active');
  });

  it('suggests a break once when the pace has fallen for two windows after 50 minutes of writing', () => {
    const inputs = [...steady(T0, 30, 50), ...steady(T0 + 50 * MIN, 20, 5), ...steady(T0 + 55 * MIN, 12, 6)];
    const { effects } = run(inputs);
    const suggestions = effects.filter((e) => e.type === 'break_suggested');
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]!.at).toBeGreaterThan(T0 + 55 * MIN);
    const early = run([...steady(T0, 30, 20), ...steady(T0 + 20 * MIN, 20, 5), ...steady(T0 + 25 * MIN, 10, 6)]);
    expect(early.effects.some((e) => e.type === 'break_suggested')).toBe(false);
  });

  it('an explicit end closes flow and reports the session; spans several documents', () => {
    const inputs: SessionInput[] = [...steady(T0, 25, 26), edit(T0 + 26 * MIN, 1, { documentId: 'doc-2' })];
    const { state, effects } = run([...inputs, { kind: 'end', at: T0 + 27 * MIN }]);
    expect(effects.slice(-3).map((e) => e.type)).toEqual(['flow_exited', 'session_state_changed', 'session_ended']);
    expect(state.documents).toEqual(['doc-1', 'doc-2']);
    expect(sessionSummary(state).lengthMs).toBe(27 * MIN);
  });

  it('rejects inconsistent thresholds', () => {
    expect(() => resolveWritingThresholds({ breakAfterMs: 30 * S })).toThrow(/pauseAfterMs < breakAfterMs < endAfterMs/);
    expect(() => resolveWritingThresholds({ flowMinWpm: -1 })).toThrow(/flowMinWpm must be a positive number/);
    expect(() => resolveWritingThresholds({ paceWindowMs: Number.NaN })).toThrow(/paceWindowMs must be a positive number/);
    expect(resolveWritingThresholds({})).toEqual(DEFAULT_WRITING_THRESHOLDS);
  });
});

// ---- properties -------------------------------------------------------------------------------

/** Inputs with gaps from 0 to 20 minutes (mostly short), occasionally out of order. */
const inputsArb = fc.array(
  fc.record({
    kind: fc.constantFrom('edit', 'edit', 'edit', 'edit', 'tick', 'resume', 'end'),
    gap: fc.oneof(fc.integer({ min: 0, max: 5 * S }), fc.integer({ min: 0, max: 4 * MIN }), fc.integer({ min: -MIN, max: 20 * MIN })),
    net: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -50, max: 60 })),
    paste: fc.boolean(),
    doc: fc.constantFrom('a', 'b', 'c'),
  }),
  { maxLength: 120 },
);

type RawInputs = typeof inputsArb extends fc.Arbitrary<infer T> ? T : never;

function toInputs(raw: RawInputs, withoutEnd = false): SessionInput[] {
  let t = T0;
  return raw.flatMap((r) => {
    t += r.gap;
    if (r.kind === 'edit') return [edit(t, r.net, { paste: r.paste && r.net > 0 && r.gap % 7 === 0, documentId: r.doc })];
    if (r.kind === 'end' && withoutEnd) return [];
    return [{ kind: r.kind, at: t } as SessionInput];
  });
}

const RANK: Record<WritingState, number> = { idle: 0, warming_up: 0, active: 0, flow: 0, paused: 1, break: 2, ended: 3 };

function checkInvariants(state: WritingSession, accepted: EditInput[]): void {
  expect(WRITING_STATES).toContain(state.state);
  const summary = sessionSummary(state);
  const total = Object.values(summary.timeInState).reduce((a, b) => a + b, 0);
  expect(total).toBe(summary.lengthMs);
  for (const ms of Object.values(summary.timeInState)) expect(ms).toBeGreaterThanOrEqual(0);
  const sum = (f: (e: EditInput) => number) => accepted.reduce((a, e) => a + f(e), 0);
  expect(state.totals).toMatchObject({
    edits: accepted.length,
    netWords: sum((e) => e.netWords),
    wordsAdded: sum((e) => e.wordsAdded),
    wordsRemoved: sum((e) => e.wordsRemoved),
    chars: sum((e) => e.chars),
  });
  expect(state.totals.composedWords + state.totals.pastedWords).toBe(sum((e) => Math.max(0, e.netWords)));
  expect(state.totals.composedWords).toBeGreaterThanOrEqual(0);
  if (state.state === 'flow') expect(state.flow).not.toBeNull();
  if (state.flow !== null) expect(['flow', 'paused']).toContain(state.state);
  if (state.state === 'ended') expect(state.endedAt).not.toBeNull();
  for (let i = 1; i < state.pace.length; i++) expect(state.pace[i]!.at).toBeGreaterThanOrEqual(state.pace[i - 1]!.at);
}

describe('writing session properties', () => {
  it('no sequence of inputs breaks an invariant; time per state sums to the session length', () => {
    fc.assert(
      fc.property(inputsArb, (raw) => {
        let state = fresh();
        const accepted: EditInput[] = [];
        let lastTo: WritingState = 'idle';
        let lastAt = -Infinity;
        for (const input of toInputs(raw)) {
          const clockBefore = state.clock ?? -Infinity;
          const r = transition(state, input);
          if (input.kind === 'edit' && !r.ignored) accepted.push(input);
          for (const e of r.effects) {
            expect(e.at).toBeGreaterThanOrEqual(lastAt);
            lastAt = e.at;
            if (e.type === 'session_state_changed') {
              expect(e.from).toBe(lastTo);
              lastTo = e.to;
            }
          }
          state = r.state;
          expect(state.clock ?? -Infinity).toBeGreaterThanOrEqual(clockBefore);
          checkInvariants(state, accepted);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('states are monotonic under a gap that only grows, ending exactly endAfterMs after the last input', () => {
    fc.assert(
      fc.property(inputsArb, fc.array(fc.integer({ min: 1, max: 3 * MIN }), { minLength: 1, maxLength: 20 }), (raw, steps) => {
        const { state } = run(toInputs(raw, true));
        if (state.state === 'idle' || state.state === 'ended') return;
        let current = state;
        let t = state.clock!;
        let rank = RANK[current.state];
        for (const step of [...steps, 20 * MIN]) {
          t += step;
          current = transition(current, { kind: 'tick', at: t }).state;
          expect(RANK[current.state]).toBeGreaterThanOrEqual(rank);
          rank = RANK[current.state];
        }
        expect(current.state).toBe('ended');
        expect(current.endedAt).toBe(state.lastInputAt! + DEFAULT_WRITING_THRESHOLDS.endAfterMs);
      }),
      { numRuns: 300 },
    );
  });

  it('the result never depends on how often the adapter ticks', () => {
    fc.assert(
      fc.property(inputsArb, fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 40 }), (raw, tickSpots) => {
        const inputs = toInputs(raw);
        const withTicks: SessionInput[] = [];
        inputs.forEach((input, i) => {
          const previous = i === 0 ? input.at : inputs[i - 1]!.at;
          for (const spot of tickSpots.filter((s) => s % inputs.length === i)) {
            withTicks.push({ kind: 'tick', at: previous + ((input.at - previous) * (spot % 10)) / 10 });
          }
          withTicks.push(input);
        });
        const finalAt = (inputs[inputs.length - 1]?.at ?? T0) + 30 * MIN;
        const a = run([...inputs, { kind: 'tick', at: finalAt }]);
        const b = run([...withTicks, { kind: 'tick', at: finalAt }]);
        expect(b.state).toEqual(a.state);
        expect(b.effects).toEqual(a.effects);
      }),
      { numRuns: 300 },
    );
  });
});

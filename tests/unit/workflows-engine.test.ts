import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json, StepDefinition, WorkflowDefinition } from '../../src/workflows/definition.js';
import { resume, transition, type Effect, type RunEvent } from '../../src/workflows/engine.js';
import { isFinished, newRun, type RunState } from '../../src/workflows/run-state.js';

/**
 * The pure engine driven as the runner would: every effect becomes an outcome event later, in a
 * random order, with random failures, retries, delays, cancels and rollbacks.
 */

const T0 = Date.parse('2026-12-04T09:00:00Z');

function definition(steps: StepDefinition[]): WorkflowDefinition {
  return { name: 'test', projectId: 'p1', trigger: { type: 'manual' }, steps };
}

/** mulberry32: a small seeded PRNG, so a failing property prints a seed that replays it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Trace {
  run: RunState;
  started: Array<{ stepId: string; attempt: number; completedBefore: Set<string>; failedContinueBefore: Set<string> }>;
  completions: string[];
  compensations: string[];
  runStepsAfterCancel: number;
  cancelled: boolean;
}

/** Runs a definition to the end, delivering outcomes in a random order. */
function simulate(def: WorkflowDefinition, seed: number, options: { failRate: number; cancelAfter?: number }): Trace {
  const random = prng(seed);
  let run = newRun({ id: 'r1', workflowId: 'w1', version: 1, definition: def, trigger: { type: 'manual' }, now: T0 });
  let now = T0;
  const outstanding: Effect[] = [];
  const completed = new Set<string>();
  const failedContinue = new Set<string>();
  const trace: Trace = { run, started: [], completions: [], compensations: [], runStepsAfterCancel: 0, cancelled: false };
  const onError = new Map(def.steps.map((s) => [s.id, s.onError]));

  const feed = (event: RunEvent) => {
    const next = transition(run, event, now, { random });
    run = next.run;
    for (const effect of next.effects) {
      if (effect.type === 'run_step') {
        if (trace.cancelled) trace.runStepsAfterCancel++;
        trace.started.push({ stepId: effect.stepId, attempt: effect.attempt, completedBefore: new Set(completed), failedContinueBefore: new Set(failedContinue) });
      }
      if (effect.type === 'run_compensation') trace.compensations.push(effect.stepId);
      if (effect.type === 'notice' && effect.notice.kind === 'step_completed') {
        completed.add(effect.notice.stepId);
        trace.completions.push(effect.notice.stepId);
      }
      if (effect.type === 'notice' && effect.notice.kind === 'step_failed' && !effect.notice.willRetry && onError.get(effect.notice.stepId) === 'continue') {
        failedContinue.add(effect.notice.stepId);
      }
      if (effect.type !== 'notice' && effect.type !== 'abort_step') outstanding.push(effect);
    }
  };

  feed({ type: 'start' });
  let delivered = 0;
  for (let guard = 0; guard < 10_000 && !isFinished(run.status); guard++) {
    if (options.cancelAfter !== undefined && delivered === options.cancelAfter && !trace.cancelled) {
      trace.cancelled = true;
      feed({ type: 'cancel' });
      continue;
    }
    if (outstanding.length === 0) break;
    const effect = outstanding.splice(Math.floor(random() * outstanding.length), 1)[0]!;
    delivered++;
    now += 1 + Math.floor(random() * 50);
    if (effect.type === 'run_step') {
      const ok = random() >= options.failRate;
      feed(
        ok
          ? { type: 'step_succeeded', stepId: effect.stepId, attempt: effect.attempt, output: { by: effect.stepId, attempt: effect.attempt } }
          : { type: 'step_failed', stepId: effect.stepId, attempt: effect.attempt, error: 'boom', permanent: random() < 0.2 },
      );
    } else if (effect.type === 'set_timer') {
      now = Math.max(now, effect.at);
      feed({ type: 'timer_fired', stepId: effect.stepId });
    } else if (effect.type === 'run_compensation') {
      feed({ type: 'compensation_succeeded', stepId: effect.stepId });
    }
  }
  trace.run = run;
  return trace;
}

const ON_ERRORS = ['fail', 'continue', 'retry', 'rollback', undefined] as const;

/** A random DAG: each step depends on up to three earlier ones; some delays and conditions. */
const dagArb = fc
  .array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 3 }),
      kind: fc.constantFrom('work', 'work', 'work', 'delay', 'condition-true', 'condition-false'),
      onError: fc.constantFrom(...ON_ERRORS),
      retryMax: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      compensate: fc.boolean(),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((specs) =>
    definition(
      specs.map((spec, i): StepDefinition => {
        const dependsOn = [...new Set(spec.deps.filter(() => i > 0).map((d) => `s${d % i}`))];
        const action = spec.kind === 'work' ? 'work' : spec.kind === 'delay' ? 'delay' : 'condition';
        const input: Record<string, Json> =
          spec.kind === 'delay' ? { ms: 100 } : spec.kind === 'condition-true' ? { rule: { '==': [1, 1] } } : spec.kind === 'condition-false' ? { rule: { '==': [1, 2] } } : {};
        return {
          id: `s${i}`,
          action,
          input,
          ...(dependsOn.length > 0 ? { dependsOn } : {}),
          ...(spec.onError ? { onError: spec.onError } : {}),
          ...(spec.retryMax !== undefined ? { retry: { max: spec.retryMax, base: 10, factor: 2, maxDelay: 1000, jitter: 'none' as const } } : {}),
          ...(spec.compensate && action === 'work' ? { compensate: { action: 'undo' } } : {}),
        };
      }),
    ),
  );

describe('workflow engine (properties on random DAGs)', () => {
  it('every run ends; a step starts only after its dependencies; a completed step never starts again', () => {
    fc.assert(
      fc.property(dagArb, fc.integer(), fc.constantFrom(0, 0.2, 0.5), (def, seed, failRate) => {
        const trace = simulate(def, seed, { failRate });
        expect(isFinished(trace.run.status)).toBe(true);
        for (const start of trace.started) {
          const step = def.steps.find((s) => s.id === start.stepId)!;
          for (const dep of step.dependsOn ?? []) expect(start.completedBefore.has(dep) || start.failedContinueBefore.has(dep)).toBe(true);
          expect(start.completedBefore.has(start.stepId)).toBe(false);
          expect(start.attempt).toBeLessThanOrEqual((step.retry?.max ?? (step.onError === 'retry' ? 3 : 0)) + 1);
        }
        // Each step completes at most once.
        expect(new Set(trace.completions).size).toBe(trace.completions.length);
        for (const state of trace.run.steps) expect(['completed', 'failed', 'skipped', 'compensated']).toContain(state.status);
      }),
      { numRuns: 400 },
    );
  });

  it('a completed run has only completed, skipped or continue-failed steps', () => {
    fc.assert(
      fc.property(dagArb, fc.integer(), (def, seed) => {
        const trace = simulate(def, seed, { failRate: 0.3 });
        if (trace.run.status !== 'completed') return;
        for (const state of trace.run.steps) {
          if (state.status === 'failed') expect(def.steps.find((s) => s.id === state.id)!.onError).toBe('continue');
          else expect(['completed', 'skipped']).toContain(state.status);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('nothing starts after a cancel, and the run ends cancelled', () => {
    fc.assert(
      fc.property(dagArb, fc.integer(), fc.nat({ max: 8 }), (def, seed, cancelAfter) => {
        const trace = simulate(def, seed, { failRate: 0.1, cancelAfter });
        expect(trace.runStepsAfterCancel).toBe(0);
        if (trace.cancelled) expect(trace.run.status).toBe('cancelled');
      }),
      { numRuns: 300 },
    );
  });

  it('rollback undoes completed steps in reverse order of completion', () => {
    fc.assert(
      fc.property(dagArb, fc.integer(), (def, seed) => {
        const trace = simulate(def, seed, { failRate: 0.5 });
        if (trace.compensations.length === 0) return;
        expect(trace.run.halt?.reason).toBe('rollback');
        const compensable = new Set(def.steps.filter((s) => s.compensate).map((s) => s.id));
        const expected = trace.completions.filter((id) => compensable.has(id)).reverse();
        expect(trace.compensations).toEqual(expected);
        expect(trace.run.status).toBe('rolled_back');
        for (const id of trace.compensations) expect(trace.run.steps.find((s) => s.id === id)!.status).toBe('compensated');
      }),
      { numRuns: 400 },
    );
  });
});

describe('workflow engine (cases)', () => {
  const run0 = (steps: StepDefinition[], input: unknown = null) =>
    newRun({ id: 'r', workflowId: 'w', version: 1, definition: definition(steps), trigger: { event: { payload: { words: 120 } } }, input: input as null, now: T0 });

  it('renders inputs from the trigger and earlier outputs, keeping a whole template typed', () => {
    let { run, effects } = transition(
      run0([
        { id: 'a', action: 'work', input: { words: '{{trigger.event.payload.words}}' } },
        { id: 'b', action: 'work', dependsOn: ['a'], input: { text: 'a said {{steps.a.output.msg}}', n: '{{steps.a.output.n}}' } },
      ]),
      { type: 'start' },
      T0,
    );
    expect(effects.find((e) => e.type === 'run_step')).toMatchObject({ stepId: 'a', input: { words: 120 } });
    ({ run, effects } = transition(run, { type: 'step_succeeded', stepId: 'a', attempt: 1, output: { msg: 'hi', n: 3 } }, T0 + 5));
    expect(effects.find((e) => e.type === 'run_step')).toMatchObject({ stepId: 'b', input: { text: 'a said hi', n: 3 } });
  });

  it('a loop step gets its items rendered and its per-item templates left for the loop', () => {
    let t = transition(run0([{ id: 'list', action: 'work' }, { id: 'each', action: 'loop', dependsOn: ['list'], input: { items: '{{steps.list.output.users}}', action: 'work', input: { who: '{{item.id}}', n: '{{index}}' } } }]), { type: 'start' }, T0);
    t = transition(t.run, { type: 'step_succeeded', stepId: 'list', attempt: 1, output: { users: [{ id: 'ann' }, { id: 'bea' }] } }, T0 + 1);
    expect(t.effects.find((e) => e.type === 'run_step')).toMatchObject({ stepId: 'each', input: { items: [{ id: 'ann' }, { id: 'bea' }], action: 'work', input: { who: '{{item.id}}', n: '{{index}}' } } });
  });

  it('a template that does not resolve fails the step without running it, and says which path', () => {
    const { run, effects } = transition(run0([{ id: 'a', action: 'work', input: { x: '{{input.missing}}' } }], {}), { type: 'start' }, T0);
    expect(effects.some((e) => e.type === 'run_step')).toBe(false);
    expect(run.status).toBe('failed');
    expect(run.steps[0]!.error).toContain('input.missing');
  });

  it('retries with the policy delay, then succeeds; a stale duplicate outcome changes nothing', () => {
    let t = transition(run0([{ id: 'a', action: 'work', retry: { max: 2, base: 1000, factor: 2, maxDelay: 60_000, jitter: 'none' } }]), { type: 'start' }, T0);
    t = transition(t.run, { type: 'step_failed', stepId: 'a', attempt: 1, error: 'busy' }, T0 + 10);
    expect(t.effects).toContainEqual({ type: 'set_timer', stepId: 'a', at: T0 + 1010 });
    t = transition(t.run, { type: 'timer_fired', stepId: 'a' }, T0 + 1010);
    expect(t.effects).toContainEqual(expect.objectContaining({ type: 'run_step', stepId: 'a', attempt: 2 }));
    t = transition(t.run, { type: 'step_failed', stepId: 'a', attempt: 2, error: 'busy' }, T0 + 1020);
    expect(t.effects).toContainEqual({ type: 'set_timer', stepId: 'a', at: T0 + 3020 });
    t = transition(t.run, { type: 'timer_fired', stepId: 'a' }, T0 + 3020);
    t = transition(t.run, { type: 'step_succeeded', stepId: 'a', attempt: 3, output: 1 }, T0 + 3030);
    expect(t.run.status).toBe('completed');
    const again = transition(t.run, { type: 'step_succeeded', stepId: 'a', attempt: 2, output: 2 }, T0 + 4000);
    expect(again.run).toBe(t.run);
    expect(again.effects).toEqual([]);
  });

  it('a permanent error is not retried', () => {
    let t = transition(run0([{ id: 'a', action: 'work', onError: 'retry' }]), { type: 'start' }, T0);
    t = transition(t.run, { type: 'step_failed', stepId: 'a', attempt: 1, error: 'bad input', permanent: true }, T0 + 1);
    expect(t.run.status).toBe('failed');
    expect(t.run.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error: 'bad input' });
  });

  it('a delay is a timer in the checkpoint: after a restart it is set again, not restarted', () => {
    let t = transition(run0([{ id: 'wait', action: 'delay', input: { ms: 60_000 } }, { id: 'b', action: 'work', dependsOn: ['wait'] }]), { type: 'start' }, T0);
    expect(t.effects).toContainEqual({ type: 'set_timer', stepId: 'wait', at: T0 + 60_000 });
    // The process dies 30 s in; the checkpoint is all that is left.
    const checkpoint = JSON.parse(JSON.stringify(t.run)) as RunState;
    expect(resume(checkpoint, T0 + 30_000)).toEqual([{ type: 'set_timer', stepId: 'wait', at: T0 + 60_000 }]);
    expect(transition(checkpoint, { type: 'timer_fired', stepId: 'wait' }, T0 + 30_000).effects).toEqual([]);
    t = transition(checkpoint, { type: 'timer_fired', stepId: 'wait' }, T0 + 60_000);
    expect(t.run.steps[0]).toMatchObject({ status: 'completed', output: { waitedMs: 60_000 } });
    expect(t.effects).toContainEqual(expect.objectContaining({ type: 'run_step', stepId: 'b' }));
  });

  it('resume re-runs the step that was running as the same attempt, and never a completed one', () => {
    let t = transition(run0([{ id: 'a', action: 'work' }, { id: 'b', action: 'work', dependsOn: ['a'] }]), { type: 'start' }, T0);
    t = transition(t.run, { type: 'step_succeeded', stepId: 'a', attempt: 1, output: null }, T0 + 1);
    expect(resume(t.run, T0 + 2)).toEqual([{ type: 'run_step', stepId: 'b', attempt: 1, action: 'work', input: {} }]);
  });

  it('a false condition skips its dependants and the run still completes', () => {
    const t = transition(
      run0([
        { id: 'check', action: 'condition', input: { rule: { '>': [{ var: 'trigger.event.payload.words' }, 1000] } } },
        { id: 'notify', action: 'work', dependsOn: ['check'] },
      ]),
      { type: 'start' },
      T0,
    );
    expect(t.run.steps.map((s) => [s.id, s.status])).toEqual([
      ['check', 'completed'],
      ['notify', 'skipped'],
    ]);
    expect(t.run.status).toBe('completed');
  });

  it('rollback: the failing step halts the run, then compensations run newest first, one at a time', () => {
    let t = transition(
      run0([
        { id: 'upload', action: 'work', compensate: { action: 'delete', input: { key: '{{steps.upload.output.key}}' } } },
        { id: 'announce', action: 'work', dependsOn: ['upload'], compensate: { action: 'retract' } },
        { id: 'notify', action: 'work', dependsOn: ['announce'], onError: 'rollback' },
      ]),
      { type: 'start' },
      T0,
    );
    t = transition(t.run, { type: 'step_succeeded', stepId: 'upload', attempt: 1, output: { key: 'book.epub' } }, T0 + 1);
    t = transition(t.run, { type: 'step_succeeded', stepId: 'announce', attempt: 1, output: null }, T0 + 2);
    t = transition(t.run, { type: 'step_failed', stepId: 'notify', attempt: 1, error: 'smtp down' }, T0 + 3);
    expect(t.effects.filter((e) => e.type === 'run_compensation')).toEqual([{ type: 'run_compensation', stepId: 'announce', action: 'retract', input: {} }]);
    t = transition(t.run, { type: 'compensation_succeeded', stepId: 'announce' }, T0 + 4);
    expect(t.effects.filter((e) => e.type === 'run_compensation')).toEqual([{ type: 'run_compensation', stepId: 'upload', action: 'delete', input: { key: 'book.epub' } }]);
    t = transition(t.run, { type: 'compensation_succeeded', stepId: 'upload' }, T0 + 5);
    expect(t.run.status).toBe('rolled_back');
    expect(t.run.steps.map((s) => s.status)).toEqual(['compensated', 'compensated', 'failed']);
    expect(t.effects).toContainEqual({ type: 'notice', notice: expect.objectContaining({ kind: 'workflow_failed', status: 'rolled_back', stepId: 'notify' }) });
  });

  it('a compensation that fails leaves the run failed, saying which one', () => {
    let t = transition(run0([{ id: 'a', action: 'work', compensate: { action: 'undo' } }, { id: 'b', action: 'work', dependsOn: ['a'], onError: 'rollback' }]), { type: 'start' }, T0);
    t = transition(t.run, { type: 'step_succeeded', stepId: 'a', attempt: 1, output: null }, T0 + 1);
    t = transition(t.run, { type: 'step_failed', stepId: 'b', attempt: 1, error: 'x' }, T0 + 2);
    t = transition(t.run, { type: 'compensation_failed', stepId: 'a', error: 'gone' }, T0 + 3);
    expect(t.run.status).toBe('failed');
    expect(t.run.error).toContain('compensation of a failed: gone');
  });

  it('cancel aborts running steps and skips the rest', () => {
    let t = transition(run0([{ id: 'a', action: 'work' }, { id: 'b', action: 'work' }, { id: 'c', action: 'work', dependsOn: ['a'] }]), { type: 'start' }, T0);
    t = transition(t.run, { type: 'cancel', reason: 'user asked' }, T0 + 1);
    expect(t.effects.filter((e) => e.type === 'abort_step').map((e) => e.type === 'abort_step' && e.stepId)).toEqual(['a', 'b']);
    t = transition(t.run, { type: 'step_failed', stepId: 'a', attempt: 1, error: 'aborted' }, T0 + 2);
    t = transition(t.run, { type: 'step_succeeded', stepId: 'b', attempt: 1, output: null }, T0 + 3);
    expect(t.run.status).toBe('cancelled');
    expect(t.run.steps.map((s) => s.status)).toEqual(['failed', 'completed', 'skipped']);
  });
});

import type { Json, StepDefinition } from './definition.js';
import { compensationInput, renderOptions, runStepEffect, scopeOf, stateOf, stepDef, type Effect } from './effects.js';
import { evaluateCondition } from './logic.js';
import { isFinished, retryDelay, retryPolicyOf, type RunState, type StepState } from './run-state.js';
import { renderTemplate, TemplateError } from './template.js';

export type { Effect, Notice } from './effects.js';
export { LOOP_VARIABLES, scopeOf } from './effects.js';

/**
 * The workflow engine, pure: `transition(run, event, now) -> {run, effects}`. It decides; the
 * runner (services/workflows) does the IO each effect asks for, checkpoints the new run, and
 * feeds the outcome back as the next event. Nothing here reads a clock, a database or the
 * network, so property tests drive it through thousands of random runs.
 *
 * Rules, in short:
 * - A step starts once every dependency completed (or failed with `onError: "continue"`); a
 *   step whose dependency was skipped, or is a `condition` that came out false, is skipped.
 * - A failed attempt is retried while the policy allows (`retry`, or `onError: "retry"` with the
 *   default policy) and the error is not permanent; then `onError` decides: `continue` (the run
 *   goes on), `fail` (default: start nothing more, fail once running steps settle) or `rollback`
 *   (as fail, then run the compensations of completed steps one by one, newest first).
 * - `cancel` starts nothing more, aborts what runs, and ends the run `cancelled`.
 * - Events for a step that is not running that attempt are stale (a duplicate after a restart)
 *   and change nothing: a completed step never runs again.
 */

export type RunEvent =
  | { type: 'start' }
  | { type: 'step_succeeded'; stepId: string; attempt: number; output: Json }
  | { type: 'step_failed'; stepId: string; attempt: number; error: string; permanent?: boolean; timedOut?: boolean }
  | { type: 'timer_fired'; stepId: string }
  | { type: 'cancel'; reason?: string }
  | { type: 'compensation_succeeded'; stepId: string }
  | { type: 'compensation_failed'; stepId: string; error: string };

export interface Transition {
  run: RunState;
  effects: Effect[];
}

export interface EngineOptions {
  /** [0, 1) source for retry jitter; the runner passes Math.random, tests a seeded one. */
  random?: () => number;
}

export function transition(previous: RunState, event: RunEvent, now: number, options: EngineOptions = {}): Transition {
  if (isFinished(previous.status)) return { run: previous, effects: [] };
  const run = copyForWrite(previous);
  const effects: Effect[] = [];
  const ctx: Ctx = { run, effects, now, random: options.random ?? Math.random };
  apply(ctx, event);
  advance(ctx);
  return { run, effects };
}

/**
 * After a restart: the effects that put a checkpointed run back in motion. A step that was
 * running when the process died runs again as the same attempt (its outcome was never
 * recorded); timers are set again; a compensation in flight is re-run. Completed steps stay done.
 */
export function resume(run: RunState, now: number): Effect[] {
  if (isFinished(run.status)) return [];
  if (run.status === 'pending') return transition(run, { type: 'start' }, now).effects;
  const effects: Effect[] = [];
  for (const state of run.steps) {
    const step = stepDef(run, state.id);
    if (state.status === 'running' && state.waitUntil === undefined) effects.push(runStepEffect(run, step, state.attempts));
    else if (state.waitUntil !== undefined && (state.status === 'pending' || state.status === 'running')) effects.push({ type: 'set_timer', stepId: state.id, at: state.waitUntil });
    if (state.compensation?.status === 'running' && step.compensate) {
      effects.push({ type: 'run_compensation', stepId: state.id, action: step.compensate.action, input: compensationInput(run, step) });
    }
  }
  return effects;
}

interface Ctx {
  run: RunState;
  effects: Effect[];
  now: number;
  random: () => number;
}

function apply(ctx: Ctx, event: RunEvent): void {
  const { run, now } = ctx;
  switch (event.type) {
    case 'start':
      if (run.status !== 'pending') return;
      run.status = 'running';
      run.startedAt = now;
      ctx.effects.push({ type: 'notice', notice: { kind: 'workflow_triggered' } });
      return;
    case 'step_succeeded': {
      const state = stateOf(run, event.stepId);
      if (state?.status !== 'running' || state.attempts !== event.attempt || state.waitUntil !== undefined) return;
      complete(ctx, state, event.output);
      return;
    }
    case 'step_failed': {
      const state = stateOf(run, event.stepId);
      if (state?.status !== 'running' || state.attempts !== event.attempt || state.waitUntil !== undefined) return;
      fail(ctx, state, event.timedOut ? `timed out: ${event.error}` : event.error, event.permanent === true);
      return;
    }
    case 'timer_fired': {
      const state = stateOf(run, event.stepId);
      if (state?.waitUntil === undefined || now < state.waitUntil) return;
      const waited = state.waitUntil;
      delete state.waitUntil;
      // A `delay` step finishes when its timer fires; a retry's backoff makes the step ready again.
      if (state.status === 'running') complete(ctx, state, { waitedMs: waited - (state.startedAt ?? waited) });
      return;
    }
    case 'cancel':
      if (run.halt?.reason === 'cancel') return;
      run.halt = { reason: 'cancel', error: event.reason ?? 'cancelled' };
      for (const state of run.steps) if (state.status === 'running' && state.waitUntil === undefined) ctx.effects.push({ type: 'abort_step', stepId: state.id });
      return;
    case 'compensation_succeeded':
    case 'compensation_failed': {
      const state = stateOf(run, event.stepId);
      if (state?.compensation?.status !== 'running') return;
      if (event.type === 'compensation_succeeded') {
        state.compensation = { status: 'completed', finishedAt: now };
        state.status = 'compensated';
      } else state.compensation = { status: 'failed', error: event.error, finishedAt: now };
      return;
    }
  }
}

function complete(ctx: Ctx, state: StepState, output: Json): void {
  state.status = 'completed';
  state.output = output;
  state.finishedAt = ctx.now;
  delete state.error;
  state.completedSeq = ++ctx.run.completedCount;
  ctx.effects.push({ type: 'notice', notice: { kind: 'step_completed', stepId: state.id, attempt: state.attempts, durationMs: ctx.now - (state.startedAt ?? ctx.now) } });
}

function fail(ctx: Ctx, state: StepState, error: string, permanent: boolean): void {
  const { run, now } = ctx;
  const step = stepDef(run, state.id);
  const policy = retryPolicyOf(step);
  const willRetry = policy !== undefined && !permanent && run.halt === undefined && state.attempts <= policy.max;
  ctx.effects.push({ type: 'notice', notice: { kind: 'step_failed', stepId: state.id, attempt: state.attempts, error, willRetry } });
  state.error = error;
  if (willRetry) {
    state.status = 'pending';
    state.waitUntil = now + retryDelay(policy, state.attempts, ctx.random);
    ctx.effects.push({ type: 'set_timer', stepId: state.id, at: state.waitUntil });
    return;
  }
  state.status = 'failed';
  state.finishedAt = now;
  if (run.halt !== undefined || step.onError === 'continue') return;
  run.halt = { reason: step.onError === 'rollback' ? 'rollback' : 'fail', stepId: state.id, error };
}

/** Starts what is ready, skips what can never run, and ends the run when nothing is left. */
function advance(ctx: Ctx): void {
  const { run } = ctx;
  if (run.status !== 'running') return;
  if (run.halt === undefined) {
    // Steps that finish at once (conditions, failed templates) can make others ready: repeat.
    let changed = true;
    while (changed && run.halt === undefined) {
      changed = false;
      for (const state of run.steps) {
        if (state.status !== 'pending' || state.waitUntil !== undefined) continue;
        const readiness = readinessOf(run, stepDef(run, state.id));
        if (readiness === 'wait') continue;
        changed = true;
        if (readiness === 'skip') {
          state.status = 'skipped';
          state.finishedAt = ctx.now;
        } else start(ctx, state);
        if (run.halt !== undefined) break;
      }
    }
  }
  if (run.halt !== undefined) {
    // Nothing more starts: waiting steps (backoff, a `delay`) are skipped rather than awaited.
    for (const state of run.steps) {
      if (state.status === 'pending' || (state.status === 'running' && state.waitUntil !== undefined)) {
        state.status = 'skipped';
        state.finishedAt = ctx.now;
        delete state.waitUntil;
      }
    }
  }
  if (run.steps.some((s) => s.status === 'running' || s.status === 'pending')) return;
  if (run.halt?.reason === 'rollback' && rollBack(ctx)) return;
  finish(ctx);
}

function readinessOf(run: RunState, step: StepDefinition): 'ready' | 'wait' | 'skip' {
  for (const dep of step.dependsOn ?? []) {
    const state = stateOf(run, dep)!;
    if (state.status === 'skipped' || state.status === 'compensated') return 'skip';
    if (state.status === 'failed') {
      if (stepDef(run, dep).onError === 'continue') continue;
      return 'skip';
    }
    if (state.status !== 'completed') return 'wait';
    if (stepDef(run, dep).action === 'condition' && !conditionPassed(state.output)) return 'skip';
  }
  return 'ready';
}

function conditionPassed(output: Json | undefined): boolean {
  return output !== null && typeof output === 'object' && !Array.isArray(output) && output.passed === true;
}

function start(ctx: Ctx, state: StepState): void {
  const { run, now } = ctx;
  const step = stepDef(run, state.id);
  state.attempts += 1;
  state.status = 'running';
  state.startedAt ??= now;
  let input: Json;
  try {
    input = renderTemplate(step.input ?? {}, scopeOf(run), renderOptions(step));
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    fail(ctx, state, error.message, true);
    return;
  }
  state.input = input;
  if (step.action === 'delay') {
    const ms = typeof input === 'object' && input !== null && !Array.isArray(input) && typeof input.ms === 'number' ? input.ms : NaN;
    if (!Number.isFinite(ms) || ms < 0) return fail(ctx, state, 'delay needs {ms: a number of milliseconds ≥ 0}', true);
    state.waitUntil = now + ms;
    ctx.effects.push({ type: 'set_timer', stepId: state.id, at: state.waitUntil });
    return;
  }
  if (step.action === 'condition') {
    const rule = typeof input === 'object' && input !== null && !Array.isArray(input) ? input.rule : undefined;
    try {
      complete(ctx, state, { passed: evaluateCondition(rule, scopeOf(run)) });
    } catch (error) {
      fail(ctx, state, error instanceof Error ? error.message : String(error), true);
    }
    return;
  }
  ctx.effects.push(runStepEffect(run, step, state.attempts, input));
}

/** Starts the next compensation (newest completed step first); false once none is left. */
function rollBack(ctx: Ctx): boolean {
  const { run } = ctx;
  if (run.steps.some((s) => s.compensation?.status === 'running')) return true;
  const next = run.steps
    .filter((s) => s.status === 'completed' && s.compensation === undefined && stepDef(run, s.id).compensate !== undefined)
    .sort((a, b) => (b.completedSeq ?? 0) - (a.completedSeq ?? 0))[0];
  if (next === undefined) return false;
  const step = stepDef(run, next.id);
  next.compensation = { status: 'running' };
  ctx.effects.push({ type: 'run_compensation', stepId: next.id, action: step.compensate!.action, input: compensationInput(run, step) });
  return true;
}

function finish(ctx: Ctx): void {
  const { run, now } = ctx;
  const durationMs = now - (run.startedAt ?? now);
  run.finishedAt = now;
  const halt = run.halt;
  if (halt === undefined) {
    run.status = 'completed';
    ctx.effects.push({ type: 'notice', notice: { kind: 'workflow_completed', durationMs } });
    return;
  }
  const undoFailed = run.steps.find((s) => s.compensation?.status === 'failed');
  run.status = halt.reason === 'cancel' ? 'cancelled' : halt.reason === 'fail' || undoFailed ? 'failed' : 'rolled_back';
  run.error = undoFailed ? `${halt.error ?? 'failed'}; compensation of ${undoFailed.id} failed: ${undoFailed.compensation?.error}` : halt.error ?? run.status;
  ctx.effects.push({
    type: 'notice',
    notice: { kind: 'workflow_failed', status: run.status, error: run.error, ...(halt.stepId ? { stepId: halt.stepId } : {}), durationMs },
  });
}

/**
 * A copy the transition may change. The definition, trigger, input, step inputs and outputs are
 * never changed in place, so they are shared; only the parts the engine writes are copied (a
 * deep clone of the whole run was the engine's largest cost in the workflows benchmark).
 */
function copyForWrite(run: RunState): RunState {
  return {
    ...run,
    ...(run.halt ? { halt: { ...run.halt } } : {}),
    steps: run.steps.map((s) => (s.compensation ? { ...s, compensation: { ...s.compensation } } : { ...s })),
  };
}

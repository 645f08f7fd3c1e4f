import type { Json, StepDefinition } from './definition.js';
import type { RunState, RunStatus, StepState } from './run-state.js';
import { renderTemplate } from './template.js';

/**
 * What the engine (engine.ts) asks the runner to do, and the helpers that build those requests
 * from a run: rendered inputs, the scope templates read, lookups of a step's state and definition.
 */

export type Notice =
  | { kind: 'workflow_triggered' }
  | { kind: 'step_completed'; stepId: string; attempt: number; durationMs: number }
  | { kind: 'step_failed'; stepId: string; attempt: number; error: string; willRetry: boolean }
  | { kind: 'workflow_completed'; durationMs: number }
  | { kind: 'workflow_failed'; status: RunStatus; error: string; stepId?: string; durationMs: number };

export type Effect =
  | { type: 'run_step'; stepId: string; attempt: number; action: string; input: Json; timeoutMs?: number }
  | { type: 'set_timer'; stepId: string; at: number }
  | { type: 'abort_step'; stepId: string }
  | { type: 'run_compensation'; stepId: string; action: string; input: Json }
  | { type: 'notice'; notice: Notice };

/** The `run_step` effect of a step's attempt; renders its input unless given. */
export function runStepEffect(run: RunState, step: StepDefinition, attempt: number, rendered?: Json): Effect {
  let input = rendered;
  if (input === undefined) {
    try {
      input = renderTemplate(step.input ?? {}, scopeOf(run), renderOptions(step));
    } catch {
      input = step.input ?? {};
    }
  }
  return { type: 'run_step', stepId: step.id, attempt, action: step.action, input, ...(step.timeout ? { timeoutMs: step.timeout } : {}) };
}

/** A compensation's input, rendered from the run (as written when a path does not resolve). */
export function compensationInput(run: RunState, step: StepDefinition): Json {
  try {
    return renderTemplate(step.compensate?.input ?? {}, scopeOf(run));
  } catch {
    return step.compensate?.input ?? {};
  }
}

/** A loop renders `{{item}}` and `{{index}}` itself, once per item. */
export const LOOP_VARIABLES: ReadonlySet<string> = new Set(['item', 'index']);

export function renderOptions(step: StepDefinition): { leave?: ReadonlySet<string> } {
  return step.action === 'loop' ? { leave: LOOP_VARIABLES } : {};
}

/** What templates can read: `trigger`, `input`, `run`, and `steps.<id>.output` / `.status`. */
export function scopeOf(run: RunState): Record<string, Json> {
  const steps: Record<string, Json> = {};
  for (const s of run.steps) steps[s.id] = { status: s.status, output: s.output ?? null };
  return { trigger: run.trigger, input: run.input, run: { id: run.id, workflowId: run.workflowId, startedAt: run.startedAt ?? null }, steps };
}

export function stateOf(run: RunState, id: string): StepState | undefined {
  return run.steps.find((s) => s.id === id);
}

export function stepDef(run: RunState, id: string): StepDefinition {
  const step = run.definition.steps.find((s) => s.id === id);
  if (step === undefined) throw new Error(`run ${run.id}: no step ${id} in its definition`);
  return step;
}

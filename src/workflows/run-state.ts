import type { Json, RetryPolicy, StepDefinition, WorkflowDefinition } from './definition.js';

/**
 * The state of one run: everything the engine needs to decide what happens next, and what the
 * runner checkpoints after every transition (plain JSON). A run carries the definition version it
 * started with, so editing a workflow never changes a run in flight; the store keeps that
 * definition apart, written once, and leaves it out of every checkpoint.
 */

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'rolled_back'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped', 'compensated'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepState {
  id: string;
  status: StepStatus;
  /** Attempts started so far (the running one included). */
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
  /** The input of the latest attempt, templates rendered (for the runs view). */
  input?: Json;
  output?: Json;
  /** A retry's backoff or a `delay`: the step continues when its timer fires at this time. */
  waitUntil?: number;
  /** 1-based position among completed steps: rollback undoes them in reverse. */
  completedSeq?: number;
  compensation?: { status: 'running' | 'completed' | 'failed'; error?: string; finishedAt?: number };
}

export interface RunState {
  id: string;
  workflowId: string;
  version: number;
  definition: WorkflowDefinition;
  status: RunStatus;
  /** What started the run: the event, the cron tick, or the caller of a manual run. */
  trigger: Json;
  input: Json;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  steps: StepState[];
  /** Set once the run stops starting steps: a failing step (fail / rollback) or a cancel. */
  halt?: { reason: 'fail' | 'rollback' | 'cancel'; stepId?: string; error?: string };
  completedCount: number;
  error?: string;
}

/** Used when a step says `onError: "retry"` without a policy of its own. */
export const DEFAULT_RETRY: RetryPolicy = { max: 3, base: 1000, factor: 2, maxDelay: 60_000, jitter: 'full' };

export function newRun(init: {
  id: string;
  workflowId: string;
  version: number;
  definition: WorkflowDefinition;
  trigger: Json;
  input?: Json;
  now: number;
}): RunState {
  return {
    id: init.id,
    workflowId: init.workflowId,
    version: init.version,
    definition: init.definition,
    status: 'pending',
    trigger: init.trigger,
    input: init.input ?? null,
    createdAt: init.now,
    steps: init.definition.steps.map((s) => ({ id: s.id, status: 'pending', attempts: 0 })),
    completedCount: 0,
  };
}

export function isFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'rolled_back';
}

/** Delay before retry number `attempt` (1-based): min(maxDelay, base * factor^(attempt-1)), jittered. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelay, policy.base * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(policy.jitter === 'full' ? random() * ceiling : ceiling);
}

export function retryPolicyOf(step: StepDefinition): RetryPolicy | undefined {
  return step.retry ?? (step.onError === 'retry' ? DEFAULT_RETRY : undefined);
}

/** When the run next needs attention without an outside event; null while a step runs. */
export function wakeAt(run: RunState, now: number): number | null {
  if (run.status === 'pending') return run.createdAt;
  if (run.steps.some((s) => (s.status === 'running' && s.waitUntil === undefined) || s.compensation?.status === 'running')) return null;
  const waits = run.steps.flatMap((s) => (s.waitUntil === undefined ? [] : [s.waitUntil]));
  return waits.length > 0 ? Math.min(...waits) : now;
}

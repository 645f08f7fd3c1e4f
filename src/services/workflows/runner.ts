import { errorMessage } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Json } from '../../workflows/definition.js';
import { resume, transition, type Effect, type Notice, type RunEvent } from '../../workflows/engine.js';
import { isFinished, wakeAt, type RunState } from '../../workflows/run-state.js';
import { ActionError, type ActionHandler } from './action-handlers.js';
import { invokeAction } from './invoke-action.js';
import { createCheckpointWriter, createSlots } from './checkpoints.js';
import type { WorkflowStore } from './ports.js';

/**
 * Executes runs: the IO half of the engine. Each instance claims due runs under a lease,
 * checkpoints the run after every transition (before it performs the effects, so a step is
 * recorded as running with its attempt before the action starts), performs the effects and feeds
 * their outcomes back. Transitions of one run are serialised; steps of many runs run in parallel
 * up to `concurrency`.
 *
 * Crash semantics: a completed step is in the checkpoint and never runs again; a step that was
 * running when the process died runs again as the same attempt once the lease expires and
 * another instance (or this one, restarted) claims the run — at least once, like every durable
 * executor. Timers are times in the checkpoint, not sleeping promises.
 */

export interface RunnerDeps {
  store: WorkflowStore;
  handlers: ReadonlyMap<string, ActionHandler>;
  clock: Clock;
  logger: Logger;
  /** Unique per process: the lease owner. */
  instanceId: string;
  /** Steps executing at once in this instance. */
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  onNotice?: (run: RunState, notice: Notice) => void;
  onStepDone?: (action: string, outcome: 'completed' | 'failed', seconds: number) => void;
  random?: () => number;
}

export interface WorkflowRunner {
  start(): void;
  /** Looks for due runs now (after a run was created here). */
  kick(): void;
  /** Cancels an unfinished run wherever it executes; false when there is no such run. */
  cancel(runId: string): Promise<boolean>;
  /** Runs held by this instance right now. */
  held(): number;
  /** Stops claiming, lets running steps finish (up to `graceMs`), checkpoints and releases. */
  stop(graceMs?: number): Promise<void>;
  /**
   * Stops polling and renewing at once and hands nothing back, as a crash would: the leases
   * expire and another instance resumes the runs. For crash tests.
   */
  abandon(): void;
}

interface Held {
  run: RunState;
  /** Events not yet applied; non-empty means a drain is queued on `chain`. */
  queue: RunEvent[];
  chain: Promise<void>;
  aborts: Map<string, AbortController>;
  timers: Map<string, NodeJS.Timeout>;
  gone: boolean;
}

export function createWorkflowRunner(deps: RunnerDeps): WorkflowRunner {
  const { store, handlers, clock, logger } = deps;
  const held = new Map<string, Held>();
  const slots = createSlots(deps.concurrency);
  const checkpoints = createCheckpointWriter(store);
  let stopping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let again = false;

  /** Runs held at most: enough to keep every slot busy while some runs wait on timers. */
  const maxHeld = Math.max(16, deps.concurrency * 8);
  /** Free room that makes a finished run claim more at once. */
  const claimBatch = Math.max(1, Math.floor(maxHeld / 8));

  function poll(): Promise<void> {
    if (polling) {
      again = true;
      return polling;
    }
    polling = (async () => {
      do {
        again = false;
        if (stopping) return;
        const now = clock.now();
        const claimed = await store.claimRuns(deps.instanceId, now, now + deps.leaseMs, maxHeld - held.size);
        for (const { run, cancelRequested } of claimed) adopt(run, cancelRequested);
      } while (again);
    })()
      .catch((error: unknown) => logger.warn({ err: error }, 'claiming workflow runs failed'))
      .finally(() => {
        polling = undefined;
      });
    return polling;
  }

  function adopt(run: RunState, cancelRequested: boolean): void {
    if (held.has(run.id)) return;
    const h: Held = { run, queue: [], chain: Promise.resolve(), aborts: new Map(), timers: new Map(), gone: false };
    held.set(run.id, h);
    // A cancelled run is not resumed first: its steps that were running are failed as cancelled.
    if (cancelRequested) feed(h, { type: 'cancel', reason: 'cancelled by a user' });
    else if (run.status === 'pending') feed(h, { type: 'start' });
    else perform(h, resume(run, clock.now()));
  }

  /**
   * Queues an event for the run. Events that arrive while the run's previous checkpoint is being
   * written (the siblings of a fan-out finishing together) are applied together and share one
   * checkpoint: fewer rows written per step, and no checkpoint round trip per sibling.
   */
  function feed(h: Held, event: RunEvent): void {
    h.queue.push(event);
    if (h.queue.length > 1) return;
    h.chain = h.chain
      .then(() => drain(h))
      .catch((error: unknown) => {
        logger.error({ err: error, runId: h.run.id }, 'workflow run checkpoint failed; released for another attempt');
        forget(h, 'checkpoint failed');
      });
  }

  /** Applies the queued events, checkpoints, then performs their effects; serialised per run. */
  async function drain(h: Held): Promise<void> {
    const events = h.queue.splice(0);
    if (h.gone) return;
    const options = deps.random ? { random: deps.random } : {};
    let run = h.run;
    const effects: Effect[] = [];
    for (const event of events) {
      const next = transition(run, event, clock.now(), options);
      run = next.run;
      effects.push(...next.effects);
    }
    if (run === h.run) return; // stale outcomes only (duplicates after a restart)
    h.run = run;
    const now = clock.now();
    const wake = wakeAt(run, now);
    const release = !isFinished(run.status) && wake !== null && wake - now > deps.leaseMs / 2;
    // The checkpoint is stored before any effect runs: a step recorded completed never runs again.
    const saved = await checkpoints.save({ run, wakeAt: wake, owner: deps.instanceId, leaseUntil: release ? null : now + deps.leaseMs });
    if (!saved) return forget(h, 'lease lost: another instance holds the run');
    perform(h, effects);
    // Finished, or only a far timer left: the poller claims it again when it is due.
    if (isFinished(run.status) || release) forget(h);
  }

  function perform(h: Held, effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'notice':
          deps.onNotice?.(h.run, effect.notice);
          break;
        case 'run_step':
          void runStep(h, effect);
          break;
        case 'set_timer':
          arm(h, effect.stepId, effect.at);
          break;
        case 'abort_step': {
          const controller = h.aborts.get(effect.stepId);
          if (controller) controller.abort(new Error('cancelled'));
          else {
            // Running in the checkpoint but not here (the run was adopted to be cancelled).
            const state = h.run.steps.find((s) => s.id === effect.stepId);
            if (state) feed(h, { type: 'step_failed', stepId: effect.stepId, attempt: state.attempts, error: 'cancelled', permanent: true });
          }
          break;
        }
        case 'run_compensation':
          void runCompensation(h, effect.stepId, effect.action, effect.input);
          break;
      }
    }
  }

  /**
   * A durable timer's in-process half. Node counts a timer from the event loop's cached time,
   * which lags the clock after a long tick: a timer can fire a few ms before `at`, and the engine
   * ignores an early `timer_fired` (the step would then wait forever), so it waits the rest.
   */
  function arm(h: Held, stepId: string, at: number): void {
    clearTimeout(h.timers.get(stepId));
    const timer = setTimeout(() => {
      if (clock.now() < at) arm(h, stepId, at);
      else feed(h, { type: 'timer_fired', stepId });
    }, Math.max(1, at - clock.now()));
    timer.unref();
    h.timers.set(stepId, timer);
  }

  async function runStep(h: Held, effect: Extract<Effect, { type: 'run_step' }>): Promise<void> {
    await slots.acquire();
    const started = performance.now();
    const controller = new AbortController();
    h.aborts.set(effect.stepId, controller);
    const timer = effect.timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new Error(`timed out after ${effect.timeoutMs} ms`)), effect.timeoutMs);
    try {
      const output = await invoke(h, effect.stepId, effect.attempt, effect.action, effect.input, controller.signal);
      deps.onStepDone?.(effect.action, 'completed', (performance.now() - started) / 1000);
      feed(h, { type: 'step_succeeded', stepId: effect.stepId, attempt: effect.attempt, output });
    } catch (error) {
      deps.onStepDone?.(effect.action, 'failed', (performance.now() - started) / 1000);
      const timedOut = controller.signal.aborted && errorMessage(controller.signal.reason).startsWith('timed out');
      const message = controller.signal.aborted ? errorMessage(controller.signal.reason) : errorMessage(error);
      feed(h, { type: 'step_failed', stepId: effect.stepId, attempt: effect.attempt, error: message.slice(0, 2000), permanent: error instanceof ActionError && error.permanent, timedOut });
    } finally {
      clearTimeout(timer);
      h.aborts.delete(effect.stepId);
      slots.release();
    }
  }

  async function runCompensation(h: Held, stepId: string, action: string, input: Json): Promise<void> {
    await slots.acquire();
    try {
      await invoke(h, stepId, 0, action, input, new AbortController().signal);
      feed(h, { type: 'compensation_succeeded', stepId });
    } catch (error) {
      feed(h, { type: 'compensation_failed', stepId, error: errorMessage(error).slice(0, 2000) });
    } finally {
      slots.release();
    }
  }

  /** The action, with the run's context (src/services/workflows/invoke-action.ts). */
  function invoke(h: Held, stepId: string, attempt: number, action: string, input: Json, signal: AbortSignal): Promise<Json> {
    return invokeAction(handlers, action, input, { runId: h.run.id, workflowId: h.run.workflowId, projectId: h.run.definition.projectId, stepId, attempt, signal });
  }

  function forget(h: Held, why?: string): void {
    if (why) logger.warn({ runId: h.run.id, why }, 'workflow run released');
    h.gone = true;
    for (const timer of h.timers.values()) clearTimeout(timer);
    held.delete(h.run.id);
    // Room for more runs: look for due ones now rather than at the next poll, once a few slots
    // are free (one lease query claims many runs instead of one query per finished run).
    if (!stopping && maxHeld - held.size >= claimBatch) void poll();
  }

  async function renew(): Promise<void> {
    const ids = [...held.keys()];
    if (ids.length === 0) return;
    const kept = await store.renewLeases(deps.instanceId, ids, clock.now() + deps.leaseMs);
    const keptIds = new Set(kept.map((k) => k.run.id));
    for (const id of ids) {
      const h = held.get(id);
      if (h && !keptIds.has(id)) {
        for (const controller of h.aborts.values()) controller.abort(new Error('lease lost'));
        forget(h, 'lease lost at renewal');
      }
    }
    // A cancel asked for on another instance reaches the holder here.
    for (const { run, cancelRequested } of kept) {
      const h = held.get(run.id);
      if (h && cancelRequested && h.run.halt?.reason !== 'cancel') feed(h, { type: 'cancel', reason: 'cancelled by a user' });
    }
  }

  return {
    start() {
      pollTimer = setInterval(() => void poll(), deps.pollMs);
      pollTimer.unref();
      renewTimer = setInterval(() => void renew().catch((error: unknown) => logger.warn({ err: error }, 'renewing workflow leases failed')), Math.max(50, deps.leaseMs / 3));
      renewTimer.unref();
      void poll();
    },
    kick() {
      void poll();
    },
    async cancel(runId) {
      // Durable first, so a cancel survives this process; then applied here if the run is ours,
      // by the holder at its next lease renewal, or by whoever claims it next.
      if (!(await store.requestCancel(runId))) return false;
      const h = held.get(runId);
      if (h) {
        feed(h, { type: 'cancel', reason: 'cancelled by a user' });
        await h.chain;
      } else void poll();
      return true;
    },
    held: () => held.size,
    abandon() {
      stopping = true;
      clearInterval(pollTimer);
      clearInterval(renewTimer);
      for (const h of [...held.values()]) forget(h);
    },
    async stop(graceMs = 5_000) {
      stopping = true;
      clearInterval(pollTimer);
      clearInterval(renewTimer);
      await polling;
      const chains = () => Promise.allSettled([...held.values()].map((h) => h.chain));
      const deadline = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([(async () => {
        while (slots.busy() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        await chains();
      })(), deadline]);
      for (const h of held.values()) for (const controller of h.aborts.values()) controller.abort(new Error('server stopping'));
      await chains();
      // Hand every run back at once instead of waiting for the lease to expire.
      await Promise.allSettled([...held.values()].map((h) => store.saveRun(h.run, wakeAt(h.run, clock.now()), deps.instanceId, null)));
      for (const h of [...held.values()]) forget(h);
    },
  };
}

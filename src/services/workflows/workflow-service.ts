import type { StoryloomEvent } from '../../events/schema.js';
import type { Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import { uuidv7 } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { ActionCatalog } from '../../workflows/actions.js';
import { cronTimesBetween } from '../../workflows/cron.js';
import type { Json, WorkflowDefinition } from '../../workflows/definition.js';
import { evaluateCondition } from '../../workflows/logic.js';
import { newRun } from '../../workflows/run-state.js';
import { validateDefinition } from '../../workflows/validate.js';
import { createRunInserter } from './checkpoints.js';
import type { RunRecord, WorkflowRecord, WorkflowStore } from './ports.js';
import type { WorkflowRunner } from './runner.js';

/**
 * The workflow application service: registration (validated, versioned), manual runs, event and
 * cron triggers, and the read side for the REST API. Execution is the runner's.
 */

export interface WorkflowServiceDeps {
  store: WorkflowStore;
  runner: WorkflowRunner;
  catalog: ActionCatalog;
  clock: Clock;
  logger: Logger;
  /** Event types a trigger may name (the event schema's list). */
  eventTypes: readonly string[];
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;

/**
 * How long the list of event-triggered workflows is reused. Every bus event (carets, words,
 * sessions: many per second) asks which workflows it starts; reading the table for each would
 * put a query on the edit path's event stream. A change made on this instance applies at once;
 * one made on another instance within this time.
 */
const EVENT_TRIGGERS_TTL_MS = 5_000;

export function createWorkflowService(deps: WorkflowServiceDeps) {
  const { store, runner, clock, logger } = deps;
  const insertRun = createRunInserter(store);

  function validate(raw: unknown): WorkflowDefinition {
    const result = validateDefinition(raw, deps.catalog, { eventTypes: deps.eventTypes });
    if (!result.ok) {
      throw new AppError('validation-failed', `The workflow definition has ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`, {
        problems: result.problems,
      });
    }
    return result.definition;
  }

  async function startRun(workflow: WorkflowRecord, trigger: Json, input: Json = null): Promise<string> {
    const now = clock.now();
    const run = newRun({ id: uuidv7(now), workflowId: workflow.id, version: workflow.version, definition: workflow.definition, trigger, input, now });
    await insertRun(run, now);
    runner.kick();
    return run.id;
  }

  let eventTriggers: { at: number; byType: Map<string, WorkflowRecord[]> } | undefined;
  async function eventTriggered(type: string): Promise<WorkflowRecord[]> {
    const now = clock.now();
    if (eventTriggers === undefined || now - eventTriggers.at > EVENT_TRIGGERS_TTL_MS) {
      const byType = new Map<string, WorkflowRecord[]>();
      for (const workflow of await store.triggered('event')) {
        const trigger = workflow.definition.trigger;
        if (trigger.type === 'event') byType.set(trigger.event, [...(byType.get(trigger.event) ?? []), workflow]);
      }
      eventTriggers = { at: now, byType };
    }
    return eventTriggers.byType.get(type) ?? [];
  }

  async function requireWorkflow(id: string, read: (id: string) => Promise<WorkflowRecord | null> = (key) => store.getWorkflow(key)): Promise<WorkflowRecord> {
    const workflow = await read(id);
    if (workflow === null) throw new AppError('not-found', `No workflow ${id}`, { workflowId: id });
    return workflow;
  }

  /**
   * Executions of one workflow asked for at the same time share one read of it (a burst of
   * POST /execute cost one query each, on PGlite about as much as running the run). A change
   * committed while that read is in flight applies from the next read, as if those executions
   * had come just before it.
   */
  const reading = new Map<string, Promise<WorkflowRecord | null>>();
  function sharedRead(id: string): Promise<WorkflowRecord | null> {
    let read = reading.get(id);
    if (read === undefined) {
      read = store.getWorkflow(id).finally(() => reading.delete(id));
      reading.set(id, read);
    }
    return read;
  }

  return {
    /** Validates the shape alone (for the route's access check, before registering). */
    validate,

    /**
     * Registers a definition. A project's workflow is identified by its name: registering the same
     * name again makes a new version when the definition changed (runs in flight keep theirs).
     */
    async register(raw: unknown, createdBy: string, templateId: string | null = null): Promise<{ id: string; version: number; created: boolean }> {
      const definition = validate(raw);
      const now = clock.now();
      const existing = (await store.listWorkflows(definition.projectId)).find((w) => w.name === definition.name);
      if (existing) {
        if (canonicalJson(existing.definition) === canonicalJson(definition)) return { id: existing.id, version: existing.version, created: false };
        const version = existing.version + 1;
        await store.updateWorkflow(existing.id, { definition, version, updatedAt: now, enabled: true });
        eventTriggers = undefined;
        return { id: existing.id, version, created: false };
      }
      const id = uuidv7(now);
      await store.insertWorkflow({ id, projectId: definition.projectId, name: definition.name, version: 1, definition, enabled: true, templateId, createdBy, createdAt: now, updatedAt: now });
      eventTriggers = undefined;
      return { id, version: 1, created: true };
    },

    get: (id: string) => requireWorkflow(id),
    list: (projectId: string) => store.listWorkflows(projectId),

    async setEnabled(id: string, enabled: boolean): Promise<WorkflowRecord> {
      await requireWorkflow(id);
      await store.updateWorkflow(id, { enabled, updatedAt: clock.now() });
      eventTriggers = undefined;
      return requireWorkflow(id);
    },

    async execute(id: string, input: Json, byUser: string): Promise<{ runId: string }> {
      const workflow = await requireWorkflow(id, sharedRead);
      if (!workflow.enabled) throw new AppError('conflict', `Workflow ${id} is disabled`, { workflowId: id });
      return { runId: await startRun(workflow, { type: 'manual', userId: byUser }, input) };
    },

    executions: (id: string, limit: number): Promise<RunRecord[]> => store.listRuns(id, limit),

    async run(runId: string): Promise<RunRecord> {
      const run = await store.getRun(runId);
      if (run === null) throw new AppError('not-found', `No run ${runId}`, { runId });
      return run;
    },

    async cancel(runId: string): Promise<RunRecord> {
      const run = await store.getRun(runId);
      if (run === null) throw new AppError('not-found', `No run ${runId}`, { runId });
      if (!(await runner.cancel(runId))) throw new AppError('conflict', `Run ${runId} has already finished (${run.status})`, { runId, status: run.status });
      return (await store.getRun(runId))!;
    },

    stats: (projectId?: string) => store.stats(clock.now(), projectId),

    /** Event triggers: one run per matching enabled workflow of the event's project. */
    async onEvent(event: StoryloomEvent): Promise<number> {
      let started = 0;
      for (const workflow of await eventTriggered(event.type)) {
        const trigger = workflow.definition.trigger;
        if (trigger.type !== 'event' || (event.projectId !== undefined && event.projectId !== workflow.projectId)) continue;
        const scope = { event: event as unknown as Json };
        try {
          if (trigger.condition !== undefined && !evaluateCondition(trigger.condition, scope)) continue;
        } catch (error) {
          logger.warn({ err: error, workflowId: workflow.id }, 'workflow trigger condition failed; not started');
          continue;
        }
        await startRun(workflow, { type: 'event', ...scope });
        started++;
      }
      return started;
    },

    /**
     * Cron triggers: fires the newest tick each workflow missed since its last one (not every
     * tick of a long outage), once across the fleet (a unique row per workflow and tick).
     */
    async cronTick(): Promise<number> {
      const now = clock.now();
      let started = 0;
      for (const workflow of await store.triggered('cron')) {
        const trigger = workflow.definition.trigger;
        if (trigger.type !== 'cron') continue;
        const since = (await store.lastCronTick(workflow.id)) ?? workflow.updatedAt;
        const ticks = cronTimesBetween(trigger.cron, trigger.timeZone, since, now, 1000);
        const tick = ticks.at(-1);
        if (tick === undefined) continue;
        const run = newRun({ id: uuidv7(now), workflowId: workflow.id, version: workflow.version, definition: workflow.definition, trigger: { type: 'cron', tickAt: new Date(tick).toISOString() }, now });
        if (await store.insertCronRun(tick, run, now)) started++;
      }
      if (started > 0) runner.kick();
      return started;
    },
  };
}

/** JSON with object keys sorted: Postgres's jsonb does not keep the order they were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, boolean } from 'drizzle-orm/pg-core';

/**
 * Workflow definitions and their runs (services/workflows). A definition keeps its current
 * version here; each run keeps a copy of the definition it started with in its own `definition`
 * column, written once, so an edit never changes a run in flight. `state` is the engine's
 * checkpoint (workflows/run-state.ts) without the definition, written after every transition
 * (the definition was half of every checkpoint); `status`, `next_wake_at` and the lease are its
 * queryable parts. Runs from before the column have it inside `state` and the column null.
 */
export const workflows = pgTable(
  'workflows',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    definition: jsonb('definition').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** A template id when instantiated from one (GET /api/workflows/templates). */
    templateId: text('template_id'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [index('workflows_project_idx').on(table.projectId)],
);

export const workflowRuns = pgTable(
  'workflow_runs',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    projectId: text('project_id').notNull(),
    version: integer('version').notNull(),
    status: text('status').notNull(),
    state: jsonb('state').notNull(),
    /** The definition the run started with; null for runs that carry it inside `state`. */
    definition: jsonb('definition'),
    /** When the run has something to do without an outside event (a timer); null while a step runs. */
    nextWakeAt: timestamp('next_wake_at', { withTimezone: true, mode: 'date' }),
    /** The instance executing the run, until `lease_until`; an expired lease is free to claim. */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    /** Set by a cancel from any instance; the holder (or the next claimer) applies it. */
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    index('workflow_runs_workflow_created_idx').on(table.workflowId, table.createdAt.desc()),
    // The claim query: unfinished runs that are due.
    index('workflow_runs_due_idx').on(table.status, table.nextWakeAt),
  ],
);

/** One row per workflow and cron tick: the insert that wins fires the tick, fleet-wide once. */
export const workflowCronTicks = pgTable(
  'workflow_cron_ticks',
  {
    workflowId: text('workflow_id').notNull(),
    tickAt: timestamp('tick_at', { withTimezone: true, mode: 'date' }).notNull(),
    runId: text('run_id').notNull(),
  },
  (table) => [primaryKey({ columns: [table.workflowId, table.tickAt] })],
);

import type { Json, WorkflowDefinition } from '../../workflows/definition.js';
import type { RunState, RunStatus } from '../../workflows/run-state.js';

/** A registered workflow: its current definition and version (runs keep their own copy). */
export interface WorkflowRecord {
  id: string;
  projectId: string;
  name: string;
  version: number;
  definition: WorkflowDefinition;
  enabled: boolean;
  templateId: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface RunRecord {
  id: string;
  workflowId: string;
  projectId: string;
  version: number;
  status: RunStatus;
  state: RunState;
  createdAt: number;
  finishedAt: number | null;
}

export interface Checkpoint {
  run: RunState;
  wakeAt: number | null;
  owner: string;
  leaseUntil: number | null;
}

export interface NewRun {
  run: RunState;
  wakeAt: number | null;
}

export interface ClaimedRun {
  run: RunState;
  cancelRequested: boolean;
}

/**
 * Durable storage of workflows and runs (db/repositories/workflows.ts on PGlite and Postgres).
 * Runs are leased: one instance executes a run at a time, and every checkpoint is written only
 * while the writer still holds the lease, so two instances never both advance one run.
 */
export interface WorkflowStore {
  insertWorkflow(record: WorkflowRecord): Promise<void>;
  updateWorkflow(id: string, patch: Partial<Pick<WorkflowRecord, 'name' | 'version' | 'definition' | 'enabled' | 'updatedAt'>>): Promise<void>;
  getWorkflow(id: string): Promise<WorkflowRecord | null>;
  listWorkflows(projectId: string): Promise<WorkflowRecord[]>;
  /** Enabled workflows whose trigger is of this type. */
  triggered(type: 'event' | 'cron'): Promise<WorkflowRecord[]>;

  /** A new run, due at once (`wakeAt` = its creation), unleased. */
  insertRun(run: RunState, wakeAt: number | null): Promise<void>;
  /** Many new runs in one statement (group commit), as insertRun each. */
  insertRuns(batch: readonly NewRun[]): Promise<void>;
  /**
   * Claims up to `limit` unfinished runs that are due (`wakeAt` passed, or a running step whose
   * owner's lease expired), each for one instance (`FOR UPDATE SKIP LOCKED`).
   */
  claimRuns(owner: string, now: number, leaseUntil: number, limit: number): Promise<ClaimedRun[]>;
  /** The checkpoint after a transition; false when `owner` no longer holds the lease. */
  saveRun(run: RunState, wakeAt: number | null, owner: string, leaseUntil: number | null): Promise<boolean>;
  /** Many checkpoints in one statement (group commit); one answer per entry, as saveRun's. */
  saveRuns(batch: readonly Checkpoint[]): Promise<boolean[]>;
  /** Extends the leases `owner` still holds; returns those it still holds. */
  renewLeases(owner: string, runIds: readonly string[], leaseUntil: number): Promise<ClaimedRun[]>;
  /** Marks an unfinished run for cancelling (its holder, or the next claimer, applies it); false if none. */
  requestCancel(runId: string): Promise<boolean>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(workflowId: string, limit: number): Promise<RunRecord[]>;
  /** Runs by status (of one project, or all) and the unfinished ones that are due now. */
  stats(now: number, projectId?: string): Promise<{ byStatus: Record<string, number>; due: number; workflows: number }>;

  /**
   * Fires `tickAt` of a cron workflow: its tick row and its run in one transaction, so a crash
   * cannot leave a tick recorded without its run. False (nothing stored) when another instance
   * fired it first.
   */
  insertCronRun(tickAt: number, run: RunState, wakeAt: number | null): Promise<boolean>;
  lastCronTick(workflowId: string): Promise<number | null>;
}

export type { Json };

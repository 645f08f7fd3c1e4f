import { and, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { NewRun, RunRecord, WorkflowRecord, WorkflowStore } from '../../services/workflows/ports.js';
import type { WorkflowDefinition } from '../../workflows/definition.js';
import { isFinished, type RunState, type RunStatus } from '../../workflows/run-state.js';
import { rowsOf, type DrizzleDatabase } from '../drizzle-database.js';
import { workflowCronTicks, workflowRuns as r, workflows as w } from '../schema/workflows.js';

const UNFINISHED = ['pending', 'running'];
const date = (ms: number | null) => (ms === null ? null : new Date(ms));
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());


const toWorkflow = (row: typeof w.$inferSelect): WorkflowRecord => ({
  ...row,
  definition: row.definition as WorkflowDefinition,
  createdAt: row.createdAt.getTime(),
  updatedAt: row.updatedAt.getTime(),
});

/**
 * The checkpoint as stored: the run without its definition, which has a column of its own
 * written once at insert (it was half of every checkpoint's bytes).
 */
function checkpointOf(run: RunState): Omit<RunState, 'definition'> {
  const { definition: _definition, ...checkpoint } = run;
  return checkpoint;
}

/** The run as the engine sees it: the stored checkpoint plus its definition (older rows carry it inside). */
const runOf = (state: unknown, definition: unknown): RunState =>
  definition === null || definition === undefined ? (state as RunState) : { ...(state as Omit<RunState, 'definition'>), definition: definition as WorkflowDefinition };

/**
 * A row from before the definition column keeps its definition inside the old state: moved to
 * the column by the first checkpoint that leaves it out of `state` (the column, once set, stays).
 */
const keepDefinition = sql`coalesce(${r.definition}, ${r.state}->'definition')`;

const toRun = (row: typeof r.$inferSelect): RunRecord => ({
  id: row.id,
  workflowId: row.workflowId,
  projectId: row.projectId,
  version: row.version,
  status: row.status as RunStatus,
  state: runOf(row.state, row.definition),
  createdAt: row.createdAt.getTime(),
  finishedAt: row.finishedAt?.getTime() ?? null,
});

/** The WorkflowStore contract over drizzle: the same SQL on PGlite and Postgres. */
export function createWorkflowRepository(db: DrizzleDatabase): WorkflowStore {
  async function insertRuns(batch: readonly NewRun[]): Promise<void> {
    if (batch.length === 0) return;
    await db.insert(r).values(batch.map(runRow));
  }

  return {
    async insertWorkflow(record) {
      await db.insert(w).values({ ...record, createdAt: new Date(record.createdAt), updatedAt: new Date(record.updatedAt) });
    },

    async updateWorkflow(id, patch) {
      const { updatedAt, ...rest } = patch;
      await db
        .update(w)
        .set({ ...rest, ...(updatedAt === undefined ? {} : { updatedAt: new Date(updatedAt) }) })
        .where(eq(w.id, id));
    },

    async getWorkflow(id) {
      const rows = await db.select().from(w).where(eq(w.id, id));
      return rows[0] ? toWorkflow(rows[0]) : null;
    },

    async listWorkflows(projectId) {
      const rows = await db.select().from(w).where(eq(w.projectId, projectId)).orderBy(w.createdAt);
      return rows.map(toWorkflow);
    },

    async triggered(type) {
      const rows = await db
        .select()
        .from(w)
        .where(and(eq(w.enabled, true), sql`${w.definition}->'trigger'->>'type' = ${type}`));
      return rows.map(toWorkflow);
    },

    async insertRun(run, wakeAt) {
      await insertRuns([{ run, wakeAt }]);
    },

    insertRuns,

    async claimRuns(owner, now, leaseUntil, limit) {
      if (limit <= 0) return [];
      const at = new Date(now);
      // One statement (lock the due rows, skipping those another instance is claiming, and lease
      // them) instead of a transaction of four: the runner claims often while runs finish.
      const due = db
        .select({ id: r.id })
        .from(r)
        .where(
          and(
            inArray(r.status, UNFINISHED),
            or(isNull(r.leaseUntil), lt(r.leaseUntil, at)),
            // A timer that is due, a run whose owner stopped renewing while a step ran, or a cancel.
            or(lte(r.nextWakeAt, at), isNull(r.nextWakeAt), eq(r.cancelRequested, true)),
          ),
        )
        .orderBy(r.nextWakeAt)
        .limit(limit)
        .for('update', { skipLocked: true });
      const rows = await db
        .update(r)
        .set({ leaseOwner: owner, leaseUntil: new Date(leaseUntil) })
        .where(inArray(r.id, due))
        .returning({ state: r.state, definition: r.definition, cancelRequested: r.cancelRequested });
      return rows.map((row) => ({ run: runOf(row.state, row.definition), cancelRequested: row.cancelRequested }));
    },

    async saveRuns(batch) {
      if (batch.length === 0) return [];
      // One UPDATE ... FROM (VALUES ...) for the whole batch: one round trip and one commit.
      const values = sql.join(
        batch.map(({ run, wakeAt, owner, leaseUntil }) => {
          const finished = isFinished(run.status);
          return sql`(${run.id}, ${run.status}, ${JSON.stringify(checkpointOf(run))}::jsonb, ${finished ? null : iso(wakeAt)}::timestamptz, ${finished || leaseUntil === null ? null : owner}::text, ${finished ? null : iso(leaseUntil)}::timestamptz, ${iso(run.finishedAt ?? null)}::timestamptz, ${owner}::text)`;
        }),
        sql`, `,
      );
      const result = await db.execute(sql`
        update ${r} set status = v.status, state = v.state, definition = ${keepDefinition}, next_wake_at = v.wake,
          lease_owner = v.next_owner, lease_until = v.lease_until, finished_at = v.finished_at
        from (values ${values}) as v(id, status, state, wake, next_owner, lease_until, finished_at, owner)
        where ${r.id} = v.id and ${r.leaseOwner} = v.owner
        returning ${r.id} as id`);
      const saved = new Set(rowsOf<{ id: string }>(result).map((row) => row.id));
      return batch.map((entry) => saved.has(entry.run.id));
    },

    async saveRun(run, wakeAt, owner, leaseUntil) {
      const finished = isFinished(run.status);
      const rows = await db
        .update(r)
        .set({
          status: run.status,
          state: checkpointOf(run),
          definition: keepDefinition,
          nextWakeAt: finished ? null : date(wakeAt),
          // Finished or released runs give the lease up; others keep it until leaseUntil.
          leaseOwner: finished || leaseUntil === null ? null : owner,
          leaseUntil: finished ? null : date(leaseUntil),
          finishedAt: date(run.finishedAt ?? null),
        })
        .where(and(eq(r.id, run.id), eq(r.leaseOwner, owner)))
        .returning({ id: r.id });
      return rows.length === 1;
    },

    async renewLeases(owner, runIds, leaseUntil) {
      if (runIds.length === 0) return [];
      const rows = await db
        .update(r)
        .set({ leaseUntil: new Date(leaseUntil) })
        .where(and(inArray(r.id, [...runIds]), eq(r.leaseOwner, owner)))
        .returning({ state: r.state, definition: r.definition, cancelRequested: r.cancelRequested });
      return rows.map((row) => ({ run: runOf(row.state, row.definition), cancelRequested: row.cancelRequested }));
    },

    async requestCancel(runId) {
      const rows = await db
        .update(r)
        .set({ cancelRequested: true })
        .where(and(eq(r.id, runId), inArray(r.status, UNFINISHED)))
        .returning({ id: r.id });
      return rows.length === 1;
    },

    async getRun(id) {
      const rows = await db.select().from(r).where(eq(r.id, id));
      return rows[0] ? toRun(rows[0]) : null;
    },

    async listRuns(workflowId, limit) {
      const rows = await db.select().from(r).where(eq(r.workflowId, workflowId)).orderBy(desc(r.createdAt), desc(r.id)).limit(limit);
      return rows.map(toRun);
    },

    async stats(now, projectId) {
      const scope = projectId === undefined ? undefined : eq(r.projectId, projectId);
      const byStatus = await db.select({ status: r.status, n: sql<number>`count(*)::int` }).from(r).where(scope).groupBy(r.status);
      const due = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(r)
        .where(and(scope, inArray(r.status, UNFINISHED), lt(r.nextWakeAt, new Date(now))));
      const count = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(w)
        .where(projectId === undefined ? undefined : eq(w.projectId, projectId));
      return { byStatus: Object.fromEntries(byStatus.map((row) => [row.status, row.n])), due: due[0]?.n ?? 0, workflows: count[0]?.n ?? 0 };
    },

    async insertCronRun(tickAt, run, wakeAt) {
      return db.transaction(async (tx) => {
        const rows = await tx
          .insert(workflowCronTicks)
          .values({ workflowId: run.workflowId, tickAt: new Date(tickAt), runId: run.id })
          .onConflictDoNothing()
          .returning({ runId: workflowCronTicks.runId });
        if (rows.length !== 1) return false;
        await tx.insert(r).values(runRow({ run, wakeAt }));
        return true;
      });
    },

    async lastCronTick(workflowId) {
      const rows = await db
        .select({ at: sql<Date | null>`max(${workflowCronTicks.tickAt})` })
        .from(workflowCronTicks)
        .where(eq(workflowCronTicks.workflowId, workflowId));
      const at = rows[0]?.at;
      return at ? new Date(at).getTime() : null;
    },
  };
}

/** A new run's row: due at `wakeAt`, unleased; the definition once, beside the checkpoint. */
function runRow({ run, wakeAt }: NewRun): typeof r.$inferInsert {
  return {
    id: run.id,
    workflowId: run.workflowId,
    projectId: run.definition.projectId,
    version: run.version,
    status: run.status,
    state: checkpointOf(run),
    definition: run.definition,
    nextWakeAt: date(wakeAt),
    createdAt: new Date(run.createdAt),
  };
}

/**
 * workflows: the workflow engine's targets (issue 16, docs/workflows.md):
 * 1,000 runs of a 10-step DAG of no-op actions complete in < 10 s on PGlite and on Postgres;
 * engine overhead per step p50/p99; event → triggered run start p99 < 200 ms.
 *
 *   npm run bench -- workflows        (BENCH_WORKFLOW_RUNS=… to change the 1,000)
 *
 * In process, per storage (PGlite in a temp dir; a Postgres database of its own when
 * DATABASE_URL is set): the production runner and service over the real store, one instance,
 * the default step concurrency. The DAG is 1 → 3 → 3 → 2 → 1 (10 steps, fan-out and joins).
 * All runs are started through the service, 50 concurrent calls at a time (as POST /execute does) and the clock stops
 * when the last one is `completed`.
 *
 * Overhead per step = the step's finish − the latest finish among its dependencies (the run's
 * start for roots): with a no-op action that is all engine — transition, checkpoint write,
 * scheduling — plus waiting for a free slot when 16 steps already run. Trigger latency = the
 * run's start (first checkpoint) − the event's `occurredAt`, for events published one by one
 * through the in-process bus to the `workflows` consumer group.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../../src/db/client.js';
import type { Database } from '../../src/db/document-store.js';
import { createMemoryBus } from '../../src/events/memory-bus.js';
import { createEvent, EVENT_TYPES } from '../../src/events/schema.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { noopAction } from '../../src/services/workflows/action-handlers.js';
import { createWorkflowRunner } from '../../src/services/workflows/runner.js';
import type { WorkflowStore } from '../../src/services/workflows/ports.js';
import { createWorkflowService } from '../../src/services/workflows/workflow-service.js';
import { createActionCatalog } from '../../src/workflows/actions.js';
import { createTestDatabase, serviceAvailable } from '../../tests/helpers/services.js';
import { fmt, header, writeResult } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_WORKFLOW_RUNS ?? 1_000);
const EVENTS = 200;
const logger = createLogger({ level: 'silent' });

const LAYERS = [['a'], ['b1', 'b2', 'b3'], ['c1', 'c2', 'c3'], ['d1', 'd2'], ['e']];
const STEPS = LAYERS.flatMap((layer, i) => layer.map((id) => ({ id, action: 'noop', ...(i > 0 ? { dependsOn: LAYERS[i - 1] } : {}) })));

interface Measured {
  storage: string;
  runs: number;
  seconds: number;
  stepsPerSecond: number;
  /** This process's CPU (main thread and the PGlite worker; not the Postgres server) for the runs. */
  cpuSeconds: number;
  checkpointRowsPerRun: number;
  rowsPerStatement: number;
  claims: number;
  overhead: Summary;
  trigger: Summary;
}

/** Database work the runner asked for: checkpoint statements and rows, lease (claim) queries. */
interface StoreCounts {
  checkpointStatements: number;
  checkpointRows: number;
  claims: number;
}

function engine(db: Database) {
  const handlers = new Map([[noopAction.spec.name, noopAction]]);
  const counts: StoreCounts = { checkpointStatements: 0, checkpointRows: 0, claims: 0 };
  const store: WorkflowStore = {
    ...db.workflows,
    saveRuns(batch) {
      counts.checkpointStatements++;
      counts.checkpointRows += batch.length;
      return db.workflows.saveRuns(batch);
    },
    claimRuns(...args) {
      counts.claims++;
      return db.workflows.claimRuns(...args);
    },
  };
  let completed = 0;
  const runner = createWorkflowRunner({
    store,
    handlers,
    clock: systemClock,
    logger,
    instanceId: 'bench',
    concurrency: 16,
    leaseMs: 30_000,
    pollMs: 1_000,
    // Notices come after the run's checkpoint is stored: a counted run is durably completed.
    onNotice: (_run, notice) => void (notice.kind === 'workflow_completed' && completed++),
  });
  const service = createWorkflowService({ store, runner, catalog: createActionCatalog([noopAction.spec]), clock: systemClock, logger, eventTypes: EVENT_TYPES });
  return { runner, service, counts, completed: () => completed };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function measure(storage: string, db: Database): Promise<Measured> {
  const { runner, service, counts, completed } = engine(db);
  runner.start();
  try {
    const { id } = await service.register({ name: 'bench-dag', projectId: 'bench', trigger: { type: 'manual' }, steps: STEPS }, 'bench');
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const counted0 = { ...counts };
    // Started as concurrent API calls would start them: 50 at a time.
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i += 50) {
      const chunk = await Promise.all(Array.from({ length: Math.min(50, RUNS - i) }, () => service.execute(id, null, 'bench')));
      runIds.push(...chunk.map((r) => r.runId));
    }
    // Completions are counted from the runner's notices (a stats query every 20 ms competed with
    // the runs for the database, in-process on PGlite), then confirmed once in the table.
    let lastReport = 0;
    await waitFor(async () => {
      const done = completed();
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        console.log(`  ${storage}: ${done}/${RUNS} runs completed`);
      }
      return done >= RUNS;
    }, `${RUNS} runs`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stored = (await db.workflows.stats(Date.now(), 'bench')).byStatus.completed ?? 0;
    if (stored !== RUNS) throw new Error(`${RUNS} completion notices but ${stored} runs completed in the table`);
    const work = {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      checkpointRowsPerRun: (counts.checkpointRows - counted0.checkpointRows) / RUNS,
      rowsPerStatement: (counts.checkpointRows - counted0.checkpointRows) / Math.max(1, counts.checkpointStatements - counted0.checkpointStatements),
      claims: counts.claims - counted0.claims,
    };

    const overheads: number[] = [];
    for (const runId of runIds.filter((_, i) => i % Math.max(1, Math.floor(RUNS / 200)) === 0)) {
      const run = (await db.workflows.getRun(runId))!.state;
      const finished = new Map(run.steps.map((s) => [s.id, s.finishedAt!]));
      for (const step of STEPS) {
        const ready = step.dependsOn ? Math.max(...step.dependsOn.map((d) => finished.get(d)!)) : run.startedAt!;
        overheads.push(finished.get(step.id)! - ready);
      }
    }

    // Event triggers: one by one through the in-process bus to the `workflows` group.
    const bus = createMemoryBus({ logger });
    const subscription = bus.subscribe({ group: 'workflows', categories: ['publishing'], handle: async (event) => void (await service.onEvent(event)) });
    await subscription.ready;
    const triggered = await service.register(
      { name: 'bench-trigger', projectId: 'bench', trigger: { type: 'event', event: 'publishing.status_changed', condition: { '==': [{ var: 'event.payload.to' }, 'ready_for_review'] } }, steps: [{ id: 'n', action: 'noop' }] },
      'bench',
    );
    const latencies: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < EVENTS; i++) {
      const event = createEvent('publishing.status_changed', { projectId: 'bench', actor: 'system', payload: { from: 'draft', to: 'ready_for_review' } });
      await bus.publish(event);
      let startedAt: number | undefined;
      await waitFor(async () => {
        const newest = (await db.workflows.listRuns(triggered.id, 1))[0];
        if (newest === undefined || seen.has(newest.id) || newest.state.startedAt === undefined) return false;
        seen.add(newest.id);
        startedAt = newest.state.startedAt;
        return true;
      }, 'a triggered run to start', 30_000);
      latencies.push(startedAt! - Date.parse(event.occurredAt));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await subscription.stop();
    await bus.close();
    return { storage, runs: RUNS, seconds, stepsPerSecond: (RUNS * STEPS.length) / seconds, ...work, overhead: summarize(overheads), trigger: summarize(latencies) };
  } finally {
    await runner.stop(1_000);
  }
}

export async function workflowsBench(): Promise<string> {
  const results: Measured[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'bench-workflows-'));
  try {
    const db = await createDatabase({ dataDir: dir, logger });
    try {
      results.push(await measure('PGlite', db));
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (serviceAvailable('postgres')) {
    const own = await createTestDatabase();
    const db = await createDatabase({ databaseUrl: own.url, dataDir: tmpdir(), logger });
    try {
      results.push(await measure('Postgres', db));
    } finally {
      await db.close();
      await own.drop();
    }
  }
  await writeResult('workflows', results);
  const rows = results.map(
    (r) =>
      `| ${r.storage} | ${fmt(r.runs, 0)} | ${fmt(r.seconds, 2)} | ${fmt(r.stepsPerSecond, 0)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.checkpointRowsPerRun, 1)} / ${fmt(r.rowsPerStatement, 1)} / ${fmt(r.claims, 0)} | ${fmt(r.overhead.p50, 1)} / ${fmt(r.overhead.p99, 1)} | ${fmt(r.trigger.p50, 1)} / ${fmt(r.trigger.p99, 1)} |`,
  );
  return [
    header(),
    `Load: ${RUNS} runs of a 10-step DAG (1 → 3 → 3 → 2 → 1) of no-op actions, started 50 at a time; one instance, 16 steps at a time. Then ${EVENTS} events, one by one, each starting one run through an event trigger with a json-logic condition.`,
    '',
    '| storage | runs | all completed in (s) | steps/s | process CPU (s) | checkpoint rows per run / rows per statement / claim queries | engine overhead per step p50 / p99 (ms) | event → run start p50 / p99 (ms) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

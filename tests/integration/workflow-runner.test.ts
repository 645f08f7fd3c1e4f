import { z } from 'zod';
import { expect, it } from 'vitest';
import type { Database } from '../../src/db/document-store.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { ActionError, noopAction, type ActionHandler } from '../../src/services/workflows/action-handlers.js';
import { createWorkflowRunner } from '../../src/services/workflows/runner.js';
import { createWorkflowService } from '../../src/services/workflows/workflow-service.js';
import { createActionCatalog } from '../../src/workflows/actions.js';
import type { RunStatus } from '../../src/workflows/run-state.js';
import { onEveryDatabase } from '../helpers/databases.js';

/**
 * The runner and service on real storage (PGlite and Postgres): runs complete, a crashed
 * instance's run is finished by another without repeating a completed step, two instances
 * share the work with each step once, a cron tick fires once across instances.
 */

const logger = createLogger({ level: 'silent' });

/** Counts every invocation per step; `slow` steps wait for `release` (to crash mid-step). */
function countingActions() {
  const calls = new Map<string, number>();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const count = (key: string) => calls.set(key, (calls.get(key) ?? 0) + 1);
  const work: ActionHandler = {
    spec: { name: 'work', description: 'counts', input: z.object({ fail: z.number().optional() }).passthrough() },
    async run(input, ctx) {
      count(`${ctx.runId}:${ctx.stepId}`);
      const fail = (input as { fail?: number }).fail;
      if (fail !== undefined && ctx.attempt <= fail) throw new Error(`attempt ${ctx.attempt} fails`);
      return { step: ctx.stepId, attempt: ctx.attempt };
    },
  };
  const slow: ActionHandler = {
    spec: { name: 'slow', description: 'waits for the gate', input: z.object({}).passthrough() },
    async run(_input, ctx) {
      count(`${ctx.runId}:${ctx.stepId}`);
      await Promise.race([gate, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)))]);
      return { slow: true };
    },
  };
  const bad: ActionHandler = {
    spec: { name: 'bad', description: 'always fails permanently', input: z.object({}).passthrough() },
    async run() {
      throw new ActionError('refused by the far side', { permanent: true });
    },
  };
  return {
    calls,
    handlers: new Map([noopAction, work, slow, bad].map((h) => [h.spec.name, h])),
    /** From now on slow steps finish (the gate stays open). */
    open() {
      release();
    },
  };
}

function instance(db: Database, actions: ReturnType<typeof countingActions>, name: string, options: { leaseMs?: number } = {}) {
  const catalog = createActionCatalog([...actions.handlers.values()].map((h) => h.spec));
  const runner = createWorkflowRunner({
    store: db.workflows,
    handlers: actions.handlers,
    clock: systemClock,
    logger,
    instanceId: name,
    concurrency: 8,
    leaseMs: options.leaseMs ?? 10_000,
    pollMs: 50,
  });
  const service = createWorkflowService({ store: db.workflows, runner, catalog, clock: systemClock, logger, eventTypes: ['publishing.status_changed'] });
  return { runner, service };
}

async function waitForStatus(db: Database, runId: string, statuses: RunStatus[], ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await db.workflows.getRun(runId);
    if (run && statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${run?.status}, not ${statuses.join('|')}, after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const dag = (projectId: string, name: string) => ({
  name,
  projectId,
  trigger: { type: 'manual' },
  steps: [
    { id: 'a', action: 'work' },
    { id: 'b', action: 'work', dependsOn: ['a'], input: { fail: 1 }, retry: { max: 2, base: 10, jitter: 'none' } },
    { id: 'c', action: 'work', dependsOn: ['a'] },
    { id: 'd', action: 'work', dependsOn: ['b', 'c'], input: { from: '{{steps.b.output.attempt}}' } },
  ],
});

onEveryDatabase((name, open) => {
  it(`${name}: a run of a DAG completes, with retries, outputs passed on and every step checkpointed`, async () => {
    const { db, cleanup } = await open();
    const actions = countingActions();
    const { runner, service } = instance(db, actions, 'i1');
    runner.start();
    try {
      const { id, version } = await service.register(dag('p1', 'Pipeline'), 'alice');
      expect(version).toBe(1);
      const { runId } = await service.execute(id, { chapter: 3 }, 'alice');
      const run = await waitForStatus(db, runId, ['completed', 'failed']);
      expect(run.status).toBe('completed');
      const steps = Object.fromEntries(run.state.steps.map((s) => [s.id, s]));
      expect(steps.b).toMatchObject({ status: 'completed', attempts: 2 });
      expect(steps.d).toMatchObject({ status: 'completed', input: { from: 2 } });
      expect([...actions.calls.entries()].filter(([k]) => k.startsWith(runId)).map(([k, n]) => [k.split(':')[1], n]).sort()).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 1],
        ['d', 1],
      ]);
      // Registering a changed definition makes a new version; the same one changes nothing.
      expect((await service.register({ ...dag('p1', 'Pipeline'), description: 'v2' }, 'alice')).version).toBe(2);
      expect((await service.register({ ...dag('p1', 'Pipeline'), description: 'v2' }, 'alice')).version).toBe(2);
      expect((await service.executions(id, 10))[0]!.version).toBe(1);
    } finally {
      await runner.stop(1000);
      await cleanup();
    }
  });

  it(`${name}: a permanent failure fails the run once; an invalid definition lists every problem`, async () => {
    const { db, cleanup } = await open();
    const actions = countingActions();
    const { runner, service } = instance(db, actions, 'i1');
    runner.start();
    try {
      const { id } = await service.register({ name: 'Bad', projectId: 'p1', trigger: { type: 'manual' }, steps: [{ id: 'x', action: 'bad', retry: { max: 3, base: 10 } }, { id: 'y', action: 'work', dependsOn: ['x'] }] }, 'alice');
      const run = await waitForStatus(db, (await service.execute(id, null, 'alice')).runId, ['failed', 'completed']);
      expect(run.status).toBe('failed');
      expect(run.state.steps.map((s) => [s.id, s.status, s.attempts, s.error])).toEqual([
        ['x', 'failed', 1, 'refused by the far side'],
        ['y', 'skipped', 0, undefined],
      ]);
      await expect(service.register({ name: 'Worse', projectId: 'p1', trigger: { type: 'cron', cron: '0 20 * * *', timeZone: 'Nowhere/Land' }, steps: [{ id: 'x', action: 'teleport', dependsOn: ['x'] }] }, 'alice')).rejects.toMatchObject({
        code: 'validation-failed',
        details: { problems: expect.arrayContaining([expect.objectContaining({ path: 'trigger.timeZone' }), expect.objectContaining({ path: 'steps[0].action' }), expect.objectContaining({ path: 'steps[0].dependsOn[0]' })]) },
      });
    } finally {
      await runner.stop(1000);
      await cleanup();
    }
  });

  it(`${name}: an instance dies mid-step; another finishes the run without repeating the completed step`, async () => {
    const { db, cleanup } = await open();
    const actions = countingActions();
    const first = instance(db, actions, 'dies', { leaseMs: 600 });
    first.runner.start();
    const { id } = await first.service.register(
      { name: 'Crash', projectId: 'p1', trigger: { type: 'manual' }, steps: [{ id: 'done', action: 'work' }, { id: 'hang', action: 'slow', dependsOn: ['done'] }, { id: 'last', action: 'work', dependsOn: ['hang'] }] },
      'alice',
    );
    const { runId } = await first.service.execute(id, null, 'alice');
    // Wait until the slow step is checkpointed as running, then "kill" the instance: it stops
    // renewing its lease and its in-flight step is abandoned (no graceful hand-back).
    for (let i = 0; ; i++) {
      const run = await db.workflows.getRun(runId);
      if (run?.state.steps[1]!.status === 'running') break;
      if (i > 400) throw new Error('the slow step never started');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.runner.abandon();
    const second = instance(db, actions, 'survives', { leaseMs: 600 });
    second.runner.start();
    try {
      actions.open(); // the re-run of `hang` may finish now
      const run = await waitForStatus(db, runId, ['completed', 'failed']);
      expect(run.status).toBe('completed');
      expect(actions.calls.get(`${runId}:done`)).toBe(1);
      expect(actions.calls.get(`${runId}:hang`)).toBe(2); // in flight at the crash: runs again, same attempt
      expect(run.state.steps[1]).toMatchObject({ attempts: 1, status: 'completed' });
      expect(actions.calls.get(`${runId}:last`)).toBe(1);
    } finally {
      await second.runner.stop(1000);
      await cleanup();
    }
  });

  it(`${name}: two instances share 20 runs; every step runs once; a cron tick fires once across them`, async () => {
    const { db, cleanup } = await open();
    const actions = countingActions();
    const a = instance(db, actions, 'a');
    const b = instance(db, actions, 'b');
    a.runner.start();
    b.runner.start();
    try {
      const { id } = await a.service.register(dag('p2', 'Shared'), 'alice');
      const runIds = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).service.execute(id, null, 'alice').then((r) => r.runId)));
      for (const runId of runIds) expect((await waitForStatus(db, runId, ['completed', 'failed'])).status).toBe('completed');
      for (const runId of runIds) {
        expect(['a', 'c', 'd'].map((s) => actions.calls.get(`${runId}:${s}`))).toEqual([1, 1, 1]);
        expect(actions.calls.get(`${runId}:b`)).toBe(2); // its first attempt fails by design
      }
      // A cron workflow registered a minute ago at "every minute": both instances tick at once.
      await a.service.register({ name: 'Every minute', projectId: 'p2', trigger: { type: 'cron', cron: '* * * * *', timeZone: 'Europe/Berlin' }, steps: [{ id: 'n', action: 'noop' }] }, 'alice');
      const cron = (await db.workflows.listWorkflows('p2')).find((w) => w.name === 'Every minute')!;
      await db.workflows.updateWorkflow(cron.id, { updatedAt: Date.now() - 61_000 });
      const fired = await Promise.all([a.service.cronTick(), b.service.cronTick(), a.service.cronTick()]);
      expect(fired.reduce((x, y) => x + y, 0)).toBe(1);
      const runs = await db.workflows.listRuns(cron.id, 10);
      expect(runs).toHaveLength(1);
      expect((await waitForStatus(db, runs[0]!.id, ['completed'])).state.trigger).toMatchObject({ type: 'cron' });
      // The tick and its run are one transaction: a run that cannot be stored (here, its id is
      // taken) leaves no tick behind, so the tick fires again instead of being lost.
      const lastTick = await db.workflows.lastCronTick(cron.id);
      const clash = { ...(await db.workflows.getRun(runs[0]!.id))!.state, status: 'pending' as const };
      await expect(db.workflows.insertCronRun(lastTick! + 60_000, clash, Date.now())).rejects.toThrow();
      expect(await db.workflows.lastCronTick(cron.id)).toBe(lastTick);
    } finally {
      await Promise.all([a.runner.stop(1000), b.runner.stop(1000)]);
      await cleanup();
    }
  });

  it(`${name}: cancel stops a run that waits on a durable delay`, async () => {
    const { db, cleanup } = await open();
    const actions = countingActions();
    const { runner, service } = instance(db, actions, 'i1');
    runner.start();
    try {
      const { id } = await service.register({ name: 'Waits', projectId: 'p1', trigger: { type: 'manual' }, steps: [{ id: 'wait', action: 'delay', input: { ms: 3_600_000 } }, { id: 'after', action: 'work', dependsOn: ['wait'] }] }, 'alice');
      const { runId } = await service.execute(id, null, 'alice');
      for (let i = 0; (await db.workflows.getRun(runId))?.state.steps[0]!.status !== 'running'; i++) {
        if (i > 400) throw new Error('the delay never started');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await service.cancel(runId);
      const run = await waitForStatus(db, runId, ['cancelled']);
      expect(run.state.steps.map((s) => s.status)).toEqual(['skipped', 'skipped']);
      expect(actions.calls.get(`${runId}:after`)).toBeUndefined();
      await expect(service.cancel(runId)).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      await runner.stop(1000);
      await cleanup();
    }
  });
});


import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { report, writerToken } from '../helpers/fault-writers.js';
import { scrapeMetrics } from '../helpers/metrics-scrape.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, redisUrl, serviceAvailable } from '../helpers/services.js';

/**
 * Two server processes (src/main.ts) on one Postgres database and one Redis (issue 16: "each
 * step and each cron tick exactly once"). Every step is an `http` call to a local endpoint that
 * counts calls per run and step, so a step run twice by the two instances shows up as 2.
 *
 * - N manual runs of a diamond DAG (a -> b, c -> d), executed alternately through either
 *   instance: every run completes and each of its steps was called exactly once; /metrics of
 *   each process shows that both instances ran steps.
 * - Two cron workflows with a seconds field. The cron check runs every 5 s on each instance and
 *   fires only the newest tick missed since the last one (docs/workflows.md), so with
 *   `* * * * * *` not every second makes a run: that workflow shows each fired tick made exactly
 *   one run and called its step once. `*\/5 * * * * *` is slow enough that every tick fires: its
 *   fired ticks are 5 s apart with none missing, each with exactly one run.
 */

const RUNS = 24;
const CRON_WINDOW_MS = 22_000;

interface Counter {
  server: Server;
  port: number;
  /** `run:step` (or `tick:<workflow>:<tickAt>`) -> calls. */
  count: Map<string, number>;
}

async function counter(): Promise<Counter> {
  const count = new Map<string, number>();
  const bump = (key: string) => count.set(key, (count.get(key) ?? 0) + 1);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    bump(`${q.get('run')}:${q.get('step')}`);
    if (q.has('tick')) bump(`tick:${q.get('wf')}:${q.get('tick')}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, count };
}

interface RunView {
  id: string;
  status: string;
  trigger: { type: string; tickAt?: string };
  steps: { id: string; status: string; attempts: number }[];
}

const available = serviceAvailable('postgres') && serviceAvailable('redis');

describe.skipIf(!available)('workflows on two server processes sharing Postgres and Redis', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('runs each step and fires each cron tick exactly once across both instances', async () => {
    const calls = await counter();
    cleanups.push(() => new Promise((resolve) => calls.server.close(() => resolve())));
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, WORKFLOW_HTTP_ALLOW: `127.0.0.1:${calls.port}` };
    const servers: ServerProcess[] = [];
    cleanups.push(async () => {
      for (const s of servers) {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
        await s.exited;
      }
    });
    // One after the other: the second one's migration run finds nothing to do.
    servers.push(await startServerProcess(env, { startTimeoutMs: 60_000 }));
    servers.push(await startServerProcess(env, { startTimeoutMs: 60_000 }));
    const [a, b] = servers as [ServerProcess, ServerProcess];

    const owner = await writerToken('wf-owner', 'owner');
    const api = async <T = Record<string, unknown>>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${owner}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const stepUrl = (step: string, extra = '') => `http://127.0.0.1:${calls.port}/count?run={{run.id}}&step=${step}${extra}`;
    const register = async (definition: Record<string, unknown>): Promise<string> => {
      const res = await api(a.httpUrl, 'POST', '/api/workflows/register', { projectId: 'book', ...definition });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const runsOf = async (id: string): Promise<RunView[]> => (await api<{ runs: RunView[] }>(b.httpUrl, 'GET', `/api/workflows/${id}/executions?limit=200`)).body.runs;

    // Cron first, so its window overlaps the manual runs (both instances are busy meanwhile).
    const cronStep = (wf: string) => ({ id: 'tick', action: 'http', input: { url: stepUrl('tick', `&wf=${wf}&tick={{trigger.tickAt}}`) } });
    const everySecond = await register({ name: 'Every second', trigger: { type: 'cron', cron: '* * * * * *', timeZone: 'UTC' }, steps: [cronStep('s1')] });
    const everyFive = await register({ name: 'Every 5 s', trigger: { type: 'cron', cron: '*/5 * * * * *', timeZone: 'Europe/Berlin' }, steps: [cronStep('s5')] });
    const cronStarted = Date.now();

    const diamond = await register({
      name: 'Diamond',
      trigger: { type: 'manual' },
      steps: [
        { id: 'a', action: 'http', input: { url: stepUrl('a') } },
        { id: 'b', action: 'http', dependsOn: ['a'], input: { url: stepUrl('b') } },
        { id: 'c', action: 'http', dependsOn: ['a'], input: { url: stepUrl('c') } },
        { id: 'd', action: 'http', dependsOn: ['b', 'c'], input: { url: stepUrl('d') } },
      ],
    });
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = await api(i % 2 === 0 ? a.httpUrl : b.httpUrl, 'POST', `/api/workflows/${diamond}/execute`, { input: { i } });
      expect(res.status).toBe(202);
      runIds.push(res.body.runId as string);
    }
    const manual = await vi.waitFor(
      async () => {
        const runs = await runsOf(diamond);
        expect(runs.filter((r) => r.status === 'completed')).toHaveLength(RUNS);
        return runs;
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(manual.map((r) => r.id).sort()).toEqual([...runIds].sort());
    for (const run of manual) {
      expect(run.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
        ['a', 'completed', 1],
        ['b', 'completed', 1],
        ['c', 'completed', 1],
        ['d', 'completed', 1],
      ]);
      for (const step of ['a', 'b', 'c', 'd']) expect(calls.count.get(`${run.id}:${step}`), `${run.id}:${step}`).toBe(1);
    }

    // Let the cron workflows tick for the window, then stop them and let the last runs finish.
    await sleep(Math.max(0, CRON_WINDOW_MS - (Date.now() - cronStarted)));
    for (const id of [everySecond, everyFive]) expect((await api(b.httpUrl, 'POST', `/api/workflows/${id}/disable`)).status).toBe(200);
    await sleep(6_000); // past each instance's next cron check
    const cronRuns = async (id: string, wf: string) =>
      vi.waitFor(
        async () => {
          const runs = await runsOf(id);
          expect(runs.every((r) => r.status === 'completed'), JSON.stringify(runs.map((r) => r.status))).toBe(true);
          return runs.map((r) => {
            expect(r.trigger.type).toBe('cron');
            const tickAt = r.trigger.tickAt!;
            // One call of the step for this run, and one call for this tick at all (no second run of it).
            expect(calls.count.get(`${r.id}:tick`), `${wf} run ${r.id}`).toBe(1);
            expect(calls.count.get(`tick:${wf}:${tickAt}`), `${wf} tick ${tickAt}`).toBe(1);
            return Date.parse(tickAt);
          });
        },
        { timeout: 30_000, interval: 250 },
      );
    const ticks1 = (await cronRuns(everySecond, 's1')).sort((x, y) => x - y);
    const ticks5 = (await cronRuns(everyFive, 's5')).sort((x, y) => x - y);
    // Each tick made one run: no tick appears twice.
    expect(new Set(ticks1).size).toBe(ticks1.length);
    expect(new Set(ticks5).size).toBe(ticks5.length);
    for (const t of ticks1) expect(t % 1000).toBe(0);
    expect(ticks1.length).toBeGreaterThanOrEqual(3);
    // Every 5 s tick in the window fired: consecutive fired ticks are exactly 5 s apart.
    expect(ticks5.length).toBeGreaterThanOrEqual(3);
    expect(ticks5.slice(1).map((t, i) => t - ticks5[i]!)).toEqual(ticks5.slice(1).map(() => 5_000));

    // Both processes did the work: each one's step histogram counts some of the steps.
    const stepsDone = async (s: ServerProcess) => (await scrapeMetrics(s.httpUrl)).get('storyloom_workflow_step_duration_seconds_count');
    const [stepsA, stepsB] = [await stepsDone(a), await stepsDone(b)];
    const total = RUNS * 4 + ticks1.length + ticks5.length;
    report('workflow-two-instances', { runs: RUNS, steps: RUNS * 4, stepsA, stepsB, secondTicksFired: ticks1.length, fiveSecondTicksFired: ticks5.length, cronWindowMs: CRON_WINDOW_MS });
    expect(stepsA + stepsB).toBe(total);
    expect(stepsA).toBeGreaterThan(0);
    expect(stepsB).toBeGreaterThan(0);
  }, 120_000);
});

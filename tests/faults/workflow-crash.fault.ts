import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { report, startFaultServer, writerToken } from '../helpers/fault-writers.js';
import { storageBackends } from '../helpers/storage-backends.js';

/**
 * kill -9 during a workflow step (issue 16): a 3-step run whose middle step is an `http` call to
 * a local endpoint that does not answer until the test lets it. The server is killed while that
 * call hangs and started again on the same storage. The run must complete, the step that had
 * completed before the kill must not run again, and the one in flight runs again as the same
 * attempt (at least once). The restarted instance claims the run when the dead one's 30 s
 * lease expires.
 */

interface Calls {
  server: Server;
  port: number;
  count: Map<string, number>;
  /** Steps named here answer at once; others wait until `release()`. */
  release(): void;
  hanging: Promise<void>;
}

async function endpoint(): Promise<Calls> {
  const count = new Map<string, number>();
  let released = false;
  const waiting: ServerResponse[] = [];
  let sawHang!: () => void;
  const hanging = new Promise<void>((resolve) => (sawHang = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = `${url.searchParams.get('run')}:${url.searchParams.get('step')}`;
    count.set(key, (count.get(key) ?? 0) + 1);
    if (url.pathname === '/hang' && !released) {
      waiting.push(res);
      sawHang();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, key }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    count,
    hanging,
    release() {
      released = true;
      for (const res of waiting.splice(0)) res.destroy();
    },
  };
}

const backends = storageBackends('storyloom-fault-workflow');

describe.each(backends)('kill -9 during a workflow step on $name', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('completes the run after a restart without repeating the completed step', async () => {
    const { env: storageEnv, cleanup } = await backend.env();
    cleanups.push(cleanup);
    const calls = await endpoint();
    cleanups.push(() => new Promise((resolve) => calls.server.close(() => resolve())));
    const env = { ...storageEnv, WORKFLOW_HTTP_ALLOW: `127.0.0.1:${calls.port}` };
    const first = await startFaultServer(env);
    cleanups.push(async () => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
    const owner = await writerToken('wf-owner', 'owner');
    const api = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${owner}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const url = (path: string, step: string) => `http://127.0.0.1:${calls.port}${path}?run={{run.id}}&step=${step}`;
    const registered = await api(first.httpUrl, 'POST', '/api/workflows/register', {
      name: 'Crash me',
      projectId: 'book',
      trigger: { type: 'manual' },
      steps: [
        { id: 'before', action: 'http', input: { url: url('/ok', 'before') } },
        { id: 'during', action: 'http', dependsOn: ['before'], input: { url: url('/hang', 'during') }, timeout: 600_000 },
        { id: 'after', action: 'http', dependsOn: ['during'], input: { url: url('/ok', 'after') } },
      ],
    });
    expect(registered.status).toBe(201);
    const { body } = await api(first.httpUrl, 'POST', `/api/workflows/${registered.body.id as string}/execute`, {});
    const runId = body.runId as string;
    await calls.hanging;

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    calls.release();

    const second = await startFaultServer(env);
    cleanups.push(async () => {
      if (second.child.exitCode === null) {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });
    const run = await vi.waitFor(
      async () => {
        const { body: r } = await api(second.httpUrl, 'GET', `/api/workflows/runs/${runId}`);
        expect(r.status).toBe('completed');
        return r as { steps: Array<{ id: string; status: string; attempts: number }> };
      },
      { timeout: 120_000, interval: 250 },
    );
    const resumedAfterMs = Date.now() - killedAt;
    expect(run.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['before', 'completed', 1],
      ['during', 'completed', 1],
      ['after', 'completed', 1],
    ]);
    const before = calls.count.get(`${runId}:before`) ?? 0;
    const during = calls.count.get(`${runId}:during`) ?? 0;
    const after = calls.count.get(`${runId}:after`) ?? 0;
    report('workflow-kill', { storage: backend.name, before, during, after, completedAfterKillMs: resumedAfterMs });
    expect(before).toBe(1);
    expect(during).toBe(2);
    expect(after).toBe(1);
  }, 360_000);
});

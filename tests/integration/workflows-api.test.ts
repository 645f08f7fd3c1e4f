import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGateway } from '../helpers/gateway-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The workflow REST contract through a real server on PGlite: register → 201 {id, version},
 * execute → 202 {runId}, executions with step statuses; every problem of a bad definition in one
 * 400; owners manage, editors run, readers and other projects see nothing; the automation.*
 * events reach the bus.
 */

describe('workflows REST API', () => {
  let t: TestServer;
  const tokens: Record<string, string> = {};
  const call = async (method: string, path: string, who: string, body?: unknown) => {
    const res = await fetch(`${t.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of many shapes, checked by the assertions
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const definition = {
    name: 'Nightly check',
    projectId: 'novel',
    trigger: { type: 'manual' },
    steps: [
      { id: 'one', action: 'noop', input: { chapter: '{{input.chapter}}' } },
      { id: 'two', action: 'noop', dependsOn: ['one'], input: { saw: '{{steps.one.output.echo.chapter}}' } },
    ],
  };

  beforeAll(async () => {
    t = await startTestServer();
    tokens.owner = await t.token('olive', { novel: 'owner' });
    tokens.editor = await t.token('eddie', { novel: 'editor' });
    tokens.reader = await t.token('rita', { novel: 'reader' });
    tokens.stranger = await t.token('sam', { other: 'owner' });
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it('registers, runs and reports a run with its steps', async () => {
    const events: string[] = [];
    const sub = t.server.bus.subscribe({ group: 'workflows-api-test', categories: ['automation'], handle: async (e) => void events.push(e.type) });
    await sub.ready;
    const registered = await call('POST', '/api/workflows/register', 'owner', definition);
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), version: 1 });
    const id = registered.body.id as string;

    const started = await call('POST', `/api/workflows/${id}/execute`, 'editor', { input: { chapter: 7 } });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;

    let runs: Array<{ status?: string }> = [];
    for (let i = 0; i < 200; i++) {
      runs = (await call('GET', `/api/workflows/${id}/executions`, 'editor')).body.runs;
      if (runs[0]?.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(runs[0]).toMatchObject({
      id: runId,
      status: 'completed',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      steps: [
        { id: 'one', status: 'completed', attempts: 1, input: { chapter: 7 } },
        { id: 'two', status: 'completed', attempts: 1, output: { echo: { saw: 7 } } },
      ],
    });
    expect((await call('GET', `/api/workflows/runs/${runId}`, 'owner')).body.status).toBe('completed');
    expect((await call('GET', '/api/workflows/stats?projectId=novel', 'owner')).body).toMatchObject({ byStatus: { completed: 1 }, workflows: 1 });
    for (let i = 0; i < 100 && !events.includes('automation.workflow_completed'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(expect.arrayContaining(['automation.workflow_triggered', 'automation.step_completed', 'automation.workflow_completed']));
    await sub.stop();
  });

  it('pushes run events live to owners and editors, never to readers', async () => {
    const socket = (who: string) => connectGateway(`ws://127.0.0.1:${t.port}/ws/analytics?token=${encodeURIComponent(tokens[who]!)}`);
    const [editor, reader] = await Promise.all([socket('editor'), socket('reader')]);
    try {
      expect((await editor.subscribe('project:novel')).type).toBe('subscribed');
      expect((await reader.subscribe('project:novel')).type).toBe('subscribed');
      const { body } = await call('POST', '/api/workflows/register', 'owner', { ...definition, name: 'Live' });
      const { runId } = (await call('POST', `/api/workflows/${body.id}/execute`, 'editor', { input: { chapter: 1 } })).body;
      const isDone = (m: { type: string }) => m.type === 'event' && JSON.stringify(m).includes('automation.workflow_completed') && JSON.stringify(m).includes(runId as string);
      await editor.next(isDone);
      // The reader's socket carried other project messages meanwhile, but no automation event.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(reader.messages.filter((m) => JSON.stringify(m).includes('"automation.'))).toEqual([]);
    } finally {
      editor.close();
      reader.close();
    }
  });

  it('refuses a bad definition with every problem and its path', async () => {
    const res = await call('POST', '/api/workflows/register', 'owner', {
      name: 'Broken',
      projectId: 'novel',
      trigger: { type: 'cron', cron: '0 25 * * *', timeZone: 'Atlantis/Capital' },
      steps: [
        { id: 'a', action: 'teleport', dependsOn: ['b'] },
        { id: 'b', action: 'noop', dependsOn: ['a'] },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation-failed');
    const paths = (res.body.error.details.problems as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['trigger.timeZone', 'steps', 'steps[0].action']));
  });

  it('owners manage, editors run, readers and other projects see nothing', async () => {
    const { body } = await call('POST', '/api/workflows/register', 'owner', { ...definition, name: 'Access' });
    const id = body.id as string;
    expect((await call('POST', '/api/workflows/register', 'editor', { ...definition, name: 'By editor' })).status).toBe(403);
    expect((await call('POST', '/api/workflows/register', 'stranger', definition)).status).toBe(403);
    expect((await call('POST', `/api/workflows/${id}/execute`, 'reader', {})).status).toBe(403);
    expect((await call('GET', `/api/workflows/${id}/executions`, 'reader')).status).toBe(403);
    expect((await call('GET', `/api/workflows/${id}`, 'stranger')).status).toBe(403);
    expect((await call('GET', '/api/workflows?projectId=novel', 'reader')).status).toBe(403);
    expect((await call('POST', `/api/workflows/${id}/disable`, 'editor')).status).toBe(403);
    expect((await call('POST', `/api/workflows/${id}/disable`, 'owner')).body.enabled).toBe(false);
    expect((await call('POST', `/api/workflows/${id}/execute`, 'editor', {})).status).toBe(409);
    expect((await call('GET', '/api/workflows/nope/executions', 'owner')).status).toBe(404);
    expect((await call('GET', '/api/realtime/events/automation?projectId=novel', 'reader')).status).toBe(403);
    expect((await call('GET', '/api/realtime/events/automation?projectId=novel', 'editor')).status).toBe(200);
    const list = await call('GET', '/api/workflows?projectId=novel', 'editor');
    expect(list.body.workflows.map((w: { name: string }) => w.name)).toEqual(expect.arrayContaining(['Nightly check', 'Access']));
  });
});

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../client-sdk/src/index.js';
import { signToken } from '../../src/auth/tokens.js';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

/**
 * The six workflow templates end to end on a real server (PGlite, memory bus, real actions):
 * instantiated over REST, triggered by a real event on the bus or by the real cron check (the
 * workflow's updatedAt moved back so the last firing time is due), and judged by what they did:
 * a named version, an EPUB of Persuasion that epubcheck accepted at a local HTTP upload endpoint
 * with SEO metadata from a local OpenAI-compatible server, notifications in the inboxes, the
 * analytics events on the bus, and the digest email at a real SMTP server.
 */

const DAY = 86_400_000;

describe('workflow templates end to end', () => {
  let t: TestServer;
  let sink: SmtpSink;
  let peer: Server;
  let peerUrl: string;
  const uploads = new Map<string, Buffer>();
  /** `PUT /uploads/...` and `DELETE /uploads/...` in the order the endpoint saw them. */
  const uploadLog: string[] = [];
  const aiRequests: string[] = [];
  const events: StoryloomEvent[] = [];
  let stopBus: (() => Promise<void>) | undefined;
  const tokens: Record<string, string> = {};
  const projects = { sdk: 'owner', thin: 'owner', autosave: 'owner', book: 'owner', rollback: 'owner', goals: 'owner', sales: 'owner', conflicts: 'owner', digest: 'owner' } as const;

  const call = async (method: string, path: string, who: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${t.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of many shapes, checked by the assertions
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const inbox = async (who: string, projectId: string) => (await call('GET', `/api/realtime/notifications?projectId=${projectId}&limit=100`, who)).body.items as { title: string; body: string; priority: string; data: Record<string, unknown> }[];
  const instantiate = async (templateId: string, projectId: string, params: Record<string, unknown>) => {
    const res = await call('POST', `/api/workflows/templates/${templateId}/instantiate`, 'olive', { projectId, params });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const lastRun = async (workflowId: string) => ((await call('GET', `/api/workflows/${workflowId}/executions?limit=1`, 'olive')).body.runs as { status: string; steps: { id: string; status: string; output: unknown; error: unknown }[] }[])[0];
  const finished = (workflowId: string, ms = 60_000) =>
    until(`a finished run of ${workflowId}`, async () => {
      const run = await lastRun(workflowId);
      return run && ['completed', 'failed', 'rolled_back', 'cancelled'].includes(run.status) ? run : undefined;
    }, ms);
  const publish = (event: StoryloomEvent) => t.server.bus.publish(event);
  /** The cron check fires the last due time since updatedAt: move it back past one. */
  const makeCronDue = async (workflowId: string) => t.server.database.workflows.updateWorkflow(workflowId, { updatedAt: Date.now() - 8 * DAY });

  beforeAll(async () => {
    sink = await startSmtpSink();
    peer = createServer((req, res) => {
      void body(req).then((bytes) => {
        if (req.url?.startsWith('/v1/chat/completions')) {
          aiRequests.push(bytes.toString('utf8'));
          const content = '```json\n{"title": "Persuasion", "description": "Eight years after breaking off her engagement, Anne Elliot meets Captain Wentworth again.", "keywords": ["Regency", "second chances", "Bath", "navy"]}\n```';
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'test-model', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] }));
        } else if (req.url?.startsWith('/uploads/') && req.method === 'PUT') {
          uploadLog.push(`PUT ${req.url}`);
          uploads.set(req.url, bytes);
          res.writeHead(201).end('{}');
        } else if (req.url?.startsWith('/uploads/') && req.method === 'DELETE') {
          uploadLog.push(`DELETE ${req.url}`);
          res.writeHead(uploads.delete(req.url) ? 204 : 404).end();
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    t = await startTestServer({
      WORKFLOW_UPLOAD_URL: `${peerUrl}/uploads`,
      WORKFLOW_HTTP_ALLOW: new URL(peerUrl).host,
      AI_BASE_URL: `${peerUrl}/v1`,
      AI_MODEL: 'test-model',
      SMTP_URL: sink.url,
      MAIL_FROM: 'Storyloom <noreply@storyloom.test>',
    });
    tokens.olive = await signToken(TEST_SECRET, { userId: 'olive', name: 'Olive', projects, email: 'olive@example.org' });
    tokens.eddie = await signToken(TEST_SECRET, { userId: 'eddie', name: 'Eddie', projects: { conflicts: 'editor' } });
    tokens.rita = await signToken(TEST_SECRET, { userId: 'rita', name: 'Rita', projects: { book: 'reader' } });
    // Seen by the notification layer (owners, actors), email now and no quiet hours whatever the hour.
    for (const who of ['olive', 'eddie']) {
      const prefs = await call('PUT', '/api/realtime/notifications/preferences', who, { quietHours: null, digest: { analytics: 'off', writing: 'off', collaboration: 'off', publishing: 'off' } });
      expect(prefs.status, JSON.stringify(prefs.body)).toBe(200);
    }
    const sub = t.server.bus.subscribe({ group: 'workflow-templates-test', categories: ['analytics', 'publishing'], handle: async (e) => void events.push(e) });
    await sub.ready;
    stopBus = () => sub.stop();
  }, 120_000);

  afterAll(async () => {
    await stopBus?.();
    await t?.cleanup();
    await sink?.close();
    await new Promise((resolve) => peer?.close(resolve));
  });

  it('lists the six templates with their parameters as JSON Schema; instantiation checks access, template and parameters', async () => {
    const list = await call('GET', '/api/workflows/templates', 'rita');
    expect(list.status).toBe(200);
    expect(list.body.templates.map((x: { id: string }) => x.id)).toEqual(['auto-save', 'publication-pipeline', 'daily-goal-reminder', 'sales-spike', 'conflict-alert', 'weekly-digest']);
    const pipeline = list.body.templates[1];
    expect(pipeline.params).toMatchObject({ type: 'object', required: expect.arrayContaining(['title', 'author']), properties: { minWords: { type: 'integer', default: 1000 } } });
    expect(pipeline.events).toEqual(['publishing.status_changed']);

    expect((await call('POST', '/api/workflows/templates/auto-save/instantiate', 'rita', { projectId: 'book', params: {} })).status).toBe(403);
    const unknown = await call('POST', '/api/workflows/templates/no-such/instantiate', 'olive', { projectId: 'book', params: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not-found');
    const bad = await call('POST', '/api/workflows/templates/daily-goal-reminder/instantiate', 'olive', { projectId: 'goals', params: { timeZone: 'Mars/Base', hour: 24 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.problems.map((p: { path: string }) => p.path)).toEqual(expect.arrayContaining(['params.userId', 'params.timeZone', 'params.hour']));

    // The SDK's short names for the same two calls.
    const client = createClient({ url: t.httpUrl, token: tokens.olive! });
    expect((await client.workflows.templates()).map((x) => x.id)).toContain('weekly-digest');
    const id = await client.workflows.instantiate('conflict-alert', 'sdk', {});
    expect(await client.workflows.get(id)).toMatchObject({ projectId: 'sdk', templateId: 'conflict-alert', name: 'Conflict alert', enabled: true });
  });

  it('auto-save: a document_words milestone stores a named version', async () => {
    expect((await call('POST', '/api/documents/autosave/draft/import', 'olive', '# Draft\n\nThe first hundred words are the hardest.', 'text/markdown')).status).toBe(201);
    const id = await instantiate('auto-save', 'autosave', {});
    await publish(createEvent('writing.milestone_reached', { actor: t.server.actorOf('olive'), projectId: 'autosave', documentId: 'draft', payload: { kind: 'document_words', threshold: 100, value: 103 } }));
    expect((await finished(id)).status).toBe('completed');
    const versions = await call('GET', '/api/documents/autosave/draft/versions', 'olive');
    expect(JSON.stringify(versions.body)).toContain('Auto-save at 100 words');
  });

  it('publication pipeline: Persuasion, imported as a project, becomes an EPUB that epubcheck accepts, uploaded, announced and notified', async () => {
    const text = (await readFile(new URL('../fixtures/novels/persuasion.txt', import.meta.url), 'utf8')).replace(/\r\n/g, '\n');
    const body = text.slice(text.search(/^CHAPTER I\.$/m));
    let n = 0;
    const markdown = body.replace(/^CHAPTER [IVXL]+\.$/gm, () => `# Chapter ${++n}`).replace(/^(Finis|THE END).*$/gm, '');
    const parts = markdown.split(/(?=^# Chapter 13$)/m);
    expect(n).toBe(24);
    for (const [i, part] of parts.entries()) {
      const res = await call('POST', `/api/documents/book/part-${i + 1}/import`, 'olive', part, 'text/markdown');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const id = await instantiate('publication-pipeline', 'book', { title: 'Persuasion', author: 'Jane Austen', language: 'en', minWords: 50_000, minChapters: 24 });
    // Another status change does not start it.
    await publish(createEvent('publishing.status_changed', { actor: t.server.actorOf('olive'), projectId: 'book', payload: { from: 'draft', to: 'editing' } }));
    await publish(createEvent('publishing.status_changed', { actor: t.server.actorOf('olive'), projectId: 'book', payload: { from: 'editing', to: 'ready_for_review' } }));
    const run = await finished(id, 200_000);
    expect(run.status, JSON.stringify(run.steps.map((s) => [s.id, s.status, s.error]))).toBe('completed');
    expect(run.steps.map((s) => s.id)).toEqual(['validate', 'seo', 'export', 'check', 'upload', 'announce', 'notify']);
    const step = (name: string) => run.steps.find((s) => s.id === name)!.output as Record<string, unknown>;
    expect(step('validate')).toMatchObject({ ok: true, problems: [] });
    expect((step('validate').chapters as unknown[]).length).toBe(24);
    expect(step('seo')).toMatchObject({ source: 'model', title: 'Persuasion', keywords: ['Regency', 'second chances', 'Bath', 'navy'] });
    expect(aiRequests.at(-1)).toContain('Sir Walter Elliot');
    expect(step('check')).toMatchObject({ ok: true, fatals: 0, errors: 0 });
    const uploaded = [...uploads.entries()].find(([path]) => path.startsWith('/uploads/book/') && path.endsWith('.epub'));
    expect(uploaded).toBeDefined();
    expect(uploaded![1].subarray(0, 2).toString()).toBe('PK');
    expect(uploaded![1].byteLength).toBe(step('export').bytes);
    const announced = await until('publishing.upload_completed', async () => events.find((e) => e.type === 'publishing.upload_completed' && e.projectId === 'book'));
    expect(announced.payload).toMatchObject({ uploadId: step('upload').uploadId, platform: 'http', format: 'epub' });
    const note = (await inbox('olive', 'book')).find((x) => x.title === '"Persuasion" was uploaded');
    expect(note?.body).toContain('24 chapters');
    expect(note?.body).toContain('Anne Elliot');
  }, 240_000);

  it('publication pipeline: a manuscript below the minimum fails at validation; nothing is exported or uploaded', async () => {
    expect((await call('POST', '/api/documents/thin/only/import', 'olive', '# Chapter 1\n\nToo short.\n\n# Chapter 2\n', 'text/markdown')).status).toBe(201);
    const id = await instantiate('publication-pipeline', 'thin', { title: 'Thin', author: 'Olive', minWords: 1000 });
    const before = uploads.size;
    await publish(createEvent('publishing.status_changed', { actor: t.server.actorOf('olive'), projectId: 'thin', payload: { from: 'draft', to: 'ready_for_review' } }));
    const run = await finished(id);
    expect(run.status).toBe('failed');
    const validate = run.steps.find((s) => s.id === 'validate')!;
    expect(validate.status).toBe('failed');
    expect(String(validate.error)).toMatch(/empty|words/);
    expect(run.steps.filter((s) => s.status === 'completed')).toEqual([]);
    expect(uploads.size).toBe(before);
  });

  it('publication pipeline: a step failing after the upload rolls back, and the compensation removes the uploaded EPUB', async () => {
    const chapters = Array.from({ length: 3 }, (_, i) => `# Chapter ${i + 1}\n\n${'The lamp turned all night above the harbour. '.repeat(20)}`).join('\n\n');
    expect((await call('POST', '/api/documents/rollback/all/import', 'olive', chapters, 'text/markdown')).status).toBe(201);
    // The template's own definition, with one change: the announcement after the upload fails
    // (a format the event schema refuses, known only when the step runs). Its onError is the
    // template's `rollback`, so the completed upload must be compensated.
    const templated = await instantiate('publication-pipeline', 'rollback', { title: 'Harbour', author: 'Olive', minWords: 100, minChapters: 3 });
    const definition = (await call('GET', `/api/workflows/${templated}`, 'olive')).body.definition as { steps: { id: string; onError?: string; input: Record<string, unknown> }[] } & Record<string, unknown>;
    await call('POST', `/api/workflows/${templated}/disable`, 'olive');
    const announce = definition.steps.find((s) => s.id === 'announce')!;
    expect(announce.onError).toBe('rollback');
    announce.input = { ...announce.input, payload: { ...(announce.input.payload as object), format: '{{steps.upload.output.uploadId}}' } };
    const registered = await call('POST', '/api/workflows/register', 'olive', { ...definition, name: 'Publication that fails after the upload', trigger: { type: 'manual' } });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const id = registered.body.id as string;
    const before = new Set(uploads.keys());
    const execute = await call('POST', `/api/workflows/${id}/execute`, 'olive', {});
    expect(execute.status).toBe(202);
    const run = await finished(id, 200_000);
    const steps = Object.fromEntries(run.steps.map((s) => [s.id, s])) as Record<string, { status: string; error: unknown; output: unknown; compensation?: { status: string } }>;
    expect(run.status, JSON.stringify(run.steps.map((s) => [s.id, s.status, s.error]))).toBe('rolled_back');
    expect(steps.announce!.status).toBe('failed');
    expect(String(steps.announce!.error)).toMatch(/format/);
    expect(steps.notify!.status).not.toBe('completed');
    // The upload happened (its output names where) and was compensated: upload.delete ran and the file is gone.
    const uploadId = (steps.upload!.output as { uploadId: string }).uploadId;
    expect(uploadId).toBeTruthy();
    expect(steps.upload!.status).toBe('compensated');
    expect(steps.upload!.compensation).toMatchObject({ status: 'completed' });
    const uploadedNow = [...uploads.keys()].filter((k) => !before.has(k));
    expect(uploadedNow).toEqual([]);
    // Only steps with a compensation are compensated; the rest stay completed (the EPUB in the project's files is kept).
    for (const name of ['validate', 'seo', 'export', 'check']) expect(steps[name]!.status, name).toBe('completed');
    expect(events.some((e) => e.type === 'publishing.upload_completed' && e.projectId === 'rollback')).toBe(false);
    // The endpoint got the EPUB, then the compensation's DELETE of the same path.
    const seen = uploadLog.filter((line) => line.includes('/uploads/rollback/'));
    expect(seen).toHaveLength(2);
    const [put, del] = seen as [string, string];
    expect(put).toMatch(/^PUT \/uploads\/rollback\/.+\.epub$/);
    expect(del).toBe(put.replace(/^PUT/, 'DELETE'));
  }, 240_000);

  it('daily goal reminder: at the due time, a writer short of the goal is reminded', async () => {
    const id = await instantiate('daily-goal-reminder', 'goals', { userId: 'olive', timeZone: 'Pacific/Auckland' });
    await makeCronDue(id);
    const run = await finished(id, 30_000);
    expect(run.status).toBe('completed');
    expect(run.steps.find((s) => s.id === 'not-met')?.output).toEqual({ passed: true });
    const note = await until('the reminder', async () => (await inbox('olive', 'goals')).find((x) => x.title === "Today's writing goal is not met yet"));
    expect(note.body).toContain('0 words today');
  });

  it('sales spike: today above twice the 7-day median raises the event and a high notification; a normal day does not', async () => {
    const id = await instantiate('sales-spike', 'sales', { factor: 2, minimumUnits: 10 });
    const sale = (units: number, at: number) =>
      createEvent('publishing.sales_recorded', { actor: 'system', projectId: 'sales', occurredAt: at, payload: { platform: 'kdp', units, revenueCents: units * 499, currency: 'EUR' } });
    const noon = new Date(new Date().toISOString().slice(0, 10) + 'T12:00:00Z').getTime();
    for (let day = 1; day <= 7; day++) await publish(sale(day === 3 ? 9 : 4, noon - day * DAY));
    // The baseline reaches the archive (the archive is what sales.daily reads).
    await until('the archived baseline', async () => (await t.server.database.events.list({ category: 'publishing', type: 'publishing.sales_recorded', projectId: 'sales', limit: 50 })).items.length >= 7);
    const quiet = await finished(id);
    expect(quiet.steps.find((s) => s.id === 'spike')?.output).toEqual({ passed: false });

    await publish(sale(25, Math.min(Date.now(), noon + DAY - 1)));
    const spike = await until('analytics.sales_spike_detected', async () => events.find((e) => e.type === 'analytics.sales_spike_detected' && e.projectId === 'sales'));
    // Median of 4,4,9,4,4,4,4 is 4: 25 > 8 and >= 10.
    expect(spike.payload).toMatchObject({ units: 25, baselineUnits: 4, ratio: 6.25, windowMs: DAY });
    const note = await until('the high notification', async () => (await inbox('olive', 'sales')).find((x) => x.title === 'Sales spike: 25 units today'));
    expect(note.priority).toBe('high');
  });

  it('conflict alert: a high conflict notifies both writers (resolved from their pseudonyms); a medium one nobody', async () => {
    const id = await instantiate('conflict-alert', 'conflicts', {});
    const conflict = (severity: 'high' | 'medium') =>
      createEvent('collaboration.conflict_predicted', { actor: 'system', projectId: 'conflicts', documentId: 'ch-1', payload: { severity, blocks: [4, 5], users: [t.server.actorOf('olive'), t.server.actorOf('eddie')] } });
    await publish(conflict('medium'));
    await publish(conflict('high'));
    const run = await finished(id);
    expect(run.status, JSON.stringify(run.steps)).toBe('completed');
    expect(run.steps[0]!.output).toMatchObject({ notified: 2, skipped: [] });
    for (const who of ['olive', 'eddie']) {
      const notes = (await inbox(who, 'conflicts')).filter((x) => x.title === 'You and another writer are editing the same passage');
      expect(notes).toHaveLength(1);
      expect(notes[0]!.priority).toBe('high');
      expect(notes[0]!.body).toContain('Agree in a comment who continues');
    }
  });

  it('weekly digest: Monday 09:00 in the zone, the last 7 days summarised, announced and emailed to the owner', async () => {
    // Last week's writing: 300 words by olive three days ago.
    const minute = Math.floor((Date.now() - 3 * DAY) / 60_000) * 60_000;
    await t.server.database.writing.addBuckets([{ userId: 'olive', projectId: 'digest', documentId: 'ch-1', minute, wordsAdded: 320, wordsRemoved: 20, wordsNet: 300, activeSeconds: 60 }]);
    const id = await instantiate('weekly-digest', 'digest', { timeZone: 'Europe/Berlin' });
    await makeCronDue(id);
    const run = await finished(id, 30_000);
    expect(run.status, JSON.stringify(run.steps)).toBe('completed');
    const digest = run.steps.find((s) => s.id === 'digest')!.output as { result: { words: number; writers: number; summary: string; periodStart: string; periodEnd: string } };
    expect(digest.result).toMatchObject({ words: 300, writers: 1 });
    expect(Date.parse(digest.result.periodEnd) - Date.parse(digest.result.periodStart)).toBeGreaterThanOrEqual(7 * DAY - 3_600_000);
    const announced = await until('analytics.digest_generated', async () => events.find((e) => e.type === 'analytics.digest_generated' && e.projectId === 'digest'));
    expect(announced.payload).toMatchObject({ period: 'weekly', periodStart: digest.result.periodStart, items: 1 });
    const mail = await until('the digest email', async () => sink.messages.find((m) => m.subject?.includes('Weekly digest: 300 words')));
    expect(mail.to && JSON.stringify(mail.to)).toContain('olive@example.org');
    expect(mail.text).toContain('olive: 300 words');
  });
});

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

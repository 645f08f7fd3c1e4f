import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { createManualClock } from '../../src/lib/clock.js';
import { ActionError, type ActionContext, type ActionHandler } from '../../src/services/workflows/action-handlers.js';
import { createEventEmitAction } from '../../src/services/workflows/actions/event-emit.js';
import { createFileAction } from '../../src/services/workflows/actions/file.js';
import { createHttpAction } from '../../src/services/workflows/actions/http.js';
import { createLoopAction, MAX_LOOP_ITEMS } from '../../src/services/workflows/actions/loop.js';
import { createSandbox } from '../../src/services/workflows/actions/sandbox.js';
import type { Json } from '../../src/workflows/definition.js';

/**
 * The workflow actions that talk to the outside, against real peers: `http` against a local HTTP
 * server (allowlist, redirects, status classes, timeouts, bounded bodies), `file` on a real
 * directory with real symlinks, `event.emit` through the real event schema, `loop` over the
 * real `file` action.
 */

const context = (over: Partial<ActionContext> = {}): ActionContext => ({
  runId: 'run-1',
  workflowId: 'wf-1',
  projectId: 'proj-a',
  stepId: 'step-1',
  attempt: 1,
  signal: new AbortController().signal,
  ...over,
});

/** Runs a handler the way the runner does: input through the spec's schema first, output checked after. */
async function invoke(handler: ActionHandler, input: unknown, ctx = context()): Promise<Json> {
  const parsed = handler.spec.input.safeParse(input);
  if (!parsed.success) throw new ActionError(`input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { permanent: true });
  const output = await handler.run(parsed.data as Json, ctx);
  expect(handler.spec.output?.safeParse(output).success ?? true).toBe(true);
  return output;
}

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ActionError);
  return error as ActionError;
}

describe('http', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  let closedHang = false;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      hits.push(`${req.headers.host} ${req.method} ${req.url}`);
      const url = new URL(req.url ?? '/', 'http://x');
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        switch (url.pathname) {
          case '/json':
            res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'secret=1', etag: '"v1"' }).end(JSON.stringify({ hello: 'world' }));
            return;
          case '/echo':
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, type: req.headers['content-type'] ?? null, auth: req.headers.authorization ?? null, body }));
            return;
          case '/redirect':
            res.writeHead(302, { location: url.searchParams.get('to') ?? '/json' }).end();
            return;
          case '/see-other':
            res.writeHead(303, { location: '/echo' }).end();
            return;
          case '/status':
            res.writeHead(Number(url.searchParams.get('code'))).end(`status ${url.searchParams.get('code')}`);
            return;
          case '/big':
            res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(1_000_000));
            return;
          case '/hang':
            res.on('close', () => (closedHang = true));
            return; // never answers
          default:
            res.writeHead(404).end('no');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const allowed = () => createHttpAction({ allow: `example.org, 127.0.0.1:${port}` });
  const at = (path: string) => `http://127.0.0.1:${port}${path}`;

  it('refuses a host outside WORKFLOW_HTTP_ALLOW, permanently, naming the host; an empty list allows nothing', async () => {
    const outside = await failure(invoke(allowed(), { url: `http://localhost:${port}/json` }));
    expect(outside.permanent).toBe(true);
    expect(outside.message).toContain(`localhost:${port}`);
    const otherPort = await failure(invoke(createHttpAction({ allow: '127.0.0.1:1' }), { url: at('/json') }));
    expect(otherPort.message).toContain(`127.0.0.1:${port}`);
    const empty = await failure(invoke(createHttpAction({ allow: '' }), { url: at('/json') }));
    expect(empty.message).toContain('no host is allowed');
    expect(hits.filter((h) => h.startsWith('localhost'))).toEqual([]);
  });

  it('GETs JSON and keeps only the harmless response headers', async () => {
    const out = (await invoke(allowed(), { url: at('/json') })) as Record<string, Json>;
    expect(out).toMatchObject({ status: 200, body: { hello: 'world' }, truncated: false, headers: { 'content-type': 'application/json', etag: '"v1"' } });
    expect(out.headers).not.toHaveProperty('set-cookie');
  });

  it('sends method, headers and a JSON body', async () => {
    const out = (await invoke(allowed(), { url: at('/echo'), method: 'POST', headers: { Authorization: 'Bearer t' }, json: { words: 100 } })) as { body: Record<string, Json> };
    expect(out.body).toEqual({ method: 'POST', type: 'application/json', auth: 'Bearer t', body: '{"words":100}' });
  });

  it('follows a redirect to an allowed host and refuses one to a forbidden host without calling it', async () => {
    const ok = (await invoke(allowed(), { url: at('/redirect?to=/json') })) as Record<string, Json>;
    expect(ok).toMatchObject({ status: 200, body: { hello: 'world' }, url: at('/json') });

    const before = hits.length;
    const refused = await failure(invoke(allowed(), { url: at(`/redirect?to=${encodeURIComponent(`http://localhost:${port}/json`)}`) }));
    expect(refused.permanent).toBe(true);
    expect(refused.message).toContain(`redirect to host localhost:${port}`);
    expect(hits.slice(before)).toEqual([`127.0.0.1:${port} GET /redirect?to=${encodeURIComponent(`http://localhost:${port}/json`)}`]);

    // 303 after a POST continues as a GET without the body.
    const seeOther = (await invoke(allowed(), { url: at('/see-other'), method: 'POST', json: { a: 1 } })) as { body: Record<string, Json> };
    expect(seeOther.body).toMatchObject({ method: 'GET', body: '' });
  });

  it('5xx, 429 and network errors are transient; 4xx is permanent', async () => {
    expect((await failure(invoke(allowed(), { url: at('/status?code=503') }))).permanent).toBe(false);
    expect((await failure(invoke(allowed(), { url: at('/status?code=429') }))).permanent).toBe(false);
    const notFound = await failure(invoke(allowed(), { url: at('/status?code=404') }));
    expect(notFound.permanent).toBe(true);
    expect(notFound.message).toContain('404');
    // A port nobody listens on (the server just closed): connection refused.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const deadPort = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const refused = await failure(invoke(createHttpAction({ allow: `127.0.0.1:${deadPort}` }), { url: `http://127.0.0.1:${deadPort}/` }));
    expect(refused.permanent).toBe(false);
  });

  it('stops when the step signal aborts (timeout) and closes the connection', async () => {
    const signal = AbortSignal.timeout(300);
    const error = await invoke(allowed(), { url: at('/hang') }, context({ signal })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    expect(signal.aborted).toBe(true);
    await expect.poll(() => closedHang).toBe(true);
  });

  it('reads at most maxBytes of a response and says it truncated', async () => {
    const out = (await invoke(allowed(), { url: at('/big'), maxBytes: 1000 })) as Record<string, Json>;
    expect(out).toMatchObject({ status: 200, truncated: true, bytes: 1000 });
    expect((out.body as string).length).toBe(1000);
  });

  it('refuses schemes other than http(s) and bad input at the schema', async () => {
    expect((await failure(invoke(createHttpAction({ allow: '*' }), { url: 'file:///etc/passwd' }))).permanent).toBe(true);
    expect(createHttpAction({ allow: 'x' }).spec.input.safeParse({ url: 'http://x/', json: {}, body: 'a' }).success).toBe(false);
  });

  it('matches wildcard patterns on subdomains only', async () => {
    const { hostAllowed, parseAllowlist } = await import('../../src/services/workflows/actions/http.js');
    const patterns = parseAllowlist('*.example.com, api.test:8443');
    expect(hostAllowed(new URL('https://a.example.com/x'), patterns)).toBe(true);
    expect(hostAllowed(new URL('https://example.com/x'), patterns)).toBe(false);
    expect(hostAllowed(new URL('https://evilexample.com/x'), patterns)).toBe(false);
    expect(hostAllowed(new URL('https://api.test:8443/'), patterns)).toBe(true);
    expect(hostAllowed(new URL('https://api.test/'), patterns)).toBe(false);
  });
});

describe('file', () => {
  let dataDir: string;
  let outside: string;
  let file: ActionHandler;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wf-files-'));
    outside = await mkdtemp(join(tmpdir(), 'wf-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'do not read');
    file = createFileAction({ sandbox: createSandbox(join(dataDir, 'files')), maxBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('writes, reads and deletes inside the project directory', async () => {
    expect(await invoke(file, { op: 'write', path: 'notes/today.txt', content: 'héllo' })).toEqual({ op: 'write', path: 'notes/today.txt', bytes: 6 });
    expect(await readFile(join(dataDir, 'files', 'proj-a', 'notes', 'today.txt'), 'utf8')).toBe('héllo');
    expect(await invoke(file, { op: 'read', path: 'notes/today.txt' })).toEqual({ op: 'read', path: 'notes/today.txt', bytes: 6, encoding: 'utf8', content: 'héllo' });
    expect(await invoke(file, { op: 'read', path: 'notes/today.txt', encoding: 'base64' })).toMatchObject({ content: Buffer.from('héllo').toString('base64') });
    expect(await invoke(file, { op: 'delete', path: 'notes/today.txt' })).toEqual({ op: 'delete', path: 'notes/today.txt', deleted: true });
    expect(await invoke(file, { op: 'delete', path: 'notes/today.txt' })).toEqual({ op: 'delete', path: 'notes/today.txt', deleted: false });
  });

  it('keeps projects apart: another project cannot see the file', async () => {
    await invoke(file, { op: 'write', path: 'mine.txt', content: 'a' });
    const other = await failure(invoke(file, { op: 'read', path: 'mine.txt' }, context({ projectId: 'proj-b' })));
    expect(other.message).toContain('does not exist');
    await failure(invoke(file, { op: 'read', path: '../proj-a/mine.txt' }, context({ projectId: 'proj-b' })));
  });

  it('refuses absolute paths and .. traversal', async () => {
    for (const path of ['/etc/passwd', '../outside.txt', 'a/../../b.txt', 'a/..', '..\\x', 'C:\\Windows\\x']) {
      const error = await failure(invoke(file, { op: 'read', path }));
      expect(error.permanent, path).toBe(true);
      expect(error.message, path).toMatch(/refused/);
    }
    await failure(invoke(file, { op: 'write', path: '../../escape.txt', content: 'x' }));
  });

  it('refuses symlinks that lead outside, for reading and for writing through a linked directory', async () => {
    const root = join(dataDir, 'files', 'proj-a');
    await mkdir(root, { recursive: true });
    await symlink(join(outside, 'secret.txt'), join(root, 'link-to-secret.txt'));
    await symlink(outside, join(root, 'linked-dir'));
    const read = await failure(invoke(file, { op: 'read', path: 'link-to-secret.txt' }));
    expect(read.message).toContain('symbolic link leads outside');
    const write = await failure(invoke(file, { op: 'write', path: 'linked-dir/new.txt', content: 'x' }));
    expect(write.message).toContain('symbolic link leads outside');
    await failure(invoke(file, { op: 'delete', path: 'linked-dir/secret.txt' }));
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('do not read');
    // A link that stays inside is fine.
    await invoke(file, { op: 'write', path: 'real.txt', content: 'inside' });
    await symlink(join(root, 'real.txt'), join(root, 'inner-link.txt'));
    expect(await invoke(file, { op: 'read', path: 'inner-link.txt' })).toMatchObject({ content: 'inside' });
    // Deleting a link removes the link, not its target.
    expect(await invoke(file, { op: 'delete', path: 'inner-link.txt' })).toMatchObject({ deleted: true });
    expect(await readFile(join(root, 'real.txt'), 'utf8')).toBe('inside');
    // A link that leads outside is not deleted either (nothing outside is touched, not even the link's name).
    expect((await failure(invoke(file, { op: 'delete', path: 'link-to-secret.txt' }))).permanent).toBe(true);
  });

  it('bounds the size of what it reads and writes', async () => {
    const big = 'x'.repeat(64 * 1024 + 1);
    expect((await failure(invoke(file, { op: 'write', path: 'big.txt', content: big }))).message).toContain('limit');
    await writeFile(join(dataDir, 'files', 'proj-a', 'big.txt'), big);
    expect((await failure(invoke(file, { op: 'read', path: 'big.txt' }))).message).toContain('limit');
  });
});

describe('event.emit', () => {
  const published: StoryloomEvent[] = [];
  const clock = createManualClock(Date.parse('2026-03-01T12:00:00Z'));
  const emit = createEventEmitAction({ publish: async (event) => void published.push(event), clock });

  it('publishes a valid event in the run project, with an id stable across retries', async () => {
    const input = { type: 'publishing.upload_completed', payload: { uploadId: 'up-1', platform: 'local', format: 'epub' } };
    const first = (await invoke(emit, input)) as { eventId: string };
    const retry = (await invoke(emit, input, context({ attempt: 2 }))) as { eventId: string };
    expect(retry.eventId).toBe(first.eventId);
    expect(published[0]).toMatchObject({ type: 'publishing.upload_completed', category: 'publishing', projectId: 'proj-a', actor: 'system', occurredAt: '2026-03-01T12:00:00.000Z' });
    const other = (await invoke(emit, input, context({ stepId: 'step-2' }))) as { eventId: string };
    expect(other.eventId).not.toBe(first.eventId);
  });

  it('refuses a payload the schema refuses, permanently and naming the field', async () => {
    const error = await failure(invoke(emit, { type: 'analytics.sales_spike_detected', payload: { units: 'many' } }));
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/payload\.units/);
  });

  it('refuses categories a workflow may not emit and a projectId of its own', async () => {
    expect(emit.spec.input.safeParse({ type: 'writing.milestone_reached', payload: {} }).success).toBe(false);
    expect(emit.spec.input.safeParse({ type: 'collaboration.conflict_predicted', payload: {} }).success).toBe(false);
    expect(emit.spec.input.safeParse({ type: 'publishing.upload_completed', payload: {}, projectId: 'other' }).success).toBe(false);
  });
});

describe('loop', () => {
  let dataDir: string;
  let loop: ActionHandler;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wf-loop-'));
    const file = createFileAction({ sandbox: createSandbox(join(dataDir, 'files')) });
    const handlers = new Map<string, ActionHandler>();
    loop = createLoopAction({ handlers: () => handlers });
    handlers.set('file', file).set('loop', loop);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('runs the inner action per item in order with {{item}} and {{index}}, collecting outputs', async () => {
    const out = await invoke(loop, {
      items: [{ name: 'a', text: 'one' }, { name: 'b', text: 'two' }],
      action: 'file',
      input: { op: 'write', path: 'out/{{index}}-{{item.name}}.txt', content: '{{item.text}}' },
    });
    expect(out).toEqual({
      count: 2,
      outputs: [
        { op: 'write', path: 'out/0-a.txt', bytes: 3 },
        { op: 'write', path: 'out/1-b.txt', bytes: 3 },
      ],
    });
    expect(await readFile(join(dataDir, 'files', 'proj-a', 'out', '1-b.txt'), 'utf8')).toBe('two');
  });

  it('fails on the first failing item with its index, and runs no item after it', async () => {
    const error = await failure(
      invoke(loop, { items: ['ok1', '../escape', 'never'], action: 'file', input: { op: 'write', path: '{{item}}.txt', content: 'x' } }),
    );
    expect(error.message).toMatch(/^loop: item 1 failed \(file\)/);
    expect(error.permanent).toBe(true);
    await expect(readFile(join(dataDir, 'files', 'proj-a', 'never.txt'))).rejects.toThrow();
    const badInput = await failure(invoke(loop, { items: [1], action: 'file', input: { op: 'nope' } }));
    expect(badInput.message).toMatch(/item 0 failed/);
  });

  it(`refuses more than ${MAX_LOOP_ITEMS} items, nested loops and unknown actions`, async () => {
    expect(loop.spec.input.safeParse({ items: Array.from({ length: MAX_LOOP_ITEMS + 1 }, (_, i) => i), action: 'file' }).success).toBe(false);
    expect(loop.spec.input.safeParse({ items: Array.from({ length: MAX_LOOP_ITEMS }, (_, i) => i), action: 'file' }).success).toBe(true);
    expect((await failure(invoke(loop, { items: [1], action: 'loop', input: {} }))).message).toContain('do not nest');
    expect((await failure(invoke(loop, { items: [1], action: 'nope', input: {} }))).message).toContain('unknown action');
  });
});

describe('config rows of the actions', () => {
  it('reads WORKFLOW_HTTP_ALLOW, WORKFLOW_UPLOAD_URL and AI_*; AI_BASE_URL and AI_MODEL go together', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.js');
    expect(loadConfig({}).workflowActions).toEqual({ httpAllow: undefined, uploadUrl: undefined, ai: { baseUrl: undefined, apiKey: undefined, model: undefined } });
    const config = loadConfig({ WORKFLOW_HTTP_ALLOW: ' api.example.com, *.cdn.test:8443 ', WORKFLOW_UPLOAD_URL: 'https://up.example.com/books', AI_BASE_URL: 'http://127.0.0.1:11434/v1', AI_MODEL: 'llama3', AI_API_KEY: 'k' });
    expect(config.workflowActions).toEqual({
      httpAllow: 'api.example.com, *.cdn.test:8443',
      uploadUrl: 'https://up.example.com/books',
      ai: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'k', model: 'llama3' },
    });
    expect(() => loadConfig({ AI_BASE_URL: 'http://127.0.0.1/v1' })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKFLOW_UPLOAD_URL: 'ftp://x' })).toThrow(/WORKFLOW_UPLOAD_URL/);
  });
});

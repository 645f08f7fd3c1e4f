/**
 * Authorization matrix, GENERATED from the server's own OpenAPI document and the gateway's path
 * list (issue 13, "Then prove it" 1): every REST operation, HEAD for every GET and OPTIONS for
 * every path, and every channel kind on every /ws/* path, × {none, expired, other project,
 * reader, reviewer, editor, owner, admin}. A new endpoint is covered the moment it is in the
 * document; one without an `x-access` level fails the suite by name.
 *
 * Expected answers (tests/helpers/openapi-access.ts):
 * - no token, or a token 10 s past `exp` (inside the old 30 s REST tolerance on purpose): 401;
 * - role too low, or a role only in another project: 403 (project ids come from the caller's
 *   own token, so naming the project leaks nothing); 403 or 404 where the path holds an opaque
 *   resource id (a writing session), since hiding that someone else's session exists is fine;
 * - allowed: 2xx, or 400/404/409 about the resource; never 401/403, never 5xx. `x-access` is the
 *   minimum (src/api/access.ts): on a path naming someone else's writing session, a principal
 *   who passes the level may still be refused by the session's own check (only its writer
 *   changes it), so there only the seeded writer must get through;
 * - `dev` (the development token endpoint): 404 for everyone, the server has an AUTH_SECRET;
 * - admin service tokens pass every REST level; on channels they get no bypass (they publish
 *   through REST), as src/gateway/protocol.ts documents;
 * - OPTIONS: never 5xx, and never a body with data.
 * Fixtures are real: the editor sets a goal and starts a writing session through REST, types
 * through it, and is present in the document through a real HocuspocusProvider, so resource-scoped routes hit a
 * resource that exists.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../src/auth/tokens.js';
import { GATEWAY_PATH_NAMES, parseChannel, type ServerMessage } from '../../src/gateway/protocol.js';
import type { Role } from '../../src/lib/identity.js';
import { connectGateway, refusedUpgrade, type GatewayTestClient } from '../helpers/gateway-client.js';
import { ACCESS_LEVELS, PRINCIPALS, REVIEWED, demotedWriter, expectationFor, isAccessLevel, isPrincipal, mismatch, type AccessLevel, type Principal } from '../helpers/openapi-access.js';
import { fetchOpenApi, operationsOf, sampleParameters, sampleValue, urlOf, type Fixture, type OpenApiDocument, type Operation } from '../helpers/openapi-operations.js';
import { uniqueName } from '../helpers/services.js';
import { TEST_SECRET, connectClient, startTestServer, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** Hundreds of requests from one address in seconds: REST rate limits are tested elsewhere, not here. */
const NO_RATE_LIMIT = { REST_REQUESTS_PER_SECOND: '1000000', REST_REQUEST_BURST: '10000000' };

interface Failure {
  cell: string;
  principal: string;
  expected: string;
  got: string;
}

function printFailures(title: string, failures: Failure[]): void {
  if (failures.length === 0) return;
  console.log(`${title}: ${failures.length} failing cell(s)\n${failures.map((f) => `  FAIL ${f.cell} as ${f.principal}: ${f.expected}; ${f.got}`).join('\n')}`);
}

describe('authorization matrix generated from /api/openapi.json and the gateway paths', () => {
  let t: TestServer;
  let doc: OpenApiDocument;
  let present: TestClient;
  const project = uniqueName('sec').replace(/_/g, '-');
  const otherProject = uniqueName('sec-other').replace(/_/g, '-');
  const user = (p: Principal) => `${p}-${project}`;
  const tokens = {} as Record<string, string | undefined>;
  let fixture: Fixture;

  beforeAll(async () => {
    t = await startTestServer(NO_RATE_LIMIT);
    const roles: Partial<Record<Principal, Role>> = { reader: 'reader', reviewer: 'reviewer', editor: 'editor', owner: 'owner' };
    tokens.none = undefined;
    // Expired 10 s ago, with the owner role: only the expiry can refuse it.
    tokens.expired = await signToken(TEST_SECRET, { userId: user('expired'), name: 'expired', projects: { [project]: 'owner' }, expiresInSeconds: 60 }, Date.now() - 70_000);
    tokens.other = await t.token(user('other'), { [otherProject]: 'owner' });
    for (const [p, role] of Object.entries(roles)) tokens[p] = await t.token(user(p as Principal), { [project]: role });
    tokens.admin = await t.token(user('admin'), {}, { admin: true });
    // The seeded writer (the editor) later demoted, or left with a role in another project only.
    tokens['writer-as-reader'] = await t.token(user('editor'), { [project]: 'reader' });
    tokens['writer-elsewhere'] = await t.token(user('editor'), { [otherProject]: 'owner' });

    // The writer's real session with real numbers, and real presence in the document.
    const documentId = 'chapter-1';
    const started = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: project, documentId }),
    });
    expect(started.status).toBe(201);
    const session = (await started.json()) as { id: string };
    const typed = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/${session.id}/keystroke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ at: Date.now(), documentId, inserted: 12, deleted: 0, wordsAdded: 2 }] }),
    });
    expect(typed.status).toBe(200);
    const goal = await fetch(`${t.httpUrl}/api/realtime/writing/goals/${project}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dailyWords: 500, timeZone: 'Europe/Paris' }),
    });
    expect(goal.status).toBe(200);
    present = connectClient(t.wsUrl, `${project}/${documentId}`, tokens.editor!);
    await present.synced;
    typeInto(present.ydoc, 'Once upon a time');
    fixture = { projectId: project, documentId, writerId: user('editor'), sessionId: session.id };
    doc = await fetchOpenApi(t.httpUrl);
  });
  afterAll(async () => {
    present?.destroy();
    await t?.cleanup();
  });

  async function send(method: string, url: string, principal: string, body?: unknown): Promise<{ status: number; text: string }> {
    const token = tokens[principal];
    const res = await fetch(url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  }

  /** Path and query values for the operation; the admin disconnect targets a bystander, not the seeded writer. */
  function paramsOf(op: Operation) {
    const params = sampleParameters(doc, op, fixture);
    if (op.path.startsWith('/api/admin/users/')) params.path.userId = `bystander-${project}`;
    return params;
  }

  it('every REST operation, HEAD of every GET and OPTIONS of every path × 8 principals', async () => {
    const operations = operationsOf(doc);
    const failures: Failure[] = [];
    const notes: string[] = [];
    let cells = 0;
    let withAccess = 0;
    expect(operations.length).toBeGreaterThan(0);

    for (const op of operations) {
      const declared = op.access;
      if (declared === undefined) {
        failures.push({ cell: op.key, principal: '-', expected: `an x-access level (${ACCESS_LEVELS.join(', ')})`, got: 'none declared' });
      } else if (!isAccessLevel(declared)) {
        failures.push({ cell: op.key, principal: '-', expected: `x-access one of ${ACCESS_LEVELS.join(', ')}`, got: `"${declared}"` });
      } else withAccess++;
      const reviewed = REVIEWED[op.key];
      if (declared !== undefined && reviewed !== undefined && declared !== reviewed) notes.push(`${op.key}: x-access ${declared}, review says ${reviewed}`);
      // Until the operation declares a valid level, its cells run on the review's reading, so
      // the matrix still reports real holes; the missing x-access is a failure on its own.
      const level: AccessLevel | undefined = isAccessLevel(declared) ? declared : reviewed;
      if (level === undefined) continue;

      const params = paramsOf(op);
      // The optional projectId scopes a call to the project; below project levels it would only
      // add the handler's own project check to a level that does not promise one.
      if (!level.startsWith('project:') && level !== 'self-or-owner' && !op.parameters.some((p) => p.name === 'projectId' && p.required)) delete params.query.projectId;
      const url = urlOf(t.httpUrl, op, params);
      const hidesExistence = op.parameters.some((p) => p.in === 'path' && params.path[p.name] === fixture.sessionId);
      const body = op.body ? sampleValue(doc, op.body.schema, fixture) : undefined;
      const methods = op.method === 'GET' ? ['GET', 'HEAD'] : [op.method];
      // Issue 13 hole 1: on a session path, the session's own writer after a demotion to reader,
      // or with a role only in another project, is judged by the role they hold now.
      const extra = hidesExistence ? ['writer-as-reader', 'writer-elsewhere'] : [];
      for (const method of methods) {
        for (const principal of [...PRINCIPALS, ...extra]) {
          cells++;
          const expected = isPrincipal(principal) ? expectationFor(level, principal, hidesExistence) : demotedWriter(level, principal);
          const { status, text } = await send(method, url, principal, method === 'HEAD' ? undefined : body);
          const cell = `${method} ${op.path}`;
          const wrong = mismatch(expected, status);
          if (wrong) failures.push({ cell, principal, expected: wrong.split(', got')[0]!, got: `got ${status} ${text.slice(0, 120)}` });
          else if (method !== 'HEAD' && (status === 401 || status === 403) && !/"error":\{"code":"[a-z-]+","message":/.test(text)) {
            failures.push({ cell, principal, expected: '{error:{code,message,details}} body', got: text.slice(0, 120) });
          }
        }
      }
    }

    // OPTIONS of every path: no preflight handler is expected; whatever answers must not be a
    // server error and must not carry the resource's data.
    const paths = [...new Set(operations.map((op) => op.path))];
    for (const path of paths) {
      const op = operations.find((o) => o.path === path)!;
      const url = urlOf(t.httpUrl, op, paramsOf(op));
      for (const principal of PRINCIPALS) {
        cells++;
        const { status, text } = await send('OPTIONS', url, principal);
        const leaks = status >= 200 && status < 300 && text.length > 0;
        if (status >= 500 || leaks) failures.push({ cell: `OPTIONS ${path}`, principal, expected: 'no 5xx, no data', got: `got ${status} ${text.slice(0, 120)}` });
      }
    }

    const gets = operations.filter((o) => o.method === 'GET').length;
    console.log(
      `[authz matrix] REST: ${operations.length} operations (${withAccess} with x-access) + ${gets} HEAD + ${paths.length} OPTIONS paths × ${PRINCIPALS.length} principals (+2 demoted-writer principals on session paths) = ${cells} cells, ${failures.length} failures` +
        (notes.length > 0 ? `\n  x-access differs from the security review (check):\n${notes.map((n) => `    ${n}`).join('\n')}` : ''),
    );
    printFailures('[authz matrix] REST', failures);
    expect(failures.length, 'failing REST cells (listed above)').toBe(0);
  });

  it('the development token endpoint is not served by a server with an AUTH_SECRET (listed in the document or not)', async () => {
    const res = await fetch(`${t.httpUrl}/api/dev/token?user=mallory&role=owner`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    expect(res.status, await res.text()).toBe(404);
  });

  it('every channel kind on every /ws/* path × 8 principals: subscribed or refused', async () => {
    const documentChannel = `document:${project}/${fixture.documentId}`;
    /** Channel kinds (protocol.ts parseChannel) and who may subscribe; `self` is the principal's own user channel. */
    const channels = [
      { name: () => `project:${project}`, kind: 'project', allowed: (p: Principal) => ['reader', 'reviewer', 'editor', 'owner'].includes(p) },
      { name: () => documentChannel, kind: 'document', allowed: (p: Principal) => ['reader', 'reviewer', 'editor', 'owner'].includes(p) },
      { name: () => `user:${user('editor')}`, kind: 'user', allowed: (p: Principal) => p === 'editor' },
      { name: (p: Principal) => `user:${user(p)}`, kind: 'user', allowed: (p: Principal) => p !== 'none' && p !== 'expired' },
    ];
    for (const c of channels) expect(parseChannel(c.name('owner'))?.kind).toBe(c.kind);
    const failures: Failure[] = [];
    let cells = 0;
    for (const path of GATEWAY_PATH_NAMES) {
      const url = `${t.httpUrl.replace('http', 'ws')}/ws/${path}`;
      for (const principal of PRINCIPALS) {
        const token = tokens[principal];
        if (principal === 'none' || principal === 'expired') {
          cells += channels.length;
          const refused = await refusedUpgrade(url, token ? { headers: { authorization: `Bearer ${token}` } } : {}).catch((e: Error) => ({ status: 0, body: e.message }));
          if (refused.status !== 401) failures.push({ cell: `/ws/${path} upgrade`, principal, expected: 'upgrade refused with 401', got: `got ${refused.status} ${refused.body.slice(0, 80)}` });
          continue;
        }
        const client: GatewayTestClient = await connectGateway(url, { headers: { authorization: `Bearer ${token}` } });
        try {
          for (const c of channels) {
            cells++;
            const channel = c.name(principal);
            const reply: ServerMessage = await client.subscribe(channel);
            const allowed = c.allowed(principal);
            const ok = allowed ? reply.type === 'subscribed' : reply.type === 'error';
            if (!ok) failures.push({ cell: `/ws/${path} ${c.kind} ${channel}`, principal, expected: allowed ? 'subscribed' : 'refused', got: `got ${JSON.stringify(reply).slice(0, 120)}` });
          }
        } finally {
          client.close();
        }
      }
    }
    console.log(`[authz matrix] channels: ${GATEWAY_PATH_NAMES.length} paths × ${channels.length} channels × ${PRINCIPALS.length} principals = ${cells} cells, ${failures.length} failures`);
    printFailures('[authz matrix] channels', failures);
    expect(failures.length, 'failing channel cells (listed above)').toBe(0);
  });

  it("readers on project:<id> of /ws/analytics never receive another writer's numbers (one visibility rule)", async () => {
    const url = `${t.httpUrl.replace('http', 'ws')}/ws/analytics`;
    const owner = await connectGateway(url, { headers: { authorization: `Bearer ${tokens.owner}` } });
    const reader = await connectGateway(url, { headers: { authorization: `Bearer ${tokens.reader}` } });
    try {
      const channel = `project:${project}`;
      expect((await owner.subscribe(channel)).type).toBe('subscribed');
      const readerReply = await reader.subscribe(channel);
      // A refused subscription also satisfies the rule.
      if (readerReply.type !== 'subscribed') return;
      const isWriterMetrics = (m: ServerMessage) =>
        m.type === 'event' && typeof m.data === 'object' && m.data !== null && (m.data as { userId?: unknown }).userId === user('editor');
      const ownerFrom = owner.messages.length;
      await vi.waitFor(
        async () => {
          // Keep the writer typing until the owner sees their numbers on the channel.
          await send('POST', `${t.httpUrl}/api/realtime/writing/sessions/start`, 'editor', { projectId: project, documentId: fixture.documentId }).then(async (r) => {
            const id = (JSON.parse(r.text) as { id: string }).id;
            await send('POST', `${t.httpUrl}/api/realtime/writing/sessions/${id}/keystroke`, 'editor', {
              events: [{ at: Date.now(), documentId: fixture.documentId, inserted: 6, deleted: 0, wordsAdded: 1 }],
            });
          });
          expect(owner.messages.slice(ownerFrom).some(isWriterMetrics)).toBe(true);
        },
        { timeout: 20_000, interval: 500 },
      );
      // Frames on one socket arrive in order: once the pong is here, any metrics sent before are too.
      reader.send({ type: 'ping', id: 'after-metrics' });
      await reader.next((m) => m.type === 'pong');
      const leaked = reader.messages.filter(isWriterMetrics);
      expect(leaked.map((m) => JSON.stringify(m).slice(0, 200))).toEqual([]);
    } finally {
      owner.close();
      reader.close();
    }
  });
});

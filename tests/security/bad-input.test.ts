/**
 * Bad input GENERATED from the server's OpenAPI document (issue 13, "Then prove it" 2): for
 * every operation with a body or parameters, wrong types, missing required fields, 1 MiB strings,
 * JSON nested 10,000 deep, invalid UTF-8, wrong Content-Type, empty bodies and broken path and
 * query parameters (tests/helpers/openapi-inputs.ts), plus fast-check mutations of a valid body
 * (fixed seed, bounded runs). Every answer must come within a per-request timeout, never be a
 * 5xx, and be a 4xx with `{error: {code, message, details}}` wherever the input is invalid for
 * sure; after each operation's batch /healthz and an authorized GET must still answer 200.
 *
 * Each operation is called as the first of owner, admin, the session's writer and no token whose
 * valid request is not refused with 401/403, so the bad input reaches validation and handlers
 * rather than stopping at authorization.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badRequestsFor, mutatedBodyArbitrary, type BadRequest } from '../helpers/openapi-inputs.js';
import { fetchOpenApi, operationsOf, sampleParameters, sampleValue, urlOf, type Fixture, type OpenApiDocument, type Operation } from '../helpers/openapi-operations.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** Hundreds of requests from one address in seconds: REST rate limits are tested elsewhere, not here. */
const NO_RATE_LIMIT = { REST_REQUESTS_PER_SECOND: '1000000', REST_REQUEST_BURST: '10000000' };
const SEED = 1313;
const RUNS_PER_OPERATION = 20;

interface Outcome {
  status: number | 'timeout' | 'network-error';
  text: string;
}

describe('bad input generated from /api/openapi.json', () => {
  let t: TestServer;
  let doc: OpenApiDocument;
  let fixture: Fixture;
  const project = uniqueName('badin').replace(/_/g, '-');
  const tokens: Record<string, string | undefined> = {};
  const byClass: Record<string, number> = {};
  let sent = 0;
  let retried = 0;

  beforeAll(async () => {
    t = await startTestServer(NO_RATE_LIMIT);
    tokens.owner = await t.token(`owner-${project}`, { [project]: 'owner' });
    tokens.writer = await t.token(`writer-${project}`, { [project]: 'editor' });
    tokens.admin = await t.token(`admin-${project}`, {}, { admin: true });
    tokens.none = undefined;
    const started = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: project, documentId: 'chapter-1' }),
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    fixture = { projectId: project, documentId: 'chapter-1', writerId: `writer-${project}`, sessionId: id };
    doc = await fetchOpenApi(t.httpUrl);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  async function send(method: string, targetOrUrl: string, token: string | undefined, contentType?: string, body?: string | Uint8Array): Promise<Outcome> {
    sent++;
    const url = targetOrUrl.startsWith('http') ? targetOrUrl : `${t.httpUrl}${targetOrUrl}`;
    let outcome: Outcome = { status: 'network-error', text: '' };
    // One retry on a closed socket: after refusing an oversized body early, node:http closes the
    // keep-alive connection, and the client may already have picked it for the next request.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const res = await fetch(url, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(contentType ? { 'content-type': contentType } : {}) },
          // A copy on its own ArrayBuffer: what fetch's BodyInit types accept.
          ...(body === undefined ? {} : { body: typeof body === 'string' ? body : new Uint8Array(body) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        outcome = { status: res.status, text: await res.text() };
        break;
      } catch (error) {
        const name = (error as Error).name;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        outcome = { status: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network-error', text: `${cause?.code ?? ''} ${cause?.message ?? (error as Error).message}` };
        if (outcome.status === 'timeout') break;
        retried++;
      }
    }
    const cls = typeof outcome.status === 'number' ? `${Math.floor(outcome.status / 100)}xx` : outcome.status;
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    return outcome;
  }

  /** Why an answer is wrong for the case, or undefined. */
  function verdict(outcome: Outcome, strict: boolean, method: string): string | undefined {
    if (typeof outcome.status !== 'number') return `${outcome.status} (${outcome.text.slice(0, 80)})`;
    if (outcome.status >= 500) return `${outcome.status} ${outcome.text.slice(0, 120)}`;
    if (strict && !(outcome.status >= 400 && outcome.status < 500)) return `expected 4xx, got ${outcome.status} ${outcome.text.slice(0, 80)}`;
    if (outcome.status >= 400 && method !== 'HEAD') {
      try {
        const error = (JSON.parse(outcome.text) as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
        if (typeof error?.code !== 'string' || typeof error.message !== 'string' || typeof error.details !== 'object' || error.details === null) {
          return `${outcome.status} without {error:{code,message,details}}: ${outcome.text.slice(0, 80)}`;
        }
      } catch {
        return `${outcome.status} with a body that is not JSON: ${outcome.text.slice(0, 80)}`;
      }
    }
    return undefined;
  }

  /** The first credential whose valid request is not refused by authorization. */
  async function callerFor(op: Operation, url: string, body: unknown): Promise<string | undefined> {
    for (const who of ['owner', 'admin', 'writer', 'none']) {
      const probe = await send(op.method, url, tokens[who], body === undefined ? undefined : 'application/json', body === undefined ? undefined : JSON.stringify(body));
      if (probe.status !== 401 && probe.status !== 403) return tokens[who];
    }
    return tokens.owner;
  }

  async function stillServing(after: string): Promise<string[]> {
    const problems: string[] = [];
    const health = await send('GET', '/healthz', undefined);
    if (health.status !== 200) problems.push(`/healthz answered ${health.status} after ${after}`);
    const prefs = await send('GET', '/api/realtime/writing/preferences', tokens.owner);
    if (prefs.status !== 200) problems.push(`authorized GET /api/realtime/writing/preferences answered ${prefs.status} after ${after}`);
    return problems;
  }

  it('every operation with a body or parameters: 4xx with details, never 5xx, never a hang; the server keeps serving', async () => {
    const operations = operationsOf(doc).filter((op) => op.body || op.parameters.length > 0);
    expect(operations.length).toBeGreaterThan(0);
    const failures: string[] = [];
    let deterministic = 0;
    let random = 0;

    for (const op of operations) {
      const params = sampleParameters(doc, op, fixture);
      if (op.path.startsWith('/api/admin/users/')) params.path.userId = `bystander-${project}`;
      const body = op.body ? sampleValue(doc, op.body.schema, fixture) : undefined;
      const token = await callerFor(op, urlOf(t.httpUrl, op, params), body);

      const cases: BadRequest[] = badRequestsFor(doc, op, { ...params, body });
      for (const c of cases) {
        deterministic++;
        const outcome = await send(op.method, c.target, token, c.contentType, c.body);
        const wrong = verdict(outcome, c.strict, op.method);
        if (wrong) failures.push(`${op.key} [${c.name}]: ${wrong}`);
      }

      if (op.body) {
        const url = urlOf(t.httpUrl, op, params);
        await fc.assert(
          fc.asyncProperty(mutatedBodyArbitrary(body), async (m) => {
            random++;
            const outcome = await send(op.method, url, token, 'application/json', m.body);
            const wrong = verdict(outcome, false, op.method);
            if (wrong) failures.push(`${op.key} [fast-check: ${m.name}]: ${wrong}`);
          }),
          { seed: SEED, numRuns: RUNS_PER_OPERATION },
        );
      }
      failures.push(...(await stillServing(op.key)));
    }

    const classes = Object.entries(byClass)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `[bad input] ${operations.length} operations, ${deterministic} generated cases + ${random} fast-check mutations (seed ${SEED}); ${sent} requests sent: ${classes} (${retried} resent after a closed connection); ${failures.length} failures` +
        (failures.length > 0 ? `\n${failures.map((f) => `  FAIL ${f}`).join('\n')}` : ''),
    );
    expect(failures.length, 'failing bad-input cases (listed above)').toBe(0);
  }, 120_000);
});

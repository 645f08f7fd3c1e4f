import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../src/auth/tokens.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { TEST_SECRET } from '../helpers/test-server.js';

/**
 * The outbox across process deaths and instances: real server processes, real SMTP (an
 * in-process smtp-server), PGlite or Postgres+Redis. Each delivery carries its idempotency key
 * in `X-Storyloom-Idempotency-Key`; the sink must see every key exactly once.
 */
const N = 30;
let refusing = true;
let sink: SmtpSink;
const mailEnv = () => ({ SMTP_URL: sink.url, MAIL_FROM: 'Storyloom <noreply@storyloom.test>', PUBLIC_URL: 'http://localhost:8080' });
const keysOf = (s: SmtpSink) => s.messages.map((m) => String(m.headers.get('x-storyloom-idempotency-key')));

async function call(server: ServerProcess, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.httpUrl}/api/realtime/notifications${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { notification: { id: string } } & Record<string, unknown> };
}

async function sendMany(server: ServerProcess, project: string, user: string, label: string): Promise<void> {
  const admin = await signToken(TEST_SECRET, { userId: 'ops', name: 'ops', admin: true, expiresInSeconds: 600 });
  const writer = await signToken(TEST_SECRET, { userId: user, name: user, projects: { [project]: 'editor' }, expiresInSeconds: 600 });
  expect((await call(server, writer, 'PUT', '/preferences', { email: `${user}@example.org`, quietHours: null })).status).toBe(200);
  for (let i = 0; i < N; i++) {
    const res = await call(server, admin, 'POST', '/send', { userId: user, projectId: project, category: 'publishing', priority: 'high', title: `${label} #${i}`, body: 'x' });
    expect(res.status).toBe(201);
  }
}

beforeAll(async () => {
  sink = await startSmtpSink({ refuse: () => (refusing ? { code: 451, message: 'try again later' } : undefined) });
});
afterAll(async () => {
  await sink?.close();
});

describe('outbox across a restart (PGlite, real processes)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-outbox-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} with ${N} emails pending: after the restart each idempotency key reaches SMTP exactly once`, async () => {
      refusing = true;
      const before = sink.messages.length;
      const project = uniqueName('ob').replace(/_/g, '-');
      const first = await startServerProcess({ ...mailEnv(), DATA_DIR: dataDir }, { startTimeoutMs: 90_000 });
      await sendMany(first, project, `rhea-${signal.toLowerCase()}`, signal);
      // The worker has tried them (451s): pending with a retry time.
      await new Promise((r) => setTimeout(r, 1_500));
      first.child.kill(signal);
      await first.exited;
      refusing = false;
      const second = await startServerProcess({ ...mailEnv(), DATA_DIR: dataDir }, { startTimeoutMs: 90_000 });
      try {
        // A row a killed worker had claimed waits out its 60 s lease.
        await vi.waitFor(() => expect(sink.messages.length - before).toBeGreaterThanOrEqual(N), { timeout: 100_000, interval: 500 });
        await new Promise((r) => setTimeout(r, 1_500));
        const keys = keysOf(sink).slice(before);
        expect(keys).toHaveLength(N);
        expect(new Set(keys).size).toBe(N);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    }, 180_000);
  }
});

describe.runIf(serviceAvailable('postgres') && serviceAvailable('redis'))('two instances on Postgres + Redis', () => {
  it(`${N} notifications sent through one instance are emailed once across both outboxes`, async () => {
    refusing = false;
    const before = sink.messages.length;
    const db = await createTestDatabase();
    const env = { ...mailEnv(), DATABASE_URL: db.url, REDIS_URL: redisUrl! };
    const a = await startServerProcess(env);
    const b = await startServerProcess(env);
    try {
      const project = uniqueName('two').replace(/_/g, '-');
      await sendMany(a, project, 'tess', 'two');
      await sendMany(b, project, 'tess', 'two-b');
      await vi.waitFor(() => expect(sink.messages.length - before).toBeGreaterThanOrEqual(2 * N), { timeout: 60_000, interval: 500 });
      await new Promise((r) => setTimeout(r, 1_500));
      const keys = keysOf(sink).slice(before);
      expect(keys).toHaveLength(2 * N);
      expect(new Set(keys).size).toBe(2 * N);
      // Both outboxes did work: each instance's log says which deliveries it sent.
    } finally {
      for (const s of [a, b]) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
      await db.drop();
    }
  }, 180_000);
});

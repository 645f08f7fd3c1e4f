import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WritingStore } from '../../src/services/writing/ports.js';
import { delta, session } from '../contracts/writing-store.contract.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface ErrorResponse {
  error: { code: string; message: string; details: { issues?: { path: string; message: string }[] } & Record<string, unknown> };
}
interface WriterJson {
  userId: string;
  days: { day: string; wordsNet: number }[];
  sessions: number;
  currentStreak: number;
  timeInState: Record<string, number>;
}
interface ReportJson {
  projectId: string;
  from: string;
  to: string;
  timeZone: string;
  writers: WriterJson[];
}

describe('writing analytics, goals and preferences over REST', () => {
  let t: TestServer;
  let store: WritingStore;
  const project = uniqueName('p').replace(/_/g, '-');
  /** For the tests that write "today": kept out of the fixed-date project's reports. */
  const other = uniqueName('q').replace(/_/g, '-');
  const [owner, alice, bob, stranger] = ['owner', 'alice', 'bob', 'stranger'].map((n) => uniqueName(n));
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestServer();
    store = t.server.database.writing;
    tokens.owner = await t.token(owner!, { [project]: 'owner', [other]: 'owner' });
    tokens.alice = await t.token(alice!, { [project]: 'editor', [other]: 'editor' });
    tokens.bob = await t.token(bob!, { [project]: 'reader' });
    tokens.stranger = await t.token(stranger!, { [uniqueName('elsewhere')]: 'owner' });
    await store.addBuckets([
      delta(alice!, project, '2025-03-10T09:00:00Z', 300),
      delta(alice!, project, '2025-03-10T23:30:00Z', 200),
      delta(bob!, project, '2025-03-11T10:00:00Z', 50),
    ]);
    await store.saveSession(session(alice!, project, '2025-03-10T09:00:00Z', 40 * 60_000, 500, { flow: 10 * 60_000 }));
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const call = async <T>(token: string | undefined, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${t.httpUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const reportPath = (query: string) => `/api/realtime/analytics/project/${project}/writing?${query}`;

  it('shows the owner every writer, per day in the requested zone', async () => {
    const { status, body } = await call<ReportJson>(tokens.owner, reportPath('from=2025-03-10&to=2025-03-11&tz=UTC'));
    expect(status).toBe(200);
    expect(body).toMatchObject({ projectId: project, from: '2025-03-10', to: '2025-03-11', timeZone: 'UTC' });
    const byUser = Object.fromEntries(body.writers.map((w) => [w.userId, w]));
    expect(Object.keys(byUser).sort()).toEqual([alice, bob].sort());
    expect(byUser[alice!]!.days.map((d) => [d.day, d.wordsNet])).toEqual([['2025-03-10', 500]]);
    expect(byUser[alice!]!).toMatchObject({ sessions: 1, timeInState: { flow: 600_000 } });
    const tokyo = await call<ReportJson>(tokens.owner, reportPath('from=2025-03-10&to=2025-03-11&tz=Asia/Tokyo'));
    expect(tokyo.body.writers.find((w) => w.userId === alice)!.days.map((d) => [d.day, d.wordsNet])).toEqual([
      ['2025-03-10', 300],
      ['2025-03-11', 200],
    ]);
    const one = await call<ReportJson>(tokens.owner, reportPath(`from=2025-03-10&to=2025-03-11&userId=${bob}`));
    expect(one.body.writers.map((w) => w.userId)).toEqual([bob]);
  });

  it('shows other members only themselves, and nobody else anything', async () => {
    const mine = await call<ReportJson>(tokens.alice, reportPath('from=2025-03-10&to=2025-03-11'));
    expect(mine.status).toBe(200);
    expect(mine.body.writers.map((w) => w.userId)).toEqual([alice]);
    const reader = await call<ReportJson>(tokens.bob, reportPath('from=2025-03-10&to=2025-03-11'));
    expect(reader.body.writers.map((w) => [w.userId, w.days.length])).toEqual([[bob, 1]]);

    const peek = await call<ErrorResponse>(tokens.alice, reportPath(`from=2025-03-10&to=2025-03-11&userId=${bob}`));
    expect(peek.status).toBe(403);
    expect(peek.body.error.code).toBe('forbidden');
    const outsider = await call<ErrorResponse>(tokens.stranger, reportPath('from=2025-03-10&to=2025-03-11'));
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.code).toBe('forbidden');
    expect((await call<ErrorResponse>(undefined, reportPath(''))).status).toBe(401);
  });

  it('rejects bad dates, ranges and time zones with details', async () => {
    const cases: [string, string][] = [
      ['from=2025-02-30&to=2025-03-01', 'from'],
      ['from=10-03-2025', 'from'],
      ['to=tomorrow', 'to'],
      ['from=2025-03-10&to=2025-03-11&tz=Mars/Olympus', 'tz'],
      ['from=2025-03-12&to=2025-03-11', 'from'],
      ['from=2023-01-01&to=2025-03-11', 'from'],
    ];
    for (const [query, path] of cases) {
      const { status, body } = await call<ErrorResponse>(tokens.owner, reportPath(query));
      expect({ query, status, code: body.error.code }).toEqual({ query, status: 400, code: 'validation-failed' });
      expect(body.error.details.issues?.map((i) => i.path)).toContain(path);
    }
    const badProject = await call<ErrorResponse>(tokens.owner, '/api/realtime/analytics/project/no%20spaces/writing');
    expect(badProject.status).toBe(400);
  });

  it('defaults to the last 30 days in the caller’s preferred zone', async () => {
    const writer = uniqueName('carol');
    const token = await t.token(writer, { [other]: 'editor' });
    expect((await call(token, '/api/realtime/writing/preferences', { method: 'PUT', body: { analyticsOptOut: false, timeZone: 'Asia/Tokyo' } })).status).toBe(200);
    await store.addBuckets([delta(writer, other, new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(), 42)]);
    const { status, body } = await call<ReportJson>(token, `/api/realtime/analytics/project/${other}/writing`);
    expect(status).toBe(200);
    expect(body.timeZone).toBe('Asia/Tokyo');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
    expect(body.to).toBe(today);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(29 * 86_400_000);
    expect(body.writers).toEqual([expect.objectContaining({ userId: writer, days: [expect.objectContaining({ day: today, wordsNet: 42 })], currentStreak: 1 })]);
  });

  it('sets and reads a goal with today’s progress', async () => {
    const writer = uniqueName('dan');
    const token = await t.token(writer, { [other]: 'reviewer' });
    const empty = await call<{ goal: null; today: { words: number; met: boolean }; currentStreak: number }>(token, `/api/realtime/writing/goals/${other}`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ goal: null, timeZone: 'UTC', today: { words: 0, met: false }, currentStreak: 0 });

    const put = await call<{ dailyWords: number; timeZone: string; updatedAt: string }>(token, `/api/realtime/writing/goals/${other}`, {
      method: 'PUT',
      body: { dailyWords: 100, timeZone: 'Europe/Paris' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userId: writer, projectId: other, dailyWords: 100, timeZone: 'Europe/Paris' });
    expect(Number.isNaN(Date.parse(put.body.updatedAt))).toBe(false);

    await store.addBuckets([delta(writer, other, new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(), 120)]);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const got = await call(token, `/api/realtime/writing/goals/${other}`);
    expect(got.body).toEqual({
      goal: { userId: writer, projectId: other, dailyWords: 100, timeZone: 'Europe/Paris', updatedAt: put.body.updatedAt },
      timeZone: 'Europe/Paris',
      today: { day: today, words: 120, met: true },
      currentStreak: 1,
    });
    // The owner may read it; another member may not.
    expect((await call(tokens.owner, `/api/realtime/writing/goals/${other}?userId=${writer}`)).body).toEqual(got.body);
    expect((await call<ErrorResponse>(tokens.alice, `/api/realtime/writing/goals/${other}?userId=${writer}`)).status).toBe(403);
  });

  it('validates goals and refuses them outside the project', async () => {
    const path = `/api/realtime/writing/goals/${other}`;
    for (const body of [{ dailyWords: 0, timeZone: 'UTC' }, { dailyWords: 100_001, timeZone: 'UTC' }, { dailyWords: 1.5, timeZone: 'UTC' }, { dailyWords: 10, timeZone: 'Nowhere/Land' }, { dailyWords: 10 }]) {
      const res = await call<ErrorResponse>(tokens.alice, path, { method: 'PUT', body });
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues?.length).toBeGreaterThan(0);
    }
    expect((await call<ErrorResponse>(tokens.alice, path, { method: 'PUT', body: '{"dailyWords":' })).status).toBe(400);
    const outsider = await call<ErrorResponse>(tokens.stranger, path, { method: 'PUT', body: { dailyWords: 10, timeZone: 'UTC' } });
    expect(outsider.status).toBe(403);
    expect((await call<ErrorResponse>(tokens.stranger, path)).status).toBe(403);
  });

  it('stores the caller’s preferences and only theirs', async () => {
    const writer = uniqueName('erin');
    const token = await t.token(writer, {});
    const path = '/api/realtime/writing/preferences';
    expect((await call(token, path)).body).toEqual({ userId: writer, analyticsOptOut: false, timeZone: 'UTC' });
    expect((await call(token, path, { method: 'PUT', body: { analyticsOptOut: true, timeZone: 'America/New_York' } })).body).toEqual({
      userId: writer,
      analyticsOptOut: true,
      timeZone: 'America/New_York',
    });
    // Without timeZone the stored one stays.
    expect((await call(token, path, { method: 'PUT', body: { analyticsOptOut: false } })).body).toEqual({ userId: writer, analyticsOptOut: false, timeZone: 'America/New_York' });
    expect(await store.getPreferences(writer)).toEqual({ userId: writer, analyticsOptOut: false, timeZone: 'America/New_York' });
    const bad = await call<ErrorResponse>(token, path, { method: 'PUT', body: { analyticsOptOut: 'yes', timeZone: 'Bad/Zone' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues?.map((i) => i.path).sort()).toEqual(['analyticsOptOut', 'timeZone']);
    expect((await call(undefined, path)).status).toBe(401);
  });

  it('reports best hours to the writer and the owner only', async () => {
    const writer = uniqueName('finn');
    const token = await t.token(writer, { [other]: 'editor' });
    const hourAgo = Math.floor((Date.now() - 3_600_000) / 900_000) * 900_000;
    await store.addBuckets([delta(writer, other, new Date(hourAgo).toISOString(), 77)]);
    const path = `/api/realtime/analytics/project/${other}/writers/${writer}/best-hours`;
    const mine = await call<{ hours: { hour: number; words: number }[]; best: number; timeZone: string }>(token, `${path}?tz=Asia/Kolkata`);
    expect(mine.status).toBe(200);
    expect(mine.body.timeZone).toBe('Asia/Kolkata');
    expect(mine.body.hours).toHaveLength(24);
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', hourCycle: 'h23' }).format(hourAgo));
    expect(mine.body.best).toBe(hour);
    expect(mine.body.hours[hour]).toEqual({ hour, words: 77 });
    expect((await call(tokens.owner, path)).status).toBe(200);
    expect((await call<ErrorResponse>(tokens.alice, path)).status).toBe(403);
    expect((await call<ErrorResponse>(tokens.stranger, path)).status).toBe(403);
    expect((await call<ErrorResponse>(token, `${path}?tz=Not/AZone`)).status).toBe(400);
  });

  it('documents every endpoint in the OpenAPI document', async () => {
    const { body } = await call<{ paths: Record<string, Record<string, unknown>> }>(undefined, '/api/openapi.json');
    expect(Object.keys(body.paths['/api/realtime/analytics/project/{projectId}/writing']!)).toEqual(['get']);
    expect(Object.keys(body.paths['/api/realtime/analytics/project/{projectId}/writers/{userId}/best-hours']!)).toEqual(['get']);
    expect(Object.keys(body.paths['/api/realtime/writing/goals/{projectId}']!).sort()).toEqual(['get', 'put']);
    expect(Object.keys(body.paths['/api/realtime/writing/preferences']!).sort()).toEqual(['get', 'put']);
  });
});

describe('writing analytics with REAL_TIME_TRACKING_ENABLED=false', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ REAL_TIME_TRACKING_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('answers 503 feature-disabled', async () => {
    const token = await t.token('alice', { p1: 'owner' });
    for (const path of ['/api/realtime/analytics/project/p1/writing', '/api/realtime/writing/goals/p1', '/api/realtime/writing/preferences']) {
      const res = await fetch(`${t.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('feature-disabled');
    }
  });
});

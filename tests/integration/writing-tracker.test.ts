import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { createManualClock } from '../../src/lib/clock.js';
import { connectGateway } from '../helpers/gateway-client.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

/** Types `text` one character per transaction, as an editor does. */
function typeSlowly(client: TestClient, text: string, paragraph: number): void {
  for (const ch of text) typeInto(client.ydoc, ch, paragraph);
}

/** Collects the bus events of one project through a consumer group of its own. */
function collectEvents(t: TestServer, projectId: string): StoryloomEvent[] {
  const events: StoryloomEvent[] = [];
  t.server.bus.subscribe({
    group: uniqueName('writing-test'),
    categories: ['writing', 'analytics'],
    async handle(event) {
      if (event.projectId === projectId) events.push(event);
    },
  });
  return events;
}

/** Words are coalesced to one event per second per session: allow a few of those. */
const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 10_000, interval: 20 });
/** Resolves once the server acknowledged every update the client sent. */
const acknowledged = (client: TestClient) => eventually(() => expect(client.provider.hasUnsyncedChanges).toBe(false));

const of = (events: StoryloomEvent[], type: string, actor?: string) => events.filter((e) => e.type === type && (actor === undefined || e.actor === actor));
const netOf = (events: StoryloomEvent[], actor: string) =>
  of(events, 'writing.words_written', actor).reduce((sum, e) => sum + (e.payload as { net: number }).net, 0);

const backends = [{ name: 'memory', env: {} as Record<string, string> }];
if (serviceAvailable('redis')) backends.push({ name: 'Redis', env: { REDIS_URL: redisUrl! } });

describe.each(backends)('writing tracker on a live server ($name bus and live store)', ({ env }) => {
  let t: TestServer;
  const project = uniqueName('wp').replace(/_/g, '-');
  const clients: TestClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ WRITING_FLUSH_MS: '100', ...env });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    // Documents unload once their last client left; let them, before Redis goes away.
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  const api = async (path: string, token: string, init: RequestInit = {}) => {
    const res = await fetch(`${t.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const connect = async (user: string, doc: string) => {
    const client = connectClient(t.wsUrl, `${project}/${doc}`, await t.token(user, { [project]: user === 'alice' ? 'owner' : 'editor' }));
    clients.push(client);
    await client.synced;
    return client;
  };

  it('attributes net words per writer exactly, publishes events, shows state over REST and pushes live metrics', async () => {
    const events = collectEvents(t, project);
    const aliceToken = await t.token('alice', { [project]: 'owner' });
    const bobToken = await t.token('bob', { [project]: 'editor' });
    await t.server.database.writing.setGoal({ userId: 'bob', projectId: project, dailyWords: 5, timeZone: 'UTC' });
    const gateway = await connectGateway(`ws://127.0.0.1:${t.port}/ws/analytics?token=${aliceToken}`);
    expect((await gateway.subscribe('user:alice')).type).toBe('subscribed');

    const alice = await connect('alice', 'chapter-1');
    const bob = await connect('bob', 'chapter-1');
    typeSlowly(alice, 'The quick brown fox ', 0);
    // Bob types into a second paragraph once he has Alice's first one (or both would create paragraph 0).
    await eventually(() => expect(textOf(bob.ydoc)).toBe('The quick brown fox '));
    typeSlowly(bob, 'jumps over the lazy dog, twice.', 1);
    // Alice retypes a word in place and deletes another: "The slow brown " (3 words net).
    alice.ydoc.transact(() => {
      const text = (alice.ydoc.getXmlFragment('default').get(0) as Y.XmlElement).get(0) as Y.XmlText;
      text.delete(4, 5);
      text.insert(4, 'slow');
      text.delete(15, 3);
    });
    await eventually(() => expect(textOf(bob.ydoc)).toBe('The slow brown  \njumps over the lazy dog, twice.'));

    const actorA = t.server.actorOf('alice');
    const actorB = t.server.actorOf('bob');
    await eventually(() => {
      expect(netOf(events, actorA)).toBe(3);
      expect(netOf(events, actorB)).toBe(6);
    });
    expect(of(events, 'writing.session_started', actorA)).toHaveLength(1);
    expect(of(events, 'writing.session_started', actorB)).toHaveLength(1);
    expect(of(events, 'writing.session_state_changed', actorA)[0]!.payload).toMatchObject({ from: 'idle', to: 'warming_up' });
    expect(events.every((e) => e.projectId === project)).toBe(true);
    expect(of(events, 'writing.words_written', actorA).every((e) => e.documentId === 'chapter-1')).toBe(true);
    // Bob's goal of 5 words today is met, once.
    await eventually(() => expect(of(events, 'analytics.goal_met', actorB)).toHaveLength(1));
    expect(of(events, 'analytics.goal_met', actorB)[0]!.payload).toMatchObject({ kind: 'daily_words', target: 5, actual: 5 }) // the moment it was reached;
    expect(JSON.stringify(events)).not.toMatch(/"(alice|bob)"/); // pseudonymous actors only

    // Both sessions are visible to the project owner; a writer sees their own.
    const all = await api(`/api/realtime/writing/sessions/active?projectId=${project}`, aliceToken);
    expect(all.status).toBe(200);
    const sessions = all.body.sessions as { id: string; userId: string; state: string; totals: { netWords: number }; documents: string[] }[];
    expect(sessions.map((s) => [s.userId, s.totals.netWords]).sort()).toEqual([['alice', 3], ['bob', 6]]);
    expect(sessions.every((s) => s.state === 'warming_up' && s.documents[0] === 'chapter-1')).toBe(true);
    const mine = await api(`/api/realtime/writing/sessions/active?projectId=${project}`, bobToken);
    expect((mine.body.sessions as { userId: string }[]).map((s) => s.userId)).toEqual(['bob']);
    const bobSession = sessions.find((s) => s.userId === 'bob')!;
    const metrics = await api(`/api/realtime/writing/sessions/${bobSession.id}/metrics`, bobToken);
    expect(metrics.body).toMatchObject({ id: bobSession.id, state: 'warming_up', totals: { netWords: 6, edits: 31 }, live: true });

    // Live metrics for Alice arrived on her user channel.
    const pushed = await gateway.next((m) => m.type === 'event' && (m.data as { kind?: string }).kind === 'writing.metrics');
    expect(pushed).toMatchObject({ channel: 'user:alice', data: { userId: 'alice', projectId: project } });
    await eventually(async () => {
      const last = [...gateway.messages].reverse().find((m) => m.type === 'event' && (m.data as { kind?: string }).kind === 'writing.metrics');
      expect(last).toMatchObject({ data: { totals: { netWords: 3 } } });
    });
    gateway.close();

    // The words reached the minute buckets (REST analytics reads them).
    await eventually(async () => {
      expect(await t.server.database.writing.wordsBetween('alice', project, 0, Date.now() + 60_000)).toBe(3);
      expect(await t.server.database.writing.wordsBetween('bob', project, 0, Date.now() + 60_000)).toBe(6);
    });
  });

  it('announces a milestone every 100 words of a document, whoever wrote them', async () => {
    const events = collectEvents(t, project);
    const dave = await connect('dave', 'chapter-2');
    for (let i = 0; i < 105; i++) typeInto(dave.ydoc, `w${i} `, 0);
    const actor = t.server.actorOf('dave');
    await eventually(() => expect(netOf(events, actor)).toBe(105));
    const milestones = of(events, 'writing.milestone_reached', actor);
    expect(milestones.map((e) => e.payload)).toEqual([expect.objectContaining({ kind: 'document_words', threshold: 100, value: 100 })]);
    expect(milestones[0]!.documentId).toBe('chapter-2');
  });

  it('counts a milestone once per document when two writers pass it together', async () => {
    const events = collectEvents(t, project);
    const erin = await connect('erin', 'chapter-4');
    const fay = await connect('fay', 'chapter-4');
    for (let i = 0; i < 60; i++) {
      typeInto(erin.ydoc, `e${i} `, 0);
      typeInto(fay.ydoc, `f${i} `, 1);
    }
    const actors = [t.server.actorOf('erin'), t.server.actorOf('fay')];
    await eventually(() => expect(actors.map((a) => netOf(events, a))).toEqual([60, 60]));
    const milestones = events.filter((e) => e.type === 'writing.milestone_reached' && e.documentId === 'chapter-4');
    expect(milestones.map((e) => e.payload)).toEqual([expect.objectContaining({ threshold: 100 })]);
    // Each writer's edits are tracked in that writer's own session queue, so the first edit seen
    // past 100 may be the one that made 100 or a later one of the other writer (101 when both
    // open their sessions at once): announced once, with the count the document had at that edit.
    expect((milestones[0]!.payload as { value: number }).value).toBeGreaterThanOrEqual(100);
    expect((milestones[0]!.payload as { value: number }).value).toBeLessThanOrEqual(120);
    expect(actors).toContain(milestones[0]!.actor);
  });

  it('tracks nothing about a writer who opted out, while their edits still persist', async () => {
    await t.server.database.writing.setPreferences({ userId: 'carol', analyticsOptOut: true, timeZone: 'UTC' });
    const events = collectEvents(t, project);
    const carol = await connect('carol', 'chapter-3');
    const erin = await connect('erin', 'chapter-3');
    typeSlowly(carol, 'private words here ', 0);
    await eventually(() => expect(textOf(erin.ydoc)).toBe('private words here '));
    typeSlowly(erin, 'public ones', 1);
    await eventually(() => expect(netOf(events, t.server.actorOf('erin'))).toBe(2));
    await t.server.writing!.flush();
    expect(events.filter((e) => e.actor === t.server.actorOf('carol'))).toEqual([]);
    const active = await t.server.writing!.activeSessions({ userId: 'carol' });
    expect(active).toEqual([]);
    expect(await t.server.database.writing.wordsBetween('carol', project, 0, Date.now() + 60_000)).toBe(0);
    // Persistence is another extension: her text is stored.
    await eventually(async () => {
      const stored = await t.server.database.documents.load(`${project}/chapter-3`);
      const doc = new Y.Doc();
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
      for (const row of stored.updates) Y.applyUpdate(doc, row.update);
      expect(textOf(doc)).toContain('private words here');
    });
  });

  it('stops at once when a writer opts out over REST mid-session', async () => {
    const events = collectEvents(t, project);
    const gina = await connect('gina', 'chapter-4');
    const actor = t.server.actorOf('gina');
    typeSlowly(gina, 'one two ', 0);
    await eventually(() => expect(netOf(events, actor)).toBe(2));
    const token = await t.token('gina', { [project]: 'editor' });
    const put = await api('/api/realtime/writing/preferences', token, { method: 'PUT', body: JSON.stringify({ analyticsOptOut: true }) });
    expect(put.status).toBe(200);
    typeSlowly(gina, 'three four five', 0);
    await acknowledged(gina);
    await t.server.writing!.flush();
    expect(netOf(events, actor)).toBe(2);
    expect(await t.server.writing!.activeSessions({ userId: 'gina' })).toEqual([]);
    expect(await t.server.database.writing.wordsBetween('gina', project, 0, Date.now() + 60_000)).toBe(2);
  });
});

describe('writing tracker timeouts and daily goals on a manual clock', () => {
  let t: TestServer;
  const clock = createManualClock(Date.parse('2024-03-04T23:58:00Z'));
  const project = uniqueName('wg').replace(/_/g, '-');
  beforeAll(async () => {
    t = await startTestServer(redisUrl ? { REDIS_URL: redisUrl } : {}, { clock });
  });
  afterAll(async () => {
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  it('ends a session by timeout at the tick and reports a missed goal after the writer’s midnight', async () => {
    await t.server.database.writing.setGoal({ userId: 'frank', projectId: project, dailyWords: 500, timeZone: 'Europe/Paris' });
    const events = collectEvents(t, project);
    // 23:58 UTC is already 00:58 on the 5th in Paris: the day that will be missed is 2024-03-05.
    const frank = connectClient(t.wsUrl, `${project}/notes`, await t.token('frank', { [project]: 'editor' }));
    await frank.synced;
    typeSlowly(frank, 'three small words', 0);
    const actor = t.server.actorOf('frank');
    await acknowledged(frank);
    await t.server.writing!.flush();
    expect(of(events, 'writing.session_started', actor)).toHaveLength(1);

    clock.advance(16 * 60_000); // nothing typed for 16 minutes: paused, break, ended (15 min after the last input)
    await t.server.writing!.tick();
    await eventually(() => expect(of(events, 'writing.session_ended', actor)).toHaveLength(1));
    const ended = of(events, 'writing.session_ended', actor)[0]!;
    expect(ended.payload).toMatchObject({ reason: 'timeout', netWords: 3, durationMs: 15 * 60_000 });
    expect(of(events, 'writing.session_state_changed', actor).map((e) => (e.payload as { to: string }).to)).toEqual([
      'warming_up',
      'paused',
      'break',
      'ended',
    ]);
    expect(Date.parse(ended.occurredAt)).toBe(Date.parse('2024-03-05T00:13:00Z'));

    clock.set(Date.parse('2024-03-05T23:00:05Z')); // 00:00:05 on the 6th in Paris
    await t.server.writing!.tick();
    await eventually(() => expect(of(events, 'analytics.goal_missed', actor)).toHaveLength(1));
    expect(of(events, 'analytics.goal_missed', actor)[0]!.payload).toMatchObject({
      kind: 'daily_words',
      target: 500,
      actual: 3,
      periodStart: '2024-03-04T23:00:00.000Z',
      periodEnd: '2024-03-05T23:00:00.000Z',
    });
    await t.server.writing!.tick(); // once per day
    await t.server.writing!.flush();
    expect(of(events, 'analytics.goal_missed', actor)).toHaveLength(1);
    expect(of(events, 'analytics.goal_met', actor)).toHaveLength(0);
    frank.destroy();
  });
});

import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { withWriterAudience } from '../../src/gateway/audience.js';
import { createOriginPolicy } from '../../src/gateway/origin.js';
import type { ServerMessage } from '../../src/gateway/protocol.js';
import { gatewayFixtures, gatewayToken, refusedUpgrade, type GatewayServer, type GatewayTestClient } from '../helpers/gateway-client.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, typeInto } from '../helpers/test-server.js';

/**
 * Issue 13 holes 3 and 4 on /ws/*: a cookie credential needs one of our Origins (cross-site
 * WebSocket hijacking), and a writer's numbers reach only the writer, the owners and admins.
 */

const { cleanups, gatewayServer, client } = gatewayFixtures();

const eventsOn = (c: GatewayTestClient, channel: string) =>
  c.messages.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event' && m.channel === channel).map((m) => m.data as Record<string, unknown>);

describe('gateway Origin check for cookie credentials (cross-site WebSocket hijacking)', () => {
  it('refuses the victim cookie from a foreign Origin with 403; same-origin cookie and Bearer from anywhere work', async () => {
    const server = await gatewayServer();
    const project = uniqueName('secret');
    const token = await gatewayToken('victim', { [project]: 'owner' });
    const cookie = `storyloom_session=${token}`;

    const evil = await refusedUpgrade(server.url('analytics'), { headers: { cookie, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'forbidden', details: { origin: 'https://evil.example' } } });
    // `null` (sandboxed iframes, file: pages) is foreign too.
    expect((await refusedUpgrade(server.url('analytics'), { headers: { cookie, origin: 'null' } })).status).toBe(403);

    const sameOrigin = await client(server.url('analytics'), { headers: { cookie, origin: `http://127.0.0.1:${server.port}` } });
    expect(await sameOrigin.subscribe(`project:${project}`)).toMatchObject({ type: 'subscribed' });
    const bearer = await client(server.url('analytics'), { headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' } });
    expect(await bearer.subscribe(`project:${project}`)).toMatchObject({ type: 'subscribed' });
    const query = await client(server.url('analytics', `token=${token}`), { headers: { origin: 'https://evil.example' } });
    expect(await query.subscribe(`project:${project}`)).toMatchObject({ type: 'subscribed' });
    expect(server.gateway.stats().connections.analytics).toBe(3);
  });

  it('uses ALLOWED_ORIGINS (or PUBLIC_URL) instead of the Host when configured', async () => {
    const server = await gatewayServer({ originPolicy: createOriginPolicy({ allowedOrigins: ['https://write.example.com'], publicUrl: 'https://ignored.example' }) });
    const cookie = `storyloom_session=${await gatewayToken('ann', {})}`;
    await client(server.url('notifications'), { headers: { cookie, origin: 'https://WRITE.example.com:443' } });
    expect((await refusedUpgrade(server.url('notifications'), { headers: { cookie, origin: `http://127.0.0.1:${server.port}` } })).status).toBe(403);

    const policy = createOriginPolicy({ publicUrl: 'https://write.example.com/app/' });
    expect(policy.allows('https://write.example.com', 'internal:8080')).toBe(true);
    expect(policy.allows('https://evil.example', 'evil.example')).toBe(false);
    expect(policy.allows(null, 'anything')).toBe(true);
  });
});

describe('gateway writer-number visibility (lib/visibility.ts at fan-out)', () => {
  const metrics = (project: string, writer: string, n: number) => ({
    path: 'analytics' as const,
    channel: `project:${project}`,
    data: { kind: 'writing.metrics', userId: writer, n },
    audience: { projectId: project, writerId: writer },
  });

  async function subscribers(server: GatewayServer, project: string, path: 'analytics' | 'presence' = 'analytics') {
    const roles = { owner: 'owner', bob: 'editor', reader: 'reader', carol: 'editor' } as const;
    const out: Record<string, GatewayTestClient> = {};
    for (const [user, role] of Object.entries(roles)) {
      out[user] = await client(server.url(path, `token=${await gatewayToken(user, { [project]: role })}`));
      expect(await out[user]!.subscribe(`project:${project}`)).toMatchObject({ type: 'subscribed' });
    }
    return out;
  }

  it("a reader subscribed to project:X does not get bob's writing.metrics; the owner and bob do; aggregates reach everyone", async () => {
    const server = await gatewayServer();
    const project = uniqueName('p');
    const c = await subscribers(server, project);
    await server.gateway.publish(metrics(project, 'bob', 1));
    // An ordinary project message after it is the marker: frames arrive in order.
    await server.gateway.publish({ path: 'analytics', channel: `project:${project}`, data: { kind: 'aggregate' } });
    for (const user of Object.keys(c)) await c[user]!.next((m) => m.type === 'event' && (m.data as { kind: string }).kind === 'aggregate');
    expect(eventsOn(c.owner!, `project:${project}`).map((d) => d.kind)).toEqual(['writing.metrics', 'aggregate']);
    expect(eventsOn(c.bob!, `project:${project}`).map((d) => d.kind)).toEqual(['writing.metrics', 'aggregate']);
    expect(eventsOn(c.reader!, `project:${project}`).map((d) => d.kind)).toEqual(['aggregate']);
    expect(eventsOn(c.carol!, `project:${project}`).map((d) => d.kind)).toEqual(['aggregate']);
  });

  it('tags live writing pushes (server.ts wiring) with their writer; other data stays untagged', () => {
    const data = { kind: 'writing.metrics', userId: 'bob', wpm: 30 };
    expect(withWriterAudience({ channel: 'project:p1', data }).audience).toEqual({ projectId: 'p1', writerId: 'bob' });
    expect(withWriterAudience({ channel: 'document:p1/d1', data }).audience).toEqual({ projectId: 'p1', writerId: 'bob' });
    expect(withWriterAudience({ channel: 'user:bob', data }).audience).toBeUndefined();
    expect(withWriterAudience({ channel: 'project:p1', data: { kind: 'presence.joined', userId: 'bob' } }).audience).toBeUndefined();
  });

  it('filters bus events by actor pseudonym (writerActor) when the gateway knows actorOf', async () => {
    const actorOf = (userId: string) => createHmac('sha256', 'k').update(userId).digest('hex').slice(0, 32);
    const server = await gatewayServer({ actorOf });
    const project = uniqueName('p');
    const c = await subscribers(server, project);
    await server.gateway.publish({ channel: `project:${project}`, data: { type: 'writing.words_written' }, audience: { projectId: project, writerActor: actorOf('bob') } });
    await server.gateway.publish({ channel: `project:${project}`, data: { type: 'marker' } });
    for (const user of Object.keys(c)) await c[user]!.next((m) => m.type === 'event' && (m.data as { type: string }).type === 'marker');
    const got = (user: string) => eventsOn(c[user]!, `project:${project}`).map((d) => d.type);
    expect([got('owner'), got('bob'), got('reader'), got('carol')]).toEqual([
      ['writing.words_written', 'marker'],
      ['writing.words_written', 'marker'],
      ['marker'],
      ['marker'],
    ]);
  });

  it.skipIf(!serviceAvailable('redis'))('filters on the receiving instance too (Redis fan-out carries the audience)', async () => {
    const channelPrefix = uniqueName('gw');
    const redisA = new Redis(redisUrl!, { maxRetriesPerRequest: 3 });
    const redisB = new Redis(redisUrl!, { maxRetriesPerRequest: 3 });
    cleanups.push(async () => void (await Promise.all([redisA.quit(), redisB.quit()])));
    const a = await gatewayServer({ redis: redisA, channelPrefix });
    const b = await gatewayServer({ redis: redisB, channelPrefix });
    const project = uniqueName('p');
    const onB = await subscribers(b, project);
    await a.gateway.publish(metrics(project, 'bob', 7));
    await a.gateway.publish({ path: 'analytics', channel: `project:${project}`, data: { kind: 'aggregate' } });
    for (const user of Object.keys(onB)) await onB[user]!.next((m) => m.type === 'event' && (m.data as { kind: string }).kind === 'aggregate');
    expect(eventsOn(onB.owner!, `project:${project}`).map((d) => d.kind)).toEqual(['writing.metrics', 'aggregate']);
    expect(eventsOn(onB.bob!, `project:${project}`).map((d) => d.kind)).toEqual(['writing.metrics', 'aggregate']);
    expect(eventsOn(onB.reader!, `project:${project}`).map((d) => d.kind)).toEqual(['aggregate']);
  });
});

describe('writer numbers from a real writing session (server wiring)', () => {
  it("a reader on project:X gets neither bob's writing.metrics nor his writing events; the owner and bob do", async () => {
    const t = await startTestServer();
    cleanups.push(() => t.cleanup());
    const project = uniqueName('p');
    const url = async (user: string, role: 'owner' | 'editor' | 'reader') =>
      `ws://127.0.0.1:${t.port}/ws/analytics?token=${await t.token(user, { [project]: role })}`;
    const watchers: Record<string, GatewayTestClient> = {
      owner: await client(await url('olga', 'owner')),
      bob: await client(await url('bob', 'editor')),
      reader: await client(await url('rita', 'reader')),
    };
    for (const c of Object.values(watchers)) expect(await c.subscribe(`project:${project}`)).toMatchObject({ type: 'subscribed' });

    const writer = connectClient(t.wsUrl, `${project}/chapter`, await t.token('bob', { [project]: 'editor' }));
    cleanups.push(() => writer.destroy());
    await writer.synced;
    for (const word of ['one ', 'two ', 'three ', 'four ']) typeInto(writer.ydoc, word);
    const isMetrics = (m: ServerMessage) => m.type === 'event' && (m.data as { kind?: string }).kind === 'writing.metrics';
    const isWritingEvent = (m: ServerMessage) => m.type === 'event' && String((m.data as { type?: string }).type).startsWith('writing.');
    await watchers.owner!.next(isMetrics);
    await watchers.bob!.next(isMetrics);
    await watchers.owner!.next(isWritingEvent);
    await watchers.bob!.next(isWritingEvent);
    // Frames of one socket arrive in order and every publish serves all local sockets at once:
    // once the reader has a later marker, anything meant for it has arrived.
    await t.server.gateway.publish({ path: 'analytics', channel: `project:${project}`, data: { kind: 'marker' } });
    await watchers.reader!.next((m) => m.type === 'event' && (m.data as { kind?: string }).kind === 'marker');
    expect(watchers.reader!.messages.filter((m) => isMetrics(m) || isWritingEvent(m))).toEqual([]);
  }, 60_000);
});

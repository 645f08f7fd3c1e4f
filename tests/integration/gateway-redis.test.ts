import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../../src/gateway/protocol.js';
import { gatewayFixtures, gatewayToken, type GatewayTestClient } from '../helpers/gateway-client.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';

/** Gateway fan-out between instances: two gateways in this process sharing one Redis. */

const { cleanups, gatewayServer, client } = gatewayFixtures();

const isEvent = (channel: string, predicate: (data: Record<string, unknown>) => boolean = () => true) => (m: ServerMessage) =>
  m.type === 'event' && m.channel === channel && predicate(m.data as Record<string, unknown>);

const events = (c: GatewayTestClient, channel: string) =>
  c.messages.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event' && m.channel === channel).map((m) => m.data);

describe.skipIf(!serviceAvailable('redis'))('gateway across instances (Redis)', () => {
  async function redisClient(): Promise<Redis> {
    const redis = new Redis(redisUrl!, { maxRetriesPerRequest: 3 });
    cleanups.push(async () => void (await redis.quit()));
    return redis;
  }

  it('delivers a message published on instance A to a subscriber on instance B, once', async () => {
    const channelPrefix = uniqueName('gw');
    const redis = await redisClient();
    const a = await gatewayServer({ redis, channelPrefix });
    const b = await gatewayServer({ redis: await redisClient(), channelPrefix });
    const project = uniqueName('p');
    const token = await gatewayToken('oscar', { [project]: 'editor' });
    const onA = await client(a.url('presence', `token=${token}`));
    const onB = await client(b.url('presence', `token=${token}`));
    const onBAnalytics = await client(b.url('analytics', `token=${token}`));
    const channel = `project:${project}`;
    for (const c of [onA, onB, onBAnalytics]) expect(await c.subscribe(channel)).toMatchObject({ type: 'subscribed' });

    await a.gateway.publish({ path: 'presence', channel, data: { from: 'a' } });
    expect(await onB.next(isEvent(channel))).toEqual({ type: 'event', channel, data: { from: 'a' } });
    // B's marker travels through Redis to A after A's own publish did: had A heard its own
    // message back from Redis, it would sit before the marker.
    await b.gateway.publish({ channel, data: { from: 'b' } });
    await onA.next(isEvent(channel, (d) => d.from === 'b'));
    await onBAnalytics.next(isEvent(channel, (d) => d.from === 'b'));
    expect(events(onA, channel)).toEqual([{ from: 'a' }, { from: 'b' }]);
    expect(events(onB, channel)).toEqual([{ from: 'a' }, { from: 'b' }]);
    expect(events(onBAnalytics, channel)).toEqual([{ from: 'b' }]);
  });

  it('stops receiving a channel on an instance once its last subscriber left', async () => {
    const channelPrefix = uniqueName('gw');
    const a = await gatewayServer({ redis: await redisClient(), channelPrefix });
    const b = await gatewayServer({ redis: await redisClient(), channelPrefix });
    const probe = await redisClient();
    const token = await gatewayToken('pia', { p1: 'reader' });
    const onB = await client(b.url('analytics', `token=${token}`));
    await onB.subscribe('project:p1');
    expect(await probe.pubsub('NUMSUB', `${channelPrefix}:project:p1`)).toEqual([`${channelPrefix}:project:p1`, 1]);
    const from = onB.messages.length;
    onB.send({ type: 'unsubscribe', channel: 'project:p1' });
    await onB.next((m) => m.type === 'unsubscribed', from);
    await vi.waitFor(async () => expect(await probe.pubsub('NUMSUB', `${channelPrefix}:project:p1`)).toEqual([`${channelPrefix}:project:p1`, 0]));
    await a.gateway.publish({ channel: 'project:p1', data: {} });
    expect(a.gateway.stats().channels).toBe(0);
  });
});

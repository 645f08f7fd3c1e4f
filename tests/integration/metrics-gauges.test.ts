import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectGateway } from '../helpers/gateway-client.js';
import { scrapeMetrics, type Scrape } from '../helpers/metrics-scrape.js';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, typeInto, type TestServer } from '../helpers/test-server.js';

/**
 * The gauges a leak check reads (issue 13): the connection registry, the persistence
 * extension's per-document state and pending appends, gateway subscriptions by channel kind.
 * Each rises while a client holds something and returns to 0 once it has gone.
 */
describe('/metrics: registry, persistence and gateway gauges', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  const held = (m: Scrape) => ({
    registrySockets: m.get('storyloom_connection_registry_sockets'),
    persistenceDocuments: m.get('storyloom_persistence_documents'),
    failing: m.get('storyloom_persistence_failing'),
    undurable: m.get('storyloom_persistence_undurable_documents'),
    pendingAppends: m.get('storyloom_persistence_pending_appends'),
    project: m.raw.get('storyloom_gateway_subscriptions_by_kind{kind="project"}'),
    document: m.raw.get('storyloom_gateway_subscriptions_by_kind{kind="document"}'),
    user: m.raw.get('storyloom_gateway_subscriptions_by_kind{kind="user"}'),
  });
  const none = { registrySockets: 0, persistenceDocuments: 0, failing: 0, undurable: 0, pendingAppends: 0, project: 0, document: 0, user: 0 };

  it('rise while clients hold documents and channels, and return to 0 when they leave', async () => {
    expect(held(await scrapeMetrics(t.httpUrl))).toEqual(none);

    const token = await t.token('gauge-user', { book: 'editor' });
    const a = connectClient(t.wsUrl, `book/${uniqueName('g')}`, token);
    const b = connectClient(t.wsUrl, `book/${uniqueName('g')}`, token);
    await Promise.all([a.synced, b.synced]);
    typeInto(a.ydoc, 'hello');
    const gateway = await connectGateway(`ws://127.0.0.1:${t.port}/ws/presence?token=${encodeURIComponent(token)}`);
    expect(await gateway.subscribe('project:book')).toMatchObject({ type: 'subscribed' });
    expect(await gateway.subscribe(`document:book/${uniqueName('d')}`)).toMatchObject({ type: 'subscribed' });
    expect(await gateway.subscribe('user:gauge-user')).toMatchObject({ type: 'subscribed' });

    await vi.waitFor(async () =>
      expect(held(await scrapeMetrics(t.httpUrl))).toEqual({ ...none, registrySockets: 2, persistenceDocuments: 2, project: 1, document: 1, user: 1 }),
    );

    a.destroy();
    b.destroy();
    gateway.close();
    await gateway.closed;
    await vi.waitFor(async () => expect(held(await scrapeMetrics(t.httpUrl))).toEqual(none), { timeout: 15_000, interval: 100 });
  }, 60_000);
});

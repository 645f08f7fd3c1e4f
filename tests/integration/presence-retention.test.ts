import { afterAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, typeInto, type TestServer } from '../helpers/test-server.js';

/**
 * A document everyone left keeps its presence counters readable for PRESENCE_IDLE_RETENTION_MS
 * after its last touch (15 min by default), then the instance forgets it: the metrics route
 * answers 404 and the entry no longer holds memory (tests/faults/load-leaks.fault.ts runs with a
 * short retention and waits past it).
 */
const RETENTION_MS = 4_000;

describe('presence of a document nobody is on', () => {
  let t: TestServer | undefined;
  afterAll(async () => {
    await t?.cleanup();
  });

  it('is kept for the idle retention after its last touch, then forgotten', async () => {
    t = await startTestServer({ PRESENCE_IDLE_RETENTION_MS: String(RETENTION_MS) });
    const server = t;
    const project = uniqueName('pr').replace(/_/g, '-');
    const token = await server.token('alice', { [project]: 'owner' });
    const metrics = async () =>
      fetch(`${server.httpUrl}/api/realtime/collaboration/project/${project}/document/chapter-1/metrics`, { headers: { authorization: `Bearer ${token}` } });

    const alice = connectClient(server.wsUrl, `${project}/chapter-1`, token);
    await alice.synced;
    typeInto(alice.ydoc, 'A first paragraph.', 0);
    await vi.waitFor(async () => expect((await metrics()).status).toBe(200), { timeout: 10_000, interval: 50 });
    const lastTouch = Date.now();
    alice.destroy();
    await vi.waitFor(() => expect(server.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0), { timeout: 10_000, interval: 50 });

    // Polled until forgotten: never before the retention since the last touch, and soon after it.
    let forgottenAt = 0;
    await vi.waitFor(
      async () => {
        const status = (await metrics()).status;
        if (status === 404) forgottenAt = Date.now();
        expect(status).toBe(404);
      },
      { timeout: RETENTION_MS + 10_000, interval: 100 },
    );
    expect(forgottenAt - lastTouch).toBeGreaterThanOrEqual(RETENTION_MS);
    expect(forgottenAt - lastTouch).toBeLessThan(RETENTION_MS + 5_000);
  }, 30_000);
});

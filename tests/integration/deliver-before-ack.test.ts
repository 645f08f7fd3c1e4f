import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

/**
 * An edit reaches the other writers as soon as it arrives, and its sender's acknowledgement
 * still waits for the commit (src/collab/extensions/persistence.ts). A slow group commit
 * (GROUP_COMMIT_MAX_DELAY_MS) makes the order visible.
 */
describe('delivery before durable acknowledgement', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ GROUP_COMMIT_MAX_DELAY_MS: '400' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('the reader has the edit before the writer has its ack, and the ack comes once the row is committed', async () => {
    const writer = connectClient(t.wsUrl, 'demo/deliver', await t.token('alice', { demo: 'editor' }));
    const reader = connectClient(t.wsUrl, 'demo/deliver', await t.token('bob', { demo: 'reader' }));
    await Promise.all([writer.synced, reader.synced]);
    const acked = new Promise<number>((resolve) =>
      writer.provider.on('unsyncedChanges', ({ number }: { number: number }) => number === 0 && resolve(performance.now())),
    );
    const sent = performance.now();
    typeInto(writer.ydoc, 'Reader, I married him.');
    await vi.waitFor(() => expect(textOf(reader.ydoc)).toBe('Reader, I married him.'), { timeout: 5_000, interval: 5 });
    const delivered = performance.now();
    expect(writer.provider.unsyncedChanges).toBeGreaterThan(0); // not acknowledged yet
    const ackAt = await acked;
    expect(ackAt).toBeGreaterThan(delivered);
    expect(ackAt - sent).toBeGreaterThanOrEqual(300); // waited for the (slow) commit
    const stored = await t.server.database.documents.load('demo/deliver');
    expect(stored.updates.length + (stored.snapshot ? 1 : 0)).toBeGreaterThan(0);
    writer.destroy();
    reader.destroy();
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

/** Opens a raw socket on /collaboration and resolves with how the server closed it. */
function rawSocket(url: string): { ws: WebSocket; closed: Promise<{ code: number; reason: string }>; opened: Promise<void> } {
  const ws = new WebSocket(url);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  return { ws, closed, opened };
}

describe('bad input is refused clearly and nobody else notices', () => {
  let t: TestServer;
  const doc = `sagas/${uniqueName('bad')}`;
  let bystander: ReturnType<typeof connectClient>;
  let writer: ReturnType<typeof connectClient>;

  beforeAll(async () => {
    t = await startTestServer({ MAX_MESSAGE_BYTES: '65536', MAX_DOCUMENT_BYTES: '4096' });
    bystander = connectClient(t.wsUrl, doc, await t.token('bystander', { sagas: 'editor' }));
    writer = connectClient(t.wsUrl, doc, await t.token('writer', { sagas: 'editor' }));
    await Promise.all([bystander.synced, writer.synced]);
  });
  afterAll(async () => {
    bystander.destroy();
    writer.destroy();
    await t.cleanup();
  });

  /** After each attack the two honest writers still collaborate. */
  async function stillServing(marker: string) {
    typeInto(writer.ydoc, marker);
    await vi.waitFor(() => expect(textOf(bystander.ydoc)).toContain(marker));
  }

  it('closes a text frame with 4422 invalid-message', async () => {
    const s = rawSocket(t.wsUrl);
    await s.opened;
    s.ws.send('{"hello": "world"}');
    expect(await s.closed).toEqual({ code: 4422, reason: 'invalid-message' });
    await stillServing('a');
  });

  it('closes a garbage binary frame with 4422 invalid-message', async () => {
    const s = rawSocket(t.wsUrl);
    await s.opened;
    s.ws.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(await s.closed).toEqual({ code: 4422, reason: 'invalid-message' });
    await stillServing('b');
  });

  it('closes a frame over MAX_MESSAGE_BYTES with 1009', async () => {
    const s = rawSocket(t.wsUrl);
    await s.opened;
    s.ws.send(new Uint8Array(70_000));
    expect((await s.closed).code).toBe(1009);
    await stillServing('c');
  });

  it('refuses an upgrade on an unknown path with 404', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}/nope`);
    ws.on('error', () => {});
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(404);
    ws.terminate();
  });

  it('closes the document connection that would pass MAX_DOCUMENT_BYTES, and stores none of it', async () => {
    const pasted = `${'Emma Woodhouse, handsome, clever, and rich. '.repeat(120)}`; // ~5 KB in one transaction
    const paster = connectClient(t.wsUrl, doc, await t.token('paster', { sagas: 'editor' }));
    await paster.synced;
    const closed = new Promise<{ reason: string }>((resolve) => paster.provider.on('close', ({ event }: { event: { reason: string } }) => resolve(event)));
    typeInto(paster.ydoc, pasted);
    expect((await closed).reason).toBe('document-too-large');
    paster.destroy();
    await stillServing('d');
    expect(textOf(bystander.ydoc)).not.toContain('Emma');
  });
});

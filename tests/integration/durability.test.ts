import { afterAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../src/auth/tokens.js';
import { uniqueName } from '../helpers/services.js';
import { storageBackends } from '../helpers/storage-backends.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { TEST_SECRET, connectClient, textOf, typeInto, type TestClient } from '../helpers/test-server.js';

/**
 * Zero loss, tested the hard way: a real server process, a real provider typing one character
 * per transaction, and the server killed mid-typing. Every character the provider saw
 * acknowledged (typed - unsyncedChanges) must be there after a restart, with the typing client
 * gone for good.
 */
const TEXT = 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. '.repeat(3);

const backends = storageBackends('storyloom-durability');

const token = (user: string) => signToken(TEST_SECRET, { userId: user, name: user, projects: { book: 'owner' } });

/** Types TEXT one character per transaction every `everyMs`; returns how many were typed so far. */
function startTyping(client: TestClient, everyMs: number): { typed(): number; stop(): void } {
  let i = 0;
  const timer = setInterval(() => {
    if (i < TEXT.length) typeInto(client.ydoc, TEXT[i++]!);
  }, everyMs);
  return { typed: () => i, stop: () => clearInterval(timer) };
}

async function readBack(server: ServerProcess, doc: string): Promise<string> {
  const reader = connectClient(server.wsUrl, doc, await token('reader'));
  try {
    await reader.synced;
    return textOf(reader.ydoc);
  } finally {
    reader.destroy();
  }
}

describe.each(backends)('durability on $name', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('keeps every acknowledged edit through kill -9 while the writer is typing', async () => {
    const { env, cleanup } = await backend.env();
    cleanups.push(cleanup);
    const doc = `book/${uniqueName('crash')}`;
    const first = await startServerProcess(env, { startTimeoutMs: 90_000 });
    const writer = connectClient(first.wsUrl, doc, await token('writer'));
    await writer.synced;
    const typing = startTyping(writer, 2);
    await vi.waitFor(() => expect(typing.typed() - writer.provider.unsyncedChanges).toBeGreaterThan(80), { timeout: 20_000 });

    // Decide what was acknowledged and kill in the same tick: nothing can be acked in between.
    const acked = typing.typed() - writer.provider.unsyncedChanges;
    first.child.kill('SIGKILL');
    typing.stop();
    writer.destroy(); // gone for good: it will never re-send what it still held
    expect(await first.exited).toBe('SIGKILL');

    const second = await startServerProcess(env, { startTimeoutMs: 90_000 });
    try {
      const text = await readBack(second, doc);
      expect(text.length).toBeGreaterThanOrEqual(acked);
      expect(text.startsWith(TEXT.slice(0, acked))).toBe(true);
      console.log(`[durability ${backend.name}] kill -9: ${acked} acknowledged, ${text.length} recovered, 0 lost`);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 120_000);

  it('shuts down gracefully on SIGTERM during typing: exit 0, nothing acknowledged is lost', async () => {
    const { env, cleanup } = await backend.env();
    cleanups.push(cleanup);
    const doc = `book/${uniqueName('term')}`;
    const first = await startServerProcess(env, { startTimeoutMs: 90_000 });
    const writer = connectClient(first.wsUrl, doc, await token('writer'));
    await writer.synced;
    const typing = startTyping(writer, 2);
    await vi.waitFor(() => expect(typing.typed()).toBeGreaterThan(60), { timeout: 20_000 });
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    typing.stop();
    const acked = typing.typed() - writer.provider.unsyncedChanges;
    writer.destroy();
    expect(exit).toBe(0);
    expect(first.lines.some((l) => l.includes('shutdown complete'))).toBe(true);

    const second = await startServerProcess(env, { startTimeoutMs: 90_000 });
    try {
      const text = await readBack(second, doc);
      expect(text.startsWith(TEXT.slice(0, acked))).toBe(true);
      console.log(`[durability ${backend.name}] SIGTERM: ${acked} acknowledged, ${text.length} recovered`);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 120_000);
});

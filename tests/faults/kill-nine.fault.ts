import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROSE, startFaultServer, connectWriter, lostEdits, paragraphs, readParagraphs, report, seedParagraphs, startTyping, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { uniqueName } from '../helpers/services.js';
import { storageBackends } from '../helpers/storage-backends.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

/**
 * kill -9 while 10 writers type. The writers reach the server through a TCP proxy so that, after
 * the restart, the test first reads what the server recovered on its own (no writer connected
 * to re-send anything), and only then lets the writers reconnect and checks they converge.
 */
const WRITERS = 10;
const TYPE_EVERY_MS = 25;

const backends = storageBackends('storyloom-fault-kill');

describe.each(backends)('kill -9 under 10 writers on $name', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('keeps every acknowledged edit, and the writers converge after reconnecting', async () => {
    const { env, cleanup } = await backend.env();
    cleanups.push(cleanup);
    const doc = `book/${uniqueName('kill9')}`;
    const first = await startFaultServer(env);
    cleanups.push(async () => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
    const proxy = await startTcpProxy(first.port);
    cleanups.push(() => proxy.close());
    const url = `ws://127.0.0.1:${proxy.port}/collaboration`;
    await seedParagraphs(url, doc, WRITERS);

    const writers: FaultWriter[] = [];
    for (let i = 0; i < WRITERS; i++) writers.push(connectWriter(url, doc, await writerToken(`w${i}`), `w${i}`, i));
    cleanups.push(async () => writers.forEach((w) => w.destroy()));
    await vi.waitFor(() => expect(writers.every((w) => w.provider.isSynced)).toBe(true), { timeout: 20_000 });
    const typing = startTyping(writers, TYPE_EVERY_MS);
    await vi.waitFor(() => expect(Math.min(...writers.map((w) => w.acked()))).toBeGreaterThanOrEqual(40), { timeout: 60_000, interval: 20 });

    // What was acknowledged, and the kill, in one tick: no ack can arrive in between.
    const ackedAtKill = writers.map((w) => w.acked());
    const typedAtKill = writers.reduce((n, w) => n + w.typed(), 0);
    first.child.kill('SIGKILL');
    proxy.setTarget(null);
    expect(await first.exited).toBe('SIGKILL');

    const second = await startFaultServer(env);
    cleanups.push(async () => {
      if (second.child.exitCode === null) {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });
    const alone = lostEdits(writers, ackedAtKill, await readParagraphs(second.wsUrl, doc));
    expect(alone.lost).toBe(0);

    // Now the writers may reach the new server: they re-send what it never acknowledged.
    const reconnectAt = Date.now();
    proxy.setTarget(second.port);
    await vi.waitFor(() => expect(writers.every((w) => w.opens() >= 2 && w.provider.isSynced)).toBe(true), { timeout: 30_000, interval: 20 });
    typing.stop();
    const expected = writers.map((w) => PROSE.slice(0, w.typed()));
    await vi.waitFor(
      () => {
        for (const w of writers) {
          expect(w.provider.unsyncedChanges).toBe(0);
          expect(paragraphs(w.ydoc)).toEqual(expected);
        }
      },
      { timeout: 30_000, interval: 50 },
    );
    const convergedMs = Date.now() - reconnectAt;
    const final = await readParagraphs(second.wsUrl, doc);
    expect(final).toEqual(expected);
    const typedTotal = writers.reduce((n, w) => n + w.typed(), 0);

    report(`kill-9/${backend.name}`, {
      writers: WRITERS,
      faults: 1,
      editsSentAtKill: typedAtKill,
      ackedAtKill: alone.acked,
      recoveredWithoutClients: alone.recovered,
      lost: alone.lost,
      editsSentTotal: typedTotal,
      inDatabaseAfterReconnect: final.reduce((n, p) => n + p.length, 0),
      reconnectToConvergedMs: convergedMs,
    });
  });
});

import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROSE, startFaultServer, connectWriter, paragraphs, readParagraphs, report, seedParagraphs, startTyping, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { readiness, scrapeMetrics } from '../helpers/metrics-scrape.js';
import { startOwnRedis } from '../helpers/redis-server.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';

/**
 * Redis taken away for 30 s under two instances on Postgres + Redis. A private redis-server (its
 * own port, SIGKILLed: an outage, and it comes back empty) and a database of our own on the shared
 * Postgres; the shared services are never touched. Per instance: its own document with two
 * writers (must keep working throughout); across instances: one document with a writer on each
 * (Redis carries their updates, so they may only converge once it is back).
 */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 30_000);
const TYPE_EVERY_MS = 100;

describe.skipIf(!serviceAvailable('postgres'))('Redis stopped for 30 s under two instances', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('each instance keeps serving edits, buffers events within the bound, reports not ready, and recovers', async () => {
    const redis = await startOwnRedis();
    cleanups.push(() => redis.stop());
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url };
    const servers: ServerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await startFaultServer(env);
      servers.push(s);
      cleanups.push(async () => {
        if (s.child.exitCode === null) {
          s.child.kill('SIGTERM');
          await s.exited;
        }
      });
    }
    const [a, b] = servers as [ServerProcess, ServerProcess];

    const localDocs = [`book/${uniqueName('redis-a')}`, `book/${uniqueName('redis-b')}`];
    const sharedDoc = `book/${uniqueName('redis-ab')}`;
    await seedParagraphs(a.wsUrl, localDocs[0]!, 2);
    await seedParagraphs(b.wsUrl, localDocs[1]!, 2);
    await seedParagraphs(a.wsUrl, sharedDoc, 2);
    const token = await writerToken('redis-writer');
    const local: FaultWriter[][] = [];
    for (const [i, s] of [a, b].entries()) {
      local.push([0, 1].map((p) => connectWriter(s.wsUrl, localDocs[i]!, token, `l${i}${p}`, p)));
    }
    const shared = [connectWriter(a.wsUrl, sharedDoc, token, 'sa', 0), connectWriter(b.wsUrl, sharedDoc, token, 'sb', 1)];
    const writers = [...local.flat(), ...shared];
    cleanups.push(async () => writers.forEach((w) => w.destroy()));
    await vi.waitFor(() => expect(writers.every((w) => w.provider.isSynced)).toBe(true), { timeout: 20_000 });
    const typing = startTyping(writers, TYPE_EVERY_MS);
    for (const s of servers) expect((await readiness(s.httpUrl)).status).toBe('ok');
    await vi.waitFor(() => expect(Math.min(...writers.map((w) => w.acked()))).toBeGreaterThanOrEqual(10), { timeout: 30_000 });

    // --- the outage ---------------------------------------------------------------------------
    const ackedBefore = writers.map((w) => w.acked());
    await redis.stop();
    const stoppedAt = Date.now();
    const readySeen = new Set<string>();
    let maxBuffered = 0;
    let localChecked = false;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      for (const s of servers) {
        const r = await readiness(s.httpUrl);
        readySeen.add(`${r.http}:${r.status}`);
        maxBuffered = Math.max(maxBuffered, (await scrapeMetrics(s.httpUrl)).get('storyloom_events_buffered'));
      }
      if (!localChecked && Date.now() - stoppedAt > OUTAGE_MS / 2) {
        // Halfway through: what each local writer typed by now reaches its neighbour on the same
        // instance, and is acknowledged (the update log is in Postgres, which is up).
        const typedNow = local.map((pair) => pair.map((w) => w.typed()));
        await vi.waitFor(
          () => {
            local.forEach((pair, i) => {
              expect(paragraphs(pair[1]!.ydoc)[0]!.length).toBeGreaterThanOrEqual(typedNow[i]![0]!);
              expect(paragraphs(pair[0]!.ydoc)[1]!.length).toBeGreaterThanOrEqual(typedNow[i]![1]!);
              for (const [p, w] of pair.entries()) expect(w.acked()).toBeGreaterThanOrEqual(typedNow[i]![p]!);
            });
          },
          { timeout: 10_000, interval: 50 },
        );
        localChecked = true;
      }
      await delay(1_000);
    }
    const ackedDuringOutage = writers.reduce((n, w, i) => n + w.acked() - ackedBefore[i]!, 0);
    expect(localChecked).toBe(true);

    // --- recovery -------------------------------------------------------------------------------
    await redis.start();
    const backAt = Date.now();
    await vi.waitFor(async () => {
      for (const s of servers) expect((await readiness(s.httpUrl)).status).toBe('ok');
    }, { timeout: 30_000, interval: 200 });
    const readyAfterMs = Date.now() - backAt;
    await vi.waitFor(async () => {
      for (const s of servers) expect((await scrapeMetrics(s.httpUrl)).get('storyloom_events_buffered')).toBe(0);
    }, { timeout: 30_000, interval: 200 });
    const flushedAfterMs = Date.now() - backAt;

    typing.stop();
    const expected = (w: FaultWriter) => PROSE.slice(0, w.typed());
    await vi.waitFor(() => {
      for (const w of local.flat()) expect(w.provider.unsyncedChanges).toBe(0);
      local.forEach((pair) => pair.forEach((w) => expect(paragraphs(w.ydoc)).toEqual(pair.map(expected))));
    }, { timeout: 30_000, interval: 100 });
    let sharedConvergedMs = -1;
    try {
      await vi.waitFor(() => {
        for (const w of shared) {
          expect(w.provider.unsyncedChanges).toBe(0);
          expect(paragraphs(w.ydoc)).toEqual(shared.map(expected));
        }
      }, { timeout: 30_000, interval: 100 });
      sharedConvergedMs = Date.now() - backAt;
    } catch {
      // Reported below as a finding (-1), asserted after the figures are printed.
    }

    // Nothing lost: every document read back by a fresh reader on instance A (the local
    // documents of B and the shared one load from the database there), against all that was
    // typed (every writer was acknowledged to the last character above).
    let lost = 0;
    for (const [doc, group] of [[localDocs[0]!, local[0]!], [localDocs[1]!, local[1]!], [sharedDoc, shared]] as const) {
      const texts = await readParagraphs(a.wsUrl, doc);
      group.forEach((w) => {
        const want = expected(w);
        let same = 0;
        while (same < want.length && texts[w.paragraph]?.[same] === want[same]) same++;
        lost += want.length - same;
      });
    }
    const metricsAfter = await Promise.all(servers.map((s) => scrapeMetrics(s.httpUrl)));
    report('redis-outage', {
      instances: 2,
      writers: writers.length,
      outageMs: OUTAGE_MS,
      editsSent: writers.reduce((n, w) => n + w.typed(), 0),
      ackedDuringOutage,
      readyzDuringOutage: [...readySeen].join(','),
      maxEventsBuffered: maxBuffered,
      eventsRejected: metricsAfter.reduce((n, m) => n + m.get('storyloom_events_publish_rejected_total'), 0),
      eventsPublished: metricsAfter.reduce((n, m) => n + m.get('storyloom_events_published_total'), 0),
      readyAfterMs,
      bufferFlushedAfterMs: flushedAfterMs,
      crossInstanceConvergedAfterMs: sharedConvergedMs,
      lost,
    });
    expect(lost).toBe(0);
    expect(ackedDuringOutage).toBeGreaterThan(0);
    expect(maxBuffered).toBeGreaterThan(0);
    // Degraded, not failed: each instance still serves its own writers (a balancer keeps it).
    expect([...readySeen].every((s) => s !== '200:ok')).toBe(true);
    expect(readySeen.has('200:degraded')).toBe(true);
    expect(sharedConvergedMs).toBeGreaterThanOrEqual(0);
  });
});

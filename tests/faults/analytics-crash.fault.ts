import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { countWords } from '../../src/tracking/writing/word-rule.js';
import { connectWriter, readParagraphs, report, seedParagraphs, startFaultServer, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * Issue 20: analytics as durable as the edits. Two writers type through real providers while the
 * server is SIGKILLed at random points, five times. After every restart (typing paused, every
 * writer synced), the REST report's net words per writer must equal the words in that writer's
 * paragraph, and their sum the document's count: the words of the last flush interval used to
 * die with the process.
 *
 * Embedded: one server on PGlite + the file update log. Postgres + Redis: two instances, one
 * writer on each (same document), the killed instance alternating; there the exact check does
 * not hold yet (an update relayed through Redis before its commit may be credited to nobody),
 * so that variant asserts the upper bound and prints what went uncredited.
 */
const KILLS = 5;
const TYPE_EVERY_MS = 20;

interface Node {
  server: ServerProcess;
  proxy: TcpProxy;
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** Net words per writer in the project today (UTC), from the REST report of `server`. */
async function reportedWords(server: ServerProcess): Promise<Map<string, number>> {
  const res = await fetch(`${server.httpUrl}/api/realtime/analytics/project/book/writing?from=${day(-1)}&to=${day(1)}&tz=UTC`, {
    headers: { authorization: `Bearer ${await writerToken('analytics-owner', 'owner')}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { writers: { userId: string; days: { wordsNet: number }[] }[] };
  return new Map(body.writers.map((w) => [w.userId, w.days.reduce((n, d) => n + d.wordsNet, 0)]));
}

/** Runs the writers, kills `nodes[victim(round)]` KILLS times, checks the report after each restart. */
async function crashRounds(nodes: Node[], env: Record<string, string>, doc: string, writers: FaultWriter[], victim: (round: number) => number, name: string, cleanups: (() => Promise<void>)[], exact = true) {
  const rounds: string[] = [];
  let uncredited = 0;
  let reportLagMs = 0;
  for (let round = 0; round < KILLS; round++) {
    const typing = setInterval(() => writers.forEach((w) => w.typeOne()), TYPE_EVERY_MS);
    // A random point in the typing: 0.4 .. 2 s in (several bucket flushes, or none yet).
    await new Promise((r) => setTimeout(r, 400 + Math.random() * 1_600));
    const node = nodes[victim(round)]!;
    node.server.child.kill('SIGKILL');
    node.proxy.setTarget(null);
    expect(await node.server.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    node.server = await startFaultServer(env);
    console.log(`[analytics-crash] ${name} kill ${round + 1}: restarted in ${Date.now() - killedAt} ms`);
    const restarted = node.server;
    cleanups.push(async () => {
      if (restarted.child.exitCode === null) {
        restarted.child.kill('SIGTERM');
        await restarted.exited;
      }
    });
    node.proxy.setTarget(node.server.port);
    // Keep typing through the reconnect, then stop and let every change be acknowledged.
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(typing);
    try {
      await vi.waitFor(() => expect(writers.every((w) => w.provider.isSynced && w.provider.unsyncedChanges === 0)).toBe(true), { timeout: 60_000, interval: 20 });
    } catch (error) {
      // Say why: the servers' warnings and errors, and each writer's state.
      for (const n of nodes) console.log(n.server.lines.filter((l) => /"level":(40|50|60)/.test(l)).slice(-15).join('\n'));
      console.log(writers.map((w) => `${w.user}: synced=${w.provider.isSynced} unsynced=${w.provider.unsyncedChanges} opens=${w.opens()} closes=${JSON.stringify(w.closes.slice(-3))}`).join('\n'));
      throw error;
    }

    console.log(`[analytics-crash] ${name} kill ${round + 1}: writers synced ${Date.now() - killedAt} ms after the kill`);
    const texts = await readParagraphs(node.server.wsUrl, doc);
    const written = writers.map((w) => countWords(texts[w.paragraph] ?? ''));
    const documentWords = texts.reduce((n, t) => n + countWords(t), 0);
    const checkedAt = Date.now();
    if (!exact) {
      // Two instances: an update relayed through Redis before its commit can end up stored by the
      // other instance and credited to nobody (docs/reliability.md, "Analytics after kill -9":
      // open). What must hold: nobody is credited more than they wrote; the deficit is printed.
      await new Promise((r) => setTimeout(r, 2_500)); // >= 4 flushes: the journal is folded
      for (const { server } of nodes) {
        const words = await reportedWords(server);
        writers.forEach((w, i) => expect(words.get(w.user) ?? 0, `${w.user} after kill ${round + 1}`).toBeLessThanOrEqual(written[i]!));
      }
      const words = await reportedWords(nodes[0]!.server);
      uncredited = documentWords - [...words.values()].reduce((a, b) => a + b, 0);
      rounds.push(`${writers.map((w, i) => `${w.user}:${words.get(w.user) ?? 0}of${written[i]}`).join('/')}`);
      continue;
    }
    for (const { server } of nodes) {
      await vi.waitFor(
        async () => {
          const words = await reportedWords(server);
          writers.forEach((w, i) => expect(words.get(w.user) ?? 0, `${w.user} after kill ${round + 1}`).toBe(written[i]));
          expect([...words.values()].reduce((a, b) => a + b, 0)).toBe(documentWords);
        },
        { timeout: 15_000, interval: 100 },
      );
    }
    reportLagMs = Math.max(reportLagMs, Date.now() - checkedAt);
    rounds.push(`${writers.map((w, i) => `${w.user}:${written[i]}`).join('/')}=${documentWords}`);
  }
  report(`analytics-crash/${name}`, { kills: KILLS, exact, rounds: rounds.join(','), uncreditedAtEnd: uncredited, maxReportCatchUpMs: reportLagMs, typedChars: writers.reduce((n, w) => n + w.typed(), 0) });
}

async function startWriters(urls: string[], doc: string, cleanups: (() => Promise<void>)[]): Promise<FaultWriter[]> {
  await seedParagraphs(urls[0]!, doc, 2);
  const writers = [connectWriter(urls[0]!, doc, await writerToken('alice'), 'alice', 0), connectWriter(urls[1 % urls.length]!, doc, await writerToken('bob'), 'bob', 1)];
  cleanups.push(async () => writers.forEach((w) => w.destroy()));
  await vi.waitFor(() => expect(writers.every((w) => w.provider.isSynced)).toBe(true), { timeout: 20_000 });
  return writers;
}

describe('analytics survive kill -9 on PGlite', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('credits every writer exactly their words in the document after each of 5 kills', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'storyloom-analytics-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const env = { DATA_DIR: dir };
    const server = await startFaultServer(env);
    cleanups.push(async () => void (server.child.exitCode === null && server.child.kill('SIGKILL')));
    const proxy = await startTcpProxy(server.port);
    cleanups.push(() => proxy.close());
    const doc = `book/${uniqueName('crash')}`;
    const url = `ws://127.0.0.1:${proxy.port}/collaboration`;
    const writers = await startWriters([url], doc, cleanups);
    await crashRounds([{ server, proxy }], env, doc, writers, () => 0, 'PGlite', cleanups);
  }, 480_000);
});

describe.skipIf(!serviceAvailable('postgres') || !serviceAvailable('redis'))('analytics after kill -9 on Postgres + Redis, two instances', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('never credits a writer more than they wrote after each of 5 kills of either instance (exact: open)', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl! };
    const nodes: Node[] = [];
    for (let i = 0; i < 2; i++) {
      const server = await startFaultServer(env);
      const node = { server, proxy: await startTcpProxy(server.port) };
      cleanups.push(async () => {
        await node.proxy.close();
        if (node.server.child.exitCode === null) node.server.child.kill('SIGKILL');
      });
      nodes.push(node);
    }
    const doc = `book/${uniqueName('crash2')}`;
    const writers = await startWriters(nodes.map((n) => `ws://127.0.0.1:${n.proxy.port}/collaboration`), doc, cleanups);
    // alice writes on instance 0, bob on 1: kill 0, 1, 0, 1, 0. Not exact yet (see crashRounds).
    await crashRounds(nodes, env, doc, writers, (round) => round % 2, 'Postgres+Redis', cleanups, false);
  }, 480_000);
});

/**
 * cold-load: the 127,000-word Pride and Prejudice fixture as a ProseMirror-shaped document (one
 * paragraph element per blank-line-separated paragraph), pushed into a server through a real
 * provider, then read back by a fresh provider.
 *
 * Storyloom: push (acknowledged = in the update log), SIGTERM (the final snapshot is stored),
 * restart on the same DATA_DIR, and time a new provider from connecting to synced: the document
 * comes from storage. A second run kills the server with SIGKILL right after the push, so the
 * load replays the update log instead of reading a snapshot.
 * Bare Hocuspocus keeps nothing across a restart, so its "cold" figure is what it takes to get
 * the same state into a fresh process and out again: a provider pushes it, then a new provider
 * syncs it. Both servers' warm sync (document already in memory) is reported too.
 */
import { readFile } from 'node:fs/promises';
import * as Y from 'yjs';
import { signToken } from '../../src/auth/tokens.js';
import { TEST_SECRET, connectClient, textOf } from '../../tests/helpers/test-server.js';
import { FULL, header, table, writeResult } from '../lib/report.js';
import { startBenchServer, type BenchServer } from '../lib/server-procs.js';

const NOVEL = new URL('../../tests/fixtures/novels/pride_and_prejudice.txt', import.meta.url);
const TIMEOUT_MS = 120_000;

function novelUpdate(text: string): { update: Uint8Array; paragraphs: number; words: number } {
  const doc = new Y.Doc();
  const fragment = doc.getXmlFragment('default');
  const paragraphs = text
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
  doc.transact(() => {
    fragment.insert(
      0,
      paragraphs.map((p) => {
        const element = new Y.XmlElement('paragraph');
        element.insert(0, [new Y.XmlText(p)]);
        return element;
      }),
    );
  });
  return { update: Y.encodeStateAsUpdate(doc), paragraphs: paragraphs.length, words: countWords(paragraphs.join(' ')) };
}

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

function bounded<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${TIMEOUT_MS} ms`)), TIMEOUT_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function token(user: string): Promise<string> {
  return signToken(TEST_SECRET, { userId: user, name: user, projects: { bench: 'editor' } });
}

/**
 * Connects, syncs, applies the whole novel as one update and waits for the server's ack.
 * The pusher stays connected (call `close`): bare Hocuspocus unloads, and so forgets, a
 * document when its last connection goes.
 */
async function push(server: BenchServer, doc: string, update: Uint8Array): Promise<{ ms: number; close(): void }> {
  const t0 = performance.now();
  const client = connectClient(server.wsUrl, doc, await token('pusher'));
  try {
    await bounded('push sync', client.synced);
    const acked = new Promise<void>((resolve) =>
      client.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        if (number === 0) resolve();
      }),
    );
    Y.applyUpdate(client.ydoc, update);
    await bounded('push ack', acked);
    return { ms: performance.now() - t0, close: () => client.destroy() };
  } catch (error) {
    client.destroy();
    throw error;
  }
}

const SETTLE_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh provider from connect to synced; returns ms and the words it received. */
async function read(server: BenchServer, doc: string): Promise<{ ms: number; words: number }> {
  const t0 = performance.now();
  const client = connectClient(server.wsUrl, doc, await token('reader'));
  try {
    await bounded('reader sync', client.synced);
    const ms = performance.now() - t0;
    return { ms, words: countWords(textOf(client.ydoc)) };
  } finally {
    client.destroy();
  }
}

interface Run {
  startupMs: number;
  pushMs: number;
  warmSyncMs: number;
  restartMs: number;
  coldMs: number;
  coldWords: number;
  warmWords: number;
}

/** The warm read waits SETTLE_MS after the push so it does not race the push's own work (snapshot, word counts). */
async function storyloomRun(update: Uint8Array, doc: string, kill: boolean): Promise<Run> {
  const first = await startBenchServer('storyloom');
  let second: BenchServer | undefined;
  try {
    const pusher = await push(first, doc, update);
    let warm = { ms: NaN, words: NaN };
    if (!kill) {
      await sleep(SETTLE_MS);
      warm = await read(first, doc);
    }
    pusher.close();
    await first.stop({ kill });
    second = await startBenchServer('storyloom', { dataDir: first.dataDir! });
    const cold = await read(second, doc);
    return { startupMs: first.startupMs, pushMs: pusher.ms, warmSyncMs: warm.ms, warmWords: warm.words, restartMs: second.startupMs, coldMs: cold.ms, coldWords: cold.words };
  } finally {
    await second?.stop();
    await first.cleanup();
  }
}

async function bareRun(update: Uint8Array, doc: string): Promise<Run> {
  const first = await startBenchServer('bare');
  const warm = await (async () => {
    try {
      const pusher = await push(first, doc, update);
      await sleep(SETTLE_MS);
      const result = await read(first, doc);
      pusher.close();
      return result;
    } finally {
      await first.cleanup();
    }
  })();
  const second = await startBenchServer('bare');
  try {
    const pusher = await push(second, doc, update);
    const cold = await read(second, doc);
    pusher.close();
    return { startupMs: first.startupMs, pushMs: pusher.ms, warmSyncMs: warm.ms, warmWords: warm.words, restartMs: second.startupMs, coldMs: pusher.ms + cold.ms, coldWords: cold.words };
  } finally {
    await second.cleanup();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function coldLoad(): Promise<string> {
  const novel = novelUpdate(await readFile(NOVEL, 'utf8'));
  console.log(`  novel: ${novel.words.toLocaleString('en-US')} words in ${novel.paragraphs} paragraphs, ${(novel.update.byteLength / 1024).toFixed(0)} KiB as one Yjs update`);
  const repeats = FULL ? 3 : 1;
  const runs: { storyloom: Run[]; storyloomKill: Run[]; bare: Run[] } = { storyloom: [], storyloomKill: [], bare: [] };
  for (let i = 0; i < repeats; i++) {
    const doc = `bench/cold-${Date.now().toString(36)}-${i}`;
    runs.storyloom.push(await storyloomRun(novel.update, doc, false));
    console.log(`  storyloom (SIGTERM) run ${i + 1}: ${JSON.stringify(runs.storyloom.at(-1))}`);
    runs.storyloomKill.push(await storyloomRun(novel.update, `${doc}-k`, true));
    console.log(`  storyloom (SIGKILL) run ${i + 1}: ${JSON.stringify(runs.storyloomKill.at(-1))}`);
    runs.bare.push(await bareRun(novel.update, doc));
    console.log(`  bare run ${i + 1}: ${JSON.stringify(runs.bare.at(-1))}`);
  }
  await writeResult('cold-load', { words: novel.words, paragraphs: novel.paragraphs, updateBytes: novel.update.byteLength, runs });
  const m = (rs: Run[], key: keyof Run) => median(rs.map((r) => r[key]));
  const complete = [...runs.storyloom, ...runs.storyloomKill, ...runs.bare].every((r) => r.coldWords === novel.words && (Number.isNaN(r.warmSyncMs) || r.warmWords === novel.words));
  return [
    header(),
    `Document: Pride and Prejudice, ${novel.words.toLocaleString('en-US')} words, ${novel.paragraphs} paragraphs, ${(novel.update.byteLength / 1024).toFixed(0)} KiB as a Yjs update. Median of ${repeats} run(s). ` +
      `Every reader received all ${novel.words.toLocaleString('en-US')} words: ${complete ? 'yes' : 'NO'}.`,
    '',
    table([
      { label: 'fresh process start until listening (ms)', storyloom: m(runs.storyloom, 'startupMs'), bare: m(runs.bare, 'startupMs'), digits: 0 },
      { label: 'restart on existing data until listening (ms)', storyloom: m(runs.storyloom, 'restartMs'), bare: m(runs.bare, 'restartMs'), digits: 0 },
      { label: 'push the novel through a provider, until acknowledged (ms)', storyloom: m(runs.storyloom, 'pushMs'), bare: m(runs.bare, 'pushMs'), digits: 0 },
      { label: 'new provider synced, document in memory (ms)', storyloom: m(runs.storyloom, 'warmSyncMs'), bare: m(runs.bare, 'warmSyncMs'), digits: 0 },
      {
        label: 'after a restart: new provider synced (ms) — Storyloom loads from storage; bare: push again + sync',
        storyloom: m(runs.storyloom, 'coldMs'),
        bare: m(runs.bare, 'coldMs'),
        digits: 0,
      },
      { label: 'after SIGKILL: new provider synced, update log replayed (ms)', storyloom: m(runs.storyloomKill, 'coldMs'), bare: NaN, digits: 0, ratio: 'n/a' },
    ]),
  ].join('\n');
}

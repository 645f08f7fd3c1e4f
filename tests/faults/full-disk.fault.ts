import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { connectWriter, startFaultServer, lostEdits, readParagraphs, report, seedParagraphs, startTyping, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { uniqueName } from '../helpers/services.js';

/**
 * The embedded data directory (PGlite + the update-log segment files) on a full disk: DATA_DIR on a small tmpfs of its own, filled up to the
 * last FREE bytes once the server runs, then 4 writers type until writes fail. Expected: a clear
 * error in the log and a close reason for the writers, nothing acknowledged lost, and after the
 * space is freed and the server restarted, the data opens (not corrupt) with every acknowledged
 * edit in it. Needs root (mount); CI runs as root.
 */
const WRITERS = 4;
const FREE_BYTES = Number(process.env.FAULT_DISK_FREE_BYTES ?? 512 * 1024);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('[faults] skipping full-disk: mounting a tmpfs needs root');
async function stop(server: ServerProcess): Promise<number | string> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
  const exit = await server.exited;
  clearTimeout(timer);
  return exit;
}

describe.skipIf(!isRoot)('PGlite data directory on a full disk', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('reports a clear error, loses nothing acknowledged and reopens intact after space is freed', async () => {
    const mountPoint = await mkdtemp(join(tmpdir(), 'storyloom-fault-disk-'));
    cleanups.push(() => rm(mountPoint, { recursive: true, force: true }));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mountPoint]);
    cleanups.push(async () => void execFileSync('umount', ['-l', mountPoint]));
    const dataDir = join(mountPoint, 'data');
    const filler = join(mountPoint, 'filler');
    // Since the update outbox, a refused write no longer closes the writer at once: its update is
    // applied, delivered and held (unacknowledged) for a retry until PENDING_LOG_* is reached,
    // then 4503. A small bound makes that refusal come within seconds of the disk filling.
    const env = { DATA_DIR: dataDir, SNAPSHOT_DEBOUNCE_MS: '500', PENDING_LOG_MAX_UPDATES_PER_DOCUMENT: '300' };

    const server = await startFaultServer(env);
    cleanups.push(async () => void (await stop(server)));
    const doc = `book/${uniqueName('full-disk')}`;
    await seedParagraphs(server.wsUrl, doc, WRITERS);
    const token = await writerToken('disk-writer');
    const writers: FaultWriter[] = [];
    for (let i = 0; i < WRITERS; i++) writers.push(connectWriter(server.wsUrl, doc, token, `w${i}`, i));
    cleanups.push(async () => writers.forEach((w) => w.destroy()));
    await vi.waitFor(() => expect(writers.every((w) => w.provider.isSynced)).toBe(true), { timeout: 20_000 });

    // Fill the disk to its last FREE_BYTES, then type until the server cannot write any more.
    const before = await statfs(mountPoint);
    const pgliteBytes = (before.blocks - before.bfree) * before.bsize;
    execFileSync('fallocate', ['-l', String(before.bavail * before.bsize - FREE_BYTES), filler]);
    const typing = startTyping(writers, 10);
    const filledAt = Date.now();
    let lastAcked = 0;
    let lastAckChange = Date.now();
    await vi.waitFor(
      () => {
        const acked = writers.reduce((n, w) => n + w.acked(), 0);
        if (acked !== lastAcked) {
          lastAcked = acked;
          lastAckChange = Date.now();
        }
        const exited = server.child.exitCode !== null || server.child.signalCode !== null;
        const stalled = Date.now() - lastAckChange > 5_000 && writers.some((w) => w.closes.length > 0);
        expect(exited || stalled, 'the disk never filled up: lower FAULT_DISK_FREE_BYTES').toBe(true);
      },
      { timeout: 150_000, interval: 100 },
    );
    const failedAfterMs = lastAckChange - filledAt;
    typing.stop();
    const acked = writers.map((w) => w.acked());
    const typed = writers.reduce((n, w) => n + w.typed(), 0);
    const reasons = [...new Set(writers.flatMap((w) => w.closes.map((c) => `${c.code}:${c.reason || '-'}`)))];
    writers.forEach((w) => w.destroy());
    const exit = await stop(server);
    const errors = server.lines.filter((l) => /"level":(50|60)/.test(l));
    const noSpace = errors.filter((l) => /ENOSPC|no space|No space|disk full|could not extend|could not write/i.test(l));

    // Free the space and reopen the same directory: everything acknowledged must be there.
    await rm(filler);
    const second = await startFaultServer(env);
    cleanups.push(async () => void (await stop(second)));
    const texts = await readParagraphs(second.wsUrl, doc);
    const result = lostEdits(writers, acked, texts);
    report('full-disk/PGlite', {
      writers: WRITERS,
      pgliteBytesAtStart: pgliteBytes,
      freeBytesLeft: FREE_BYTES,
      editsSent: typed,
      acked: result.acked,
      recoveredAfterRestart: texts.reduce((n, t) => n + t.length, 0),
      lost: result.lost,
      ackStoppedAfterMs: failedAfterMs,
      serverExit: exit,
      errorLines: errors.length,
      noSpaceErrorLines: noSpace.length,
      closeReasons: JSON.stringify(reasons),
    });
    if (errors[0]) console.log(`[faults] full-disk first error line: ${errors[0].slice(0, 600)}`);
    if (exit !== 0) console.log(`[faults] full-disk: server exit ${exit}; its last lines:\n${server.lines.slice(-15).map((l) => l.slice(0, 400)).join('\n')}`);
    expect(result.lost).toBe(0);
    expect(result.acked).toBeGreaterThan(0);
    expect(noSpace.length, 'the server should log that the disk is full').toBeGreaterThan(0);
    expect(reasons.length).toBeGreaterThan(0);
  });
});

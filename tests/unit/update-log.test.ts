import { constants } from 'node:fs';
import { mkdtemp, readFile, readdir, readlink, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSegment, encodeBatch, encodeHeader, HEADER_BYTES } from '../../src/db/update-log/codec.js';
import { openFileUpdateLog, type FileUpdateLog } from '../../src/db/update-log/file-log.js';
import { createLogger } from '../../src/lib/logger.js';

const logger = createLogger({ level: 'silent' });
const dirs: string[] = [];
const logs: FileUpdateLog[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'storyloom-update-log-'));
  dirs.push(dir);
  return dir;
}

async function openLog(dir: string, maxSegmentBytes = 1024 * 1024): Promise<FileUpdateLog> {
  const log = await openFileUpdateLog({ dir, maxSegmentBytes, logger });
  logs.push(log);
  return log;
}

async function reopen(log: FileUpdateLog, dir: string, maxSegmentBytes?: number): Promise<FileUpdateLog> {
  await log.close();
  logs.splice(logs.indexOf(log), 1);
  return openLog(dir, maxSegmentBytes);
}

const rec = (n: number, documentName = 'p/d') => ({ documentName, update: Uint8Array.of(n, n + 1, n + 2), userId: n % 2 ? `user-${n}` : null, receivedAt: 1_700_000_000_000 + n });
const payloads = (log: FileUpdateLog, doc = 'p/d') => log.updates(doc).map((u) => u.update[0]);
const noCheckpointNeeded = async () => undefined;

async function onlySegment(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.log'));
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

describe('update log codec', () => {
  it('round-trips batches and reports a batch without its end as torn', () => {
    const batch = encodeBatch([
      { kind: 'update', seq: 7, documentName: 'p/ü', update: Uint8Array.of(0, 255), userId: null, receivedAt: 5 },
      { kind: 'fold', seqs: [1, 2] },
    ]);
    const file = Buffer.concat([encodeHeader(1), batch]);
    const decoded = decodeSegment(file);
    expect(decoded.tornTail).toBeUndefined();
    expect(decoded.validBytes).toBe(file.byteLength);
    expect(decoded.batches).toEqual([[{ kind: 'update', seq: 7, documentName: 'p/ü', update: Uint8Array.of(0, 255), userId: null, receivedAt: 5 }, { kind: 'fold', seqs: [1, 2] }]]);
    // Cut inside the second record: the first record alone is not a complete batch.
    const cut = decodeSegment(file.subarray(0, file.byteLength - 3));
    expect(cut.batches).toEqual([]);
    expect(cut.validBytes).toBe(HEADER_BYTES);
    expect(cut.tornTail).toBeDefined();
  });
});

describe('file update log', () => {
  // An append resolves (and its writer is acknowledged) once the write returns: that is durable
  // only because the segment is open with O_DSYNC. Read from the kernel's view of our fds.
  it.runIf(process.platform === 'linux')('writes its segments through an O_DSYNC descriptor', async () => {
    const dir = await tempDir();
    const log = await openLog(dir);
    await log.append([rec(1)]);
    const segment = await onlySegment(dir);
    const flags: number[] = [];
    for (const fd of await readdir('/proc/self/fd')) {
      const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
      if (target !== segment) continue;
      const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
      flags.push(parseInt(/^flags:\s+([0-7]+)/m.exec(info)![1]!, 8));
    }
    expect(flags).toHaveLength(1);
    expect(flags[0]! & constants.O_DSYNC).toBe(constants.O_DSYNC);
  });

  it('keeps every acknowledged append across reopen, in order, with seqs monotonic', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    const a = await log.append([rec(1), rec(2)]);
    const b = await log.append([rec(3, 'p/other')]);
    expect(a[1]! > a[0]! && b[0]! > a[1]!).toBe(true);
    log = await reopen(log, dir);
    expect(log.updates('p/d')).toEqual([
      { seq: a[0], update: Uint8Array.of(1, 2, 3), userId: 'user-1', receivedAt: 1_700_000_000_001 },
      { seq: a[1], update: Uint8Array.of(2, 3, 4), userId: null, receivedAt: 1_700_000_000_002 },
    ]);
    expect(log.count('p/other')).toBe(1);
    // Folded away entirely, the next seq is still higher (kept in the segment header).
    log.fold('p/d', a);
    log.fold('p/other', b);
    await log.reclaim(noCheckpointNeeded);
    log = await reopen(log, dir);
    expect(log.count('p/d')).toBe(0);
    const [next] = await log.append([rec(9)]);
    expect(next).toBeGreaterThan(b[0]!);
  });

  it('recovers every complete record after a tail truncated mid-record', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    for (let i = 0; i < 10; i++) await log.append([rec(i)]);
    await log.close();
    logs.splice(0);
    const segment = await onlySegment(dir);
    const full = (await stat(segment)).size;
    // Each record here is the same size: cut the 10th in half.
    const perRecord = (full - HEADER_BYTES) / 10;
    await truncate(segment, full - Math.floor(perRecord / 2));
    log = await openLog(dir);
    expect(payloads(log)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // And keeps working: appends after recovery survive another reopen.
    await log.append([rec(42)]);
    log = await reopen(log, dir);
    expect(payloads(log)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 42]);
  });

  it('drops a record whose CRC does not match, and never crashes on garbage', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    for (let i = 0; i < 5; i++) await log.append([rec(i)]);
    await log.close();
    logs.splice(0);
    const segment = await onlySegment(dir);
    const bytes = await readFile(segment);
    bytes[bytes.byteLength - 2]! ^= 0xff; // inside the last record's payload
    await writeFile(segment, bytes);
    log = await openLog(dir);
    expect(payloads(log)).toEqual([0, 1, 2, 3]);
    await log.close();
    logs.splice(0);

    // A flipped CRC byte in the frame of the 3rd record: the 3rd and everything after it go.
    const again = await readFile(await onlySegment(dir));
    const perRecord = (again.byteLength - HEADER_BYTES) / 4;
    again[HEADER_BYTES + 2 * perRecord + 4]! ^= 0x01;
    await writeFile(await onlySegment(dir), Buffer.concat([again, Buffer.from('trailing garbage')]));
    log = await openLog(dir);
    expect(payloads(log)).toEqual([0, 1]);

    // A segment torn while its header was written is ignored.
    await writeFile(join(dir, 'segment-999999999999.log'), Buffer.from([1, 2, 3]));
    log = await reopen(log, dir);
    expect(payloads(log)).toEqual([0, 1]);
  });

  it('drops a whole batch whose end never reached the disk (appends are all-or-nothing)', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    await log.append([rec(1)]);
    const before = (await stat(await onlySegment(dir))).size;
    await log.append([rec(2), rec(3), rec(4)]);
    await log.close();
    logs.splice(0);
    const segment = await onlySegment(dir);
    const after = (await stat(segment)).size;
    // Keep the first two records of the three-record batch, lose the third.
    await truncate(segment, before + Math.floor(((after - before) * 2) / 3) + 1);
    log = await openLog(dir);
    expect(payloads(log)).toEqual([1]);
  });

  it('hides folded updates at once, and deletes a segment only after the fold is durable', async () => {
    const dir = await tempDir();
    let log = await openLog(dir, 200);
    const seqs: number[] = [];
    for (let i = 0; i < 12; i++) seqs.push(...(await log.append([rec(i)])));
    const segments = log.segments();
    expect(segments.length).toBeGreaterThan(2);
    log.fold('p/d', seqs.slice(0, 10));
    expect(payloads(log)).toEqual([10, 11]);
    // Before reclaim nothing is durable: a crash (here: reopening from the files) brings them back.
    let checkpoints = 0;
    await log.reclaim(async () => void checkpoints++);
    expect(checkpoints).toBe(1);
    const remaining = log.segments();
    expect(remaining.length).toBeLessThan(segments.length);
    for (const gone of segments.filter((s) => !remaining.includes(s))) await expect(stat(gone)).rejects.toThrow(/ENOENT/);
    log = await reopen(log, dir, 200);
    expect(payloads(log)).toEqual([10, 11]);
  });

  it('keeps folds pending when the checkpoint fails, so nothing is lost over a lost snapshot', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    const seqs = await log.append([rec(1), rec(2)]);
    log.fold('p/d', seqs);
    await expect(log.reclaim(async () => Promise.reject(new Error('No space left on device')))).rejects.toThrow(/space/);
    log = await reopen(log, dir);
    // The fold never reached the disk: the updates are back (applying them again is a no-op).
    expect(payloads(log)).toEqual([1, 2]);
  });

  it('copies the live updates of an old segment forward so one idle document cannot pin the log', async () => {
    const dir = await tempDir();
    let log = await openLog(dir, 150);
    const [idle] = await log.append([rec(100, 'p/idle')]);
    const busy: number[] = [];
    for (let i = 0; i < 20; i++) busy.push(...(await log.append([rec(i)])));
    const first = log.segments()[0]!;
    log.fold('p/d', busy);
    await log.reclaim(noCheckpointNeeded);
    expect(log.segments()).not.toContain(first);
    log = await reopen(log, dir, 150);
    expect(log.updates('p/idle').map((u) => u.seq)).toEqual([idle]);
    expect(log.count('p/d')).toBe(0);
  });

  it('deletes a document durably and leaves the others', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    await log.append([rec(1, 'p/a'), rec(2, 'p/b'), rec(3, 'p/a')]);
    await log.deleteDocument('p/a');
    expect(log.count('p/a')).toBe(0);
    log = await reopen(log, dir);
    expect(log.count('p/a')).toBe(0);
    expect(payloads(log, 'p/b')).toEqual([2]);
  });

  it('serialises concurrent appends into one log with unique seqs', async () => {
    const dir = await tempDir();
    let log = await openLog(dir);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([rec(i), rec(i)])));
    expect(new Set(results.flat()).size).toBe(100);
    log = await reopen(log, dir);
    expect(log.count('p/d')).toBe(100);
  });

  it('takes over legacy rows under their own seqs, once', async () => {
    const dir = await tempDir();
    const legacy = [{ seq: 40, documentName: 'p/d', update: Uint8Array.of(4), userId: 'u', receivedAt: 1 }];
    let log = await openFileUpdateLog({ dir, maxSegmentBytes: 1 << 20, logger, legacy });
    logs.push(log);
    const [next] = await log.append([rec(5)]);
    expect(next).toBeGreaterThan(40);
    await log.close();
    logs.splice(0);
    log = await openFileUpdateLog({ dir, maxSegmentBytes: 1 << 20, logger, legacy });
    logs.push(log);
    expect(log.updates('p/d').map((u) => u.seq)).toEqual([40, next]);
  });
});

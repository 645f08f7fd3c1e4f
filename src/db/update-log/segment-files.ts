import { constants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeHeader } from './codec.js';

/**
 * The segment files of the embedded update log as plain file operations: naming, creating a
 * segment durably, writing all of a buffer and syncing the folder. No state lives here; the
 * log (file-log.ts) decides what goes where and when.
 */

export interface Segment {
  index: number;
  path: string;
  /** Updates in this file not durably folded. */
  live: number;
}

export interface Active extends Segment {
  handle: FileHandle;
  size: number;
}

/**
 * Segments are opened with O_DSYNC where the platform has it (Linux, macOS): each write then
 * returns only once its data (and the size needed to read it back) is on disk, as a write
 * followed by fdatasync would, but in one system call and one trip through libuv's thread pool
 * instead of two. Measured directly on this 2-core machine, that is a third less CPU per durable
 * append; too little to show at the load benchmarks' rates (BENCHMARKS.md, "The current run").
 * Without O_DSYNC (Windows) `writeDurably` calls datasync itself.
 */
const O_DSYNC: number | undefined = constants.O_DSYNC;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (O_DSYNC ?? 0);

export const SEGMENT_NAME = /^segment-(\d{12})\.log$/;
export const segmentName = (index: number): string => `segment-${String(index).padStart(12, '0')}.log`;

/**
 * Creates segment `index` whose first record will carry `baseSeq` or later, with its header on
 * disk and its folder entry synced before it is used: a crash then finds either no file or a
 * valid header. A failure removes the half-made file.
 */
export async function createSegment(dir: string, index: number, baseSeq: number): Promise<Active> {
  const path = join(dir, segmentName(index));
  const handle = await open(path, CREATE_FLAGS);
  try {
    const header = encodeHeader(baseSeq);
    const segment: Active = { index, path, live: 0, handle, size: 0 };
    await writeDurably(segment, header);
    await syncDir(dir);
    return segment;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes every byte at the segment's end and advances its size; resolves once they are durable
 * (O_DSYNC, else an fdatasync after the last write). A short write is continued: with O_DSYNC
 * the part already written is durable too, which the reader's length + CRC framing tolerates
 * (a torn tail) exactly as it tolerates a crash between a write and its fdatasync.
 */
export async function writeDurably(target: Active, bytes: Buffer): Promise<void> {
  await writeAll(target, bytes);
  if (O_DSYNC === undefined) await target.handle.datasync();
}

async function writeAll(target: Active, bytes: Buffer): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await target.handle.write(bytes, done, bytes.byteLength - done, target.size + done);
    if (bytesWritten <= 0) throw new Error('update log write made no progress');
    done += bytesWritten;
  }
  target.size += done;
}

/** fsyncs the folder so created and deleted segment names are durable too. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

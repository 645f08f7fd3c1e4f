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

export const SEGMENT_NAME = /^segment-(\d{12})\.log$/;
export const segmentName = (index: number): string => `segment-${String(index).padStart(12, '0')}.log`;

/**
 * Creates segment `index` whose first record will carry `baseSeq` or later, with its header on
 * disk and its folder entry synced before it is used: a crash then finds either no file or a
 * valid header. A failure removes the half-made file.
 */
export async function createSegment(dir: string, index: number, baseSeq: number): Promise<Active> {
  const path = join(dir, segmentName(index));
  const handle = await open(path, 'wx');
  try {
    const header = encodeHeader(baseSeq);
    const segment: Active = { index, path, live: 0, handle, size: 0 };
    await writeAll(segment, header);
    await handle.datasync();
    await syncDir(dir);
    return segment;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Writes every byte at the segment's end (short writes are continued) and advances its size. */
export async function writeAll(target: Active, bytes: Buffer): Promise<void> {
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

import { crc32 } from 'node:zlib';

/**
 * The on-disk format of the embedded update log (docs/architecture.md, "The embedded update log").
 *
 * A segment file is a 16-byte header followed by records. Every record is framed as
 * `u32 payload length | u32 CRC-32 of the payload | payload` (little endian), so a torn or
 * corrupted tail is recognised by a short frame or a CRC mismatch. Records are grouped in
 * batches (one `appendUpdates` call, one fold): the last record of a batch carries BATCH_END,
 * and a batch whose end never reached the disk is dropped whole on recovery, which keeps an
 * append all-or-nothing.
 */
export const HEADER_BYTES = 16;
const MAGIC = 0x474f4c53; // "SLOG"
const VERSION = 1;
const FRAME_BYTES = 8;
const KIND_UPDATE = 1;
const KIND_FOLD = 2;
const BATCH_END = 1;
/** Flag of an update record followed (after the user id) by the writer's words: 3 x i32 added, removed, net. */
const HAS_WORDS = 2;
const WORDS_BYTES = 12;
const NULL_USER = 0xffff_ffff;

/** One logged update, as written and as replayed. `seq` is unique across the whole log. */
export interface UpdateEntry {
  kind: 'update';
  seq: number;
  documentName: string;
  update: Uint8Array;
  userId: string | null;
  receivedAt: number;
  /** The writer's words in this update (the word journal, src/db/repositories/word-journal.ts); absent in older records. */
  words?: { added: number; removed: number; net: number };
}

/** These seqs are folded into a stored snapshot (or deleted with their document): dead from here on. */
export interface FoldEntry {
  kind: 'fold';
  seqs: number[];
}

export type LogEntry = UpdateEntry | FoldEntry;

/** `baseSeq`: the next seq when the segment was created, so seqs stay monotonic when every record is gone. */
export function encodeHeader(baseSeq: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeDoubleLE(baseSeq, 8);
  return header;
}

/** The header's base seq, or undefined for a file whose header is missing, torn or foreign. */
export function decodeHeader(file: Buffer): number | undefined {
  if (file.byteLength < HEADER_BYTES || file.readUInt32LE(0) !== MAGIC || file.readUInt32LE(4) !== VERSION) return undefined;
  const baseSeq = file.readDoubleLE(8);
  return Number.isSafeInteger(baseSeq) && baseSeq >= 1 ? baseSeq : undefined;
}

/** One batch as framed records, ready for a single write. */
export function encodeBatch(entries: readonly LogEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const payload = entry.kind === 'update' ? encodeUpdate(entry) : encodeFold(entry);
    payload.writeUInt8((i === entries.length - 1 ? BATCH_END : 0) | (entry.kind === 'update' && entry.words ? HAS_WORDS : 0), 1);
    const frame = Buffer.allocUnsafe(FRAME_BYTES);
    frame.writeUInt32LE(payload.byteLength, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    parts.push(frame, payload);
  });
  return Buffer.concat(parts);
}

function encodeUpdate(entry: UpdateEntry): Buffer {
  const name = Buffer.from(entry.documentName, 'utf8');
  const user = entry.userId === null ? undefined : Buffer.from(entry.userId, 'utf8');
  if (name.byteLength > 0xffff) throw new RangeError('document name longer than 65,535 bytes');
  const fixed = 2 + 8 + 8 + 2 + name.byteLength + 4 + (user?.byteLength ?? 0) + (entry.words ? WORDS_BYTES : 0);
  const payload = Buffer.allocUnsafe(fixed + entry.update.byteLength);
  let at = payload.writeUInt8(KIND_UPDATE, 0);
  at = payload.writeUInt8(0, at);
  at = payload.writeDoubleLE(entry.seq, at);
  at = payload.writeDoubleLE(entry.receivedAt, at);
  at = payload.writeUInt16LE(name.byteLength, at);
  at += name.copy(payload, at);
  at = payload.writeUInt32LE(user === undefined ? NULL_USER : user.byteLength, at);
  if (user) at += user.copy(payload, at);
  if (entry.words) {
    at = payload.writeInt32LE(entry.words.added, at);
    at = payload.writeInt32LE(entry.words.removed, at);
    at = payload.writeInt32LE(entry.words.net, at);
  }
  payload.set(entry.update, at);
  return payload;
}

function encodeFold(entry: FoldEntry): Buffer {
  const payload = Buffer.allocUnsafe(2 + 4 + 8 * entry.seqs.length);
  let at = payload.writeUInt8(KIND_FOLD, 0);
  at = payload.writeUInt8(0, at);
  at = payload.writeUInt32LE(entry.seqs.length, at);
  for (const seq of entry.seqs) at = payload.writeDoubleLE(seq, at);
  return payload;
}

export interface DecodedSegment {
  /** Complete batches, in file order. */
  batches: LogEntry[][];
  /** Bytes from the start of the file through the end of the last complete batch. */
  validBytes: number;
  /** Why decoding stopped before the end of the file, if it did. */
  tornTail?: string;
}

/**
 * Decodes the records after the header. Never throws on damage: it stops at the first short
 * frame, CRC mismatch or undecodable payload, and everything from the start of that record's
 * batch on is reported as a torn tail (the caller truncates it).
 */
export function decodeSegment(file: Buffer): DecodedSegment {
  const batches: LogEntry[][] = [];
  let batch: LogEntry[] = [];
  let at = HEADER_BYTES;
  let validBytes = HEADER_BYTES;
  let tornTail: string | undefined;
  while (at < file.byteLength) {
    if (file.byteLength - at < FRAME_BYTES) {
      tornTail = 'short frame header';
      break;
    }
    const length = file.readUInt32LE(at);
    const crc = file.readUInt32LE(at + 4);
    if (length < 2 || length > file.byteLength - at - FRAME_BYTES) {
      tornTail = 'record runs past the end of the file';
      break;
    }
    const payload = file.subarray(at + FRAME_BYTES, at + FRAME_BYTES + length);
    if (crc32(payload) !== crc) {
      tornTail = 'CRC mismatch';
      break;
    }
    const entry = decodePayload(payload);
    if (!entry) {
      tornTail = 'undecodable record';
      break;
    }
    batch.push(entry);
    at += FRAME_BYTES + length;
    if ((payload.readUInt8(1) & BATCH_END) !== 0) {
      batches.push(batch);
      batch = [];
      validBytes = at;
    }
  }
  if (!tornTail && batch.length > 0) tornTail = 'batch without its end';
  return tornTail ? { batches, validBytes, tornTail } : { batches, validBytes };
}

function decodePayload(payload: Buffer): LogEntry | undefined {
  try {
    const kind = payload.readUInt8(0);
    if (kind === KIND_FOLD) {
      const n = payload.readUInt32LE(2);
      if (payload.byteLength !== 6 + 8 * n) return undefined;
      const seqs: number[] = [];
      for (let i = 0; i < n; i++) seqs.push(payload.readDoubleLE(6 + 8 * i));
      return { kind: 'fold', seqs };
    }
    if (kind !== KIND_UPDATE) return undefined;
    const seq = payload.readDoubleLE(2);
    const receivedAt = payload.readDoubleLE(10);
    const nameLength = payload.readUInt16LE(18);
    let at = 20;
    const documentName = payload.toString('utf8', at, at + nameLength);
    at += nameLength;
    const userLength = payload.readUInt32LE(at);
    at += 4;
    let userId: string | null = null;
    if (userLength !== NULL_USER) {
      if (at + userLength > payload.byteLength) return undefined;
      userId = payload.toString('utf8', at, at + userLength);
      at += userLength;
    }
    let words: UpdateEntry['words'];
    if ((payload.readUInt8(1) & HAS_WORDS) !== 0) {
      if (at + WORDS_BYTES > payload.byteLength) return undefined;
      words = { added: payload.readInt32LE(at), removed: payload.readInt32LE(at + 4), net: payload.readInt32LE(at + 8) };
      at += WORDS_BYTES;
    }
    if (at > payload.byteLength || !Number.isSafeInteger(seq)) return undefined;
    // A copy: the file buffer is dropped after replay, and an update may be kept for long.
    const update = new Uint8Array(payload.subarray(at));
    return words ? { kind: 'update', seq, documentName, update, userId, receivedAt, words } : { kind: 'update', seq, documentName, update, userId, receivedAt };
  } catch {
    return undefined;
  }
}

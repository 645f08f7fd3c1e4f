import { randomBytes, randomUUID } from 'node:crypto';

/** Random bytes drawn in bulk: one randomBytes call per 256 ids instead of one per id. */
const POOL_SIZE = 16 * 256;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/**
 * UUIDv7: time-ordered, so ids sort by creation time in indexes and streams.
 * Layout per RFC 9562: 48-bit ms timestamp, version 7, 12 random bits, variant 10, 62 random bits.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (offset + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + 16));
  offset += 16;
  return uuidv7Of(nowMs, bytes);
}

/**
 * The UUIDv7 layout over 16 given bytes (changed in place): the 48-bit ms timestamp, version and
 * variant overwrite theirs, the other 74 bits are kept. `uuidv7` passes random bytes; a caller
 * that needs the same id for the same input (a redelivered event) passes a hash of it.
 */
export function uuidv7Of(nowMs: number, bytes: Buffer): string {
  let ts = Number.isFinite(nowMs) && nowMs >= 0 ? Math.floor(nowMs) : 0;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ts % 256;
    ts = Math.floor(ts / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export { randomUUID };

/**
 * Project, document and user ids (fixed contract): 1-64 characters of A-Z a-z 0-9 _ -.
 * The one definition; route schemas, document names, channel names and tokens all use it.
 */
export const RESOURCE_ID_SOURCE = '[A-Za-z0-9_-]{1,64}';
export const RESOURCE_ID_PATTERN = new RegExp(`^${RESOURCE_ID_SOURCE}$`);
export const RESOURCE_ID_MESSAGE = 'expected 1-64 characters of A-Z a-z 0-9 _ -';

export function isResourceId(value: unknown): value is string {
  return typeof value === 'string' && RESOURCE_ID_PATTERN.test(value);
}

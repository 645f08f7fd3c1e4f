import { AppError } from '../../lib/errors.js';
import type { VersionCursor } from './ports.js';

/** The list's opaque paging cursor: `<createdAt ms>.<id>`, base64url. */
export function encodeCursor(version: VersionCursor): string {
  return Buffer.from(`${version.createdAt}.${version.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): VersionCursor {
  const text = Buffer.from(cursor, 'base64url').toString();
  const dot = text.indexOf('.');
  const createdAt = Number(text.slice(0, dot));
  const id = text.slice(dot + 1);
  if (dot <= 0 || !Number.isSafeInteger(createdAt) || id.length === 0) throw new AppError('validation-failed', 'The cursor is not one this list gave out', { cursor });
  return { createdAt, id };
}

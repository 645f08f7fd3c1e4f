import { AppError, ERROR_CODES, type ErrorCode } from '../lib/errors.js';
import type { HocuspocusRefusal } from './context.js';

/**
 * Turns an AppError (or anything) into what Hocuspocus sends the client: the error code as the
 * reason (the provider shows it as `authenticationFailed.reason` or as the close reason) and
 * the WebSocket close code from the shared error table.
 */
export function toRefusal(error: unknown): HocuspocusRefusal {
  const code: ErrorCode = error instanceof AppError ? error.code : 'internal-error';
  return { code: ERROR_CODES[code].ws, reason: code };
}

/** Close code and reason for a server shutdown: 1012 "service restart", clients reconnect. */
export const SHUTDOWN_CLOSE = { code: 1012, reason: 'server-restarting' } as const;
/** Close code for access revoked by an admin. */
export const REVOKED_CLOSE = { code: ERROR_CODES.forbidden.ws, reason: 'access-revoked' } as const;

import { AppError, ERROR_CODES, type ErrorCode } from '../lib/errors.js';
import { COLLAB_CLOSE_REASONS, type CollabCloseReason } from '../protocol/collaboration.js';
import type { CollabContext, HocuspocusRefusal } from './context.js';

/**
 * Turns an AppError (or anything) into what Hocuspocus sends the client: the error code as the
 * reason (the provider shows it as `authenticationFailed.reason` or as the close reason) and
 * the WebSocket close code from the shared error table.
 */
export function toRefusal(error: unknown): HocuspocusRefusal {
  const code: ErrorCode = error instanceof AppError ? error.code : 'internal-error';
  return { code: ERROR_CODES[code].ws, reason: code };
}

const closeOf = <R extends CollabCloseReason>(reason: R) => ({ code: COLLAB_CLOSE_REASONS[reason].code, reason }) as const;

/** Close code and reason for a server shutdown: 1012 "service restart", clients reconnect. */
export const SHUTDOWN_CLOSE = closeOf('server-restarting');
/** Close code for access revoked by an admin. */
export const REVOKED_CLOSE = closeOf('access-revoked');
/** The server could not store a client's change: 4503, the client reconnects with backoff and re-sends it. */
export const STORAGE_UNAVAILABLE_CLOSE = closeOf('storage-unavailable');

/**
 * Refuses a client's change that storage did not take (or a sync against a document holding
 * such a change): closes the client's whole socket with 4503 `storage-unavailable` and returns
 * the refusal for the hook to throw, so no acknowledgement is sent.
 *
 * The socket, not only the document: Hocuspocus closes one document of a socket with a message
 * carrying a reason alone (the provider reports it as code 1000), after which the stock provider
 * neither authenticates that document again nor stops sending to it; its next frames pile up in
 * the server's pre-authentication queue until the socket is reset with 4205 "Reset Connection"
 * (what tests/faults/postgres-outage.fault.ts saw). A socket close is what every provider
 * reconnects after, re-sending what was not acknowledged; the storage is shared by every
 * document on the socket anyway.
 */
export function refuseForStorage(context: CollabContext | undefined, message: string): HocuspocusRefusal {
  context?.socket?.close(STORAGE_UNAVAILABLE_CLOSE.code, STORAGE_UNAVAILABLE_CLOSE.reason);
  return toRefusal(new AppError('service-unavailable', message));
}

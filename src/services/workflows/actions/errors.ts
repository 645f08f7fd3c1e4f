import { isAppError } from '../../../lib/errors.js';
import { ActionError } from '../action-handlers.js';

/** Error codes of a request that will fail the same way every time (retrying cannot help). */
const PERMANENT_CODES = new Set(['validation-failed', 'invalid-document-name', 'invalid-message', 'not-found', 'conflict', 'message-too-large', 'document-too-large', 'forbidden', 'unauthorized']);

/** Turns a service's AppError into an ActionError that says whether a retry can help. */
export function asActionError(action: string, error: unknown): unknown {
  if (error instanceof ActionError || !isAppError(error)) return error;
  return new ActionError(`${action}: ${error.message}`, { permanent: PERMANENT_CODES.has(error.code), cause: error });
}

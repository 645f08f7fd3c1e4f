/**
 * The error model shared with the server. The server answers every REST failure with
 * `{error: {code, message, details}}` and closes WebSockets with the code's close code and the
 * code as the reason. This package imports nothing from the server: the table below is a copy,
 * and a test in client-sdk/tests keeps it equal to the server's.
 */

import { COLLAB_CLOSE_REASONS, type CollabCloseReason } from './protocol.js';

/**
 * Every error code the server can send, with its HTTP status and WebSocket close code. A code
 * never changes meaning once shipped; new codes may be added.
 */
export const ERROR_CODES = {
  unauthorized: { http: 401, ws: 4401 },
  forbidden: { http: 403, ws: 4403 },
  'invalid-document-name': { http: 400, ws: 4400 },
  'validation-failed': { http: 400, ws: 4400 },
  'invalid-message': { http: 400, ws: 4422 },
  'not-found': { http: 404, ws: 4404 },
  conflict: { http: 409, ws: 4409 },
  'message-too-large': { http: 413, ws: 1009 },
  'document-too-large': { http: 413, ws: 4413 },
  'rate-limited': { http: 429, ws: 4429 },
  'feature-disabled': { http: 503, ws: 4503 },
  'service-unavailable': { http: 503, ws: 4503 },
  'internal-error': { http: 500, ws: 4500 },
} as const satisfies Record<string, { http: number; ws: number }>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `value` is one of the codes this SDK knows. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/**
 * An error reported by the server. `code` is the server's code, or `internal-error` when the
 * body was not a Storyloom error (a proxy's HTML page, say); `status` is the HTTP status when
 * the error came from a REST response.
 */
export class StoryloomError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoryloomError';
    this.code = code;
    this.details = details;
    this.status = status;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns a parsed REST error body `{error: {code, message, details}}` into a StoryloomError.
 * Never throws: a body of another shape, or an unknown code, becomes `internal-error` with the
 * original body (or code) kept in `details` so nothing is lost.
 *
 * @param json the parsed response body
 * @param status the response's HTTP status, when known
 */
export function parseErrorBody(json: unknown, status?: number): StoryloomError {
  const error = isRecord(json) ? json.error : undefined;
  if (!isRecord(error)) {
    return new StoryloomError('internal-error', 'Unexpected error response from the server', { body: json }, status);
  }
  const message = typeof error.message === 'string' ? error.message : 'Unknown error';
  const details = isRecord(error.details) ? error.details : {};
  if (!isErrorCode(error.code)) {
    return new StoryloomError('internal-error', message, { ...details, code: error.code }, status);
  }
  return new StoryloomError(error.code, message, details, status);
}

/**
 * The error a WebSocket close or a Hocuspocus refusal stands for. The server sends the error
 * code as the reason (`unauthorized`, `forbidden`, ...); a reason that is not a code is looked
 * up by close code, and anything else is `service-unavailable` (the connection just dropped).
 */
export function errorFromClose(code: number | undefined, reason: string | undefined, message?: string): StoryloomError {
  const text = message ?? `The server closed the connection (${code ?? 'no code'}${reason ? `: ${reason}` : ''})`;
  if (isErrorCode(reason)) return new StoryloomError(reason, text, { closeCode: code });
  // The server's own close reasons: retry ones (storage-unavailable, server-restarting) are a
  // service briefly unavailable, access-revoked is final.
  if (reason !== undefined && Object.prototype.hasOwnProperty.call(COLLAB_CLOSE_REASONS, reason)) {
    const retry = COLLAB_CLOSE_REASONS[reason as CollabCloseReason].retry;
    return new StoryloomError(retry ? 'service-unavailable' : 'forbidden', text, { closeCode: code, reason });
  }
  // Reversed so a shared close code means the general code (validation-failed, service-unavailable).
  const byCode = (Object.keys(ERROR_CODES) as ErrorCode[]).reverse().find((c) => ERROR_CODES[c].ws === code);
  return new StoryloomError(byCode ?? 'service-unavailable', text, { closeCode: code, ...(reason ? { reason } : {}) });
}

/**
 * Whether the same request may succeed later without anything changing on the client: the
 * server could not serve or store it right now (`service-unavailable`: storage down, a restart,
 * close 4503 `storage-unavailable`). The SDK retries those itself, with backoff; every other code
 * (unauthorized, forbidden, not-found, validation-failed, ...) would only be refused again.
 */
export function isRetryable(error: StoryloomError): boolean {
  return error.code === 'service-unavailable';
}

/** `error` itself when it is a StoryloomError, else an `internal-error` wrapping it as the cause. */
export function asStoryloomError(error: unknown, code: ErrorCode = 'internal-error'): StoryloomError {
  if (error instanceof StoryloomError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoryloomError(code, message, {}, undefined, { cause: error });
}

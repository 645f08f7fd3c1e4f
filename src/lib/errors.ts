/**
 * One error model for the whole server. Every failure a client can see is an AppError with a
 * code from this union; REST maps it to an HTTP status and `{error: {code, message, details}}`,
 * WebSockets map it to a close code and use the code as the close reason. The client SDK mirrors
 * this table, so a code never changes meaning once it has shipped.
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

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get wsCloseCode(): number {
    return ERROR_CODES[this.code].ws;
  }

  /** The REST body shape; `details` is always present so clients need no optional check. */
  toJSON(): { error: { code: ErrorCode; message: string; details: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, details: this.details ?? {} } };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Readable text of anything thrown, for logs. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../lib/errors.js';
import type { ApiEnv } from '../context.js';

/** Per-route body limits, smaller than MAX_BODY_BYTES where a route's bodies are small by design. */
export const BODY_LIMITS = {
  /** `{projectId, documentId?}`. */
  sessionStart: 4 * 1024,
  /** Up to 1,000 keystroke events of ~120 bytes each (the schema's maximum batch). */
  keystroke: 128 * 1024,
  /** Presence, cursors, goals, preferences: a few fields each. */
  small: 16 * 1024,
  /** An admin's channel message. */
  broadcast: 64 * 1024,
  /** One published event (payloads are capped by the event schema). */
  publish: 256 * 1024,
  /** A workflow definition (at most 200 steps) or a run's input. */
  workflow: 256 * 1024,
} as const;

/**
 * 413 `message-too-large` with the one error body once a request body passes `maxBytes`
 * (checked on Content-Length first, then while streaming, so a chunked upload is cut off too).
 */
export function limitBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('message-too-large', `The request body is over ${describeBytes(maxBytes)}`, { maxBytes });
    },
  });
}

function describeBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData } from 'ws';
import type { AppError } from '../lib/errors.js';

/** One request header as a string (repeated headers joined), or null. */
export function headerValue(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

export function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * An HTTP answer instead of an upgrade, with the REST error body so clients parse one format.
 * A 429 carries `Retry-After` (seconds) like the REST limit does.
 */
export function refuseUpgrade(socket: Duplex, status: number, error: AppError, retryAfterSeconds = 1): void {
  if (socket.writable) {
    const body = JSON.stringify(error.toJSON());
    const extra = (status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '') + (status === 429 ? `Retry-After: ${retryAfterSeconds}\r\n` : '');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
      // Destroy only once the response is flushed, or the client may see a reset instead of it.
      () => socket.destroy(),
    );
  } else {
    socket.destroy();
  }
}

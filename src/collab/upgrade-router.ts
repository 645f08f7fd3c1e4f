import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../lib/errors.js';
import { createConcurrencyLimit } from '../lib/rate-limit.js';

export interface UpgradeRoute {
  /** Exact paths served; a path also matches with a trailing `/...` segment. */
  paths: readonly string[];
  handle(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> | void;
}

/**
 * One `upgrade` listener for the whole port: /collaboration goes to Hocuspocus, /ws/* to the
 * channel gateway. Anything else, or anything while shutting down, gets a plain HTTP refusal
 * instead of a hanging socket.
 *
 * `maxConnectionsPerIp` (0 = none) bounds the open upgrade sockets of one remote address across
 * both servers, counted from the upgrade request until the TCP socket closes; past it the
 * upgrade gets HTTP 429 with the REST error body and `Retry-After`. The address is the TCP
 * peer's: behind a reverse proxy every client shares the proxy's, so raise it there.
 */
export function createUpgradeRouter(routes: UpgradeRoute[], options: { accepting(): boolean; maxConnectionsPerIp?: number }) {
  const max = options.maxConnectionsPerIp ?? 0;
  const perIp = max > 0 ? createConcurrencyLimit(max) : undefined;
  return (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (!options.accepting()) return refuse(socket, 503, 'Service Unavailable');
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.paths.some((p) => path === p || path.startsWith(`${p}/`)));
    if (!route) return refuse(socket, 404, 'Not Found');
    if (perIp) {
      const release = perIp.acquire(request.socket.remoteAddress ?? 'unknown');
      if (!release) {
        const error = new AppError('rate-limited', `At most ${max} WebSocket connections per address`, { limit: max });
        return refuse(socket, 429, 'Too Many Requests', JSON.stringify(error.toJSON()), 'Retry-After: 5\r\nContent-Type: application/json\r\n');
      }
      socket.once('close', release);
    }
    Promise.resolve(route.handle(request, socket, head)).catch(() => refuse(socket, 500, 'Internal Server Error'));
  };
}

function refuse(socket: Duplex, status: number, text: string, body = '', headers = ''): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => socket.destroy());
  } else {
    socket.destroy();
  }
}

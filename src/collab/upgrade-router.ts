import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface UpgradeRoute {
  /** Exact paths served; a path also matches with a trailing `/...` segment. */
  paths: readonly string[];
  handle(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> | void;
}

/**
 * One `upgrade` listener for the whole port: /collaboration goes to Hocuspocus, /ws/* to the
 * channel gateway. Anything else, or anything while shutting down, gets a plain HTTP refusal
 * instead of a hanging socket.
 */
export function createUpgradeRouter(routes: UpgradeRoute[], options: { accepting(): boolean }) {
  return (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (!options.accepting()) return refuse(socket, 503, 'Service Unavailable');
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.paths.some((p) => path === p || path.startsWith(`${p}/`)));
    if (!route) return refuse(socket, 404, 'Not Found');
    Promise.resolve(route.handle(request, socket, head)).catch(() => refuse(socket, 500, 'Internal Server Error'));
  };
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

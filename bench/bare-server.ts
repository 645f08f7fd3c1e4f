/**
 * The baseline every scenario compares Storyloom with: a bare Hocuspocus 4 server, the
 * `Hocuspocus` class with no extensions, documents in memory only, no authentication hook (so
 * any token is accepted), on node:http with crossws's node adapter: the same transport wiring
 * as src/collab/websocket.ts and nothing else.
 *
 *   node --import tsx bench/bare-server.ts      prints {"port": N} once it listens
 *
 * PORT (default 0) and HOST (default 127.0.0.1) choose the address. SIGTERM/SIGINT close the
 * sockets and exit 0.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hocuspocus, type WebSocketLike } from '@hocuspocus/server';
import crossws from 'crossws/adapters/node';

type ClientConnection = ReturnType<Hocuspocus['handleConnection']>;

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

const hocuspocus = new Hocuspocus({ quiet: true });
const connections = new Map<string, ClientConnection>();

const ws = crossws({
  // Same frame limit as Storyloom's default MAX_MESSAGE_BYTES, so a load that fits one fits both.
  serverOptions: { maxPayload: 2 * 1024 * 1024 },
  hooks: {
    open(peer) {
      connections.set(peer.id, hocuspocus.handleConnection(peer.websocket as unknown as WebSocketLike, peer.request as Request));
    },
    message(peer, message) {
      connections.get(peer.id)?.handleMessage(message.uint8Array());
    },
    close(peer, event) {
      const connection = connections.get(peer.id);
      connections.delete(peer.id);
      connection?.handleClose({ code: event.code ?? 1000, reason: event.reason ?? '' });
    },
  },
});

const server = createServer((_req, res) => {
  res.writeHead(404).end();
});
server.on('upgrade', (request, socket, head) => {
  void ws.handleUpgrade(request, socket, head);
});
server.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(JSON.stringify({ port: address.port, msg: 'bare hocuspocus listening' }));
});

function stop(): void {
  ws.closeAll(1001, 'shutdown');
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

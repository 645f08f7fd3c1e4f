import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port clients connect to; it never changes while servers come and go. */
  port: number;
  /** Forwards new connections to this port; `null` refuses them (and drops the open ones). */
  setTarget(port: number | null): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP forwarder in front of a server process. Fault tests restart servers on new
 * ports; reconnecting providers keep one URL (the proxy's), and the test decides when they may
 * reach the new server (e.g. only after it checked what the restarted server recovered alone).
 */
export async function startTcpProxy(initialTarget: number | null): Promise<TcpProxy> {
  let target = initialTarget;
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (target === null) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: address.port,
    setTarget(port) {
      target = port;
      if (port === null) dropAll();
    },
    async close() {
      target = null;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Full garbage collection in a server process through its inspector (started with
 * `--inspect=127.0.0.1:<port>`), so memory per connection compares live memory, not whichever
 * garbage each server's heap happened to be holding when RSS was read. Loopback only.
 */
import { createServer } from 'node:net';
import WebSocket from 'ws';

/** A free loopback port for `--inspect`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs HeapProfiler.collectGarbage in the process listening on `port`, then returns the main
 * thread's V8 heap in use (Runtime.getHeapUsage), in bytes; bounded to 30 s.
 */
export async function collectGarbage(port: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url);
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('collectGarbage took over 30 s')), 30_000);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: { usedSize?: number } };
        if (message.id === 1) ws.send(JSON.stringify({ id: 2, method: 'Runtime.getHeapUsage' }));
        if (message.id === 2) {
          clearTimeout(timer);
          resolve(message.result?.usedSize ?? NaN);
        }
      });
    });
  } finally {
    ws.close();
  }
}

import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * postgres.js 3.4.9 throws from a setImmediate when a write is flushed after its connection's
 * socket closed (porsager/postgres#1154, #1208): an uncaught TypeError that killed the server
 * during the Postgres outage fault test. patches/postgres+3.4.9.patch settles such writes with
 * CONNECTION_CLOSED instead. This reproduces the crash's path: a reserved connection (it cannot
 * be rotated away) whose socket drops, then a small query on it.
 */
describe.skipIf(!serviceAvailable('postgres'))('postgres.js after its socket closed', () => {
  let proxy: TcpProxy;
  const crashes: unknown[] = [];
  const onUncaught = (error: unknown): void => void crashes.push(error);
  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = await startTcpProxy(Number(target.port || 5432));
    process.on('uncaughtException', onUncaught);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await proxy.close();
  });

  it('rejects the query with CONNECTION_CLOSED instead of throwing from an immediate', { timeout: 10_000 }, async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const reserved = await sql.reserve();
      expect(await reserved`select 1 as one`).toEqual([{ one: 1 }]);
      proxy.setTarget(null);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const outcome = await reserved`select 2 as two`.then(
        () => 'answered',
        (error: { code?: string }) => error.code ?? 'rejected',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(crashes).toEqual([]);
      expect(outcome).toBe('CONNECTION_CLOSED');
      reserved.release();
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

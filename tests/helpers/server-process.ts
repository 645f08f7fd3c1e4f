import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, redisUrl } from './services.js';
import { TEST_SECRET } from './test-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  /** Every log line the server printed (pino JSON), for assertions on what it said. */
  lines: string[];
}

/**
 * Runs the server as its own process, so tests can SIGKILL or SIGTERM a real server. Resolves
 * once it logged that it listens (port 0 -> the port it got). `startTimeoutMs` (default 30 s) is
 * longer in the fault suite, where PGlite's first start competes with the load the test makes.
 * `runtime`: 'tsx' (default) runs src/main.ts through tsx, so a test always runs the source it
 * sees; 'start' runs what `npm start` runs (scripts/start.mjs: the .start/ bundle),
 * which the benchmarks measure.
 */
export async function startServerProcess(env: Record<string, string>, options: { startTimeoutMs?: number; runtime?: 'tsx' | 'start' } = {}): Promise<ServerProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const args = options.runtime === 'start' ? ['scripts/start.mjs'] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_SECRET: TEST_SECRET,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started server behind
      reject(new Error(`server did not start in ${startTimeoutMs / 1000} s:\n${lines.join('\n')}\n${stderr.join('')}`));
    }, startTimeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const entry = JSON.parse(line) as { port?: number; msg?: string };
        if (entry.port && entry.msg?.startsWith('Storyloom listening')) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not JSON: keep it in `lines`
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${lines.join('\n')}\n${stderr.join('')}`));
    });
  });
  return { child, port, wsUrl: `ws://127.0.0.1:${port}/collaboration`, httpUrl: `http://127.0.0.1:${port}`, exited, lines };
}

export interface TwoInstances {
  a: ServerProcess;
  b: ServerProcess;
  /** The test database both share. */
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  /** SIGTERMs both, waits for them, drops the database. */
  stop(): Promise<void>;
}

/**
 * Two server processes on different ports sharing a fresh Postgres database and Redis (needs
 * both services). Started one after the other: the second one's migration run finds nothing
 * to do. Compaction is pushed out of the way so tests can count log rows.
 */
export async function startTwoInstances(): Promise<TwoInstances> {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, COMPACT_AFTER_UPDATES: '100000' };
  const a = await startServerProcess(env);
  const b = await startServerProcess(env);
  return {
    a,
    b,
    db,
    async stop() {
      for (const s of [a, b]) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
      await db.drop();
    },
  };
}

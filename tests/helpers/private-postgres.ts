import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  /** Starts the server (again) on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Immediate shutdown (SIGQUIT: no checkpoint, crash recovery on the next start): an outage. */
  stop(): Promise<void>;
  /** Stops it and deletes the cluster. */
  destroy(): Promise<void>;
}

/** The newest installed server binaries (Debian layout: /usr/lib/postgresql/<major>/bin). */
async function binDir(): Promise<string> {
  const majors = (await readdir('/usr/lib/postgresql')).filter((d) => /^\d+$/.test(d)).sort((x, y) => Number(y) - Number(x));
  if (majors.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

/**
 * A throwaway Postgres cluster (initdb into a temp dir, trust auth, a free loopback port), for
 * fault tests that stop the database: the shared Postgres on 5432 is never touched. Postgres
 * refuses to run as root, so when the tests run as root the cluster belongs to user `postgres`.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'storyloom-pg-'));
  const data = join(dir, 'data');
  const asUser: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    asUser.uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    asUser.gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    await chown(dir, asUser.uid, asUser.gid);
    await chmod(dir, 0o700);
  }
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { ...asUser, stdio: 'pipe' });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const own: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      if (child) return;
      const proc = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=50'], {
        ...asUser,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      await new Promise<void>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`postgres did not start: ${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('database system is ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        };
        proc.stdout!.on('data', onData);
        proc.stderr!.on('data', onData);
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`postgres exited with ${code}: ${output}`));
        });
      });
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGQUIT');
      await exited;
    },
    async destroy() {
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}

/**
 * The main-thread side of the PGlite worker: an object with the two methods drizzle's PGlite
 * driver calls (`query` and `transaction`), each forwarded to worker.ts. drizzle builds SQL
 * and maps rows here as before; only the WebAssembly work moves off the event loop.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger.js';
import type { Initialized, QueryResult, RowMode, SerializedError, WorkerHello, WorkerOptions, WorkerRequest, WorkerResponse } from './protocol.js';

/** What drizzle-orm/pglite uses of a PGlite client (and of the transaction it hands out). */
export interface PgliteLikeClient {
  query(sql: string, params?: unknown[], options?: { rowMode?: RowMode }): Promise<QueryResult>;
  transaction<T>(fn: (tx: PgliteLikeClient) => Promise<T>): Promise<T>;
}

export interface PgliteWorkerClient extends PgliteLikeClient {
  /** ms the worker took to open the database. */
  readonly openMs: number;
  /** Whether the data directory existed, came from the template or from initdb. */
  readonly initialized: Initialized;
  /**
   * CHECKPOINT, then fsync every file and folder of the data directory changed at or after
   * `sinceMs` (PGlite runs with fsync off), all in the worker thread. Resolves once on disk.
   */
  checkpoint(sinceMs: number): Promise<void>;
  /** Closes PGlite (its files are consistent afterwards) and ends the thread. Idempotent. */
  close(): Promise<void>;
}

/** An error from the worker, with the SQLSTATE `code` and details Postgres gave. */
export class PgliteWorkerError extends Error {
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly constraint: string | undefined;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
    this.detail = e.detail;
    this.constraint = e.constraint;
  }
}

/**
 * Structured clone copies a typed array's whole ArrayBuffer, not just its view: an update that
 * is a slice of a 64 KiB socket read (or of Node's Buffer pool) would cross as the whole buffer.
 * Views are copied down to their own bytes first.
 */
export function compactBytes(values: unknown[]): unknown[] {
  return values.map((v) => (ArrayBuffer.isView(v) && v.byteLength !== v.buffer.byteLength ? new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) : v));
}

type Pending = { resolve(r: WorkerResponse & { ok: true }): void; reject(e: Error): void };
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/**
 * Running from TypeScript sources (tsx, vitest), the thread needs tsx too; the compiled build
 * would point at worker.js and need nothing.
 */
function workerUrl(): { url: URL; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './worker.ts' : './worker.js', import.meta.url);
  return { url, execArgv: ts ? ['--import', import.meta.resolve('tsx')] : [] };
}

export async function openPgliteWorker(options: WorkerOptions & { logger: Logger }): Promise<PgliteWorkerClient> {
  const { url, execArgv } = workerUrl();
  const worker = new Worker(url, { workerData: { dir: options.dir, template: options.template } satisfies WorkerOptions, execArgv });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | undefined;

  const failAll = (error: Error) => {
    dead ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const { ms: openMs, initialized } = await new Promise<{ ms: number; initialized: Initialized }>((resolve, reject) => {
    worker.once('message', (hello: WorkerHello) => {
      if (hello.ready) resolve(hello);
      else reject(new PgliteWorkerError(hello.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`PGlite worker exited (${code}) while opening ${options.dir}`)));
  });

  worker.on('message', (response: WorkerResponse) => {
    const p = pending.get(response.id);
    if (!p) return;
    pending.delete(response.id);
    if (response.ok) p.resolve(response);
    else p.reject(new PgliteWorkerError(response.error));
  });
  worker.on('error', (error) => {
    options.logger.error({ err: error }, 'PGlite worker failed');
    failAll(error);
  });
  worker.on('exit', (code) => failAll(new Error(`PGlite worker exited (${code})`)));

  const send = (request: Request): Promise<WorkerResponse & { ok: true }> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as WorkerRequest);
    });
  };

  const clientFor = (tx?: number): PgliteLikeClient => ({
    async query(sql, params = [], queryOptions = {}) {
      const response = await send({ op: 'query', sql, params: compactBytes(params), rowMode: queryOptions.rowMode ?? 'object', ...(tx !== undefined ? { tx } : {}) });
      return response.result!;
    },
    async transaction<T>(fn: (tx: PgliteLikeClient) => Promise<T>): Promise<T> {
      if (tx !== undefined) return fn(clientFor(tx)); // drizzle nests via savepoints, not here
      const { tx: id } = await send({ op: 'begin' });
      let result: T;
      try {
        result = await fn(clientFor(id!));
      } catch (error) {
        await send({ op: 'end', tx: id!, commit: false }).catch(() => undefined);
        throw error;
      }
      await send({ op: 'end', tx: id!, commit: true });
      return result;
    },
  });

  let closing: Promise<void> | undefined;
  return {
    ...clientFor(),
    openMs,
    initialized,
    async checkpoint(sinceMs) {
      await send({ op: 'sync', sinceMs });
    },
    close() {
      closing ??= (async () => {
        if (!dead) await send({ op: 'close' }).catch(() => undefined);
        await worker.terminate();
      })();
      return closing;
    },
  };
}

/**
 * PGlite in its own thread. PGlite is Postgres compiled to WebAssembly: every statement runs
 * synchronously on the thread that calls it, for 0.3 ms to tens of ms. On the server's event
 * loop that time delays every WebSocket message behind it (profiling many-docs put ~40 % of the
 * server's busy time inside PGlite). Here it runs beside the event loop instead.
 *
 * One PGlite, so statements still run one at a time; PGlite's own mutex keeps statements outside
 * a transaction waiting until the open transaction ends, exactly as in-process.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { fsyncChangedTree } from '../update-log/fsync-tree.js';
import { MAINTENANCE_INTERVAL_MS, maintenancePass } from './maintenance.js';
import { PGLITE_MEMORY, baselineWasmOnly } from './memory.js';
import { unpackTarGz } from './untar.js';
import { INITIALIZING_MARKER, type Initialized, type QueryResult, type SerializedError, type WorkerHello, type WorkerOptions, type WorkerRequest, type WorkerResponse } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('src/db/pglite/worker.ts runs only as a worker thread');

/** drizzle parses dates, intervals and numeric arrays itself: hand them over as text. */
const identity = (value: string) => value;
/**
 * bytea in hex text ('\\x…') decoded by Node's native hex codec into a fresh array (no pooled
 * Buffer, so postMessage copies only these bytes). PGlite's own parser takes ~90 ms for a 0.8 MB
 * snapshot (a novel), ~10x this; other formats still go to it.
 */
const bytea = (value: string): Uint8Array => {
  if (!value.startsWith('\\x')) return types.parsers[types.BYTEA]!(value, types.BYTEA) as Uint8Array;
  const out = new Uint8Array((value.length - 2) >>> 1);
  Buffer.from(out.buffer).write(value.slice(2), 'hex');
  return out;
};
const PARSERS = {
  ...Object.fromEntries([types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map((t) => [t, identity])),
  [types.BYTEA]: bytea,
};

interface OpenTransaction {
  tx: Transaction;
  finish(commit: boolean): void;
  /** Settles once PGlite committed or rolled back. */
  done: Promise<void>;
}

const { dir, template } = workerData as WorkerOptions;
const transactions = new Map<number, OpenTransaction>();
let nextTx = 1;

function serialize(error: unknown): SerializedError {
  const e = error as Partial<SerializedError> & { message?: string };
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(error),
    ...(e?.code !== undefined ? { code: e.code } : {}),
    ...(e?.detail !== undefined ? { detail: e.detail } : {}),
    ...(e?.constraint !== undefined ? { constraint: e.constraint } : {}),
    ...(e?.table !== undefined ? { table: e.table } : {}),
  };
}

/** Byte values as their own buffers, so postMessage copies only them (see compactBytes in proxy.ts). */
function compactRows(rows: unknown[]): unknown[] {
  for (const row of rows) {
    const values = row as Record<string, unknown>;
    for (const key in values) {
      const v = values[key];
      if (v instanceof Uint8Array && v.byteLength !== v.buffer.byteLength) values[key] = v.slice();
    }
  }
  return rows;
}

/**
 * Present while a new data directory is being made (template or initdb). Found at start, it
 * means that was interrupted: the half-made directory holds nothing yet and is made again
 * (PGlite would otherwise "resume" a PG_VERSION with half its catalog). Inside the PGlite
 * directory, so the first checkpoint's fsync of that tree makes its removal durable too.
 */
const INITIALIZING = join(dir, INITIALIZING_MARKER);

async function create(): Promise<{ db: PGlite; initialized: Initialized }> {
  baselineWasmOnly();
  const options = { dataDir: dir, ...PGLITE_MEMORY };
  if (existsSync(INITIALIZING)) await rm(dir, { recursive: true, force: true });
  if (existsSync(join(dir, 'PG_VERSION'))) return { db: await PGlite.create(options), initialized: 'existing' };
  await mkdir(dir, { recursive: true });
  await writeFile(INITIALIZING, '');
  const restart = async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(INITIALIZING, '');
  };
  let db: PGlite | undefined;
  let initialized: Initialized = 'initdb';
  if (template) {
    try {
      unpackTarGz(await readFile(template), dir);
      db = await PGlite.create(options);
      initialized = 'template';
    } catch {
      // A corrupt or unreadable archive: start over the old way (the parent logs which was used).
      await restart();
    }
  }
  db ??= await PGlite.create(options);
  await rm(INITIALIZING);
  return { db, initialized };
}

async function open(): Promise<PGlite> {
  const started = performance.now();
  try {
    const { db, initialized } = await create();
    port!.postMessage({ ready: true, ms: performance.now() - started, initialized } satisfies WorkerHello);
    return db;
  } catch (error) {
    port!.postMessage({ ready: false, error: serialize(error) } satisfies WorkerHello);
    throw error;
  }
}

/** Opens a transaction and keeps it open until the main thread says how it ends. */
function begin(db: PGlite): Promise<number> {
  return new Promise((resolveBegun, rejectBegun) => {
    const id = nextTx++;
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (finish = resolve));
    const done = db
      .transaction(async (tx) => {
        transactions.set(id, { tx, finish, done });
        resolveBegun(id);
        if (!(await decided)) await tx.rollback();
      })
      .then(
        () => undefined,
        (error: unknown) => {
          rejectBegun(error);
          throw error;
        },
      )
      .finally(() => transactions.delete(id));
    done.catch(() => undefined); // reported to whoever ends the transaction
  });
}

async function handle(db: PGlite, request: WorkerRequest): Promise<WorkerResponse> {
  switch (request.op) {
    case 'query': {
      const target = request.tx === undefined ? db : transactions.get(request.tx)?.tx;
      if (!target) throw new Error(`transaction ${request.tx} is not open`);
      const r = await target.query(request.sql, request.params, { rowMode: request.rowMode, parsers: PARSERS });
      const result: QueryResult = {
        rows: compactRows(r.rows as unknown[]),
        fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
        ...(r.affectedRows !== undefined ? { affectedRows: r.affectedRows } : {}),
      };
      return { id: request.id, ok: true, result };
    }
    case 'begin':
      return { id: request.id, ok: true, tx: await begin(db) };
    case 'end': {
      const open = transactions.get(request.tx);
      if (!open) throw new Error(`transaction ${request.tx} is not open`);
      open.finish(request.commit);
      await open.done;
      return { id: request.id, ok: true };
    }
    case 'sync':
      // Here rather than on the server's event loop: the walk stats every file of the data
      // directory (over a thousand) each time a fold is made durable, and that thread carries
      // every edit's delivery. Queries keep running meanwhile (the walk only awaits the disk).
      await db.query('CHECKPOINT');
      await fsyncChangedTree(dir, request.sinceMs);
      return { id: request.id, ok: true };
    case 'close':
      await stopMaintenance();
      await db.close();
      return { id: request.id, ok: true };
  }
}

/**
 * PGlite has no autovacuum: every MAINTENANCE_INTERVAL_MS, ANALYZE (and VACUUM where rows churn)
 * the tables that drifted since their statistics (maintenance.ts explains the why and the step
 * costs). The first pass runs from src/db/client.ts right after the migrations. Statements queue
 * in PGlite's mutex like any query, so a pass waits for an open transaction to end. A failed
 * pass is retried at the next interval; it must never take the worker down.
 */
let maintaining: Promise<unknown> | undefined;
let maintenanceTimer: NodeJS.Timeout | undefined;
function startMaintenance(db: PGlite): void {
  maintenanceTimer = setInterval(() => {
    maintaining ??= maintenancePass((sql) => db.query(sql))
      .catch(() => undefined)
      .finally(() => (maintaining = undefined));
  }, MAINTENANCE_INTERVAL_MS);
  maintenanceTimer.unref();
}
async function stopMaintenance(): Promise<void> {
  clearInterval(maintenanceTimer);
  await maintaining;
}

const db = await open();
startMaintenance(db);
port.on('message', (request: WorkerRequest) => {
  handle(db, request).then(
    (response) => {
      port.postMessage(response);
      if (request.op === 'close') port.close();
    },
    (error: unknown) => port.postMessage({ id: request.id, ok: false, error: serialize(error) } satisfies WorkerResponse),
  );
});

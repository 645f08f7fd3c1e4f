/**
 * Postgres memory settings for PGlite as an embedded server's store. PGlite starts Postgres
 * with stock settings (shared_buffers 128 MB, maintenance_work_mem 64 MB) inside one WebAssembly
 * memory that never shrinks, so every page once used stays in the process's RSS. Here the data
 * is small and the kernel's page cache sits behind PGlite's file reads anyway, so a small
 * buffer pool costs little. Measured in a bare Node process on the template database
 * (scripts in the issue 17 report): opened and read, RSS 306 MB with the defaults, 185 MB with
 * shared_buffers=16MB (WASM memory 189 → 128 MB, the module's minimum); after writing,
 * vacuuming and reading 32 MB of rows, 340 → 186 MB, and 152 MB with maintenance_work_mem=16MB too.
 * wal_buffers follows shared_buffers (1/32 of it, 512 kB). The WASM memory cannot start below
 * 128 MB (`initialMemory` smaller than the module's declared 2048 pages fails to link).
 */
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';

const SETTINGS = {
  shared_buffers: '16MB',
  maintenance_work_mem: '16MB',
};

/** Options for PGlite.create: PGlite's own start parameters (fsync off, single user, …) plus ours. */
export const PGLITE_MEMORY = {
  startParams: [...PGlite.defaultStartParams, ...Object.entries(SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
};

/**
 * Compile PGlite's WebAssembly (9 MB) with V8's baseline compiler only. By default V8 also
 * recompiles hot functions with TurboFan; for PGlite that optimised code stays resident (~60 MB)
 * and compiling it costs CPU during the first thousands of statements, while the steady-state
 * statements were no faster (a bare worker thread, 3 × 3,000 upserts + selects: per round 949 /
 * 838 ms CPU with TurboFan, 922 / 907 ms without, after a first round of 2,187 vs 1,253 ms; RSS
 * 243-259 → 188-195 MB). The flag is process-wide: only PGlite compiles WebAssembly here. Must
 * run before the module is compiled (PGlite.create).
 */
export function baselineWasmOnly(): void {
  setFlagsFromString('--liftoff-only');
}

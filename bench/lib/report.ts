/**
 * What every scenario shares: quick/--full mode, the machine and package versions, the JSON
 * result file and the Storyloom | bare | ratio Markdown table.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

/** `npm run bench -- --full` (or BENCH_FULL=1) runs the sizes; the default is quick. */
export const FULL = process.argv.includes('--full') || process.env.BENCH_FULL === '1';
export const MODE = FULL ? 'full' : 'quick';
/** Load-generator processes; default one per core (2 here). */
export const WORKERS = Number(process.env.BENCH_WORKERS ?? Math.max(2, Math.min(4, cpus().length)));

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function versions(): Record<string, string> {
  const of = (name: string) => {
    try {
      return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return Object.fromEntries(['@hocuspocus/server', '@hocuspocus/provider', 'yjs', 'crossws', 'ws'].map((n) => [n, of(n)]));
}

export function header(): string {
  const v = Object.entries(versions())
    .map(([n, ver]) => `${n} ${ver}`)
    .join(', ');
  return `Machine: ${machine()}. Packages: ${v}. Mode: ${MODE}; ${WORKERS} load-generator processes.`;
}

/** Writes bench/results/<name>.json with the machine, versions and mode attached. */
export async function writeResult(name: string, data: unknown): Promise<void> {
  await mkdir('bench/results', { recursive: true });
  const body = { scenario: name, mode: MODE, at: new Date().toISOString(), machine: machine(), versions: versions(), workers: WORKERS, data };
  await writeFile(`bench/results/${name}.json`, JSON.stringify(body, null, 2));
}

export interface Row {
  label: string;
  storyloom: number;
  bare: number;
  digits?: number;
  /** Shown as-is instead of a computed ratio (e.g. when the ratio means nothing). */
  ratio?: string;
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `| measurement | Storyloom | bare Hocuspocus | Storyloom ÷ bare |` */
export function table(rows: Row[]): string {
  const lines = ['| measurement | Storyloom | bare Hocuspocus | Storyloom ÷ bare |', '|---|---|---|---|'];
  for (const r of rows) {
    const ratio = r.ratio ?? (r.bare === 0 || !Number.isFinite(r.bare / r.storyloom) ? '-' : `${fmt(r.storyloom / r.bare, 2)}`);
    lines.push(`| ${r.label} | ${fmt(r.storyloom, r.digits)} | ${fmt(r.bare, r.digits)} | ${ratio} |`);
  }
  return lines.join('\n');
}

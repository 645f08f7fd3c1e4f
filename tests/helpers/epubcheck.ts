import { execFile } from 'node:child_process';
import { openSync, readSync, closeSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The first executable named `name` on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    if (dir && existsSync(path)) return path;
  }
  return null;
}

export interface EpubcheckReport {
  fatals: number;
  errors: number;
  warnings: number;
  output: string;
}

/**
 * Runs the Debian `epubcheck` on a file. Debian installs it as an executable jar
 * (/usr/bin/epubcheck -> epubcheck.jar), which only runs directly where binfmt_misc knows jars;
 * so a jar is started with `java -jar`.
 */
export async function epubcheck(file: string): Promise<EpubcheckReport> {
  const bin = which('epubcheck');
  if (!bin) throw new Error('epubcheck is not installed (Debian package epubcheck; .ci/run installs it)');
  const real = realpathSync(bin);
  const head = Buffer.alloc(2);
  const fd = openSync(real, 'r');
  readSync(fd, head, 0, 2, 0);
  closeSync(fd);
  const [cmd, args] = head.toString('latin1') === 'PK' ? ['java', ['-jar', real, file]] : [bin, [file]];
  const result = await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
  const output = `${result.stdout}\n${result.stderr}`;
  const counts = /Messages: (\d+) fatals? \/ (\d+) errors? \/ (\d+) warnings?/.exec(output);
  if (!counts) throw new Error(`epubcheck printed no summary:\n${output}`);
  return { fatals: Number(counts[1]), errors: Number(counts[2]), warnings: Number(counts[3]), output };
}

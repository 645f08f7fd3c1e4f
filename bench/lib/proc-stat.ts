/**
 * CPU ticks from Linux's /proc stat files, for the benchmarks' CPU figures: a process's total
 * (the server sampler, Postgres's processes) and each of its threads (the event loop, PGlite's
 * worker, V8's background threads and libuv's pool are separate lines there).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc stat files count CPU time in these ticks a second on every arch Node ships for. */
export const CLK_TCK = 100;

export interface StatTicks {
  /** `comm`: the thread's or process's name ("node", "libuv-worker", "postgres"). */
  name: string;
  user: number;
  system: number;
}

/** One stat file (`/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`); throws once it is gone. */
export function readStat(path: string): StatTicks {
  const stat = readFileSync(path, 'utf8');
  // comm (field 2) may contain spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), user: Number(fields[11]), system: Number(fields[12]) };
}

/** utime + stime of `pid` ('self' for this process) in ticks; throws once the process is gone. */
export function cpuTicks(pid: number | string): number {
  const s = readStat(`/proc/${pid}/stat`);
  return s.user + s.system;
}

/** Each thread of `pid` by thread id; empty once the process is gone (or off Linux). */
export function threadTicks(pid: number | string): Map<string, StatTicks> {
  const out = new Map<string, StatTicks>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.set(tid, readStat(`/proc/${pid}/task/${tid}/stat`));
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    // the process is gone, or this is not Linux
  }
  return out;
}

import { Cron } from 'croner';

/**
 * Cron triggers: a 5-field (minute precision) or 6-field (seconds first) expression read in an
 * IANA time zone, with croner doing the calendar math (DST included: a wall-clock time that a
 * spring switch skips fires at the first valid instant after it, and one the autumn switch
 * repeats fires once). Pure: the caller passes the instant to search from; nothing is scheduled.
 */

export type CronCheck = { ok: true } | { ok: false; message: string };

function build(cron: string, timeZone: string): Cron {
  // No callback: croner only parses and computes; it starts no timer.
  return new Cron(cron, { timezone: timeZone, paused: true });
}

/** Whether the expression parses and can ever fire, as one message for the refusal. */
export function checkCron(cron: string, timeZone: string): CronCheck {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return { ok: false, message: `a cron expression has 5 fields (or 6 with seconds first), got ${fields}` };
  try {
    if (build(cron, timeZone).nextRun(new Date(0)) === null) return { ok: false, message: 'the cron expression never fires' };
    return { ok: true };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** The first instant strictly after `afterMs` at which the expression fires, or null if never. */
export function nextCronTime(cron: string, timeZone: string, afterMs: number): number | null {
  return build(cron, timeZone).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** Every firing in (fromMs, toMs], in order, at most `limit` (for catching up after downtime). */
export function cronTimesBetween(cron: string, timeZone: string, fromMs: number, toMs: number, limit = 100): number[] {
  const job = build(cron, timeZone);
  const out: number[] = [];
  let at = fromMs;
  while (out.length < limit) {
    const next = job.nextRun(new Date(at))?.getTime();
    if (next === undefined || next > toMs) break;
    out.push(next);
    at = next;
  }
  return out;
}

import type { Clock } from '../lib/clock.js';

/**
 * Whether the document store takes writes, as the persistence extension sees them: every log
 * append and every snapshot reports its outcome here, each kind on its own (a snapshot that
 * lands proves nothing about the log). A failure starts (or continues) that kind's failing
 * spell; the next success of the same kind ends it. No timer is needed to notice recovery: a
 * failed append stays in its document's outbox (collab/extensions/update-outbox.ts) and is
 * retried every <= 2 s until it commits, and a document holding unstored changes never unloads
 * and retries its snapshot (every <= 2 s while appends fail, at once when they work again).
 *
 * `/readyz` answers 503 while either kind fails (docs/reliability.md), with the number of updates
 * waiting: the instance still serves its loaded documents live (their acknowledgements wait), but
 * cannot load others or acknowledge anything, so it must not receive new writers. A reachable
 * database is not enough (a full disk still answers reads).
 */
export interface PersistenceHealth {
  recordSuccess(kind: WriteKind): void;
  recordFailure(kind: WriteKind, error: unknown): void;
  failing(kind: WriteKind): boolean;
  state(): PersistenceHealthState;
}

export type WriteKind = 'append' | 'snapshot';

export interface PersistenceHealthState {
  /** ms since the epoch when the oldest current failing spell began; null when no kind is failing. */
  failingSince: number | null;
  /** Class of the last failure (`ENOSPC`, `ECONNREFUSED`, `SQLSTATE 53100`, an error name): never its text. */
  lastError: string | null;
  /** Failed writes since start. */
  failures: number;
}

export function createPersistenceHealth(clock: Clock): PersistenceHealth {
  const since: Record<WriteKind, number | null> = { append: null, snapshot: null };
  let lastError: string | null = null;
  let failures = 0;
  return {
    recordSuccess(kind) {
      since[kind] = null;
    },
    recordFailure(kind, error) {
      failures++;
      since[kind] ??= clock.now();
      lastError = errorClass(error);
    },
    failing: (kind) => since[kind] !== null,
    state() {
      const spells = [since.append, since.snapshot].filter((t): t is number => t !== null);
      return { failingSince: spells.length > 0 ? Math.min(...spells) : null, lastError, failures };
    },
  };
}

const ERRNO = /^E[A-Z0-9]+$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * A short, public class for a storage error: a Node errno code (`ENOSPC`), a Postgres SQLSTATE
 * (`SQLSTATE 53100` is disk full, `57P01` an admin shutdown), or the error's name. Drivers wrap
 * errors (drizzle's query error, our AppError), so the `cause` chain is searched; PGlite reports
 * a full disk only in its message, which is read for that one case and never returned.
 */
export function errorClass(error: unknown): string {
  let fallback: string | null = null;
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (typeof e !== 'object') break;
    const { code, message, name, cause } = e as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string' && ERRNO.test(code)) return code;
    if (typeof message === 'string' && message.includes('No space left on device')) return 'ENOSPC';
    if (typeof code === 'string' && SQLSTATE.test(code)) return `SQLSTATE ${code}`;
    if (fallback === null && typeof name === 'string' && name !== 'Error') fallback = name;
    e = cause ?? (e instanceof AggregateError ? e.errors[0] : undefined);
  }
  return fallback ?? 'Error';
}

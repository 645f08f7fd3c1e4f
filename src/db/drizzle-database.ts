import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * What every repository needs: a drizzle database on either driver (PGlite or postgres-js).
 * Both drivers' databases are assignable to it.
 */
export type DrizzleDatabase = PgDatabase<PgQueryResultHKT>;

/** Rows of a raw `db.execute`: postgres-js answers an array, PGlite an object holding `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : ((result as { rows?: T[] }).rows ?? [])) as T[];
}

import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * What every repository needs: a drizzle database on either driver (PGlite or postgres-js).
 * Both drivers' databases are assignable to it.
 */
export type DrizzleDatabase = PgDatabase<PgQueryResultHKT>;

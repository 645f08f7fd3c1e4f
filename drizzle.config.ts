import { defineConfig } from 'drizzle-kit';

/**
 * `npm run db:generate -- --name <change>` writes the next SQL migration into ./migrations.
 * Both PGlite and Postgres apply the same files on open (src/db/migrate.ts); never edit one that
 * has landed.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});

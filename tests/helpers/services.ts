import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/**
 * Real services for tests. Postgres and Redis suites run when DATABASE_URL / REDIS_URL are set
 * and are skipped (with a printed reason naming the missing variable) when not; the browser
 * suites likewise need Chromium (tests/e2e/browser.ts). STORYLOOM_REQUIRE_SERVICES=1 (set by
 * .ci/run) turns every such skip into a failure so CI can never pass by skipping.
 */
export const requireServices = process.env.STORYLOOM_REQUIRE_SERVICES === '1';
export const postgresUrl: string | undefined = process.env.DATABASE_URL || undefined;
export const redisUrl: string | undefined = process.env.REDIS_URL || undefined;

/** What each service needs, as told in a skip reason: the variable and an example value. */
const NEEDS = {
  postgres: { variable: 'DATABASE_URL', example: 'postgres://postgres@127.0.0.1:5432/test' },
  redis: { variable: 'REDIS_URL', example: 'redis://127.0.0.1:6379' },
} as const;

/** Decides whether a service suite runs; throws under STORYLOOM_REQUIRE_SERVICES when it cannot. */
export function serviceAvailable(name: 'postgres' | 'redis'): boolean {
  const url = name === 'postgres' ? postgresUrl : redisUrl;
  if (url) return true;
  const { variable, example } = NEEDS[name];
  const reason = `${variable} is not set (e.g. ${variable}=${example})`;
  if (requireServices) {
    throw new Error(`STORYLOOM_REQUIRE_SERVICES=1 but ${reason}: the ${name} suites cannot be skipped`);
  }
  console.warn(`[tests] skipping ${name} suites: ${reason}`);
  return false;
}

/** A short unique name for databases, documents and streams, so tests never share state. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh Postgres database (created next to the one in DATABASE_URL) for one test file.
 * Dropping it at the end keeps the shared server clean.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!postgresUrl) throw new Error('createTestDatabase needs DATABASE_URL');
  const name = uniqueName('storyloom_test');
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(postgresUrl!, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

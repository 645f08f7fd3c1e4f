/** Prints once which real services this run uses, so a skipped suite is never silent. */
export default function setup(): void {
  const pg = process.env.DATABASE_URL ? 'Postgres at DATABASE_URL' : 'no DATABASE_URL (Postgres suites skipped)';
  const redis = process.env.REDIS_URL ? 'Redis at REDIS_URL' : 'no REDIS_URL (Redis suites skipped)';
  const strict = process.env.STORYLOOM_REQUIRE_SERVICES === '1' ? ', skips are failures' : '';
  console.log(`[tests] PGlite always; ${pg}; ${redis}${strict}`);
}

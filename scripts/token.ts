/**
 * Prints a token in the fixed claim format.
 *   npm run token -- --user alice --name Alice --project demo=editor [--project p2=reader]
 *                    [--color '#e11d48'] [--admin] [--hours 12]
 * Signs with AUTH_SECRET, or else with the development secret the server keeps in DATA_DIR;
 * carries AUTH_ISSUER / AUTH_AUDIENCE when they are set, as the server then requires.
 */
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../src/lib/identity.js';
import { resolveAuthSecret } from '../src/auth/secret.js';
import { signToken } from '../src/auth/tokens.js';

const { values } = parseArgs({
  options: {
    user: { type: 'string' },
    name: { type: 'string' },
    project: { type: 'string', multiple: true, default: [] },
    color: { type: 'string' },
    admin: { type: 'boolean', default: false },
    hours: { type: 'string', default: '12' },
  },
});

function fail(message: string): never {
  console.error(`token: ${message}\nusage: npm run token -- --user alice --name Alice --project demo=editor`);
  process.exit(2);
}

if (!values.user) fail('--user is required');
const projects: Record<string, Role> = {};
for (const entry of values.project) {
  const [id, role] = entry.split('=');
  if (!id || !role || !(ROLES as readonly string[]).includes(role)) fail(`--project takes <id>=<${ROLES.join('|')}>, got "${entry}"`);
  projects[id] = role as Role;
}
const hours = Number(values.hours);
if (!Number.isFinite(hours) || hours <= 0) fail('--hours must be a positive number');
if (process.env.NODE_ENV === 'production' && !process.env.AUTH_SECRET) fail('AUTH_SECRET is required in production');

const { secret } = await resolveAuthSecret({ configured: process.env.AUTH_SECRET || undefined, dataDir: process.env.DATA_DIR || './data' });
console.log(
  await signToken(secret, {
    userId: values.user,
    name: values.name ?? values.user,
    projects,
    ...(values.color ? { color: values.color } : {}),
    admin: values.admin,
    expiresInSeconds: Math.round(hours * 3600),
    ...(process.env.AUTH_ISSUER?.trim() ? { issuer: process.env.AUTH_ISSUER.trim() } : {}),
    ...(process.env.AUTH_AUDIENCE?.trim() ? { audience: process.env.AUTH_AUDIENCE.trim() } : {}),
  }),
);

/**
 * Import directions from ARCHITECTURE §3, checked on src/ in `npm run lint`:
 *
 *   main -> server -> adapters (api, collab, gateway, db, auth, event buses)
 *        -> domain (tracking, notify, workflows) -> events/schema, lib
 *
 * Every rule matches paths by pattern only, so a folder that does not exist yet simply has no
 * violations. Each violation is reported by exactly one rule.
 * @type {import('dependency-cruiser').IConfiguration}
 */

const DOMAIN = '^src/(tracking|notify|workflows)(/|$)';
const ADAPTERS = '^src/(api|collab|gateway|db|auth)(/|$)';
const SERVER = '^src/server\\.ts$';
const MAIN = '^src/main\\.ts$';

// npm packages and node built-ins that do IO. Matched both resolved (node_modules/x/...) and
// unresolved (a package not installed yet still breaks the rule). @types/x counts as x.
const IO_PACKAGES = [
  'drizzle-orm',
  'postgres',
  '@electric-sql/pglite',
  'ioredis',
  'hono',
  '@hono/[^/]+',
  '@hocuspocus/[^/]+',
  'ws',
  'crossws',
  'pino',
];
const IO_PACKAGE_PATH = `(^|node_modules/)(@types/)?(${IO_PACKAGES.join('|')})(/|$)`;
const IO_BUILTIN_PATH = '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|child_process)$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular imports make initialisation order fragile; break the cycle with an interface or an event.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-no-io-packages',
      severity: 'error',
      comment:
        'Domain modules (tracking, notify, workflows) are pure: no database, Redis, HTTP, WebSocket, logger or ' +
        'file-system library. Take what you need as an injected interface; yjs is allowed.',
      from: { path: DOMAIN },
      to: { path: [IO_PACKAGE_PATH, IO_BUILTIN_PATH] },
    },
    {
      name: 'domain-no-adapters',
      severity: 'error',
      comment:
        'Domain modules may not import adapters (api, collab, gateway, db, auth, the bus implementations) nor ' +
        'the composition root; adapters call the domain, not the other way round.',
      from: { path: DOMAIN },
      to: {
        path: [ADAPTERS, SERVER, MAIN, '^src/events/(memory-bus|redis-streams-bus)\\.ts$'],
      },
    },
    {
      name: 'domain-no-cross-imports',
      severity: 'error',
      comment: 'tracking, notify and workflows never import each other: they talk through events.',
      from: { path: DOMAIN },
      to: { path: DOMAIN, pathNot: '^src/$1(/|$)' },
    },
    {
      name: 'lib-and-event-schema-are-leaves',
      severity: 'error',
      comment: 'src/lib and src/events/schema import nothing from src except src/lib.',
      from: { path: ['^src/lib/', '^src/events/schema(\\.ts$|/)'] },
      to: { path: '^src/', pathNot: ['^src/lib/', '^src/events/schema(\\.ts$|/)'] },
    },
    {
      name: 'adapters-not-to-composition-root',
      severity: 'error',
      comment: 'Adapters get their dependencies injected by server.ts; they never import server.ts or main.ts.',
      from: { path: ADAPTERS },
      to: { path: [SERVER, MAIN] },
    },
    {
      name: 'only-main-imports-server',
      severity: 'error',
      comment: 'server.ts is the composition root: only main.ts imports it (tests import it from tests/).',
      from: { path: '^src/', pathNot: [MAIN, ADAPTERS] },
      to: { path: SERVER },
    },
    {
      name: 'nobody-imports-main',
      severity: 'error',
      comment: 'main.ts is the entry point (reads the environment, listens, handles signals); nothing imports it.',
      from: { path: '^src/', pathNot: ADAPTERS },
      to: { path: MAIN },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that cannot be resolved: a missing file, a wrong .js specifier or an uninstalled package.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: a domain file must not depend on an IO library even for types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
      // NodeNext `./x.js` specifiers resolve to `./x.ts`: dependency-cruiser falls back from a
      // missing .js file to .ts/.tsx/.d.ts by itself when a tsConfig is given.
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};

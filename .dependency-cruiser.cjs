/**
 * Import directions (docs/architecture.md), checked on src/ by `npm run lint`. Each layer may
 * import only the layers above it in this list, never one below:
 *
 *   1. leaves      lib/, protocol/, events/schema(.ts|/)   pure contracts: errors, ids, clock, identity,
 *                  the wire protocol, the event schema
 *   2. domain      tracking/, notify/, workflows/, manuscript/   pure models; never import each other (they talk through events)
 *   3. services    services/   the application layer; owns its port interfaces
 *   4. adapters    db/, collab/, gateway/, api/, auth/, audit/, metrics/, events/ (all but the schema), delivery/, config.ts, config-env.ts
 *                  implement the services' ports; api/ calls services, never db/
 *   5. server.ts, compose/   the composition root: wires everything (compose/ holds its parts)
 *   6. main.ts     the process entry: reads the environment, listens, handles signals
 *
 * Rules match paths by pattern only, so a folder that does not exist yet simply has no
 * violations. The layer rules are disjoint, so each violation is reported by exactly one rule.
 * @type {import('dependency-cruiser').IConfiguration}
 */

const LEAVES = '^src/(lib/|protocol/|events/schema(\\.ts$|/))';
const DOMAIN = '^src/(tracking|notify|workflows|manuscript)(/|$)';
const SERVICES = '^src/services(/|$)';
const ADAPTERS = '^src/((db|collab|gateway|api|auth|audit|metrics|events|delivery)(/|$)|config(-env)?\\.ts$)';
const SERVER = '^src/(server\\.ts$|compose/)';
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
  'prom-client',
  'jose',
];
const IO_PACKAGE_PATH = `(^|node_modules/)(@types/)?(${IO_PACKAGES.join('|')})(/|$)`;
const IO_BUILTIN_PATH = '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|child_process|worker_threads)$';

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
      name: 'leaves-import-only-leaves',
      severity: 'error',
      comment: 'src/lib, src/protocol and src/events/schema are the leaves every layer may import: they import nothing else from src.',
      from: { path: LEAVES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'domain-no-io-packages',
      severity: 'error',
      comment:
        'Domain modules (tracking, notify, workflows, manuscript) are pure: no database, Redis, HTTP, WebSocket, logger, metrics, ' +
        'JWT or file-system library. Take what you need as an injected interface; yjs is allowed.',
      from: { path: DOMAIN },
      to: { path: [IO_PACKAGE_PATH, IO_BUILTIN_PATH] },
    },
    {
      name: 'domain-imports-only-leaves',
      severity: 'error',
      comment:
        'Domain modules import only the leaves (lib, protocol, events/schema) and their own folder: never services, adapters ' +
        '(db, collab, gateway, api, auth, audit, metrics, the event buses, config) nor server/main.',
      from: { path: DOMAIN },
      to: { path: '^src/', pathNot: [LEAVES, DOMAIN] },
    },
    {
      name: 'domain-no-cross-imports',
      severity: 'error',
      comment: 'tracking, notify, workflows and manuscript never import each other: they talk through events.',
      from: { path: DOMAIN },
      to: { path: DOMAIN, pathNot: '^src/$1(/|$)' },
    },
    {
      name: 'services-no-adapters',
      severity: 'error',
      comment:
        'Services import the leaves (lib, protocol, events/schema), the domain and other services only. They own port interfaces that the ' +
        'adapters (db, collab, gateway, api, auth, audit, metrics, the event buses, config) implement; server.ts wires them.',
      from: { path: SERVICES },
      to: { path: '^src/', pathNot: [LEAVES, DOMAIN, SERVICES] },
    },
    {
      name: 'api-not-to-db',
      severity: 'error',
      comment: 'Routes call services, never db repositories: the service decides what is read and written.',
      from: { path: '^src/api(/|$)' },
      to: { path: '^src/db(/|$)' },
    },
    {
      name: 'adapters-not-to-composition-root',
      severity: 'error',
      comment: 'Adapters get their dependencies injected by server.ts; they never import server.ts or main.ts.',
      from: { path: ADAPTERS, pathNot: LEAVES },
      to: { path: [SERVER, MAIN] },
    },
    {
      name: 'server-not-to-main',
      severity: 'error',
      comment: 'main.ts is the entry point (reads the environment, listens, handles signals); nothing imports it.',
      from: { path: SERVER },
      to: { path: MAIN },
    },
    {
      name: 'every-module-has-a-layer',
      severity: 'error',
      comment:
        'This module is in no layer of .dependency-cruiser.cjs: put it in an existing folder or add the new folder ' +
        'to the layer it belongs to.',
      // The lower layers' rules already refuse any target outside their allowed layers.
      from: { path: '^src/', pathNot: [LEAVES, DOMAIN, SERVICES] },
      to: { path: '^src/', pathNot: [LEAVES, DOMAIN, SERVICES, ADAPTERS, SERVER, MAIN] },
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

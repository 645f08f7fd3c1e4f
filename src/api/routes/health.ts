import { createRoute, z } from '@hono/zod-openapi';
import type { Logger } from '../../lib/logger.js';
import { createResourceApp, type ApiApp } from '../context.js';
import { access } from '../access.js';

export interface HealthDeps {
  /** Each named check resolves when its dependency answers and rejects otherwise. */
  checks: Record<string, () => Promise<void>>;
  /**
   * Checks whose failure degrades the instance instead of taking it out: it still serves its own
   * clients (Redis: edits are acknowledged through the database and events wait in the bounded
   * buffer; only cross-instance sync pauses), so `/readyz` answers 200 `degraded`.
   */
  degradedOnly?: readonly string[];
  /** False while shutting down: readiness fails first so balancers stop sending traffic. */
  accepting: () => boolean;
  /** Where a failing check's detail goes: the public answer says only `down`. */
  logger: Logger;
  /**
   * The document store's writes as the persistence extension sees them. Failing writes make the
   * instance not ready (503): the database may still answer the ping (a full disk serves reads)
   * while no edit can be stored, and a node that cannot store edits must not get new writers.
   */
  persistence?: () => PersistenceState;
  /**
   * Whether each notification channel is configured (docs/notifications.md). Informational: an
   * unconfigured channel never makes the instance unready, but it is said here, not hidden.
   */
  notificationChannels?: () => Record<string, { configured: boolean; detail: string }>;
}

/** What the collaboration layer reports about storing edits (collab/persistence-health.ts). */
export interface PersistenceState {
  /** ms since the epoch when writes started failing; null while they succeed. */
  failingSince: number | null;
  /** Class of the last failure: an errno code, `SQLSTATE xxxxx` or an error name, never its text. */
  lastError: string | null;
  undurableDocuments: number;
  pendingAppends: number;
  pendingBytes: number;
}

const CheckResult = z.enum(['ok', 'down']);
const PersistenceReadiness = z
  .object({
    status: z.enum(['ok', 'failing']),
    since: z.string().datetime().optional().openapi({ description: 'When writes started failing (while failing)' }),
    lastError: z.string().optional().openapi({ description: 'Class of the last failed write (ENOSPC, ECONNREFUSED, SQLSTATE 53100, ...), while failing', example: 'ENOSPC' }),
    undurableDocuments: z.number().int().openapi({ description: 'Loaded documents whose log appends failed and are retried (edits still reach their writers; acknowledgements wait)' }),
    pendingAppends: z.number().int().openapi({ description: 'Updates applied and not yet committed to the update log (queued, in flight or retried)' }),
    pendingBytes: z.number().int().openapi({ description: 'Their bytes' }),
  })
  .openapi('PersistenceReadiness');
const NotificationsReadiness = z
  .object({ channels: z.record(z.string(), z.object({ configured: z.boolean(), detail: z.string() })) })
  .openapi('NotificationsReadiness', { description: 'Which notification channels are configured; deliveries on the others fail with this reason' });
const Readiness = z
  .object({
    status: z.enum(['ok', 'degraded', 'fail']),
    checks: z.record(z.string(), CheckResult),
    persistence: PersistenceReadiness.optional(),
    notifications: NotificationsReadiness.optional(),
  })
  .openapi('Readiness');

const liveness = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: the process is up',
  ...access('public'),
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
});

const readiness = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness: the database answers and stores edits (200 ok); Redis down is 200 degraded; the database down, edits failing to store, or shutting down is 503',
  ...access('public'),
  description:
    'Public, so it names only each dependency and `ok`/`down`; the reason a check failed is logged, never returned. `persistence` tells whether edits are being stored: while writes fail it is `failing` with the time it started and the class of the last error (e.g. `ENOSPC`, never the text), and the instance is not ready (503).',
  responses: {
    200: { description: 'ready (ok), or serving its own clients without Redis (degraded)', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'not ready', content: { 'application/json': { schema: Readiness } } },
  },
});

/** /healthz and /readyz, mounted at the root (not under /api) as operators expect. */
export function healthRoutes(deps: HealthDeps): ApiApp {
  const app = createResourceApp();
  app.openapi(liveness, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readiness, async (c) => {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, 'ok' as const] as const;
        } catch (error) {
          // Error text can carry hosts, users and driver internals: for the log only.
          deps.logger.warn({ err: error, check: name }, 'readiness check failed');
          return [name, 'down' as const] as const;
        }
      }),
    );
    if (!deps.accepting()) entries.push(['server', 'down']);
    const store = deps.persistence?.();
    if (store) entries.push(['persistence', store.failingSince === null ? 'ok' : 'down']);
    const optional = new Set(deps.degradedOnly ?? []);
    const down = entries.filter(([, r]) => r === 'down').map(([name]) => name);
    const status = down.length === 0 ? ('ok' as const) : down.every((name) => optional.has(name)) ? ('degraded' as const) : ('fail' as const);
    const channels = deps.notificationChannels?.();
    const body = {
      status,
      checks: Object.fromEntries(entries),
      ...(store ? { persistence: persistenceBody(store) } : {}),
      ...(channels ? { notifications: { channels } } : {}),
    };
    return status === 'fail' ? c.json(body, 503) : c.json(body, 200);
  });
  return app;
}

function persistenceBody(state: PersistenceState): z.infer<typeof PersistenceReadiness> {
  const { failingSince, lastError, undurableDocuments, pendingAppends, pendingBytes } = state;
  const counts = { undurableDocuments, pendingAppends, pendingBytes };
  if (failingSince === null) return { status: 'ok', ...counts };
  return { status: 'failing', since: new Date(failingSince).toISOString(), ...(lastError ? { lastError } : {}), ...counts };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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
}

const CheckResult = z.enum(['ok', 'down']);
const Readiness = z
  .object({ status: z.enum(['ok', 'degraded', 'fail']), checks: z.record(z.string(), CheckResult) })
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
  summary: 'Readiness: the database answers (200 ok); Redis down is 200 degraded; the database down or shutting down is 503',
  ...access('public'),
  description: 'Public, so it names only each dependency and `ok`/`down`; the reason a check failed is logged, never returned.',
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
    const optional = new Set(deps.degradedOnly ?? []);
    const down = entries.filter(([, r]) => r === 'down').map(([name]) => name);
    const status = down.length === 0 ? ('ok' as const) : down.every((name) => optional.has(name)) ? ('degraded' as const) : ('fail' as const);
    const body = { status, checks: Object.fromEntries(entries) };
    return status === 'fail' ? c.json(body, 503) : c.json(body, 200);
  });
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

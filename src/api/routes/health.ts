import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp } from '../context.js';

export interface HealthDeps {
  /** Each named check resolves when its dependency answers and rejects otherwise. */
  checks: Record<string, () => Promise<void>>;
  /** False while shutting down: readiness fails first so balancers stop sending traffic. */
  accepting: () => boolean;
}

const CheckResult = z.object({ status: z.enum(['ok', 'fail']), error: z.string().optional() });
const Readiness = z
  .object({ status: z.enum(['ok', 'fail']), checks: z.record(z.string(), CheckResult) })
  .openapi('Readiness');

const liveness = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: the process is up',
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
});

const readiness = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness: the database (and Redis, when configured) answer',
  responses: {
    200: { description: 'ready', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'not ready', content: { 'application/json': { schema: Readiness } } },
  },
});

/** /healthz and /readyz, mounted at the root (not under /api) as operators expect. */
export function registerHealthRoutes(app: ApiApp, deps: HealthDeps): void {
  app.openapi(liveness, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readiness, async (c) => {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, { status: 'ok' as const }] as const;
        } catch (error) {
          return [name, { status: 'fail' as const, error: error instanceof Error ? error.message : String(error) }] as const;
        }
      }),
    );
    if (!deps.accepting()) entries.push(['server', { status: 'fail', error: 'shutting down' }]);
    const ok = entries.every(([, r]) => r.status === 'ok');
    const body = { status: ok ? ('ok' as const) : ('fail' as const), checks: Object.fromEntries(entries) };
    return ok ? c.json(body, 200) : c.json(body, 503);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

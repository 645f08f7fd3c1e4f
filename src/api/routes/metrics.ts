import type { ApiApp } from '../context.js';

/** Prometheus text format at /metrics (not in the OpenAPI document: it is not JSON). */
export function registerMetricsRoute(app: ApiApp, deps: { render(): Promise<{ contentType: string; body: string }> }): void {
  app.get('/metrics', async (c) => {
    const { contentType, body } = await deps.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
}

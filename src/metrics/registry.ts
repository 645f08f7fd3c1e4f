import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Time from receiving a client update to its log row being committed (the ack delay). */
  durableAckSeconds: Histogram;
  updatesLogged: Counter;
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * One registry per server instance (never prom-client's global one), so tests that start
 * several servers in one process do not collide.
 */
export function createMetrics(sources: { connections(): number; documents(): number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'storyloom_connections',
    help: 'Open collaboration sockets',
    registers: [registry],
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: 'storyloom_documents_loaded',
    help: 'Documents held in memory',
    registers: [registry],
    collect() {
      this.set(sources.documents());
    },
  });
  const durableAckSeconds = new Histogram({
    name: 'storyloom_durable_ack_seconds',
    help: 'Delay that durable acknowledgement adds: update received to log row committed',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const updatesLogged = new Counter({ name: 'storyloom_updates_logged_total', help: 'Update log rows written', registers: [registry] });
  return {
    registry,
    durableAckSeconds,
    updatesLogged,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

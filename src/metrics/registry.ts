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
/** Live numbers the gauges read at scrape time (closures: the parts are built after the registry). */
export interface MetricSources {
  /** Open collaboration sockets. */
  connections(): number;
  /** Documents Hocuspocus holds in memory. */
  documents(): number;
  /** Sockets recorded in the connection registry (user -> sockets). */
  registrySockets?(): number;
  /** The document store's writes, as the persistence extension sees them. */
  persistence?(): { failing: boolean; undurableDocuments: number; documents: number; pendingUpdates: number; pendingBytes: number };
  /** Update log appends queued or being written (group commit). */
  pendingAppends?(): number;
}

export function createMetrics(sources: MetricSources): Metrics {
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
  // Registry entries and persistence state: after every client left, all of these return to 0
  // (tests/faults/load-leaks.fault.ts checks them); failing is 1 while writes to the store fail.
  const gauge = (name: string, help: string, read: (() => number) | undefined) => {
    if (read) new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  };
  gauge('storyloom_connection_registry_sockets', 'Sockets held in the connection registry (per-user index of collaboration sockets)', sources.registrySockets);
  const persistence = sources.persistence;
  gauge('storyloom_persistence_failing', '1 while writes to the document store fail (appends or snapshots), else 0', persistence && (() => (persistence().failing ? 1 : 0)));
  gauge('storyloom_persistence_undurable_documents', 'Loaded documents whose log appends failed and are retried (their acknowledgements wait)', persistence && (() => persistence().undurableDocuments));
  gauge('storyloom_persistence_pending_updates', 'Updates applied and delivered but not yet committed to the update log (held while the store refuses writes)', persistence && (() => persistence().pendingUpdates));
  gauge('storyloom_persistence_pending_bytes', 'Bytes of those updates', persistence && (() => persistence().pendingBytes));
  gauge('storyloom_persistence_documents', 'Documents the persistence extension holds state for', persistence && (() => persistence().documents));
  gauge('storyloom_persistence_pending_appends', 'Update log appends queued or being written', sources.pendingAppends);
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

/**
 * Prometheus metrics of an event bus. Both buses report the same names so dashboards do not care
 * which one runs. Without a registry every call is a no-op.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventCategory } from './schema.js';

export interface GroupLag {
  group: string;
  category: EventCategory;
  /** Entries in the stream the group has not read yet; null when Redis cannot tell. */
  lag: number | null;
  /** Entries read but not acknowledged. */
  pending: number;
}

export interface BusMetrics {
  published(category: EventCategory, count: number): void;
  rejected(reason: 'buffer-full' | 'closed' | 'redis-error'): void;
  consumed(category: EventCategory, group: string): void;
  handlerFailed(category: EventCategory, group: string): void;
  deadLettered(category: EventCategory, group: string): void;
}

/** Scrapes must not hang on an unreachable Redis; a lag older than this is left out. */
const LAG_TIMEOUT_MS = 1_000;

/**
 * `buffered()` is read at scrape time (events accepted but not yet in the stream), as is
 * `readLag()` (XINFO GROUPS on Redis).
 */
export function createBusMetrics(options: {
  registry?: Registry;
  buffered(): number;
  readLag(): Promise<GroupLag[]>;
}): BusMetrics {
  const { registry } = options;
  if (!registry) {
    return { published() {}, rejected() {}, consumed() {}, handlerFailed() {}, deadLettered() {} };
  }
  const registers = [registry];
  const published = new Counter({
    name: 'storyloom_events_published_total',
    help: 'Events written to their stream',
    labelNames: ['category'],
    registers,
  });
  const rejected = new Counter({
    name: 'storyloom_events_publish_rejected_total',
    help: 'Valid events the bus refused (offline buffer full, bus closed, Redis error)',
    labelNames: ['reason'],
    registers,
  });
  new Gauge({
    name: 'storyloom_events_buffered',
    help: 'Events accepted but not yet in Redis (held in memory while Redis is unreachable)',
    registers,
    collect() {
      this.set(options.buffered());
    },
  });
  const consumed = new Counter({
    name: 'storyloom_events_consumed_total',
    help: 'Events a consumer group handled successfully',
    labelNames: ['category', 'group'],
    registers,
  });
  const failures = new Counter({
    name: 'storyloom_events_handler_failures_total',
    help: 'Handler calls that threw (the event is retried or dead-lettered)',
    labelNames: ['category', 'group'],
    registers,
  });
  const dead = new Counter({
    name: 'storyloom_events_dead_lettered_total',
    help: 'Events moved to the dead-letter stream',
    labelNames: ['category', 'group'],
    registers,
  });
  // Both gauges come from one XINFO round per scrape: prom-client collects metrics in parallel,
  // so the first collect starts the read and the second joins it.
  let snapshot: Promise<GroupLag[] | null> | undefined;
  const readOnce = (): Promise<GroupLag[] | null> => {
    if (!snapshot) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LAG_TIMEOUT_MS)));
      snapshot = Promise.race([options.readLag().catch(() => null), timeout]).finally(() => {
        clearTimeout(timer);
        snapshot = undefined;
      });
    }
    return snapshot;
  };
  const groupGauge = (name: string, help: string, field: 'lag' | 'pending') =>
    new Gauge({
      name,
      help,
      labelNames: ['category', 'group'],
      registers,
      async collect() {
        const rows = await readOnce();
        if (!rows) return;
        this.reset();
        for (const row of rows) {
          const value = row[field];
          if (value !== null) this.set({ category: row.category, group: row.group }, value);
        }
      },
    });
  groupGauge('storyloom_events_consumer_lag', 'Entries in the stream a consumer group has not read yet', 'lag');
  groupGauge('storyloom_events_consumer_pending', 'Entries delivered to a group and not yet acknowledged', 'pending');
  return {
    published: (category, count) => published.inc({ category }, count),
    rejected: (reason) => rejected.inc({ reason }),
    consumed: (category, group) => consumed.inc({ category, group }),
    handlerFailed: (category, group) => failures.inc({ category, group }),
    deadLettered: (category, group) => dead.inc({ category, group }),
  };
}

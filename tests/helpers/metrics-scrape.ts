/** One scrape of a server's /metrics: `series name{labels}` -> value, and sums by metric name. */
export interface Scrape {
  /** The sample with exactly this name (and no labels), or the sum of every labelled one. */
  get(name: string): number;
  raw: Map<string, number>;
}

/** Reads /metrics (Prometheus text format) of a running server. */
export async function scrapeMetrics(httpUrl: string): Promise<Scrape> {
  const res = await fetch(`${httpUrl}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const raw = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    raw.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return {
    raw,
    get(name) {
      if (raw.has(name)) return raw.get(name)!;
      let sum = 0;
      for (const [series, value] of raw) if (series.startsWith(`${name}{`)) sum += value;
      return sum;
    },
  };
}

/** What /readyz says about storing edits (src/api/routes/health.ts). */
export interface PersistenceReadiness {
  status: 'ok' | 'failing';
  since?: string;
  lastError?: string;
  undurableDocuments: number;
  pendingAppends: number;
}

/** /readyz as the test sees it: HTTP status, the body's status, each check, and persistence. */
export async function readiness(
  httpUrl: string,
): Promise<{ http: number; status: string; checks: Record<string, string>; persistence?: PersistenceReadiness }> {
  const res = await fetch(`${httpUrl}/readyz`);
  const body = (await res.json()) as { status: string; checks: Record<string, string>; persistence?: PersistenceReadiness };
  return { http: res.status, status: body.status, checks: body.checks, ...(body.persistence ? { persistence: body.persistence } : {}) };
}

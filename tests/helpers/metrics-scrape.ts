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

/** /readyz as the test sees it: HTTP status and the body's status. */
export async function readiness(httpUrl: string): Promise<{ http: number; status: string; checks: Record<string, { status: string }> }> {
  const res = await fetch(`${httpUrl}/readyz`);
  const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
  return { http: res.status, status: body.status, checks: body.checks };
}
